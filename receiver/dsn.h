/* Bounce parsing: turns a returned message (RFC 3464 DSN, RFC 6533 global
 * DSN, the non-standard NDRs real MTAs still send, an RFC 5965 ARF report or
 * an RFC 3834 auto-reply) into per-recipient results with a reason and a
 * hard/soft verdict, and recovers the ID of the probe it is about.
 * It only reads bytes it is given: no I/O, no clock, no judging of probes.
 *
 * MIME structure, transfer encodings, charsets and header decoding come from
 * GMime 3. The DSN field syntax (RFC 3464 §2: header-like field groups inside
 * a body part), the NDR formats and the classification are ours: no library
 * parses them. */
#ifndef MC_DSN_H
#define MC_DSN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"
#include "mc_time.h"

/* Limits. Input past DSN_MAX_INPUT is ignored (the report parts come before
 * the returned message, so a huge returned attachment costs nothing);
 * recipients past DSN_MAX_RCPT are dropped and `truncated` is set. */
#define DSN_MAX_INPUT      (1u * 1024 * 1024)  /* bytes of the message parsed */
#define DSN_MAX_RCPT       500                  /* recipients kept */
#define DSN_MAX_DEPTH      8                    /* MIME levels we walk */
#define DSN_MAX_PARTS      64                   /* MIME parts we look at */
#define DSN_MAX_TEXT       (64u * 1024)         /* bytes of one text part scanned */
#define DSN_MAX_FIELD      2048                 /* bytes of one field value kept */
#define DSN_MAX_ADDR       512                  /* bytes of one address kept */

#define DSN_STATUS_MAX     12                   /* "5.123.123" + NUL */
#define DSN_PROBE_ID_LEN   26                   /* base32 [a-z2-7] */

enum mc_dsn_kind {
	DSN_KIND_UNKNOWN = 0,   /* not a report we recognise */
	DSN_KIND_DSN,           /* RFC 3464/6533 machine-readable part present */
	DSN_KIND_NDR,           /* non-standard bounce, parsed from its text */
	DSN_KIND_ARF,           /* RFC 5965 feedback report (or provider complaint) */
	DSN_KIND_AUTOREPLY,     /* RFC 3834 auto-reply, vacation: never a bounce */
};

/* RFC 3464 §2.3.3 action values; NONE when the message gives none (ARF,
 * auto-replies, a DSN field missing). */
enum mc_dsn_action {
	DSN_ACTION_NONE = 0,
	DSN_ACTION_FAILED,
	DSN_ACTION_DELAYED,
	DSN_ACTION_DELIVERED,
	DSN_ACTION_RELAYED,
	DSN_ACTION_EXPANDED,
};

/* Sisimai's bounce-reason taxonomy in snake_case, plus `greylisted`.
 * dsn_reason_name() gives the DESIGN.md string. */
enum mc_dsn_reason {
	DSN_REASON_UNDEFINED = 0,
	DSN_REASON_AUTH_FAILURE,
	DSN_REASON_BAD_REPUTATION,
	DSN_REASON_BLOCKED,
	DSN_REASON_CONTENT_ERROR,
	DSN_REASON_DELIVERED,
	DSN_REASON_EXCEED_LIMIT,
	DSN_REASON_EXPIRED,
	DSN_REASON_FAILED_STARTTLS,
	DSN_REASON_FEEDBACK,
	DSN_REASON_FILTERED,
	DSN_REASON_HAS_MOVED,
	DSN_REASON_HOST_UNKNOWN,
	DSN_REASON_MAILBOX_FULL,
	DSN_REASON_MAILER_ERROR,
	DSN_REASON_MESG_TOO_BIG,
	DSN_REASON_NETWORK_ERROR,
	DSN_REASON_NO_RELAYING,
	DSN_REASON_NOT_ACCEPT,
	DSN_REASON_NOT_COMPLIANT_RFC,
	DSN_REASON_ON_HOLD,
	DSN_REASON_POLICY_VIOLATION,
	DSN_REASON_REJECTED,
	DSN_REASON_REQUIRE_PTR,
	DSN_REASON_SECURITY_ERROR,
	DSN_REASON_SPAM_DETECTED,
	DSN_REASON_SPEEDING,
	DSN_REASON_SUSPEND,
	DSN_REASON_SYNTAX_ERROR,
	DSN_REASON_SYSTEM_ERROR,
	DSN_REASON_SYSTEM_FULL,
	DSN_REASON_TOO_MANY_CONN,
	DSN_REASON_USER_UNKNOWN,
	DSN_REASON_VACATION,
	DSN_REASON_VIRUS_DETECTED,
	DSN_REASON_GREYLISTED,
	DSN_REASON_COUNT
};

/* One recipient as the message reports it. Strings are UTF-8 (invalid bytes
 * replaced by U+FFFD), whitespace-collapsed, NULL when absent; the struct
 * owns them. */
struct mc_dsn_rcpt {
	char *recipient;            /* Final-Recipient address (type removed) */
	char *original_recipient;   /* Original-Recipient address */
	enum mc_dsn_action action;
	char status[DSN_STATUS_MAX];/* RFC 3463 "5.1.1"; "" when unknown */
	int reply_code;             /* SMTP reply code 550; 0 when unknown */
	char *diagnostic;           /* Diagnostic-Code text (type removed) */
	char *remote_mta;           /* Remote-MTA name (type removed) */
	char last_attempt_date[MC_RFC3339_MAX];  /* RFC 3339 UTC; "" unknown */
	char will_retry_until[MC_RFC3339_MAX];   /* RFC 3339 UTC; "" unknown */
	enum mc_dsn_reason reason;
	bool hard;                  /* see dsn_reason.c for the rule */
};

struct mc_dsn {
	enum mc_dsn_kind kind;
	char probe_id[DSN_PROBE_ID_LEN + 1]; /* "" when the message names none */
	struct mc_dsn_rcpt *rcpt;            /* in the order the message gives */
	size_t nrcpt;
	size_t cap;
	bool truncated;             /* input or recipients cut at a limit */
};

/* Initialises GMime once per process (pthread_once; safe from any thread).
 * dsn_parse() calls it itself, so calling it first is optional. GMime is
 * never shut down: other modules may share it until exit. */
void dsn_init(void);

/* Parses one message of n bytes at p (only the first DSN_MAX_INPUT bytes
 * are looked at). Anything that is not a report we recognise comes back as
 * DSN_KIND_UNKNOWN with no recipients: that is a result, not an error.
 * Returns 0 and sets *out to a new struct the caller releases with
 * dsn_free(), or -1 (out of memory, bad arguments) with err filled. */
int dsn_parse(const char *p, size_t n, struct mc_dsn **out,
	      struct mc_err *err);

/* Releases d and everything it owns; NULL is fine. */
void dsn_free(struct mc_dsn *d);

/* The DESIGN.md `dsn --json` message object. file (may be NULL: no "file"
 * key) is borrowed. Returns a new reference the caller owns, or NULL when
 * memory runs out. */
json_t *dsn_to_json(const struct mc_dsn *d, const char *file);

/* "user_unknown", "greylisted", ...; static storage. */
const char *dsn_reason_name(enum mc_dsn_reason r);

/* "dsn", "ndr", "arf", "autoreply", "unknown"; static storage. */
const char *dsn_kind_name(enum mc_dsn_kind k);

/* "failed", "delayed", ...; NULL for DSN_ACTION_NONE. Static storage. */
const char *dsn_action_name(enum mc_dsn_action a);

#endif
