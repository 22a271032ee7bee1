/* MX lookup, the exchanges' addresses, and the judgement of what was
 * found. The MX answer's callback starts the address queries, so the
 * whole lookup takes two round trips however many exchanges there are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checks/mx.h"

struct mx_slot {
	struct mc_mx_lookup *l;
	size_t host;
	enum mc_dns_type type;
};

struct mc_mx_lookup {
	struct mc_dns *dns;
	struct mc_mx_result *r;
	struct mc_dns_result *mx;      /* the MX answer, kept for finish */
	struct mx_slot slots[2 * MC_MX_MAX_HOSTS];
	size_t outstanding;
	int oom;
};

static int by_preference(const void *a, const void *b)
{
	const struct mc_mx_host *x = a, *y = b;

	return x->preference < y->preference ? -1 :
		x->preference > y->preference;
}

/* "192.0.2.1" or "[192.0.2.1]" or an IPv6 text: an address, not a name. */
static int looks_like_ip(const char *name)
{
	struct mc_ipaddr ip;
	size_t n = strlen(name);

	if (n > 2 && name[0] == '[' && name[n - 1] == ']')
		return ipaddr_parse(name + 1, n - 2, &ip) == 0;
	if (n && name[n - 1] == '.')
		n--;
	return ipaddr_parse(name, n, &ip) == 0;
}

static void add_addrs(struct mc_mx_lookup *l, struct mc_mx_host *h,
		      const struct mc_dns_result *res)
{
	size_t room;

	if (res->status != MC_DNS_OK)
		return;
	if (res->canonical && !h->cname && !(h->cname = strdup(res->canonical)))
		l->oom = 1;
	room = MC_MX_MAX_ADDRS - h->n_addrs;
	for (size_t i = 0; i < res->n_rr && i < room; i++) {
		struct mc_ipaddr *ip = &h->addrs[h->n_addrs++];

		memset(ip, 0, sizeof(*ip));
		if (res->type == MC_DNS_A) {
			ip->family = AF_INET;
			memcpy(ip->a, &res->rr[i].addr.a, 4);
		} else {
			ip->family = AF_INET6;
			memcpy(ip->a, &res->rr[i].addr.aaaa, 16);
		}
	}
}

static void on_addr(void *arg, struct mc_dns_result *res)
{
	struct mx_slot *s = arg;
	struct mc_mx_lookup *l = s->l;
	struct mc_mx_host *h = &l->r->hosts[s->host];

	l->outstanding--;
	if (s->type == MC_DNS_A)
		h->a_status = res->status;
	else
		h->aaaa_status = res->status;
	add_addrs(l, h, res);
	dns_result_free(res);
}

static void ask_addrs(struct mc_mx_lookup *l, size_t i)
{
	struct mc_mx_host *h = &l->r->hosts[i];

	h->addrs = calloc(MC_MX_MAX_ADDRS, sizeof(*h->addrs));
	if (!h->addrs) {
		l->oom = 1;
		return;
	}
	for (int t = 0; t < 2; t++) {
		struct mx_slot *s = &l->slots[2 * i + (size_t)t];

		s->l = l;
		s->host = i;
		s->type = t == 0 ? MC_DNS_A : MC_DNS_AAAA;
		l->outstanding++;
		if (dns_query(l->dns, h->host, s->type, on_addr, s)) {
			l->outstanding--;
			l->oom = 1;
		}
	}
}

