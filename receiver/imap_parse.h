/* IMAP4rev1 server responses (RFC 3501 §7), framed and parsed from bytes.
 * Only what mailcanary's wait needs: tagged status, untagged EXISTS,
 * EXPUNGE, BYE, CAPABILITY, SEARCH and FETCH (UID, INTERNALDATE and a
 * BODY[HEADER] literal). No I/O here: callers hand in buffers.
 * Also the pure parts of opening a session (imap.c): the capability list
 * of a greeting or CAPABILITY response, and the LOGIN / AUTHENTICATE PLAIN
 * arguments. This is the parser the fuzz target covers. */
#ifndef MC_IMAP_PARSE_H
#define MC_IMAP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define IMAP_MAX_LINE 8192              /* one line of a response */
#define IMAP_MAX_LITERAL (1024u * 1024) /* a header literal */
#define IMAP_MAX_RESPONSE (IMAP_MAX_LITERAL + 4 * IMAP_MAX_LINE)

enum imap_resp_type {
	IMAP_RESP_TAGGED,
	IMAP_RESP_UNTAGGED,
	IMAP_RESP_CONTINUE,             /* "+ ..." */
};

enum imap_status {
	IMAP_ST_NONE = 0,               /* not a status response */
	IMAP_ST_OK,
	IMAP_ST_NO,
	IMAP_ST_BAD,
	IMAP_ST_BYE,
	IMAP_ST_PREAUTH,
};

/* One parsed response. Pointers borrow the caller's buffer. */
struct imap_resp {
	enum imap_resp_type type;
	char tag[32];                   /* tagged only */
	enum imap_status status;        /* OK/NO/BAD/BYE/PREAUTH, or NONE */
	char keyword[16];               /* EXISTS, EXPUNGE, FETCH, SEARCH, ... */
	uint32_t number;                /* "* <number> EXISTS|EXPUNGE|FETCH" */
	const char *text;               /* rest of the first line after the
					   status or keyword */
	size_t text_len;
	/* FETCH items, when present */
	int has_uid;
	uint32_t uid;
	int has_internaldate;
	double internaldate;            /* epoch seconds */
	const char *header;             /* BODY[HEADER] literal */
	size_t header_len;
	const char *body;               /* BODY[] literal: the whole message */
	size_t body_len;
};

/* Length of the first complete response in p[0..n) (its lines and any
 * literals), 0 if more bytes are needed, or -1 if it breaks the limits or
 * the framing (the connection should then be dropped). */
long imap_resp_frame(const char *p, size_t n);

/* Parses one framed response (as measured by imap_resp_frame). Returns 0,
 * or -1 if it is not a response we can read (the caller may ignore it). */
int imap_resp_parse(const char *p, size_t n, struct imap_resp *r);

/* UIDs of a "* SEARCH ..." response's text: up to max into out, count in
 * *count. Returns -1 on a malformed list. */
int imap_search_uids(const char *p, size_t n, uint32_t *out, size_t max,
		     size_t *count);

/* 1 if the space-separated list in p[0..n) holds cap (case-insensitive). */
int imap_has_capability(const char *p, size_t n, const char *cap);

/* "24-Nov-2026 11:21:03 +0000" -> epoch seconds. Returns 0 or -1. */
int imap_parse_internaldate(const char *p, size_t n, double *t);

/* Writes s as an IMAP quoted string into out (size out_size), or returns -1
 * if s has characters a quoted string cannot carry (CR, LF, NUL, 8-bit). */
int imap_quote(const char *s, char *out, size_t out_size);

/* The capability list a response carries: an untagged CAPABILITY
 * response, or a status response whose text starts with a [CAPABILITY
 * ...] response code (RFC 3501 §7.1: greetings and tagged OKs often do).
 * Returns 1 with *p, *n set to the list (borrowed from r), else 0. */
int imap_capability_list(const struct imap_resp *r, const char **p, size_t *n);

/* "LOGIN "user" "password"" (RFC 3501 §6.2.3, both as quoted strings,
 * '\' and '"' escaped) into out. Returns 0, or -1 if either has
 * characters a quoted string cannot carry (CR, LF, 8-bit) or out is too
 * small; such credentials go with AUTHENTICATE PLAIN instead. */
int imap_login_command(const char *user, const char *password, char *out,
		       size_t out_size);

/* The RFC 4616 PLAIN message "\0user\0password", base64-encoded (RFC
 * 4648 §4) into out. Returns 0, or -1 if out is too small. */
int imap_sasl_plain(const char *user, const char *password, char *out,
		    size_t out_size);

#endif
