/* RFC 7208 check_host(): record selection (§4.4, §4.5), the mechanisms
 * (§5), redirect and exp (§6), with the limits of §4.6.4. DNS goes
 * through spf_lookup.c; syntax through spf_record.c and spf_macro.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checks/spf_eval.h"
#include "mc_time.h"

/* DNS trouble is temperror (§4.4, §5); "no such name/record" is not. */
static int dns_trouble(enum mc_dns_status st)
{
	return st == MC_DNS_TIMEOUT || st == MC_DNS_SERVFAIL ||
	       st == MC_DNS_ERROR;
}

static void rr_addr(const struct mc_dns_result *r, size_t i,
		    struct mc_ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (r->type == MC_DNS_A) {
		out->family = AF_INET;
		memcpy(out->a, &r->rr[i].addr.a, 4);
	} else {
		out->family = AF_INET6;
		memcpy(out->a, &r->rr[i].addr.aaaa, 16);
	}
}

/* Does any address of r lie within the term's CIDR around ev->ip? */
static int addrs_match(struct spf_eval *ev, const struct mc_dns_result *r,
		       const struct mc_spf_term *t)
{
	unsigned prefix = ev->ip.family == AF_INET ?
		(t->cidr4 < 0 ? 32u : (unsigned)t->cidr4) :
		(t->cidr6 < 0 ? 128u : (unsigned)t->cidr6);

	if (r->status != MC_DNS_OK)
		return 0;
	for (size_t i = 0; i < r->n_rr; i++) {
		struct mc_ipaddr a;

		rr_addr(r, i, &a);
		if (ipaddr_match(&ev->ip, &a, prefix))
			return 1;
	}
	return 0;
}

/* The term's target name: its domain-spec expanded and truncated, or the
 * current domain. NULL with ev->error set on a macro problem. */
static char *target_name(struct spf_eval *ev, const char *spec,
			 const char *d, int depth)
{
	char *s;

	if (!spec) {
		s = strdup(d);
		if (!s)
			ev->oom = 1;
		return s;
	}
	s = spf_expand(ev, depth, d, spec, 0);
	if (s)
		spf_domain_truncate(s, strlen(s));
	return s;
}

static enum mc_dns_type addr_type(const struct spf_eval *ev)
{
	return ev->ip.family == AF_INET ? MC_DNS_A : MC_DNS_AAAA;
}

/* a, exists: one address query. */
static enum spf_match eval_a(struct spf_eval *ev, const struct mc_spf_term *t,
			     const char *name, int depth, const char *d)
{
	enum mc_dns_type type = t->mech == MC_SPF_MECH_EXISTS ? MC_DNS_A :
		addr_type(ev);
	struct mc_dns_result *r = spf_lookup(ev, name, type);
	enum spf_match m = SPF_NO_MATCH;

	if (!r)
		return spf_fail(ev, MC_SPF_TEMPERROR, "out of memory");
	spf_trace(ev, depth, d, "%s %s: %s (%zu)", dns_type_name(type), name,
		  dns_status_name(r->status), r->n_rr);
	if (dns_trouble(r->status))
		m = spf_fail(ev, MC_SPF_TEMPERROR, "%s %s: %s",
			     dns_type_name(type), name,
			     r->why[0] ? r->why : dns_status_name(r->status));
	else if (spf_count_void(ev, depth, d, r->status) == SPF_ERROR)
		m = SPF_ERROR;
	else if (t->mech == MC_SPF_MECH_EXISTS)
		m = r->status == MC_DNS_OK ? SPF_MATCH : SPF_NO_MATCH;
	else
		m = addrs_match(ev, r, t) ? SPF_MATCH : SPF_NO_MATCH;
	dns_result_free(r);
	return m;
}

static int by_pref(const void *a, const void *b)
{
	const struct mc_dns_rr *x = a, *y = b;

	return (x->pref > y->pref) - (x->pref < y->pref);
}

