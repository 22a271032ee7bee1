/* DKIM's pure parts, shared by the files of the dkim module and exported
 * for the unit tests and the fuzz target: tag-lists (RFC 6376 §3.2),
 * base64, DKIM-Signature fields (§3.5), key records (§3.6.1), splitting a
 * message into header fields, and canonicalisation (§3.4). Nothing here
 * touches the network or the clock. */
#ifndef MC_DKIM_PARSE_H
#define MC_DKIM_PARSE_H

#include <openssl/evp.h>
#include <stddef.h>

#include "checks/dkim.h"
#include "mc_buf.h"
#include "mc_err.h"

/* ---- tag-lists ---- */

struct dkim_tag {
	const char *name;      /* into the parsed text */
	size_t name_len;
	const char *val;       /* the value without surrounding FWS */
	size_t val_len;
	size_t raw_start;      /* offsets of everything between '=' and the */
	size_t raw_end;        /* next ';' (or the end): what b= emptying
				* removes */
};

struct dkim_taglist {
	struct dkim_tag tags[MC_DKIM_MAX_TAGS];
	size_t n;
};

/* Parses a tag-list. Borrows p (tags point into it). Returns 0, or -1 with
 * err naming the problem (syntax, duplicate tag, too many tags). */
int dkim_tags_parse(const char *p, size_t n, struct dkim_taglist *tl,
		    struct mc_err *err);

/* The tag called name (case-sensitive, RFC 6376 §3.2), or NULL. */
const struct dkim_tag *dkim_tag_find(const struct dkim_taglist *tl,
				     const char *name);

/* Decodes base64 ignoring whitespace (FWS is allowed inside b=, bh=, p=).
 * Returns a new buffer (length in *out_len; a NUL follows the data), or
 * NULL when the text is not base64 (out of memory also gives NULL; *oom
 * tells which, oom may be NULL). */
unsigned char *dkim_base64_decode(const char *p, size_t n, size_t *out_len,
				  int *oom);

/* ---- signatures ---- */

enum dkim_alg {
	DKIM_ALG_UNKNOWN = 0,
	DKIM_ALG_RSA_SHA1,
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256,
};

enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED,
};

struct dkim_sig {
	enum dkim_alg alg;
	enum dkim_canon hcanon, bcanon;
	char *a;                /* a= as written; these strings are NUL- */
	char *domain;           /* terminated copies, NULL when the tag is */
	char *selector;         /* absent */
	char *identity;         /* i=, or "@" + d= */
	char *canon;            /* "hcanon/bcanon" */
	char **h;               /* n_h lowercased names of h=, in order */
	size_t n_h;
	unsigned char *b;       /* decoded b= */
	size_t b_len;
	unsigned char *bh;      /* decoded bh= */
	size_t bh_len;
	long long l;            /* l=, -1 when absent */
	long long t, x;         /* t=, x=, -1 when absent */
	size_t b_start, b_end;  /* the raw b= value's offsets in the text
				 * parsed (for emptying it) */
};

/* Parses the value of a DKIM-Signature field (everything after the colon).
 * Returns 0 and fills sig, or -1 with err naming the problem; on error
 * whatever was read before it (a=, d=, s=) is still set for reporting.
 * Either way release sig with dkim_sig_clear(). Out of memory: -1 with
 * err->code == -2. */
int dkim_sig_parse(const char *p, size_t n, struct dkim_sig *sig,
		   struct mc_err *err);
void dkim_sig_clear(struct dkim_sig *sig);

/* ---- key records ---- */

#define DKIM_HASH_SHA1 1u
#define DKIM_HASH_SHA256 2u

struct dkim_key {
	enum mc_dkim_key_type type;
	unsigned bits;
	int testing, strict, revoked;
	unsigned hashes;        /* DKIM_HASH_* the key allows (h=) */
	char *h, *s;            /* h=, s= as written, or NULL */
	EVP_PKEY *pkey;         /* NULL when revoked */
};

/* Parses one key record (a TXT record's joined strings). Returns 0 and
 * fills key (revoked keys included: key->revoked, no pkey), or -1 with err
 * naming the problem. Out of memory: -1 with err->code == -2. Release key
 * with dkim_key_clear() either way. */
int dkim_key_parse(const char *p, size_t n, struct dkim_key *key,
		   struct mc_err *err);
void dkim_key_clear(struct dkim_key *key);

/* Picks and parses the key from a TXT answer (the first record that
 * parses). Returns PASS with key filled (a revoked key is PERMERROR with
 * key->revoked set), PERMERROR for no key or a bad record, TEMPERROR for
 * DNS trouble; why says which ("" for a usable key). *record (may be
 * NULL) gets a new printable copy of the record judged, or NULL. */
enum mc_dkim_status dkim_key_from_answer(const struct mc_dns_result *res,
					 struct dkim_key *key, char **record,
					 char *why, size_t why_size);

/* "<selector>._domainkey.<domain>" ready for dns_query(), or NULL when
 * either is not a usable name (empty labels, a label over 63 bytes, bytes
 * other than letters, digits, '-', '_'). Returns a new string. */
char *dkim_key_name(const char *domain, const char *selector);

/* ---- messages and canonicalisation ---- */

struct dkim_field {
	const char *p;          /* raw field, trailing CRLF included when */
	size_t n;               /* present */
	size_t name_len;        /* bytes before the colon (0: no colon) */
};

struct dkim_msg {
	char *buf;              /* the message with bare LFs made CRLF */
	size_t len;
	struct dkim_field *fields;
	size_t n_fields;
	int too_many_fields;    /* more than MC_DKIM_MAX_FIELDS */
	const char *body;       /* after the blank line */
	size_t body_len;
};

/* Splits msg into header fields and body. Returns 0, or -1 when out of
 * memory. Free with dkim_msg_free(). */
int dkim_msg_parse(const char *msg, size_t len, struct dkim_msg *m);
void dkim_msg_free(struct dkim_msg *m);

/* Whether the field's name is name (case-insensitive). */
int dkim_field_is(const struct dkim_field *f, const char *name);

/* Appends one header field canonicalised (§3.4.1, §3.4.2). with_crlf = 0
 * drops the field's line end (the DKIM-Signature field itself, §3.7).
 * Returns 0, or -1 when the buffer is full. */
int dkim_canon_header(enum dkim_canon c, const char *p, size_t n,
		      int with_crlf, struct mc_buf *out);

/* Appends the canonicalised body (§3.4.3, §3.4.4). Returns 0 or -1. */
int dkim_canon_body(enum dkim_canon c, const char *p, size_t n,
		    struct mc_buf *out);

/* A new copy of p/n with bytes outside 0x20..0x7e written \xNN; NULL when
 * out of memory. */
char *dkim_printable(const char *p, size_t n);

#endif
