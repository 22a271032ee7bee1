/* spf_check_host(): the identity to check (RFC 7208 §2.3, §4.3), the
 * evaluation state, the default explanation, and the outcome. */
#include <stdlib.h>
#include <string.h>

#include "checks/spf_eval.h"
#include "mc_time.h"

/* §6.2 leaves the default explanation to the implementation. */
#define DEFAULT_EXPLANATION \
	"%{c} is not a permitted sender for %{d} (SPF)"

const char *spf_result_name(enum mc_spf_result r)
{
	static const char *const names[] = {
		[MC_SPF_NONE] = "none",         [MC_SPF_NEUTRAL] = "neutral",
		[MC_SPF_PASS] = "pass",         [MC_SPF_FAIL] = "fail",
		[MC_SPF_SOFTFAIL] = "softfail", [MC_SPF_TEMPERROR] = "temperror",
		[MC_SPF_PERMERROR] = "permerror",
	};

	if ((unsigned)r >= sizeof(names) / sizeof(names[0]))
		return "permerror";
	return names[r];
}

void spf_outcome_free(struct mc_spf_outcome *o)
{
	if (!o)
		return;
	spf_trace_strings_free(o->strings);
	free(o->trace);
	free(o->identity);
	free(o->domain);
	free(o->record);
	free(o->explanation);
	free(o->problem);
	free(o);
}

static char *join3(const char *a, const char *b, size_t bn, const char *c)
{
	size_t an = strlen(a), cn = strlen(c);
	char *s = malloc(an + bn + cn + 1);

	if (!s)
		return NULL;
	memcpy(s, a, an);
	memcpy(s + an, b, bn);
	memcpy(s + an + bn, c, cn + 1);
	return s;
}

/* The %{i} nibbles keep the letter case the address was written in:
 * RFC 7208 does not fix it and the OpenSPF suite expects it. */
static int written_upper(const char *ip)
{
	int upper = 0;

	for (; *ip; ip++) {
		if (*ip >= 'a' && *ip <= 'f')
			return 0;
		if (*ip >= 'A' && *ip <= 'F')
			upper = 1;
	}
	return upper;
}

static int default_explanation(struct spf_eval *ev, const char *domain,
			       const struct mc_spf_opts *opts)
{
	const char *d = ev->exp_domain ? ev->exp_domain : domain;
	const char *text = opts && opts->default_explanation ?
		opts->default_explanation : DEFAULT_EXPLANATION;
	char *s = spf_expand(ev, 0, d, text, 1);

	if (!s && !(s = strdup("")))
		return -1;
	free(ev->out->explanation);
	ev->out->explanation = s;
	ev->out->explanation_default = 1;
	return 0;
}

const char *spf_identity_domain(const struct mc_spf_query *q, size_t *len)
{
	const char *d, *at;

	if (q->mailfrom && *q->mailfrom) {
		at = strrchr(q->mailfrom, '@');
		d = at ? at + 1 : q->mailfrom;
	} else if (q->helo && *q->helo) {
		d = q->helo;
	} else {
		*len = 0;
		return NULL;
	}
	*len = strlen(d);
	if (*len > 1 && d[*len - 1] == '.')
		(*len)--;
	return d;
}

static void prefetch_done(void *arg, struct mc_dns_result *res)
{
	(void)arg;
	dns_result_free(res);     /* the cache has kept its copy */
}

int spf_prefetch(struct mc_dns *dns, const char *domain, size_t n)
{
	char *q;
	int rc;

	/* the name spf_check_host() will ask, escaped as spf_lookup_many()
	 * escapes it */
	if (!dns_has_cache(dns) || !domain || n == 0 || n > MC_SPF_MAX_INPUT ||
	    !spf_domain_queryable(domain, n) ||
	    !(q = dns_name_escape(domain, n)))
		return -1;
	rc = dns_query(dns, q, MC_DNS_TXT, prefetch_done, NULL);
	free(q);
	return rc;
}