/* §5.4 mx: the addresses of every MX host, asked for together. */
static enum spf_match eval_mx(struct spf_eval *ev, const struct mc_spf_term *t,
			      const char *name, int depth, const char *d)
{
	struct mc_dns_result *mx = spf_lookup(ev, name, MC_DNS_MX);
	struct mc_dns_result **addrs = NULL;
	char **hosts = NULL;
	size_t n = 0;
	enum spf_match m = SPF_NO_MATCH;

	if (!mx)
		return spf_fail(ev, MC_SPF_TEMPERROR, "out of memory");
	spf_trace(ev, depth, d, "MX %s: %s (%zu)", name,
		  dns_status_name(mx->status), mx->n_rr);
	if (dns_trouble(mx->status)) {
		m = spf_fail(ev, MC_SPF_TEMPERROR, "MX %s: %s", name,
			     mx->why[0] ? mx->why : dns_status_name(mx->status));
		goto out;
	}
	if (spf_count_void(ev, depth, d, mx->status) == SPF_ERROR) {
		m = SPF_ERROR;
		goto out;
	}
	if (mx->status != MC_DNS_OK)
		goto out;
	/* §4.6.4: more than 10 MX names is a permerror. */
	if (mx->n_rr > MC_SPF_MAX_MX_NAMES) {
		m = spf_fail(ev, MC_SPF_PERMERROR,
			     "MX %s has %zu names, more than %d (RFC 7208 section 4.6.4)",
			     name, mx->n_rr, MC_SPF_MAX_MX_NAMES);
		goto out;
	}
	qsort(mx->rr, mx->n_rr, sizeof(*mx->rr), by_pref);
	hosts = calloc(mx->n_rr, sizeof(*hosts));
	addrs = calloc(mx->n_rr, sizeof(*addrs));
	if (!hosts || !addrs) {
		m = spf_fail(ev, MC_SPF_TEMPERROR, "out of memory");
		goto out;
	}
	/* A null MX (RFC 7505, exchange ".") names no host. */
	for (size_t i = 0; i < mx->n_rr; i++)
		if (mx->rr[i].name[0] && strcmp(mx->rr[i].name, ".") != 0)
			hosts[n++] = mx->rr[i].name;
	spf_lookup_many(ev, hosts, n, addr_type(ev), 1, addrs);
	/* In preference order, as a sequential evaluation would meet them:
	 * a DNS failure before the first match is a temperror. */
	for (size_t i = 0; i < n; i++) {
		spf_trace(ev, depth, d, "%s %s: %s (%zu)",
			  dns_type_name(addr_type(ev)), hosts[i],
			  dns_status_name(addrs[i]->status), addrs[i]->n_rr);
		if (dns_trouble(addrs[i]->status)) {
			m = spf_fail(ev, MC_SPF_TEMPERROR, "%s %s: %s",
				     dns_type_name(addr_type(ev)), hosts[i],
				     addrs[i]->why);
			break;
		}
		if (addrs_match(ev, addrs[i], t)) {
			m = SPF_MATCH;
			break;
		}
	}
out:
	for (size_t i = 0; addrs && i < n; i++)
		dns_result_free(addrs[i]);
	free(addrs);
	free(hosts);
	dns_result_free(mx);
	return m;
}

/* §5.5 ptr: a validated name of the client within the target domain. */
static enum spf_match eval_ptr(struct spf_eval *ev, const char *name,
			       int depth, const char *d)
{
	spf_validate_ptr(ev, depth, d);
	if (spf_count_void(ev, depth, d, ev->ptr_status) == SPF_ERROR)
		return SPF_ERROR;
	/* A DNS error in the PTR lookup means no match (§5.5). */
	for (size_t i = 0; i < ev->n_ptr_names; i++)
		if (spf_name_within(ev->ptr_names[i], name))
			return SPF_MATCH;
	return SPF_NO_MATCH;
}

