/* check_run(): validate every spec, start every lookup of every spec on
 * the channel, evaluate SPF (which waits in the same loop, so the other
 * answers arrive meanwhile), run the channel dry, then finish and judge.
 * The JSON is check_json.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/check.h"
#include "mc_time.h"

/* At most this many probe IPs may be offered per spec. */
#define CHECK_MAX_PROBE_OFFERS 1024

struct dkim_slot {
	struct check_job *job;
	struct mc_dns_result *res;
	int asked;
};

struct check_job {
	const struct mc_check_spec *spec;
	struct mc_check_report *r;
	struct mc_mx_lookup *mx;
	struct mc_ptr_lookup **ptr;
	struct mc_dmarc_lookup *dmarc;
	struct mc_dnsbl_lookup *dnsbl;
	struct dkim_slot *dkim;
};

static int spec_valid(const struct mc_check_spec *s, struct mc_err *err)
{
	struct mc_dnsbl_list list;
	struct mc_ipaddr ip;

	if (!s->domain || !check_name_valid(s->domain))
		return mc_err_set(err, -1, MC_COMP_USAGE,
				  "'%.80s' is not a domain name",
				  s->domain ? s->domain : "");
	if (s->n_ips > MC_CHECK_MAX_IPS ||
	    s->n_selectors > MC_CHECK_MAX_SELECTORS)
		return mc_err_set(err, -1, MC_COMP_USAGE,
				  "%s: at most %d IPs and %d selectors",
				  s->domain, MC_CHECK_MAX_IPS,
				  MC_CHECK_MAX_SELECTORS);
	for (size_t i = 0; i < s->n_ips; i++)
		if (ipaddr_parse(s->ips[i], strlen(s->ips[i]), &ip))
			return mc_err_set(err, -1, MC_COMP_USAGE,
					  "'%.80s' is not an IP address",
					  s->ips[i]);
	for (size_t i = 0; i < s->n_selectors; i++)
		if (!check_name_valid(s->selectors[i]) ||
		    strlen(s->selectors[i]) + strlen(s->domain) + 13 >
		    MC_CHK_NAME_MAX)
			return mc_err_set(err, -1, MC_COMP_USAGE,
					  "'%.80s' is not a DKIM selector for %s",
					  s->selectors[i], s->domain);
	for (size_t i = 0; s->dnsbl && i < s->n_dnsbl; i++)
		if (dnsbl_list_parse(s->dnsbl[i], &list, err))
			return -1;
	if (s->n_probe_ips > CHECK_MAX_PROBE_OFFERS)
		return mc_err_set(err, -1, MC_COMP_USAGE,
				  "%s: at most %d IPs from probes",
				  s->domain, CHECK_MAX_PROBE_OFFERS);
	return 0;
}

/* ip as dnsbl.c names its targets (parsed, unmapped, formatted) into
 * out; -1 if it is not an address. */
static int ip_normalize(const char *ip, struct mc_ipaddr *a,
			char out[MC_IPADDR_TEXT_MAX])
{
	if (!ip || ipaddr_parse(ip, strlen(ip), a))
		return -1;
	ipaddr_unmap(a);
	ipaddr_format(a, out);
	return 0;
}

/* Judges the probe IPs offered by the spec (see check.h) into
 * r->probe_ips and appends the used ones to targets (from *n on).
 * Returns 0, or -1 when out of memory. */
