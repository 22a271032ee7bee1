/* DMARC policy discovery (RFC 7489 §6.6.3) on the shared channel, its
 * JSON, alignment (§3.1) and the verdict (§6.6.2). The record parser is
 * dmarc_record.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dmarc.h"
#include "mc_time.h"

struct dmarc_slot {
	struct mc_dmarc_lookup *l;
	char *name;
	struct mc_dns_result *res;
};

struct mc_dmarc_lookup {
	struct mc_dns *dns;
	char *domain, *org;
	struct dmarc_slot q[2];       /* _dmarc.<domain>, _dmarc.<org> */
	size_t n_q;
	size_t outstanding;
};

static void on_txt(void *arg, struct mc_dns_result *res)
{
	struct dmarc_slot *s = arg;

	s->res = res;
	s->l->outstanding--;
}

static void lookup_free(struct mc_dmarc_lookup *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < 2; i++) {
		free(l->q[i].name);
		dns_result_free(l->q[i].res);
	}
	free(l->domain);
	free(l->org);
	free(l);
}

static char *prefixed(const char *prefix, const char *name)
{
	size_t a = strlen(prefix), b = strlen(name);
	char *s = malloc(a + b + 1);

	if (s) {
		memcpy(s, prefix, a);
		memcpy(s + a, name, b + 1);
	}
	return s;
}

struct mc_dmarc_lookup *dmarc_lookup_start(struct mc_dns *dns,
					   const struct mc_psl *psl,
					   const char *domain,
					   struct mc_err *err)
{
	char name[MC_CHK_NAME_MAX + 2], org[MC_CHK_NAME_MAX + 2];
	struct mc_dmarc_lookup *l;

	if (!check_name_valid(domain) ||
	    check_name_normalize(domain, name, sizeof(name)) ||
	    strlen(name) + 7 > MC_CHK_NAME_MAX) {
		mc_err_set(err, -1, MC_COMP_DMARC,
			   "'%.80s' is not a domain name", domain);
		return NULL;
	}
	if (!psl && !(psl = orgdomain_default(err)))
		return NULL;
	if (orgdomain_get(psl, name, org, sizeof(org))) {
		mc_err_set(err, -1, MC_COMP_DMARC,
			   "'%.80s' is not a domain name", domain);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		goto oom;
	l->dns = dns;
	l->domain = strdup(name);
	l->org = strdup(org);
	if (!l->domain || !l->org)
		goto oom;
	l->n_q = strcmp(name, org) == 0 ? 1 : 2;
	for (size_t i = 0; i < l->n_q; i++) {
		l->q[i].l = l;
		l->q[i].name = prefixed("_dmarc.", i == 0 ? name : org);
		if (!l->q[i].name)
			goto oom;
	}
	for (size_t i = 0; i < l->n_q; i++) {
		l->outstanding++;
		if (dns_query(dns, l->q[i].name, MC_DNS_TXT, on_txt, &l->q[i]))
			l->outstanding--;
	}
	return l;
oom:
	/* No query was started: nothing can call back into l. */
	lookup_free(l);
	mc_err_set(err, -1, MC_COMP_DMARC, "out of memory");
	return NULL;
}

enum pick {
	PICK_FOUND,          /* exactly one DMARC record */
	PICK_NONE,           /* none there: look further */
	PICK_STOP,           /* cannot go on: failure or several records */
};

/* §6.6.3 steps 1-3 for one name: keep only records that start with
 * v=DMARC1; one is the policy, several are an error. */
static enum pick pick_record(struct mc_dmarc_result *r,
			     const struct dmarc_slot *s, const char *domain)
{
	const struct mc_dns_result *res = s->res;
	size_t found = 0, which = 0;

	if (!res) {
		r->status = MC_DNS_ERROR;
		findings_add(&r->problems, MC_CHK_UNKNOWN,
			     "%s TXT: no answer (out of memory)", s->name);
		return PICK_STOP;
	}
	r->status = res->status;
	switch (res->status) {
	case MC_DNS_NXDOMAIN:
	case MC_DNS_NODATA:
		return PICK_NONE;
	case MC_DNS_TIMEOUT:
	case MC_DNS_SERVFAIL:
	case MC_DNS_ERROR:
		findings_add(&r->problems, MC_CHK_UNKNOWN,
			     "%s TXT: %s (%s): cannot tell whether there is a DMARC policy",
			     s->name, dns_status_name(res->status), res->why);
		return PICK_STOP;
	case MC_DNS_OK:
		break;
	}
	for (size_t i = 0; i < res->n_rr; i++) {
		if (dmarc_record_is_dmarc(res->rr[i].txt, res->rr[i].txt_len)) {
			if (!found++)
				which = i;
		}
	}
	if (found == 0) {
		r->status = MC_DNS_NODATA;
		return PICK_NONE;
	}
	if (found > 1) {
		findings_add(&r->problems, MC_CHK_CRITICAL,
			     "%s has %zu DMARC records: receivers apply none (RFC 7489 section 6.6.3)",
			     s->name, found);
		return PICK_STOP;
	}
	r->record_domain = strdup(domain);
	r->record = strdup(res->rr[which].txt);
	r->rec = dmarc_record_parse(res->rr[which].txt,
				    res->rr[which].txt_len);
	if (!r->record_domain || !r->record || !r->rec)
		r->problems.oom = 1;
	return PICK_FOUND;
}

struct mc_dmarc_result *dmarc_lookup_finish(struct mc_dmarc_lookup *l)
{
	struct mc_dmarc_result *r;
	enum pick pk;

