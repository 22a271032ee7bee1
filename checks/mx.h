/* Where a domain's mail goes: its MX records (RFC 5321 §5.1), the null MX
 * of RFC 7505, the implicit MX (the domain's own address when it has no
 * MX), and the A/AAAA addresses of every exchange, all queried at once on
 * the shared channel. Flags exchanges that are aliases (RFC 2181 §10.3)
 * or IP literals, and exchanges without addresses. Never sends mail. */
#ifndef MC_MX_H
#define MC_MX_H

#include <jansson.h>
#include <stddef.h>

#include "checks/checkutil.h"
#include "checks/dns.h"
#include "checks/ipaddr.h"
#include "mc_err.h"

#define MC_MX_MAX_HOSTS 32        /* exchanges looked up; more are named */
#define MC_MX_MAX_ADDRS 32        /* addresses kept per exchange */

struct mc_mx_host {
	char *host;                /* the exchange, as DNS gives it */
	unsigned preference;
	struct mc_ipaddr *addrs;   /* A then AAAA */
	size_t n_addrs;
	enum mc_dns_status a_status, aaaa_status;
	char *cname;               /* when host is an alias: the name its
				    * CNAME chain ends at; else NULL */
	int ip_literal;            /* host is written as an IP address */
};

struct mc_mx_result {
	char *domain;              /* as asked, lower-cased */
	enum mc_dns_status status; /* of the MX query */
	int null_mx;               /* the single record "0 ." (RFC 7505) */
	int implicit;              /* no MX: hosts[0] is the domain itself */
	struct mc_mx_host *hosts;  /* by preference, then as answered */
	size_t n_hosts;
	size_t n_more;             /* exchanges past MC_MX_MAX_HOSTS */
	struct mc_findings problems;
};

struct mc_mx_lookup;

/* Starts the MX query for domain; the address queries follow from its
 * answer. Returns a lookup to finish, or NULL with err filled (not a
 * domain name, out of memory). */
struct mc_mx_lookup *mx_lookup_start(struct mc_dns *dns, const char *domain,
				     struct mc_err *err);

/* Ends the lookup once dns_run() returned (queries still pending are
 * cancelled with the channel's) and frees it. Returns a new result the
 * caller frees with mx_result_free(), or NULL when out of memory. */
struct mc_mx_result *mx_lookup_finish(struct mc_mx_lookup *l);

/* Both, with the channel run until done or deadline (mc_now_mono()
 * seconds; <= 0: none). */
struct mc_mx_result *mx_lookup(struct mc_dns *dns, const char *domain,
			       double deadline, struct mc_err *err);

void mx_result_free(struct mc_mx_result *r);

/* DESIGN.md check "mx": {"severity","null_mx","hosts":[{"host",
 * "preference","addresses":[]}]}, plus "status", "implicit" and, per
 * host, "cname" and "ip_literal". NULL when out of memory. */
json_t *mx_result_json(const struct mc_mx_result *r);

#endif