static int probe_ips_pick(const struct mc_check_spec *s,
			  struct mc_check_report *r, const char **targets,
			  size_t *n)
{
	size_t used = 0;

	if (!s->n_probe_ips)
		return 0;
	r->probe_ips = calloc(s->n_probe_ips, sizeof(*r->probe_ips));
	if (!r->probe_ips)
		return -1;
	for (size_t i = 0; i < s->n_probe_ips; i++) {
		const struct mc_check_probe_ip *o = &s->probe_ips[i];
		struct mc_check_probe_ip_report *p = &r->probe_ips[i];
		char text[MC_IPADDR_TEXT_MAX], other[MC_IPADDR_TEXT_MAX];
		struct mc_ipaddr a, b;
		int ok = ip_normalize(o->ip, &a, text) == 0;

		r->n_probe_ips++;
		p->ip = ok ? strdup(text) : check_visible(o->ip ? o->ip : "");
		p->probe_id = check_visible(o->probe_id ? o->probe_id : "");
		p->route = check_visible(o->route ? o->route : "");
		if (!p->ip || !p->probe_id || !p->route)
			return -1;
		if (!ok) {
			p->skipped = "not an IP address";
			continue;
		}
		if (ipaddr_is_unspecified(&a)) {
			p->skipped = "unspecified address";
			continue;
		}
		if (!s->probe_ips_all && !ipaddr_is_global(&a)) {
			p->skipped = "not a global address";
			continue;
		}
		for (size_t k = 0; k < *n && !p->skipped; k++)
			if (ip_normalize(targets[k], &b, other) == 0 &&
			    strcmp(text, other) == 0)
				p->skipped = k < s->n_ips ? "configured"
							  : "seen already";
		if (p->skipped)
			continue;
		if (used == MC_CHECK_MAX_PROBE_IPS) {
			p->skipped = "too many";
			continue;
		}
		targets[(*n)++] = p->ip;
		used++;
	}
	return 0;
}

/* The probe IP report of a DNSBL target, or NULL (a configured IP or the
 * domain). */
static const struct mc_check_probe_ip_report *
probe_ip_of(const struct mc_check_report *r, const char *target)
{
	for (size_t i = 0; target && i < r->n_probe_ips; i++)
		if (!r->probe_ips[i].skipped &&
		    strcmp(r->probe_ips[i].ip, target) == 0)
			return &r->probe_ips[i];
	return NULL;
}

/* A blocklist finding about a probe IP says so: the reader must know the
 * address is a relay's, seen by which probe, not one they configured.
 * dnsbl.c starts each message with the target and a space. */
static void probe_ips_annotate(struct mc_check_report *r)
{
	struct mc_findings *f = &r->dnsbl->problems;

	for (size_t i = 0; i < f->n; i++) {
		const char *m = f->v[i].message, *sp = m ? strchr(m, ' ') : NULL;
		const struct mc_check_probe_ip_report *p;
		char target[MC_IPADDR_TEXT_MAX], *nm;
		size_t len;

		if (!sp || (size_t)(sp - m) >= sizeof(target))
			continue;
		memcpy(target, m, (size_t)(sp - m));
		target[sp - m] = '\0';
		if (!(p = probe_ip_of(r, target)))
			continue;
		len = strlen(m) + strlen(p->probe_id) + strlen(p->route) + 64;
		if (!(nm = malloc(len))) {
			f->oom = 1;
			continue;
		}
		snprintf(nm, len, "%s (relay IP seen by probe %s of route %s)%s",
			 target, p->probe_id, p->route, sp);
		free(f->v[i].message);
		f->v[i].message = nm;
	}
}

static void on_dkim(void *arg, struct mc_dns_result *res)
{
	struct dkim_slot *s = arg;

	s->res = res;
}

static size_t count_lists(const char *const *l)
{
	size_t n = 0;

	while (l[n])
		n++;
	return n;
}