	if (!l)
		return NULL;
	if (l->outstanding)
		dns_cancel(l->dns);
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->domain = strdup(l->domain);
	r->org_domain = strdup(l->org);
	if (!r->domain || !r->org_domain) {
		dmarc_result_free(r);
		r = NULL;
		goto out;
	}
	pk = pick_record(r, &l->q[0], l->domain);
	if (pk == PICK_NONE && l->n_q == 2)
		pk = pick_record(r, &l->q[1], l->org);
	if (pk == PICK_NONE)
		findings_add(&r->problems, MC_CHK_WARNING,
			     l->n_q == 2 ?
			     "no DMARC record at _dmarc.%s nor at _dmarc.%s" :
			     "no DMARC record at _dmarc.%s%s",
			     l->domain, l->n_q == 2 ? l->org : "");
	if (r->rec) {
		for (size_t i = 0; i < r->rec->errors.n; i++)
			findings_add(&r->problems,
				     r->rec->errors.v[i].severity, "%s",
				     r->rec->errors.v[i].message);
		if (r->rec->valid) {
			r->policy = r->rec->p;
			r->subdomain_policy = r->rec->sp ? r->rec->sp :
				r->rec->p;
		} else if (!r->rec->errors.n) {
			findings_add(&r->problems, MC_CHK_CRITICAL,
				     "the DMARC record is not usable");
		}
	}
out:
	lookup_free(l);
	return r;
}

struct mc_dmarc_result *dmarc_lookup(struct mc_dns *dns,
				     const struct mc_psl *psl,
				     const char *domain, double deadline,
				     struct mc_err *err)
{
	struct mc_dmarc_lookup *l = dmarc_lookup_start(dns, psl, domain, err);
	struct mc_dmarc_result *r;
	struct mc_err run_err = {0};

	if (!l)
		return NULL;
	if (dns_run(dns, deadline, NULL, &run_err))
		dns_cancel(dns);
	r = dmarc_lookup_finish(l);
	if (!r)
		mc_err_set(err, -1, MC_COMP_DMARC, "out of memory");
	return r;
}

void dmarc_result_free(struct mc_dmarc_result *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->org_domain);
	free(r->record_domain);
	free(r->record);
	dmarc_record_free(r->rec);
	findings_clear(&r->problems);
	free(r);
}

static json_t *policy_json(enum mc_dmarc_policy p)
{
	return p == MC_DMARC_P_UNSET ? json_null() :
		json_string(dmarc_policy_name(p));
}

static json_t *uris_json(char **uris, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, check_json_str(uris[i]));
	return a;
}

static json_t *mode_json(char mode)
{
	char s[2] = {mode, '\0'};

	return mode ? json_string(s) : json_null();
}