/* Turns the MX answer into hosts and asks for their addresses. */
static void on_mx(void *arg, struct mc_dns_result *res)
{
	struct mc_mx_lookup *l = arg;
	struct mc_mx_result *r = l->r;
	size_t n;

	l->outstanding--;
	l->mx = res;
	r->status = res->status;
	if (res->status == MC_DNS_NODATA) {
		/* RFC 5321 §5.1: no MX, the domain itself is the exchange. */
		r->implicit = 1;
		n = 1;
	} else if (res->status == MC_DNS_OK) {
		n = res->n_rr;
	} else {
		return;
	}
	if (n > MC_MX_MAX_HOSTS) {
		r->n_more = n - MC_MX_MAX_HOSTS;
		n = MC_MX_MAX_HOSTS;
	}
	r->hosts = calloc(n, sizeof(*r->hosts));
	if (!r->hosts) {
		l->oom = 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct mc_mx_host *h = &r->hosts[r->n_hosts];
		const char *name = r->implicit ? r->domain : res->rr[i].name;

		h->preference = r->implicit ? 0 : res->rr[i].pref;
		h->a_status = h->aaaa_status = MC_DNS_ERROR;
		h->host = strdup(name[0] ? name : ".");
		if (!h->host) {
			l->oom = 1;
			return;
		}
		r->n_hosts++;
	}
	qsort(r->hosts, r->n_hosts, sizeof(*r->hosts), by_preference);
	if (!r->implicit && r->n_hosts == 1 && r->n_more == 0 &&
	    strcmp(r->hosts[0].host, ".") == 0) {
		r->null_mx = 1;
		return;
	}
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct mc_mx_host *h = &r->hosts[i];

		if (strcmp(h->host, ".") == 0)
			continue;
		if (looks_like_ip(h->host)) {
			h->ip_literal = 1;
			continue;
		}
		ask_addrs(l, i);
	}
}

struct mc_mx_lookup *mx_lookup_start(struct mc_dns *dns, const char *domain,
				     struct mc_err *err)
{
	char name[MC_CHK_NAME_MAX + 2];
	struct mc_mx_lookup *l;

	if (!check_name_valid(domain) ||
	    check_name_normalize(domain, name, sizeof(name))) {
		mc_err_set(err, -1, MC_COMP_MX, "'%.80s' is not a domain name",
			   domain);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l)
		l->r = calloc(1, sizeof(*l->r));
	if (!l || !l->r || !(l->r->domain = strdup(name))) {
		if (l)
			mx_result_free(l->r);
		free(l);
		mc_err_set(err, -1, MC_COMP_MX, "out of memory");
		return NULL;
	}
	l->dns = dns;
	l->r->status = MC_DNS_ERROR;
	l->outstanding = 1;
	if (dns_query(dns, name, MC_DNS_MX, on_mx, l)) {
		l->outstanding = 0;
		l->oom = 1;
	}
	return l;
}

static int addr_trouble(enum mc_dns_status st)
{
	return st == MC_DNS_TIMEOUT || st == MC_DNS_SERVFAIL ||
		st == MC_DNS_ERROR;
}