/* Starts every lookup of one spec. Returns 0, or -1 with err filled. */
static int job_start(struct check_job *j, struct mc_dns *dns,
		     const struct mc_psl *psl, struct mc_err *err)
{
	const struct mc_check_spec *s = j->spec;
	struct mc_check_report *r = j->r;
	const char **targets;
	const char *const *lists = s->dnsbl ? s->dnsbl : mc_dnsbl_default_lists;
	size_t n_lists = s->dnsbl ? s->n_dnsbl : count_lists(lists);
	size_t n_targets = s->n_ips;

	if (!(j->mx = mx_lookup_start(dns, s->domain, err)))
		return -1;
	if (!(j->dmarc = dmarc_lookup_start(dns, psl, s->domain, err)))
		return -1;
	j->ptr = calloc(s->n_ips ? s->n_ips : 1, sizeof(*j->ptr));
	r->ptr = calloc(s->n_ips ? s->n_ips : 1, sizeof(*r->ptr));
	j->dkim = calloc(s->n_selectors ? s->n_selectors : 1, sizeof(*j->dkim));
	r->dkim = calloc(s->n_selectors ? s->n_selectors : 1, sizeof(*r->dkim));
	targets = calloc(s->n_ips + s->n_probe_ips + 1, sizeof(*targets));
	if (!j->ptr || !r->ptr || !j->dkim || !r->dkim || !targets) {
		free(targets);
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < s->n_ips; i++) {
		if (!(j->ptr[i] = ptr_lookup_start(dns, s->ips[i], err))) {
			free(targets);
			return -1;
		}
		targets[i] = s->ips[i];
	}
	if (probe_ips_pick(s, r, targets, &n_targets)) {
		free(targets);
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
	}
	targets[n_targets++] = s->domain;
	j->dnsbl = dnsbl_lookup_start(dns, targets, n_targets, lists,
				      n_lists, err);
	free(targets);
	if (!j->dnsbl)
		return -1;
	for (size_t i = 0; i < s->n_selectors; i++) {
		struct mc_dkim_key_report *k = &r->dkim[i];
		size_t len = strlen(s->selectors[i]) + strlen(s->domain) + 13;

		r->n_dkim++;
		k->selector = strdup(s->selectors[i]);
		k->name = malloc(len);
		if (!k->selector || !k->name)
			return mc_err_set(err, -1, MC_COMP_INTERNAL,
					  "out of memory");
		snprintf(k->name, len, "%s._domainkey.%s", s->selectors[i],
			 r->domain);
		j->dkim[i].job = j;
		if (dns_query(dns, k->name, MC_DNS_TXT, on_dkim, &j->dkim[i]))
			return mc_err_set(err, -1, MC_COMP_INTERNAL,
					  "out of memory");
		j->dkim[i].asked = 1;
	}
	return 0;
}

static int spf_severity(enum mc_spf_result res)
{
	switch (res) {
	case MC_SPF_PASS:
		return MC_CHK_OK;
	case MC_SPF_NEUTRAL:
	case MC_SPF_NONE:
	case MC_SPF_SOFTFAIL:
		return MC_CHK_WARNING;
	case MC_SPF_FAIL:
	case MC_SPF_PERMERROR:
		return MC_CHK_CRITICAL;
	case MC_SPF_TEMPERROR:
		break;
	}
	return MC_CHK_UNKNOWN;
}

/* The record's own trouble, said once whatever the number of IPs. */
static void spf_judge_record(struct mc_check_spf *spf, const char *domain,
			     const struct mc_spf_outcome *o)
{
	char *problem = check_visible(o->problem);

	if (o->result == MC_SPF_NONE)
		findings_add(&spf->problems, MC_CHK_WARNING,
			     "%s has no SPF record: receivers cannot tell who may send for it",
			     domain);
	else if (o->result == MC_SPF_PERMERROR)
		findings_add(&spf->problems, MC_CHK_CRITICAL,
			     "SPF permerror for %s: %s", domain,
			     problem ? problem : "");
	else if (o->result == MC_SPF_TEMPERROR)
		findings_add(&spf->problems, MC_CHK_UNKNOWN,
			     "SPF temperror for %s: %s", domain,
			     problem ? problem : "");
	free(problem);
}

