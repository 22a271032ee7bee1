/* DNS blocklists (RFC 5782): IPv4 addresses (octets reversed), IPv6
 * addresses (nibbles reversed) and domains asked of many lists at once on
 * the shared channel, with the TXT reason of each listing. A list's error
 * answers (Spamhaus 127.255.255.x, 127.0.0.1, anything outside 127/8,
 * SERVFAIL, REFUSED) are errors, never listings; a timeout is a timeout,
 * never clean. Never sends mail. */
#ifndef MC_DNSBL_H
#define MC_DNSBL_H

#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>

#include "checks/checkutil.h"
#include "checks/dns.h"
#include "mc_err.h"

#define MC_DNSBL_MAX_CODES 16       /* A records kept per answer */
#define MC_DNSBL_MAX_TXT 512        /* bytes of the reason kept */
#define MC_DNSBL_MAX_QUERIES 4096   /* targets x lists per lookup */
#define MC_DNSBL_DOMAIN_PREFIX "domain:"   /* list spec of a domain list */

enum mc_dnsbl_status {
	MC_DNSBL_CLEAN = 0,         /* NXDOMAIN (or no A record) */
	MC_DNSBL_LISTED,            /* A in 127.0.0.0/8, no error code */
	MC_DNSBL_ERROR,             /* error code, odd answer, SERVFAIL, ... */
	MC_DNSBL_TIMEOUT,           /* no answer */
};

/* A list: "ZONE" asks addresses, "domain:ZONE" asks domain names. */
struct mc_dnsbl_list {
	char zone[MC_CHK_NAME_MAX + 2];
	int domain;
};

/* The lists used when none are given (NULL-terminated specs). */
extern const char *const mc_dnsbl_default_lists[];

/* Parses a list spec. Returns 0, or -1 with err filled (component
 * BLOCKLIST) when the zone is not a name. */
int dnsbl_list_parse(const char *spec, struct mc_dnsbl_list *out,
		     struct mc_err *err);

/* Judges the A records of an answer: CLEAN for none, ERROR if any is an
 * error code or outside 127.0.0.0/8 (why names it), else LISTED. Pure. */
enum mc_dnsbl_status dnsbl_classify(const struct in_addr *a, size_t n,
				    char *why, size_t why_size);

struct mc_dnsbl_entry {
	char *target;               /* IP (normalised text) or domain */
	char *list;                 /* the zone */
	int domain;                 /* a domain list */
	enum mc_dnsbl_status status;
	char **codes;               /* the A records, as text */
	size_t n_codes;
	char *txt;                  /* LISTED: the list's TXT reason (NULL if
				     * it gave none); ERROR/TIMEOUT: what
				     * went wrong; CLEAN: NULL */
};

struct mc_dnsbl_result {
	struct mc_dnsbl_entry *entries; /* targets x lists, in given order */
	size_t n;
	size_t n_listed;
	struct mc_findings problems;
};

struct mc_dnsbl_lookup;

/* Starts a query for every pair of target and list that fit: IP targets
 * with address lists, domain targets with domain lists. targets are IP
 * addresses or domain names; lists are specs as above. Returns a lookup
 * to finish, or NULL with err filled (a bad target or list, too many
 * pairs, out of memory). */
struct mc_dnsbl_lookup *dnsbl_lookup_start(struct mc_dns *dns,
					   const char *const *targets,
					   size_t n_targets,
					   const char *const *lists,
					   size_t n_lists,
					   struct mc_err *err);

/* Ends the lookup once dns_run() returned (queries still pending are
 * cancelled with the channel's) and frees it. Returns a new result the
 * caller frees with dnsbl_result_free(), or NULL when out of memory. */
struct mc_dnsbl_result *dnsbl_lookup_finish(struct mc_dnsbl_lookup *l);

/* Both, with the channel run until done or deadline (mc_now_mono()
 * seconds; <= 0: none). */
struct mc_dnsbl_result *dnsbl_lookup(struct mc_dns *dns,
				     const char *const *targets,
				     size_t n_targets,
				     const char *const *lists, size_t n_lists,
				     double deadline, struct mc_err *err);

void dnsbl_result_free(struct mc_dnsbl_result *r);

/* "clean", "listed", "error", "timeout". */
const char *dnsbl_status_name(enum mc_dnsbl_status st);

/* DESIGN.md "dnsbl --json" results: [{"ip","list","status","codes",
 * "txt"}] ("ip" holds the domain for domain lists). NULL when out of
 * memory. */
json_t *dnsbl_result_json(const struct mc_dnsbl_result *r);

#endif
