/* The one DNS resolver every check shares: a c-ares channel that the caller
 * drives from its own poll() loop (or with dns_run()), with all independent
 * queries in flight at once. Answers are parsed with c-ares' own parsers into
 * small bounded result structs. Timeouts and SERVFAIL are reported as such,
 * never as "no record". This module never interprets records (SPF, DKIM, ...
 * do that) and never blocks except inside dns_run(). */
#ifndef MC_DNS_H
#define MC_DNS_H

#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>

#include "mc_err.h"

#define MC_DNS_DEFAULT_TIMEOUT_MS 5000   /* per try */
#define MC_DNS_DEFAULT_TRIES 2
#define MC_DNS_MAX_TIMEOUT_MS 60000
#define MC_DNS_MAX_TRIES 10
/* Hostile answers are bounded: an answer with more records, or a TXT record
 * longer than this, is reported as MC_DNS_ERROR rather than half-used. */
#define MC_DNS_MAX_RR 256
#define MC_DNS_MAX_TXT 16384
#define MC_DNS_MAX_SOCKETS 64            /* c-ares uses ~2 per server */
#define MC_DNS_NAME_MAX 1025             /* presentation form, escaped */

/* Record types we parse (their RFC 1035/3596 numbers). */
enum mc_dns_type {
	MC_DNS_A = 1,
	MC_DNS_PTR = 12,
	MC_DNS_MX = 15,
	MC_DNS_TXT = 16,
	MC_DNS_AAAA = 28,
};

enum mc_dns_status {
	MC_DNS_OK = 0,       /* at least one record of the type */
	MC_DNS_NXDOMAIN,     /* RCODE 3: the name does not exist */
	MC_DNS_NODATA,       /* the name exists, no record of the type */
	MC_DNS_TIMEOUT,      /* no answer within timeout x tries (or cancelled) */
	MC_DNS_SERVFAIL,     /* the server said it cannot answer */
	MC_DNS_ERROR,        /* refused, malformed, oversized, bad name, ... */
};

/* One record; which fields are set depends on the result's type. */
struct mc_dns_rr {
	union {
		struct in_addr a;       /* A */
		struct in6_addr aaaa;   /* AAAA */
	} addr;
	unsigned pref;                  /* MX preference */
	char *name;                     /* MX exchange, PTR target:
					 * presentation form as c-ares gives
					 * it ("\." and "\DDD" escapes) */
	char *txt;                      /* TXT: character-strings joined
					 * (RFC 7208 §3.3), NUL-terminated */
	size_t txt_len;                 /* TXT: length without the NUL */
};

struct mc_dns_result {
	enum mc_dns_status status;
	enum mc_dns_type type;
	char *name;                     /* the name queried */
	char *canonical;                /* A/AAAA only: when name is an alias
					 * (the answer went through CNAMEs),
					 * the name the chain ends at;
					 * NULL otherwise */
	struct mc_dns_rr *rr;           /* n_rr records, only when OK */
	size_t n_rr;
	char why[128];                  /* for TIMEOUT/SERVFAIL/ERROR */
	int packed;                     /* 1: the strings and records share
					 * this struct's allocation (a copy
					 * from the cache): their contents
					 * are read-only; a status without
					 * records may still replace them */
};

struct mc_dns_opts {
	int timeout_ms;       /* per try; 0 = MC_DNS_DEFAULT_TIMEOUT_MS */
	int tries;            /* 0 = MC_DNS_DEFAULT_TRIES */
	const char *server;   /* "IP", "IP:PORT", "[IPv6]:PORT"; NULL = the
			       * system resolver (/etc/resolv.conf) */
};

struct mc_dns;

/* Called once per query with its result, which the callback owns and frees
 * with dns_result_free(). Called from inside dns_run()/dns_process() (or
 * from dns_query() itself when the query cannot be sent), never after
 * dns_free(). */
typedef void (*mc_dns_cb)(void *arg, struct mc_dns_result *res);

/* Creates the channel. Returns NULL and fills err (component DNS) on a bad
 * server spec or when c-ares cannot start. Free with dns_free(). */
struct mc_dns *dns_new(const struct mc_dns_opts *opts, struct mc_err *err);

/* Abandons pending queries without calling their callbacks. NULL is ok. */
void dns_free(struct mc_dns *dns);

/* Starts a query for name (presentation form: a literal backslash must be
 * written "\\"; see dns_name_escape()). The name is copied. Returns 0, or
 * -1 when out of memory (the callback is then not called). */
int dns_query(struct mc_dns *dns, const char *name, enum mc_dns_type type,
	      mc_dns_cb cb, void *arg);