static void spf_one(struct check_job *j, struct mc_dns *dns, const char *ip,
		    double deadline, int first)
{
	struct mc_check_report *r = j->r;
	struct mc_check_spf *spf = &r->spf;
	char mailfrom[MC_CHK_NAME_MAX + 16];
	struct mc_spf_query q = {.ip = ip, .mailfrom = mailfrom,
				 .helo = r->domain};
	struct mc_spf_opts o = {0};
	struct mc_spf_outcome *out;
	struct mc_err err = {0};
	int sev;

	snprintf(mailfrom, sizeof(mailfrom), "postmaster@%s", r->domain);
	if (deadline > 0) {
		o.timeout = deadline - mc_now_mono();
		if (o.timeout < 0.001)
			o.timeout = 0.001;
	}
	out = spf_check_host(dns, &q, &o, &err);
	if (!out) {
		findings_add(&spf->problems, MC_CHK_UNKNOWN, "SPF for %s: %s",
			     ip, err.msg);
		return;
	}
	if (first) {
		spf->result = out->result;
		if (out->record && !(spf->record = strdup(out->record)))
			spf->problems.oom = 1;
		spf_judge_record(spf, r->domain, out);
	}
	if (out->dns_lookups > spf->dns_lookups)
		spf->dns_lookups = out->dns_lookups;
	if (out->void_lookups > spf->void_lookups)
		spf->void_lookups = out->void_lookups;
	sev = spf_severity(out->result);
	if (j->spec->n_ips == 0) {
		if (out->result == MC_SPF_PASS)
			findings_add(&spf->problems, MC_CHK_WARNING,
				     "the SPF record of %s passes %s, an address nobody owns: it lets (nearly) anyone send",
				     r->domain, ip);
		goto out;
	}
	{
		struct mc_check_spf_ip *e = &spf->ips[spf->n_ips++];

		e->ip = strdup(ip);
		e->result = out->result;
		e->explanation = strdup(out->explanation ? out->explanation : "");
		e->problem = strdup(out->problem ? out->problem : "");
		e->severity = sev;
		if (!e->ip || !e->explanation || !e->problem)
			spf->problems.oom = 1;
	}
	if (first || check_severity_worse(sev, spf_severity(spf->result)) ==
	    sev)
		spf->result = out->result;
	if (out->result == MC_SPF_FAIL || out->result == MC_SPF_SOFTFAIL ||
	    out->result == MC_SPF_NEUTRAL)
		findings_add(&spf->problems, sev,
			     "%s may not send for %s: SPF %s", ip, r->domain,
			     spf_result_name(out->result));
out:
	spf_outcome_free(out);
}

static void job_spf(struct check_job *j, struct mc_dns *dns, double deadline)
{
	const struct mc_check_spec *s = j->spec;
	struct mc_check_spf *spf = &j->r->spf;

	if (s->n_ips == 0) {
		spf_one(j, dns, MC_CHECK_SPF_PROBE_IP, deadline, 1);
		return;
	}
	spf->ips = calloc(s->n_ips, sizeof(*spf->ips));
	if (!spf->ips) {
		spf->problems.oom = 1;
		return;
	}
	for (size_t i = 0; i < s->n_ips; i++)
		spf_one(j, dns, s->ips[i], deadline, i == 0);
}

static void report_part_worst(struct mc_check_report *r, int sev)
{
	r->severity = check_severity_worse(r->severity, sev);
}

/* Finishes every lookup that was started (also after a failed start) and
 * judges the report. */
static void job_finish(struct check_job *j)
{
	struct mc_check_report *r = j->r;
	const struct mc_check_spec *s = j->spec;

	if (j->mx)
		r->mx = mx_lookup_finish(j->mx);
	if (j->dmarc)
		r->dmarc = dmarc_lookup_finish(j->dmarc);
	for (size_t i = 0; j->ptr && r->ptr && i < s->n_ips; i++) {
		if (!j->ptr[i])
			continue;
		r->ptr[r->n_ptr] = ptr_lookup_finish(j->ptr[i]);
		if (r->ptr[r->n_ptr])
			r->n_ptr++;
	}
	if (j->dnsbl)
		r->dnsbl = dnsbl_lookup_finish(j->dnsbl);
	if (r->dnsbl)
		probe_ips_annotate(r);
	for (size_t i = 0; j->dkim && i < r->n_dkim; i++) {
		if (j->dkim[i].asked)
			check_dkim_key_stub(j->dkim[i].res, &r->dkim[i]);
		dns_result_free(j->dkim[i].res);
	}
	free(j->ptr);
	free(j->dkim);
	j->ptr = NULL;
	j->dkim = NULL;

	r->severity = MC_CHK_OK;
	if (r->mx)
		report_part_worst(r, r->mx->problems.severity);
	for (size_t i = 0; i < r->n_ptr; i++)
		report_part_worst(r, r->ptr[i]->problems.severity);
	report_part_worst(r, r->spf.problems.severity);
	for (size_t i = 0; i < r->n_dkim; i++)
		report_part_worst(r, r->dkim[i].problems.severity);
	if (r->dmarc)
		report_part_worst(r, r->dmarc->problems.severity);
	if (r->dnsbl)
		report_part_worst(r, r->dnsbl->problems.severity);
	/* A part that could not be built (out of memory) is not known. */
	if (!r->mx || !r->dmarc || !r->dnsbl || r->n_ptr != s->n_ips)
		report_part_worst(r, MC_CHK_UNKNOWN);
}

