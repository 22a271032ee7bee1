/* Inside the SPF module: record syntax (RFC 7208 §4.5, §4.6, §5, §6) and
 * macro expansion (§7), pure functions on bytes so the evaluator, the unit
 * tests and the fuzz target share them. Nothing here does DNS or I/O. */
#ifndef MC_SPF_PARSE_H
#define MC_SPF_PARSE_H

#include <stddef.h>

#include "checks/ipaddr.h"
#include "checks/spf.h"
#include "mc_buf.h"
#include "mc_err.h"

#define MC_SPF_MAX_TERMS 1024       /* per record */
#define MC_SPF_MAX_EXPANSION 8192   /* bytes one macro-string may grow to */
#define MC_SPF_MAX_DOMAIN 253       /* §4.3 / §7.3 truncation target */

enum mc_spf_mech {
	MC_SPF_MECH_ALL,
	MC_SPF_MECH_INCLUDE,
	MC_SPF_MECH_A,
	MC_SPF_MECH_MX,
	MC_SPF_MECH_PTR,
	MC_SPF_MECH_IP4,
	MC_SPF_MECH_IP6,
	MC_SPF_MECH_EXISTS,
};

struct mc_spf_term {
	enum mc_spf_mech mech;
	enum mc_spf_result qualifier;  /* PASS, FAIL, SOFTFAIL or NEUTRAL */
	char *domain;       /* domain-spec as written (unexpanded), or NULL */
	struct mc_ipaddr net;          /* ip4, ip6 */
	int cidr4, cidr6;   /* prefix lengths; -1 = not given */
	char *text;         /* the term as written, for the trace */
};

struct mc_spf_record {
	struct mc_spf_term *terms;
	size_t n_terms;
	char *redirect;     /* domain-spec of redirect=, or NULL */
	char *exp;          /* domain-spec of exp=, or NULL */
	/* Every string above is a copy in this one block (spf_record.c):
	 * two allocations per term were most of a parse. */
	char *strings;
	size_t strings_used, strings_cap;
};

/* 1 if p/n is an SPF version 1 record: "v=spf1" (any case) followed by a
 * space or the end (§4.5). */
int spf_record_is_spf1(const char *p, size_t n);

/* Parses a whole record (with its "v=spf1"). Any syntax error anywhere is
 * a permerror (§4.6): returns -1 with err's message saying what and where.
 * On success returns 0 and a new record the caller frees with
 * spf_record_free(). */
int spf_record_parse(const char *p, size_t n, struct mc_spf_record **out,
		     struct mc_err *err);
void spf_record_free(struct mc_spf_record *rec);

/* The values macros expand to (§7.2). All strings NUL-terminated. */
struct mc_spf_macro_ctx {
	const char *sender;         /* s */
	const char *local;          /* l */
	const char *sender_domain;  /* o */
	const char *domain;         /* d */
	const struct mc_ipaddr *ip; /* i, c, v */
	int ip_upper;               /* %{i} nibbles in upper case */
	const char *helo;           /* h */
	const char *ptr;            /* p; NULL: not known yet (-2 below) */
	const char *receiver;       /* r */
	long long now;              /* t */
};

/* Checks that p/n is a well-formed macro-string (§7.1); c, r and t are
 * allowed only if exp_text. Returns 0 or -1 with err filled. */
int spf_macro_check(const char *p, size_t n, int exp_text,
		    struct mc_err *err);

/* Checks a domain-spec: a macro-string (without c/r/t) ending in a macro
 * or in "." toplabel ["."] (§7.1). Returns 0 or -1 with err filled. */
int spf_domain_spec_check(const char *p, size_t n, struct mc_err *err);

/* 1 if the macro-string p/n uses %{p} (the evaluator must resolve it
 * first, §5.5). */
int spf_macro_uses_p(const char *p, size_t n);

/* Appends the expansion of p/n to out (bounded by MC_SPF_MAX_EXPANSION).
 * Returns 0; -1 on a syntax error or overflow (err filled); -2 if p is
 * used but ctx->ptr is NULL. */
int spf_macro_expand(const char *p, size_t n,
		     const struct mc_spf_macro_ctx *ctx, int exp_text,
		     struct mc_buf *out, struct mc_err *err);

/* Makes an expanded domain-spec a query name in place (§7.3, §4.8):
 * drops one trailing dot, then whole labels from the left until at most
 * MC_SPF_MAX_DOMAIN bytes remain. Returns the new length. */
size_t spf_domain_truncate(char *name, size_t n);

/* 1 if name/n can be asked for in DNS: 1..253 bytes, no empty label
 * (except a trailing dot), no label over 63 bytes. */
int spf_domain_queryable(const char *name, size_t n);

#endif