static enum spf_match eval_include(struct spf_eval *ev, const char *name,
				   int depth, const char *d)
{
	enum mc_spf_result r = spf_eval_check_host(ev, name, depth + 1, 0);

	spf_trace(ev, depth, d, "include:%s -> %s", name, spf_result_name(r));
	switch (r) {
	case MC_SPF_PASS:
		return SPF_MATCH;
	case MC_SPF_FAIL:
	case MC_SPF_SOFTFAIL:
	case MC_SPF_NEUTRAL:
		return SPF_NO_MATCH;
	case MC_SPF_TEMPERROR:
		return spf_fail(ev, MC_SPF_TEMPERROR, "include:%s: temperror",
				name);
	case MC_SPF_NONE:
		/* §5.2: an included domain without a record is an error. */
		return spf_fail(ev, MC_SPF_PERMERROR,
				"include:%s has no SPF record (RFC 7208 section 5.2)",
				name);
	case MC_SPF_PERMERROR:
		break;
	}
	return spf_fail(ev, MC_SPF_PERMERROR, "include:%s: permerror", name);
}

static enum spf_match eval_term(struct spf_eval *ev,
				const struct mc_spf_term *t, const char *d,
				int depth)
{
	enum spf_match m;
	char *name;

	switch (t->mech) {
	case MC_SPF_MECH_ALL:
		return SPF_MATCH;
	case MC_SPF_MECH_IP4:
		return ev->ip.family == AF_INET &&
		       ipaddr_match(&ev->ip, &t->net,
				    t->cidr4 < 0 ? 32u : (unsigned)t->cidr4) ?
		       SPF_MATCH : SPF_NO_MATCH;
	case MC_SPF_MECH_IP6:
		return ev->ip.family == AF_INET6 &&
		       ipaddr_match(&ev->ip, &t->net,
				    t->cidr6 < 0 ? 128u : (unsigned)t->cidr6) ?
		       SPF_MATCH : SPF_NO_MATCH;
	default:
		break;
	}
	/* include, a, mx, ptr, exists: counted before anything is asked. */
	if (spf_count_lookup(ev, depth, d) == SPF_ERROR)
		return SPF_ERROR;
	name = target_name(ev, t->domain, d, depth);
	if (!name)
		return SPF_ERROR;
	switch (t->mech) {
	case MC_SPF_MECH_INCLUDE:
		m = eval_include(ev, name, depth, d);
		break;
	case MC_SPF_MECH_MX:
		m = eval_mx(ev, t, name, depth, d);
		break;
	case MC_SPF_MECH_PTR:
		m = eval_ptr(ev, name, depth, d);
		break;
	default:   /* a, exists */
		m = eval_a(ev, t, name, depth, d);
		break;
	}
	free(name);
	return m;
}

/* §6.2: the explanation for a fail. Problems here never change the
 * result; they leave the default explanation in place. */
static void explain(struct spf_eval *ev, const struct mc_spf_record *rec,
		    const char *d, int depth)
{
	struct mc_spf_outcome *o = ev->out;
	struct mc_dns_result *r = NULL;
	struct mc_err err = {0};
	char *name = NULL, *text = NULL;
	int had_problem = o->problem && *o->problem;

	if (!rec->exp)
		return;
	name = target_name(ev, rec->exp, d, depth);
	if (!name)
		goto out;
	r = spf_lookup(ev, name, MC_DNS_TXT);
	if (!r)
		goto out;
	spf_trace(ev, depth, d, "exp TXT %s: %s (%zu)", name,
		  dns_status_name(r->status), r->n_rr);
	if (r->status != MC_DNS_OK || r->n_rr != 1) {
		spf_trace(ev, depth, d, "exp: not exactly one TXT record; "
			  "default explanation");
		goto out;
	}
	if (spf_macro_check(r->rr[0].txt, r->rr[0].txt_len, 1, &err)) {
		spf_trace(ev, depth, d, "exp: %s; default explanation",
			  err.msg);
		goto out;
	}
	text = spf_expand(ev, depth, d, r->rr[0].txt, 1);
	if (text) {
		free(o->explanation);
		o->explanation = text;
		o->explanation_default = 0;
	}
out:
	if (!had_problem && o->problem) {
		o->problem[0] = '\0';
	}
	dns_result_free(r);
	free(name);
}

/* §4.4, §4.5: the one "v=spf1" TXT record of domain. Returns SPF_MATCH
 * with *rec set, SPF_NO_MATCH for none, SPF_ERROR otherwise. */
