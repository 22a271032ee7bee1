/* SPF (RFC 7208): check_host() over the shared c-ares resolver, with the
 * evaluation trace and the lookup counts. Written here because libspf2 is
 * unmaintained and resolves on its own (blocking, not through c-ares);
 * pyspf and others are not C. This module judges one identity; it never
 * decides what to do with mail and never prints. */
#ifndef MC_SPF_H
#define MC_SPF_H

#include <stddef.h>

#include "checks/dns.h"
#include "mc_err.h"

/* RFC 7208 §4.6.4 processing limits. */
#define MC_SPF_MAX_DNS_LOOKUPS 10
#define MC_SPF_MAX_VOID_LOOKUPS 2
#define MC_SPF_MAX_MX_NAMES 10
#define MC_SPF_MAX_PTR_NAMES 10
/* Our own bounds on hostile input. */
#define MC_SPF_MAX_TRACE 512            /* trace lines kept */
#define MC_SPF_MAX_INPUT 1024           /* bytes of MAILFROM, HELO */
#define MC_SPF_DEFAULT_DEADLINE 60.0    /* seconds for one check_host() */

enum mc_spf_result {
	MC_SPF_NONE = 0,
	MC_SPF_NEUTRAL,
	MC_SPF_PASS,
	MC_SPF_FAIL,
	MC_SPF_SOFTFAIL,
	MC_SPF_TEMPERROR,
	MC_SPF_PERMERROR,
};

struct mc_spf_query {
	const char *ip;         /* the client, IPv4 or IPv6 text */
	const char *mailfrom;   /* MAIL FROM (may be "" or NULL: then the
				 * HELO identity is checked, RFC 7208 §2.3) */
	const char *helo;       /* HELO/EHLO name (may be NULL if mailfrom
				 * is given; then %{h} is "unknown") */
};

struct mc_spf_opts {
	const char *receiver;   /* %{r}; NULL: "unknown" */
	const char *default_explanation; /* macro-string; NULL: ours */
	double timeout;         /* seconds for the whole evaluation;
				 * 0 = MC_SPF_DEFAULT_DEADLINE */
	double now;             /* %{t}, epoch seconds; 0 = the clock */
};

struct mc_spf_trace {
	int depth;              /* 0 = the identity's own record, +1 per
				 * include/redirect */
	const char *domain;     /* the domain whose record is evaluated */
	const char *text;       /* what happened, one line */
};

struct spf_chunk;

struct mc_spf_outcome {
	enum mc_spf_result result;
	char *identity;         /* "mailfrom" or "helo" */
	char *domain;           /* the domain checked first */
	char *record;           /* its SPF record, or NULL */
	char *explanation;      /* for fail: the exp= text or the default;
				 * "" otherwise */
	int explanation_default;/* 1 if the default explanation was used */
	char *problem;          /* why permerror/temperror/none; "" if none */
	unsigned dns_lookups;   /* terms counted against the limit of 10 */
	unsigned void_lookups;
	struct mc_spf_trace *trace;
	size_t n_trace;
	int trace_truncated;    /* more than MC_SPF_MAX_TRACE lines */
	struct spf_chunk *strings; /* the trace's strings live here */
};

/* Runs check_host() for q through dns (whose loop it drives with
 * dns_run() while it waits; other queries on the channel progress too).
 * Returns a new outcome the caller frees with spf_outcome_free(); DNS
 * trouble is a result (temperror), not an error. Returns NULL with err
 * filled only for unusable input (bad IP, no identity) or out of memory. */
struct mc_spf_outcome *spf_check_host(struct mc_dns *dns,
				      const struct mc_spf_query *q,
				      const struct mc_spf_opts *opts,
				      struct mc_err *err);

void spf_outcome_free(struct mc_spf_outcome *o);

/* The domain check_host() starts from for q (§2.3, §2.4): MAIL FROM's
 * domain, or the HELO name when MAIL FROM is empty; a pointer into q's
 * strings, or NULL when there is neither. *len is its length without one
 * trailing dot (a fully qualified "example.com." is "example.com"). */
const char *spf_identity_domain(const struct mc_spf_query *q, size_t *len);

/* Asks for the TXT records of domain/n (as spf_identity_domain() gives
 * it), which check_host() starts with, without waiting and without
 * counting anything: the answer goes to dns's cache (dns_set_cache()),
 * where a later spf_check_host() finds it. For a batch to have its first
 * lookups in flight at once. Returns 0, or -1 when nothing was asked (no
 * cache, a name that cannot be asked, no memory). */
int spf_prefetch(struct mc_dns *dns, const char *domain, size_t n);

/* "pass", "fail", ... as RFC 7208 §2.6 names them. */
const char *spf_result_name(enum mc_spf_result r);

#endif