/* Asks for name and type ahead of need, only to fill the channel's cache
 * (without one it does nothing): there is no callback, and the query is
 * not pending, so dns_run() does not wait for it. A dns_query() for the
 * same name and type made before the answer comes waits for this one's
 * answer instead of asking again (and counts as pending). Nothing is
 * asked if the cache holds the answer or the same prefetch is under way.
 * Returns 0, or -1 when out of memory. */
int dns_prefetch(struct mc_dns *dns, const char *name, enum mc_dns_type type);

/* Queries started and not yet delivered. */
size_t dns_pending(const struct mc_dns *dns);

/* Queries started on this channel since dns_new() (for perfdata): every
 * dns_query() that was accepted, whether the answer came from a server or
 * from the cache. The SPF limits do not use this (the evaluator counts its
 * own terms). */
size_t dns_query_count(const struct mc_dns *dns);

/* Of those, the ones sent to a DNS server ("queries sent"), and the ones
 * answered from the cache. */
size_t dns_sent_count(const struct mc_dns *dns);
size_t dns_cache_hit_count(const struct mc_dns *dns);

/* Seconds dns_run() has spent blocked in poll(), waiting for servers,
 * since dns_new(): what more queries in flight at once could overlap. */
double dns_waited(const struct mc_dns *dns);

struct mc_dns_cache;

/* Attaches an answer cache (checks/dns_cache.h) to the channel, or
 * detaches it (cache NULL). Borrowed: the cache must outlive the channel
 * (or the next dns_set_cache()); several channels, in several threads,
 * may share one. With a cache, dns_query() answers what the cache holds
 * without network traffic; the callback still runs only inside
 * dns_run()/dns_process() (such answers count as pending, and
 * dns_timeout_ms() is 0 while one waits), and every cacheable answer a
 * server gives is stored. */
void dns_set_cache(struct mc_dns *dns, struct mc_dns_cache *cache);

/* 1 if dns has an answer cache (dns_set_cache()). */
int dns_has_cache(const struct mc_dns *dns);

/* Drives the channel with poll() until no query is pending, *stop becomes
 * non-zero (stop may be NULL), or mc_now_mono() reaches deadline
 * (deadline <= 0: no deadline). Returns 0 when done or stopped, 1 when the
 * deadline passed with queries pending (they stay pending; see
 * dns_cancel()), -1 if poll() failed (err filled). */
int dns_run(struct mc_dns *dns, double deadline, const int *stop,
	    struct mc_err *err);

/* For a caller-owned poll() loop: fills up to max pollfds with the sockets
 * c-ares wants watched and returns how many; dns_timeout_ms() says how long
 * poll() may sleep (at most max_ms; max_ms < 0: no cap; -1 when nothing is
 * pending); dns_process() hands back what poll() saw (revents), and also
 * handles timeouts, so call it after every poll() even if n is 0. */
size_t dns_pollfds(const struct mc_dns *dns, struct pollfd *fds, size_t max);
int dns_timeout_ms(struct mc_dns *dns, int max_ms);
void dns_process(struct mc_dns *dns, const struct pollfd *fds, size_t n);

/* Ends every pending query now; each callback gets MC_DNS_TIMEOUT with
 * why "cancelled". */
void dns_cancel(struct mc_dns *dns);

/* Turns an answer as c-ares hands it to a query callback (its status, and
 * the raw message abuf/alen, which may be NULL/0) into res, whose type and
 * name the caller has set. Parses with c-ares' parsers and enforces the
 * limits above; never fails (out of memory becomes MC_DNS_ERROR). This is
 * the function the channel's callback uses; it is exported for tests and
 * fuzzing. Borrows abuf. */
void dns_answer_convert(struct mc_dns_result *res, int ares_status,
			const unsigned char *abuf, int alen);

/* Returns a new result with status ERROR, the given type and a copy of
 * name, or NULL when out of memory. Free with dns_result_free(). */
struct mc_dns_result *dns_result_new(const char *name, enum mc_dns_type type);
void dns_result_free(struct mc_dns_result *res);

/* Parses --dns-server "IP", "IP:PORT", "IPv6", "[IPv6]", "[IPv6]:PORT"
 * into c-ares' server CSV form ("IP:PORT" or "[IPv6]:PORT") in out (size
 * n). Returns 0, or -1 with err filled. */
int dns_server_csv(const char *spec, char *out, size_t n, struct mc_err *err);

/* Returns a new string: p/n (a name taken literally, labels separated by
 * '.') with every backslash doubled, ready for dns_query(); NULL when out
 * of memory. */
char *dns_name_escape(const char *p, size_t n);

/* "ok", "nxdomain", "nodata", "timeout", "servfail", "error". */
const char *dns_status_name(enum mc_dns_status status);
/* "A", "PTR", "MX", "TXT", "AAAA". */
const char *dns_type_name(enum mc_dns_type type);

#endif
