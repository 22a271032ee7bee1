/* Shared between the dsn*.c files only; nothing outside receiver/dsn*.c
 * includes this. dsn.c walks the MIME tree, dsn_fields.c reads RFC 3464 /
 * RFC 5965 field groups, dsn_formats.c the non-standard bounces,
 * dsn_reason.c classifies, dsn_text.c holds the byte-level helpers. */
#ifndef MC_DSN_INTERNAL_H
#define MC_DSN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "receiver/dsn.h"

/* ---- dsn_text.c: bounded text helpers (explicit lengths throughout) ---- */

/* Cleans n bytes into a new NUL-terminated string of at most max bytes:
 * CR/LF/TAB and other controls become spaces, runs of spaces collapse,
 * leading/trailing space goes, invalid UTF-8 becomes U+FFFD, and the cut
 * never splits a character. Returns NULL only when memory runs out. */
char *dsn_clean(const char *p, size_t n, size_t max);

/* ASCII case-insensitive search of needle (NUL-terminated) in p[0..n).
 * Returns a pointer into p or NULL. */
const char *dsn_memcase(const char *p, size_t n, const char *needle);

/* Whether p[0..n) starts with prefix, ASCII case-insensitively. */
bool dsn_startcase(const char *p, size_t n, const char *prefix);

/* Trims spaces/tabs/CR/LF from both ends of the span (*p, *n). */
void dsn_trim(const char **p, size_t *n);

/* Line iterator over p[0..n): sets *line and *len (without CR/LF) and returns
 * true while lines remain. *pos starts at 0. */
bool dsn_next_line(const char *p, size_t n, size_t *pos, const char **line,
		   size_t *len);

/* Parses an RFC 3463 status at the start of p ("5.1.1", subject and detail
 * up to three digits, class 2/4/5). Writes it to out and returns the bytes
 * used, or 0. */
size_t dsn_status_at(const char *p, size_t n, char out[DSN_STATUS_MAX]);

/* Finds the first standalone status code anywhere in p. Returns 0/-1. */
int dsn_status_find(const char *p, size_t n, char out[DSN_STATUS_MAX]);

/* SMTP reply code at the start of p ("550 ", "550-", "550" alone), or 0. */
int dsn_reply_at(const char *p, size_t n);

/* Finds an SMTP reply code in free text: at the start, before an enhanced
 * code of the same class ("554 5.7.1"), or after "said:". Returns it or 0. */
int dsn_reply_find(const char *p, size_t n);

/* Removes the repeated "550-5.1.1 " prefixes of a multi-line SMTP reply
 * that has been unfolded onto one line, in place. */
void dsn_collapse_reply(char *s);

/* Extracts a bare address from "<a@b>", "a@b", "rfc822; a@b" style text:
 * the address type before ';' is dropped, utf-8 type escapes (RFC 6533 §3
 * "\x{HHHH}") decoded. Returns a new cleaned string, NULL if there is no
 * address, and sets *oom on allocation failure. */
char *dsn_address(const char *p, size_t n, bool *oom);

/* Whether p[0..n) is exactly a probe ID (26 chars of [a-z2-7]). */
bool dsn_is_probe_id(const char *p, size_t n);

/* Looks for a probe ID in a header value: "X-Mailcanary-Probe: ID" form
 * (is_msgid false) or in message IDs "<ID@host>" (is_msgid true; several
 * IDs may be listed, as in References). Copies it to d->probe_id unless one
 * is already set. Returns true when d->probe_id is set afterwards. */
bool dsn_probe_from_value(struct mc_dsn *d, const char *p, size_t n,
			  bool is_msgid);

/* Scans header-like lines of text (a returned header block, or the inline
 * copy in an NDR body) for X-Mailcanary-Probe and Message-ID. */
bool dsn_probe_from_text(struct mc_dsn *d, const char *p, size_t n);

/* Formats an RFC 5322 date as RFC 3339 UTC into out; "" if unparsable. */
void dsn_date(const char *p, size_t n, char out[MC_RFC3339_MAX]);

/* ---- dsn.c: the result being built ---- */

/* Appends a zeroed recipient. Returns 0 and sets *r, 1 when DSN_MAX_RCPT is
 * reached (d->truncated set, *r NULL), -1 when memory runs out. */
int dsn_rcpt_add(struct mc_dsn *d, struct mc_dsn_rcpt **r);

/* Drops the last recipient (one that turned out empty). */
void dsn_rcpt_drop_last(struct mc_dsn *d);

/* ---- dsn_fields.c: RFC 3464 / RFC 6533 / RFC 5965 field groups ---- */

/* Reads a delivery-status body into recipients (appended to d). global is
 * true for message/global-delivery-status (RFC 6533). Returns the number
 * of recipients added (>= 0) or -1 when memory runs out. */
int dsn_fields_parse(struct mc_dsn *d, const char *p, size_t n, bool global);

/* Reads a message/feedback-report body into one recipient. to is the
 * returned message's To address (or NULL), used when Original-Rcpt-To is
 * missing. Returns 0 or -1 (memory). */
int dsn_arf_parse(struct mc_dsn *d, const char *p, size_t n, const char *to);

/* ---- dsn_formats.c: non-standard bounces, from the human text ---- */

/* Tries each known NDR layout on text (UTF-8, n bytes); subject and from
 * (may be NULL) are the bounce's own headers. Returns 1 when one matched
 * (recipients appended, possibly none), 0 when none did, -1 on memory. */
int dsn_formats_parse(struct mc_dsn *d, const char *text, size_t n,
		      const char *subject, const char *from);

/* Amazon SES notifications (JSON, as SNS delivers them by mail). Returns
 * the kind recognised (NDR or ARF), DSN_KIND_UNKNOWN, or -1 on memory. */
int dsn_ses_parse(struct mc_dsn *d, const char *text, size_t n);

/* Whether subject/from look like a bounce even though no layout matched. */
bool dsn_looks_like_bounce(const char *subject, const char *from);

/* ---- dsn_reason.c ---- */

/* Fills what a recipient lacks from what it has (status and reply code
 * from the diagnostic, action from the status class), then classifies.
 * default_class (0, 4 or 5) applies when nothing in the record tells. */
void dsn_rcpt_finish(struct mc_dsn_rcpt *r, int default_class);

/* Sets r->reason and r->hard from action, status, reply code and
 * diagnostic. default_class as for dsn_rcpt_finish(). */
void dsn_classify(struct mc_dsn_rcpt *r, int default_class);

/* Whether a reason is soft even under a 5.x.x code (see dsn_reason.c). */
bool dsn_reason_is_soft(enum mc_dsn_reason r);

/* Reason from free text alone (patterns), or DSN_REASON_UNDEFINED. */
enum mc_dsn_reason dsn_reason_from_text(const char *s);

#endif
