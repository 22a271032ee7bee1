/* PTR and forward confirmation. The PTR answer's callback starts one
 * forward query per name (A for IPv4, AAAA for IPv6), all at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checks/ptr.h"

struct ptr_slot {
	struct mc_ptr_lookup *l;
	size_t name;
};

struct mc_ptr_lookup {
	struct mc_dns *dns;
	struct mc_ptr_result *r;
	struct mc_ipaddr ip;
	char why[128];                 /* of the PTR query */
	struct ptr_slot slots[MC_PTR_MAX_NAMES];
	size_t best;                   /* index of the confirmed name */
	size_t outstanding;
	int oom;
};

static int has_ip(const struct mc_dns_result *res, const struct mc_ipaddr *ip)
{
	if (res->status != MC_DNS_OK)
		return 0;
	for (size_t i = 0; i < res->n_rr; i++) {
		const void *a = ip->family == AF_INET ?
			(const void *)&res->rr[i].addr.a :
			(const void *)&res->rr[i].addr.aaaa;

		if (memcmp(a, ip->a, ip->family == AF_INET ? 4 : 16) == 0)
			return 1;
	}
	return 0;
}

static void on_forward(void *arg, struct mc_dns_result *res)
{
	struct ptr_slot *s = arg;
	struct mc_ptr_lookup *l = s->l;
	struct mc_ptr_result *r = l->r;

	l->outstanding--;
	r->forward[s->name] = res->status;
	/* The first confirmed name in answer order, whatever order the
	 * forward answers come in. */
	if (has_ip(res, &l->ip) && s->name < l->best) {
		l->best = s->name;
		r->fcrdns = 1;
		r->confirmed = r->names[s->name];
	}
	dns_result_free(res);
}

static void on_ptr(void *arg, struct mc_dns_result *res)
{
	struct mc_ptr_lookup *l = arg;
	struct mc_ptr_result *r = l->r;
	size_t n;

	l->outstanding--;
	r->status = res->status;
	snprintf(l->why, sizeof(l->why), "%s", res->why);
	if (res->status != MC_DNS_OK)
		goto out;
	n = res->n_rr;
	if (n > MC_PTR_MAX_NAMES) {
		r->n_more = n - MC_PTR_MAX_NAMES;
		n = MC_PTR_MAX_NAMES;
	}
	r->names = calloc(n, sizeof(*r->names));
	r->forward = calloc(n, sizeof(*r->forward));
	if (!r->names || !r->forward) {
		l->oom = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(r->names[i] = strdup(res->rr[i].name))) {
			l->oom = 1;
			goto out;
		}
		r->forward[i] = MC_DNS_ERROR;
		r->n_names++;
	}
	for (size_t i = 0; i < r->n_names; i++) {
		l->slots[i].l = l;
		l->slots[i].name = i;
		l->outstanding++;
		if (dns_query(l->dns, r->names[i],
			      l->ip.family == AF_INET ? MC_DNS_A : MC_DNS_AAAA,
			      on_forward, &l->slots[i])) {
			l->outstanding--;
			l->oom = 1;
		}
	}
out:
	dns_result_free(res);
}

struct mc_ptr_lookup *ptr_lookup_start(struct mc_dns *dns, const char *ip,
				       struct mc_err *err)
{
	char text[MC_IPADDR_TEXT_MAX], rev[MC_IPADDR_REVERSE_MAX];
	struct mc_ptr_lookup *l;