/* What the answers mean (RFC 5321 §5.1, RFC 7505, RFC 2181 §10.3). */
static void judge(struct mc_mx_lookup *l)
{
	struct mc_mx_result *r = l->r;
	struct mc_findings *f = &r->problems;
	size_t usable = 0, unknown = 0, null_among = 0;

	switch (r->status) {
	case MC_DNS_OK:
	case MC_DNS_NODATA:
		break;
	case MC_DNS_NXDOMAIN:
		findings_add(f, MC_CHK_CRITICAL,
			     "%s does not exist (NXDOMAIN): no mail can reach it",
			     r->domain);
		return;
	default:
		findings_add(f, MC_CHK_UNKNOWN, "%s MX: %s (%s)", r->domain,
			     dns_status_name(r->status),
			     l->mx ? l->mx->why : "no answer");
		return;
	}
	if (r->null_mx) {
		findings_add(f, MC_CHK_CRITICAL,
			     "%s has a null MX (RFC 7505): it accepts no mail, so bounces cannot return and receivers may refuse its mail (5.7.27)",
			     r->domain);
		return;
	}
	if (r->implicit)
		findings_add(f, MC_CHK_WARNING,
			     "%s has no MX record: mail goes to its own address (implicit MX, RFC 5321 section 5.1)",
			     r->domain);
	if (r->n_more)
		findings_add(f, MC_CHK_WARNING,
			     "%zu more MX records than the %d looked up",
			     r->n_more, MC_MX_MAX_HOSTS);
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct mc_mx_host *h = &r->hosts[i];

		if (strcmp(h->host, ".") == 0) {
			null_among++;
			continue;
		}
		if (h->ip_literal) {
			findings_add(f, MC_CHK_WARNING,
				     "MX %s is an IP address, not a host name (RFC 5321 section 5.1): senders look it up as a name and find nothing",
				     h->host);
			continue;
		}
		if (h->cname)
			findings_add(f, MC_CHK_WARNING,
				     "MX %s is an alias (CNAME to %s); RFC 2181 section 10.3 forbids that and some senders refuse it",
				     h->host, h->cname);
		if (h->n_addrs) {
			usable++;
		} else if (addr_trouble(h->a_status) ||
			   addr_trouble(h->aaaa_status)) {
			unknown++;
			findings_add(f, MC_CHK_UNKNOWN,
				     "MX %s: address lookup failed (A %s, AAAA %s)",
				     h->host, dns_status_name(h->a_status),
				     dns_status_name(h->aaaa_status));
		} else {
			findings_add(f, MC_CHK_WARNING,
				     "MX %s has no A or AAAA record", h->host);
		}
	}
	if (null_among)
		findings_add(f, MC_CHK_WARNING,
			     "a null MX (\"0 .\") mixed with other MX records: RFC 7505 section 3 allows it only alone");
	if (usable == 0 && unknown == 0)
		findings_add(f, MC_CHK_CRITICAL,
			     "no mail exchanger of %s has an address: no mail can reach it",
			     r->domain);
}

struct mc_mx_result *mx_lookup_finish(struct mc_mx_lookup *l)
{
	struct mc_mx_result *r;

	if (!l)
		return NULL;
	if (l->outstanding)
		dns_cancel(l->dns);
	r = l->r;
	judge(l);
	if (l->oom || r->problems.oom) {
		mx_result_free(r);
		r = NULL;
	}
	dns_result_free(l->mx);
	free(l);
	return r;
}

struct mc_mx_result *mx_lookup(struct mc_dns *dns, const char *domain,
			       double deadline, struct mc_err *err)
{
	struct mc_mx_lookup *l = mx_lookup_start(dns, domain, err);
	struct mc_mx_result *r;
	struct mc_err run_err = {0};

	if (!l)
		return NULL;
	if (dns_run(dns, deadline, NULL, &run_err))
		dns_cancel(dns);
	r = mx_lookup_finish(l);
	if (!r)
		mc_err_set(err, -1, MC_COMP_MX, "out of memory");
	return r;
}

void mx_result_free(struct mc_mx_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_hosts; i++) {
		free(r->hosts[i].host);
		free(r->hosts[i].addrs);
		free(r->hosts[i].cname);
	}
	free(r->hosts);
	free(r->domain);
	findings_clear(&r->problems);
	free(r);
}

json_t *mx_result_json(const struct mc_mx_result *r)
{
	json_t *hosts = json_array();

	for (size_t i = 0; hosts && i < r->n_hosts; i++) {
		const struct mc_mx_host *h = &r->hosts[i];
		json_t *addrs = json_array();

		for (size_t k = 0; addrs && k < h->n_addrs; k++) {
			char buf[MC_IPADDR_TEXT_MAX];

			json_array_append_new(addrs, json_string(
				ipaddr_format(&h->addrs[k], buf)));
		}
		json_array_append_new(hosts, json_pack(
			"{s:o,s:I,s:o,s:o,s:b}",
			"host", check_json_str(h->host),
			"preference", (json_int_t)h->preference,
			"addresses", addrs,
			"cname", check_json_str(h->cname),
			"ip_literal", h->ip_literal));
	}
	return json_pack("{s:i,s:s,s:b,s:b,s:o}",
			 "severity", r->problems.severity,
			 "status", dns_status_name(r->status),
			 "null_mx", r->null_mx,
			 "implicit", r->implicit,
			 "hosts", hosts);
}
