/* Reverse DNS of sending IPs: the PTR names of an address and whether one
 * of them is forward-confirmed (FCrDNS: the name's A/AAAA records contain
 * the address, RFC 8601 §3 "iprev"), queried at once on the shared
 * channel. Receivers such as Gmail refuse mail from addresses without
 * either. Never sends mail. */
#ifndef MC_PTR_H
#define MC_PTR_H

#include <jansson.h>
#include <stddef.h>

#include "checks/checkutil.h"
#include "checks/dns.h"
#include "checks/ipaddr.h"
#include "mc_err.h"

#define MC_PTR_MAX_NAMES 10        /* PTR names confirmed; as SPF §4.6.4 */

struct mc_ptr_result {
	char *ip;                  /* normalised text of the address */
	enum mc_dns_status status; /* of the PTR query */
	char **names;              /* PTR targets as DNS gives them */
	size_t n_names;
	size_t n_more;             /* names past MC_PTR_MAX_NAMES */
	enum mc_dns_status *forward; /* per name: its A (IPv4) or AAAA query */
	int fcrdns;                /* a name's addresses contain ip */
	char *confirmed;           /* that name (borrowed from names), or
				    * NULL */
	struct mc_findings problems;
};

struct mc_ptr_lookup;

/* Starts the PTR query for ip (IPv4 or IPv6 text; an IPv4-mapped IPv6
 * address is taken as IPv4); the forward queries follow from its answer.
 * Returns a lookup to finish, or NULL with err filled (not an address,
 * out of memory). */
struct mc_ptr_lookup *ptr_lookup_start(struct mc_dns *dns, const char *ip,
				       struct mc_err *err);

/* Ends the lookup once dns_run() returned (queries still pending are
 * cancelled with the channel's) and frees it. Returns a new result the
 * caller frees with ptr_result_free(), or NULL when out of memory. */
struct mc_ptr_result *ptr_lookup_finish(struct mc_ptr_lookup *l);

/* Both, with the channel run until done or deadline (mc_now_mono()
 * seconds; <= 0: none). */
struct mc_ptr_result *ptr_lookup(struct mc_dns *dns, const char *ip,
				 double deadline, struct mc_err *err);

void ptr_result_free(struct mc_ptr_result *r);

/* DESIGN.md check "ptr" entry: {"ip","names":[],"fcrdns"}, plus
 * "severity" and "status". NULL when out of memory. */
json_t *ptr_result_json(const struct mc_ptr_result *r);

#endif