static enum spf_match fetch_record(struct spf_eval *ev, const char *domain,
				   int depth, struct mc_spf_record **rec)
{
	struct mc_dns_result *r = spf_lookup(ev, domain, MC_DNS_TXT);
	struct mc_err err = {0};
	const struct mc_dns_rr *found = NULL;
	size_t n = 0;
	enum spf_match m = SPF_NO_MATCH;

	*rec = NULL;
	if (!r)
		return spf_fail(ev, MC_SPF_TEMPERROR, "out of memory");
	spf_trace(ev, depth, domain, "TXT %s: %s (%zu)", domain,
		  dns_status_name(r->status), r->n_rr);
	if (dns_trouble(r->status)) {
		m = spf_fail(ev, MC_SPF_TEMPERROR, "TXT %s: %s", domain,
			     r->why[0] ? r->why : dns_status_name(r->status));
		goto out;
	}
	for (size_t i = 0; i < r->n_rr; i++) {
		if (spf_record_is_spf1(r->rr[i].txt, r->rr[i].txt_len)) {
			found = &r->rr[i];
			n++;
		}
	}
	if (n == 0) {
		spf_fail(ev, MC_SPF_NONE, "%s has no SPF record", domain);
		goto out;
	}
	if (n > 1) {
		m = spf_fail(ev, MC_SPF_PERMERROR,
			     "%s has %zu SPF records (RFC 7208 section 4.5)", domain, n);
		goto out;
	}
	spf_trace(ev, depth, domain, "record: %.*s",
		  (int)(found->txt_len > 400 ? 400 : found->txt_len),
		  found->txt);
	if (depth == 0 && !ev->out->record &&
	    !(ev->out->record = strdup(found->txt)))
		ev->oom = 1;
	if (spf_record_parse(found->txt, found->txt_len, rec, &err)) {
		spf_trace(ev, depth, domain, "syntax: %s", err.msg);
		m = spf_fail(ev, MC_SPF_PERMERROR, "%s: %s", domain, err.msg);
		goto out;
	}
	m = SPF_MATCH;
out:
	dns_result_free(r);
	return m;
}

/* The query a term's lookup starts with, if it is known before the terms
 * ahead of it are evaluated: type and a new query name, or NULL. A
 * domain-spec with a macro is not asked ahead: its name may say who is
 * sending, and only the evaluation that reaches it should ask. */
static char *ahead_query(const struct spf_eval *ev, enum mc_spf_mech mech,
			 const char *spec, const char *d,
			 enum mc_dns_type *type)
{
	const char *name = spec ? spec : d;
	size_t n = strlen(name);

	switch (mech) {
	case MC_SPF_MECH_INCLUDE:
		*type = MC_DNS_TXT;
		break;
	case MC_SPF_MECH_A:
		*type = addr_type(ev);
		break;
	case MC_SPF_MECH_MX:
		*type = MC_DNS_MX;
		break;
	case MC_SPF_MECH_EXISTS:
		*type = MC_DNS_A;
		break;
	default:
		return NULL;
	}
	/* the name as target_name() makes it and spf_lookup_many() asks */
	if (spec) {
		if (strchr(spec, '%'))
			return NULL;
		if (n > 1 && spec[n - 1] == '.')
			n--;
		if (n > MC_SPF_MAX_DOMAIN)
			return NULL;
	}
	if (!spf_domain_queryable(name, n))
		return NULL;
	return dns_name_escape(name, n);
}

/* Asks ahead for the lookups of the record's terms after the first one
 * that needs DNS, which the evaluation asks for itself at once. check_host()
 * is sequential (§4.6: terms in order, the first match wins), so each
 * lookup used to wait for the answers before it: "include:a include:b
 * include:c" took four round trips where two will do. The answers go to
 * the cache, and the evaluation still asks, counts and traces every
 * lookup in order, waiting on the early query if it is still under way;
 * results and limits do not change. Without a cache (--no-cache) nothing
 * is asked ahead. A term that the evaluation never reaches has cost one
 * query; at most the lookups the limit leaves are asked, and
 * SPF_LOOKAHEAD_MAX per evaluation. Nothing past "all", which always
 * matches. */
