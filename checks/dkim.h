/* DKIM (RFC 6376, with RFC 8463 Ed25519 and RFC 8301's key/hash rules):
 * key records and signature verification, over OpenSSL EVP for the crypto
 * and the shared c-ares channel (checks/dns.h) for key lookups.
 *
 * Written here instead of using libopendkim because libopendkim resolves
 * keys on its own (its own resolver or libunbound, blocking from our point
 * of view) and reports through its own status codes; we want key lookups on
 * our c-ares loop, lookups replaceable by a callback in tests, and results
 * named the way DESIGN.md names them. This module judges signatures and key
 * records; it never decides what to do with a message and never prints. */
#ifndef MC_DKIM_H
#define MC_DKIM_H

#include <jansson.h>
#include <stddef.h>

#include "checks/dns.h"
#include "mc_err.h"

/* Our bounds on hostile input. */
#define MC_DKIM_MAX_SIGNATURES 16       /* verified per message; the rest
					 * are reported neutral */
#define MC_DKIM_MAX_FIELDS 10000        /* header fields per message */
#define MC_DKIM_MAX_TAGS 64             /* tags per tag-list */
#define MC_DKIM_MAX_SIGNED_HEADERS 256  /* names in h= */
#define MC_DKIM_MAX_KEY_RECORD 8192     /* bytes of one key TXT record */
/* RFC 8301 §3.2: RSA keys under 1024 bits are not accepted; we warn
 * below 2048 (its recommendation for signers). */
#define MC_DKIM_RSA_MIN_BITS 1024
#define MC_DKIM_RSA_GOOD_BITS 2048

/* Per-signature results, as RFC 8601 §2.7.1 names them. */
enum mc_dkim_status {
	MC_DKIM_PASS = 0,
	MC_DKIM_FAIL,       /* body hash or signature did not verify */
	MC_DKIM_NEUTRAL,    /* not evaluated (past MC_DKIM_MAX_SIGNATURES) */
	MC_DKIM_TEMPERROR,  /* key lookup timed out / SERVFAIL: cannot tell */
	MC_DKIM_PERMERROR,  /* unusable signature or key: syntax, no key,
			     * revoked, expired, unsupported, too short */
};

enum mc_dkim_key_type {
	MC_DKIM_KEY_UNKNOWN = 0,
	MC_DKIM_KEY_RSA,
	MC_DKIM_KEY_ED25519,
};

/* A key lookup: returns the TXT answer for name ("<selector>._domainkey.
 * <domain>", in dns_query() form) as a new result the caller frees with
 * dns_result_free(); OK with TXT records (strings joined), NXDOMAIN or
 * NODATA for "no key", TIMEOUT/SERVFAIL/ERROR for "cannot tell". NULL
 * means out of memory (temperror). dkim_dns_lookup() is the real one;
 * tests pass their own. */
typedef struct mc_dns_result *(*dkim_key_fn)(void *arg, const char *name);

struct mc_dkim_sig_result {
	enum mc_dkim_status status;
	/* All strings below are owned by the result, never NULL, and made
	 * printable (bytes outside 0x20..0x7e shown as \xNN). */
	char *domain;               /* d=, "" if absent */
	char *selector;             /* s= */
	char *algorithm;            /* a= as written ("rsa-sha256", ...) */
	char *identity;             /* i= or "@d" */
	char *canonicalization;     /* "relaxed/simple", ... */
	char *headers;              /* h= as "from:to:subject", lowercased */
	char *reason;               /* why not pass, or the warnings of a
				     * pass ("" for a clean pass) */
	char **warnings;            /* n_warnings one-line warnings */
	size_t n_warnings;
	enum mc_dkim_key_type key_type;
	unsigned key_bits;          /* 0 when no key was read */
	int testing;                /* the key says t=y */
	int weak;                   /* rsa-sha1, or an RSA key < 2048 bits */
	double signed_at;           /* t=, or -1 */
	double expires_at;          /* x=, or -1 */
	long long body_length;      /* l=, or -1 */
	long long body_bytes;       /* canonicalised body length, or -1 when
				     * the body was not hashed */
};

struct mc_dkim_result {
	struct mc_dkim_sig_result *sigs;  /* in header order, top first */
	size_t n_sigs;
	int severity;               /* dkim_result_severity() */
};

/* Verifies every DKIM-Signature header field of msg (a whole RFC 5322
 * message; bare LF line ends are taken as CRLF, a leading mbox "From "
 * line is skipped). Keys come from lookup(arg, name); now is the time
 * x= is judged against (epoch seconds; <= 0: mc_now_real()). Borrows
 * msg. On success returns 0
 * and sets *out to a new result the caller frees with dkim_result_free();
 * a message without signatures gives n_sigs == 0. Returns -1 with err
 * filled only when out of memory. */