	l = calloc(1, sizeof(*l));
	if (!l) {
		mc_err_set(err, -1, MC_COMP_DNS, "out of memory");
		return NULL;
	}
	if (!ip || ipaddr_parse(ip, strlen(ip), &l->ip)) {
		free(l);
		mc_err_set(err, -1, MC_COMP_DNS, "'%.80s' is not an IP address",
			   ip ? ip : "");
		return NULL;
	}
	ipaddr_unmap(&l->ip);
	l->r = calloc(1, sizeof(*l->r));
	if (!l->r || !(l->r->ip = strdup(ipaddr_format(&l->ip, text)))) {
		ptr_result_free(l->r);
		free(l);
		mc_err_set(err, -1, MC_COMP_DNS, "out of memory");
		return NULL;
	}
	l->dns = dns;
	l->best = (size_t)-1;
	l->r->status = MC_DNS_ERROR;
	l->outstanding = 1;
	if (dns_query(dns, ipaddr_reverse(&l->ip, 0, 1, rev), MC_DNS_PTR,
		      on_ptr, l)) {
		l->outstanding = 0;
		l->oom = 1;
	}
	return l;
}

static int trouble(enum mc_dns_status st)
{
	return st == MC_DNS_TIMEOUT || st == MC_DNS_SERVFAIL ||
		st == MC_DNS_ERROR;
}

static void judge(struct mc_ptr_lookup *l)
{
	struct mc_ptr_result *r = l->r;
	struct mc_findings *f = &r->problems;
	int unsure = 0;

	if (r->status == MC_DNS_NXDOMAIN || r->status == MC_DNS_NODATA) {
		findings_add(f, MC_CHK_CRITICAL,
			     "%s has no PTR record: many receivers refuse mail from it",
			     r->ip);
		return;
	}
	if (r->status != MC_DNS_OK) {
		findings_add(f, MC_CHK_UNKNOWN, "%s PTR: %s (%s)", r->ip,
			     dns_status_name(r->status), l->why);
		return;
	}
	if (r->n_more)
		findings_add(f, MC_CHK_WARNING,
			     "%s has %zu PTR names; only the first %d were checked",
			     r->ip, r->n_names + r->n_more, MC_PTR_MAX_NAMES);
	if (r->fcrdns)
		return;
	for (size_t i = 0; i < r->n_names; i++)
		unsure |= trouble(r->forward[i]);
	if (unsure)
		findings_add(f, MC_CHK_UNKNOWN,
			     "%s: cannot confirm its PTR name, a forward lookup failed",
			     r->ip);
	else
		findings_add(f, MC_CHK_CRITICAL,
			     "%s: no PTR name resolves back to it (not forward-confirmed): many receivers refuse its mail",
			     r->ip);
}

struct mc_ptr_result *ptr_lookup_finish(struct mc_ptr_lookup *l)
{
	struct mc_ptr_result *r;

	if (!l)
		return NULL;
	if (l->outstanding)
		dns_cancel(l->dns);
	r = l->r;
	judge(l);
	if (l->oom || r->problems.oom) {
		ptr_result_free(r);
		r = NULL;
	}
	free(l);
	return r;
}

struct mc_ptr_result *ptr_lookup(struct mc_dns *dns, const char *ip,
				 double deadline, struct mc_err *err)
{
	struct mc_ptr_lookup *l = ptr_lookup_start(dns, ip, err);
	struct mc_ptr_result *r;
	struct mc_err run_err = {0};

	if (!l)
		return NULL;
	if (dns_run(dns, deadline, NULL, &run_err))
		dns_cancel(dns);
	r = ptr_lookup_finish(l);
	if (!r)
		mc_err_set(err, -1, MC_COMP_DNS, "out of memory");
	return r;
}

void ptr_result_free(struct mc_ptr_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_names; i++)
		free(r->names[i]);
	free(r->names);
	free(r->forward);
	free(r->ip);
	findings_clear(&r->problems);
	free(r);
}

json_t *ptr_result_json(const struct mc_ptr_result *r)
{
	json_t *names = json_array();

	for (size_t i = 0; names && i < r->n_names; i++)
		json_array_append_new(names, check_json_str(r->names[i]));
	return json_pack("{s:s,s:o,s:b,s:i,s:s}", "ip", r->ip,
			 "names", names, "fcrdns", r->fcrdns,
			 "severity", r->problems.severity,
			 "status", dns_status_name(r->status));
}