struct mc_spf_outcome *spf_check_host(struct mc_dns *dns,
				      const struct mc_spf_query *q,
				      const struct mc_spf_opts *opts,
				      struct mc_err *err)
{
	struct spf_eval ev = {.lookahead_left = SPF_LOOKAHEAD_MAX};
	struct mc_spf_outcome *o = NULL;
	const char *mailfrom = q->mailfrom ? q->mailfrom : "";
	const char *helo = q->helo && *q->helo ? q->helo : NULL;
	const char *at, *id;
	char *local = NULL, *domain = NULL, *sender = NULL;
	char iptext[MC_IPADDR_TEXT_MAX];
	double timeout = opts && opts->timeout > 0 ? opts->timeout :
		MC_SPF_DEFAULT_DEADLINE;
	size_t dn;

	if (!q->ip || ipaddr_parse(q->ip, strlen(q->ip), &ev.ip)) {
		mc_err_set(err, -1, MC_COMP_SPF, "'%s' is not an IP address",
			   q->ip ? q->ip : "");
		return NULL;
	}
	if (strlen(mailfrom) > MC_SPF_MAX_INPUT ||
	    (helo && strlen(helo) > MC_SPF_MAX_INPUT)) {
		mc_err_set(err, -1, MC_COMP_SPF,
			   "MAIL FROM or HELO longer than %d bytes",
			   MC_SPF_MAX_INPUT);
		return NULL;
	}
	if (!*mailfrom && !helo) {
		mc_err_set(err, -1, MC_COMP_SPF,
			   "need a MAIL FROM address or a HELO name");
		return NULL;
	}
	/* §5: an IPv4-mapped IPv6 client is the IPv4 client it maps. */
	ipaddr_unmap(&ev.ip);
	ev.ip_upper = written_upper(q->ip);

	/* §2.3, §4.3: MAIL FROM, else postmaster@HELO; no local-part
	 * means "postmaster". */
	if (*mailfrom) {
		at = strrchr(mailfrom, '@');
		local = at ? join3("", mailfrom, (size_t)(at - mailfrom), "") :
			strdup("");
	} else {
		local = strdup("");
	}
	id = spf_identity_domain(q, &dn);     /* not NULL: checked above */
	domain = strndup(id, dn);
	o = calloc(1, sizeof(*o));
	if (!local || !domain || !o)
		goto oom;
	if (!*local) {
		free(local);
		if (!(local = strdup("postmaster")))
			goto oom;
	}
	sender = join3(local, "@", 1, domain);
	/* Room for SPF_TRACE_FIRST lines; spf_trace() doubles it as needed
	 * (a batch keeps thousands of outcomes: 512 lines each cost 12 KB). */
	o->trace = calloc(SPF_TRACE_FIRST, sizeof(*o->trace));
	o->identity = strdup(*mailfrom ? "mailfrom" : "helo");
	o->domain = strdup(domain);
	o->problem = strdup("");
	if (!sender || !o->trace || !o->identity || !o->domain || !o->problem)
		goto oom;

	ev.dns = dns;
	ev.out = o;
	ev.sender = sender;
	ev.local = local;
	ev.sender_domain = domain;
	ev.helo = helo ? helo : "unknown";
	ev.receiver = opts && opts->receiver ? opts->receiver : "unknown";
	ev.now = (long long)(opts && opts->now > 0 ? opts->now :
			     mc_now_real());
	ev.deadline = mc_now_coarse() + timeout;

	spf_trace(&ev, 0, domain, "check_host(%s, %s, %s)",
		  ipaddr_format(&ev.ip, iptext), domain, sender);
	o->result = spf_eval_check_host(&ev, domain, 0, 1);
	if (o->result == MC_SPF_FAIL && !o->explanation) {
		if (default_explanation(&ev, domain, opts))
			goto oom;
	} else if (o->result != MC_SPF_FAIL) {
		free(o->explanation);
		if (!(o->explanation = strdup("")))
			goto oom;
	}
	if (o->result != MC_SPF_PERMERROR && o->result != MC_SPF_TEMPERROR &&
	    o->result != MC_SPF_NONE)
		o->problem[0] = '\0';
	spf_trace(&ev, 0, domain, "result: %s", spf_result_name(o->result));
	if (ev.oom)
		goto oom;
	goto out;
oom:
	mc_err_set(err, -1, MC_COMP_SPF, "out of memory");
	spf_outcome_free(o);
	o = NULL;
out:
	for (size_t i = 0; i < ev.n_ptr_names; i++)
		free(ev.ptr_names[i]);
	free(ev.ptr_names);
	free(ev.exp_domain);
	free(local);
	free(domain);
	free(sender);
	return o;
}