static void lookahead(struct spf_eval *ev, const struct mc_spf_record *rec,
		      const char *d)
{
	size_t budget = ev->out->dns_lookups < MC_SPF_MAX_DNS_LOOKUPS ?
		MC_SPF_MAX_DNS_LOOKUPS - ev->out->dns_lookups : 0;
	size_t seen = 0;
	enum mc_dns_type type;

	if (!dns_has_cache(ev->dns))
		return;
	for (size_t i = 0; i <= rec->n_terms; i++) {
		const struct mc_spf_term *t = i < rec->n_terms ? &rec->terms[i] :
					      NULL;
		enum mc_spf_mech mech = t ? t->mech : MC_SPF_MECH_INCLUDE;
		const char *spec = t ? t->domain : rec->redirect;
		char *q;

		if (t && t->mech == MC_SPF_MECH_ALL)
			return;
		if (!t && !rec->redirect)
			return;
		if (mech != MC_SPF_MECH_INCLUDE && mech != MC_SPF_MECH_A &&
		    mech != MC_SPF_MECH_MX && mech != MC_SPF_MECH_PTR &&
		    mech != MC_SPF_MECH_EXISTS)
			continue;
		if (++seen > budget || ev->lookahead_left <= 0)
			return;
		if (seen == 1)
			continue;       /* asked for at once anyway */
		q = ahead_query(ev, mech, spec, d, &type);
		if (!q)
			continue;
		if (dns_prefetch(ev->dns, q, type) == 0)
			ev->lookahead_left--;
		free(q);
	}
}

static int domain_ok(const char *d)
{
	size_t n = strlen(d);

	if (n && d[n - 1] == '.')
		n--;
	/* §4.3: malformed, or not a multi-label name: "none". */
	return spf_domain_queryable(d, n) && memchr(d, '.', n) != NULL;
}

enum mc_spf_result spf_eval_check_host(struct spf_eval *ev,
				       const char *domain, int depth,
				       int want_exp)
{
	struct mc_spf_record *rec = NULL;
	enum mc_spf_result r = MC_SPF_NEUTRAL;
	enum spf_match m;
	char *tgt = NULL;

	if (!domain_ok(domain)) {
		spf_trace(ev, depth, domain, "not a valid domain name: none");
		spf_fail(ev, MC_SPF_NONE, "\"%s\" is not a valid domain name",
			 domain);
		return MC_SPF_NONE;
	}
	m = fetch_record(ev, domain, depth, &rec);
	if (m == SPF_ERROR)
		return ev->error;
	if (m == SPF_NO_MATCH)
		return MC_SPF_NONE;
	lookahead(ev, rec, domain);
	for (size_t i = 0; i < rec->n_terms; i++) {
		const struct mc_spf_term *t = &rec->terms[i];

		m = eval_term(ev, t, domain, depth);
		if (m == SPF_ERROR) {
			spf_trace(ev, depth, domain, "%s: %s", t->text,
				  spf_result_name(ev->error));
			r = ev->error;
			goto out;
		}
		spf_trace(ev, depth, domain, "%s: %s", t->text,
			  m == SPF_MATCH ? "match" : "no match");
		if (m == SPF_MATCH) {
			r = t->qualifier;
			if (r == MC_SPF_FAIL && want_exp) {
				free(ev->exp_domain);
				ev->exp_domain = strdup(domain);
				explain(ev, rec, domain, depth);
			}
			goto out;
		}
	}
	if (rec->redirect) {
		/* §6.1: only when no mechanism matched; counted like a
		 * mechanism; the target's exp replaces ours. */
		if (spf_count_lookup(ev, depth, domain) == SPF_ERROR) {
			r = ev->error;
			goto out;
		}
		tgt = target_name(ev, rec->redirect, domain, depth);
		if (!tgt) {
			r = ev->error;
			goto out;
		}
		spf_trace(ev, depth, domain, "redirect=%s", tgt);
		r = spf_eval_check_host(ev, tgt, depth + 1, want_exp);
		if (r == MC_SPF_NONE) {
			spf_fail(ev, MC_SPF_PERMERROR,
				 "redirect=%s has no SPF record (RFC 7208 section 6.1)",
				 tgt);
			r = MC_SPF_PERMERROR;
		}
	}
out:
	spf_record_free(rec);
	free(tgt);
	return r;
}
