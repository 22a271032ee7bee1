/* A DNS answer cache that one or several resolver channels share (see
 * dns_set_cache()): answers are kept as long as their TTLs say (RFC 1035
 * §3.2.1; negative answers RFC 2308 §5), capped, in a bounded table.
 * Hand-written because Debian 12's c-ares (1.18) has no query cache; that
 * arrived in c-ares 1.23. Thread-safe (one mutex): the `spf --batch`
 * workers share one. It never caches TIMEOUT, SERVFAIL, ERROR, truncated
 * or malformed answers, and does no I/O; the clock can be injected. */
#ifndef MC_DNS_CACHE_H
#define MC_DNS_CACHE_H

#include <stddef.h>

#include "checks/dns.h"

#define MC_DNS_CACHE_MAX_TTL 3600              /* seconds, default cap */
#define MC_DNS_CACHE_MAX_ENTRIES 20000         /* default table bound */
#define MC_DNS_CACHE_MAX_BYTES (32u << 20)     /* default memory bound */

struct mc_dns_cache_opts {
	size_t max_entries;     /* 0 = MC_DNS_CACHE_MAX_ENTRIES */
	size_t max_bytes;       /* 0 = MC_DNS_CACHE_MAX_BYTES */
	unsigned max_ttl;       /* seconds; 0 = MC_DNS_CACHE_MAX_TTL */
	/* Monotonic seconds; NULL = mc_now_mono(). For tests. */
	double (*now)(void *arg);
	void *now_arg;
};

struct mc_dns_cache_stats {
	size_t entries, bytes;
	size_t hits, misses, stores, evictions;
};

struct mc_dns_cache;

/* Returns a new empty cache (opts may be NULL), or NULL when out of
 * memory. Free with dns_cache_free() after every channel using it. */
struct mc_dns_cache *dns_cache_new(const struct mc_dns_cache_opts *opts);
void dns_cache_free(struct mc_dns_cache *cache);

/* Returns a new copy of the live answer for (name, type), its name set to
 * name as asked, which the caller frees with dns_result_free(); NULL when
 * there is none (or out of memory). Names match case-insensitively. */
struct mc_dns_result *dns_cache_get(struct mc_dns_cache *cache,
				    const char *name, enum mc_dns_type type);

/* 1 if a live answer for (name, type) is kept, else 0: what
 * dns_cache_get() would find, without the copy, and not counted in the
 * hits and misses. (dns_prefetch() asks it for every name it might send.) */
int dns_cache_has(struct mc_dns_cache *cache, const char *name,
		  enum mc_dns_type type);

/* Keeps a copy of res (the conversion of the raw answer abuf/alen, which
 * may be NULL/0) under (res->name, res->type) for the TTL that
 * dns_cache_ttl() gives. Returns 1 when stored, 0 when the answer may not
 * be cached, -1 when out of memory. Borrows res and abuf. */
int dns_cache_put(struct mc_dns_cache *cache, const struct mc_dns_result *res,
		  const unsigned char *abuf, size_t alen);

/* How long an answer whose conversion said status may be cached, read
 * from the raw message: OK, the smallest TTL of the answer section;
 * NXDOMAIN and NODATA, min(SOA TTL, SOA MINIMUM) of the authority
 * section's SOA (RFC 2308 §5; also no longer than a CNAME on the way).
 * Returns 0 with *ttl set (it may be 0: do not keep), or -1 when the
 * answer is not to be cached: another status, no SOA for a negative
 * answer, TC set, an RCODE that does not match status, or a message that
 * does not parse. Bounded by alen; no I/O. */
int dns_cache_ttl(enum mc_dns_status status, const unsigned char *abuf,
		  size_t alen, unsigned *ttl);

void dns_cache_stats(struct mc_dns_cache *cache, struct mc_dns_cache_stats *out);

#endif