int dkim_verify_message(const char *msg, size_t len, dkim_key_fn lookup,
			void *arg, double now, struct mc_dkim_result **out,
			struct mc_err *err);

void dkim_result_free(struct mc_dkim_result *r);

/* The first signature with this selector (and d=, unless domain is NULL;
 * both compared case-insensitively), preferring one that passed; NULL if
 * none. For a route's dkim_selector. Borrows r. */
const struct mc_dkim_sig_result *dkim_result_find(
	const struct mc_dkim_result *r, const char *domain,
	const char *selector);

/* Monitoring severity of a verification: 2 when there is no signature or
 * any signature is fail/permerror, else 3 when any is temperror, else 1
 * when any is neutral or passed with warnings (weak, testing, short key,
 * partial l=), else 0. */
int dkim_result_severity(const struct mc_dkim_result *r);

/* {"signatures":[{"domain","selector","algorithm","result","reason",
 * "identity","canonicalization","headers","key_type","key_bits",
 * "testing","weak","warnings","signed_at","expires_at","body_length",
 * "body_bytes"}],"severity":N}. Returns a new reference, NULL when out of
 * memory. */
json_t *dkim_result_to_json(const struct mc_dkim_result *r);

/* One published key, as `dkim key` and the check command report it. */
enum mc_dkim_key_state {
	MC_DKIM_KEYSTATE_OK = 0,
	MC_DKIM_KEYSTATE_NONE,      /* NXDOMAIN / NODATA: no key */
	MC_DKIM_KEYSTATE_REVOKED,   /* p= empty */
	MC_DKIM_KEYSTATE_INVALID,   /* syntax, bad base64, unknown k=, ... */
	MC_DKIM_KEYSTATE_TEMPERROR, /* DNS timeout, SERVFAIL, ... */
};

struct mc_dkim_keyinfo {
	char *domain, *selector;    /* as asked (printable) */
	char *name;                 /* the name queried */
	enum mc_dkim_key_state state;
	char *record;               /* the TXT record judged (printable), or
				     * NULL */
	enum mc_dkim_key_type key_type;
	unsigned key_bits;
	int testing;                /* t=y */
	int strict;                 /* t=s */
	char *hashes;               /* h= as written, or NULL (any) */
	char *services;             /* s= as written, or NULL (any) */
	char *problem;              /* why not OK, "" when OK */
	char **warnings;            /* short RSA key, testing mode */
	size_t n_warnings;
	int severity;               /* 0 ok, 1 warnings, 2 none/revoked/
				     * invalid, 3 temperror */
};

/* Looks up and judges the key of selector at domain through lookup.
 * Returns a new keyinfo the caller frees with dkim_keyinfo_free(); NULL
 * with err filled for an unusable domain/selector (usage) or out of
 * memory. */
struct mc_dkim_keyinfo *dkim_key_check(dkim_key_fn lookup, void *arg,
				       const char *domain,
				       const char *selector,
				       struct mc_err *err);

void dkim_keyinfo_free(struct mc_dkim_keyinfo *ki);

/* {"domain","selector","name","status","key_type","key_bits","testing",
 * "strict","revoked","record","hashes","services","problem","warnings",
 * "severity"}. New reference, NULL when out of memory. */
json_t *dkim_keyinfo_to_json(const struct mc_dkim_keyinfo *ki);

/* Key lookups on the shared c-ares channel, with all of a message's keys
 * asked at once. dkim_dns_lookup() is a dkim_key_fn taking the
 * struct mc_dkim_dns as arg; it waits (dns_run) for its answer, which
 * also drives every other query on the channel. Borrows dns. Free with
 * dkim_dns_free() after dns_free(dns), or when dkim_dns_pending() is 0:
 * until then c-ares may still write answers into it. */
struct mc_dkim_dns;

struct mc_dkim_dns *dkim_dns_new(struct mc_dns *dns);
void dkim_dns_free(struct mc_dkim_dns *kd);

/* Starts the key queries of every DKIM-Signature of msg without waiting.
 * Best effort: out of memory only means fewer queries ahead of time. */
void dkim_dns_prefetch(struct mc_dkim_dns *kd, const char *msg, size_t len);

struct mc_dns_result *dkim_dns_lookup(void *kd, const char *name);

/* Queries of kd not yet answered. */
size_t dkim_dns_pending(const struct mc_dkim_dns *kd);

/* "pass", "fail", "neutral", "temperror", "permerror". */
const char *dkim_status_name(enum mc_dkim_status s);
/* "rsa", "ed25519", "unknown". */
const char *dkim_key_type_name(enum mc_dkim_key_type t);
/* "ok", "none", "revoked", "invalid", "temperror". */
const char *dkim_key_state_name(enum mc_dkim_key_state s);

#endif