json_t *dmarc_result_json(const struct mc_dmarc_result *r)
{
	const struct mc_dmarc_record *rec = r->rec && r->rec->valid ?
		r->rec : NULL;
	json_t *errors = json_array();

	for (size_t i = 0; errors && i < r->problems.n; i++)
		if (r->problems.v[i].severity != MC_CHK_OK)
			json_array_append_new(errors,
				check_json_str(r->problems.v[i].message));
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i}",
		"domain", check_json_str(r->domain),
		"record_domain", check_json_str(r->record_domain),
		"record", check_json_str(r->record),
		"policy", policy_json(r->policy),
		"subdomain_policy", policy_json(r->subdomain_policy),
		"pct", rec ? json_integer(rec->pct) : json_null(),
		"adkim", mode_json(rec ? rec->adkim : 0),
		"aspf", mode_json(rec ? rec->aspf : 0),
		"rua", uris_json(rec ? rec->rua : NULL, rec ? rec->n_rua : 0),
		"ruf", uris_json(rec ? rec->ruf : NULL, rec ? rec->n_ruf : 0),
		"errors", errors,
		"severity", r->problems.severity);
}

int dmarc_aligned_psl(const struct mc_psl *psl, const char *from_domain,
		      const char *auth_domain, char mode)
{
	char a[MC_CHK_NAME_MAX + 2], b[MC_CHK_NAME_MAX + 2];
	char oa[MC_CHK_NAME_MAX + 2], ob[MC_CHK_NAME_MAX + 2];
	struct mc_err err = {0};

	if (!from_domain || !auth_domain ||
	    check_name_normalize(from_domain, a, sizeof(a)) ||
	    check_name_normalize(auth_domain, b, sizeof(b)) || !a[0] || !b[0])
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	if (mode == 's' || mode == 'S')
		return 0;
	if (!psl && !(psl = orgdomain_default(&err)))
		return 0;
	if (orgdomain_get(psl, a, oa, sizeof(oa)) ||
	    orgdomain_get(psl, b, ob, sizeof(ob)))
		return 0;
	return strcmp(oa, ob) == 0;
}

int dmarc_aligned(const char *from_domain, const char *auth_domain,
		  char mode)
{
	return dmarc_aligned_psl(NULL, from_domain, auth_domain, mode);
}

enum mc_dmarc_verdict dmarc_verdict(const struct mc_dmarc_result *r,
				    enum mc_spf_result spf_result,
				    const char *spf_domain,
				    const char *const *dkim_pass_domains,
				    size_t n_dkim,
				    struct mc_dmarc_judgement *j)
{
	struct mc_dmarc_judgement local = {0};

	if (!j)
		j = &local;
	memset(j, 0, sizeof(*j));
	if (!r || r->status == MC_DNS_TIMEOUT ||
	    r->status == MC_DNS_SERVFAIL || r->status == MC_DNS_ERROR)
		return j->verdict = MC_DMARC_TEMPERROR;
	if (!r->rec || !r->rec->valid)
		return j->verdict = MC_DMARC_NONE;
	j->spf_aligned = spf_result == MC_SPF_PASS &&
		dmarc_aligned(r->domain, spf_domain, r->rec->aspf);
	for (size_t i = 0; i < n_dkim && !j->dkim_aligned; i++)
		j->dkim_aligned = dmarc_aligned(r->domain,
						dkim_pass_domains[i],
						r->rec->adkim);
	if (j->spf_aligned || j->dkim_aligned)
		return j->verdict = MC_DMARC_PASS;
	/* §6.6.3: a subdomain found its policy at the org domain: sp. */
	j->disposition = r->record_domain &&
		strcmp(r->record_domain, r->domain) != 0 ?
		r->subdomain_policy : r->policy;
	return j->verdict = MC_DMARC_FAIL;
}

const char *dmarc_verdict_name(enum mc_dmarc_verdict v)
{
	switch (v) {
	case MC_DMARC_PASS:
		return "pass";
	case MC_DMARC_FAIL:
		return "fail";
	case MC_DMARC_NONE:
		return "none";
	case MC_DMARC_TEMPERROR:
		break;
	}
	return "temperror";
}