void check_report_free(struct mc_check_report *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->domain);
	mx_result_free(r->mx);
	for (size_t i = 0; i < r->n_ptr; i++)
		ptr_result_free(r->ptr[i]);
	free(r->ptr);
	free(r->spf.record);
	for (size_t i = 0; i < r->spf.n_ips; i++) {
		free(r->spf.ips[i].ip);
		free(r->spf.ips[i].explanation);
		free(r->spf.ips[i].problem);
	}
	free(r->spf.ips);
	findings_clear(&r->spf.problems);
	for (size_t i = 0; i < r->n_dkim; i++)
		check_dkim_key_clear(&r->dkim[i]);
	free(r->dkim);
	dmarc_result_free(r->dmarc);
	dnsbl_result_free(r->dnsbl);
	for (size_t i = 0; i < r->n_probe_ips; i++) {
		free(r->probe_ips[i].ip);
		free(r->probe_ips[i].probe_id);
		free(r->probe_ips[i].route);
	}
	free(r->probe_ips);
	free(r);
}

int check_address_in_domain(const char *from, const char *domain)
{
	const char *at = from ? strrchr(from, '@') : NULL;
	const char *d = at ? at + 1 : from;
	size_t dl, nl;

	if (!d || !domain)
		return 0;
	dl = strlen(d);
	nl = strlen(domain);
	if (dl && d[dl - 1] == '.')
		dl--;
	if (nl && domain[nl - 1] == '.')
		nl--;
	if (!dl || !nl || dl < nl || strncasecmp(d + dl - nl, domain, nl))
		return 0;
	return dl == nl || d[dl - nl - 1] == '.';
}

int check_run(struct mc_dns *dns, const struct mc_psl *psl,
	      const struct mc_check_spec *specs, size_t n, double deadline,
	      struct mc_check_report **out, struct mc_err *err)
{
	struct check_job *jobs;
	struct mc_err run_err = {0};
	double t0 = mc_now_mono();
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		if (spec_valid(&specs[i], err))
			return -1;
	}
	if (!psl && !(psl = orgdomain_default(err)))
		return -1;
	jobs = calloc(n ? n : 1, sizeof(*jobs));
	if (!jobs)
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		char name[MC_CHK_NAME_MAX + 2];
		struct mc_check_report *r = calloc(1, sizeof(*r));

		jobs[i].spec = &specs[i];
		jobs[i].r = r;
		check_name_normalize(specs[i].domain, name, sizeof(name));
		if (!r || !(r->domain = strdup(name)) ||
		    (specs[i].name && !(r->name = strdup(specs[i].name)))) {
			rc = mc_err_set(err, -1, MC_COMP_INTERNAL,
					"out of memory");
			break;
		}
		rc = job_start(&jobs[i], dns, psl, err);
	}
	if (rc) {
		/* Callbacks must not outlive the jobs: end every query. */
		dns_cancel(dns);
	} else {
		for (size_t i = 0; i < n; i++)
			job_spf(&jobs[i], dns, deadline);
		if (dns_run(dns, deadline, NULL, &run_err))
			dns_cancel(dns);
	}
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i].r)
			continue;
		job_finish(&jobs[i]);
		jobs[i].r->dns_queries = dns_query_count(dns);
		jobs[i].r->seconds = mc_now_mono() - t0;
		if (rc) {
			check_report_free(jobs[i].r);
			jobs[i].r = NULL;
		}
		out[i] = jobs[i].r;
	}
	free(jobs);
	return rc;
}
