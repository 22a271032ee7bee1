/* Mail-log analysis for `mailcanary logs`: a streaming parser for Postfix
 * and Sendmail syslog lines, a join of lines by queue id (and across queue
 * ids by Message-ID / "queued as" / notification ids), pflogsumm-compatible
 * counts, searches and traces.
 *
 * Hand-written: no maintained C library parses MTA logs; pflogsumm is Perl
 * (and is what we cross-check against). Memory stays flat: lines are read
 * through a bounded buffer, per-queue-id state lives in a capped table with
 * LRU eviction, count tables have a capped number of keys.
 * Nothing here prints to stderr or exits; reading files is confined to
 * maillog_read_fd()/maillog_read_path(). */
#ifndef MC_MAILLOG_H
#define MC_MAILLOG_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "mc_err.h"

#define MAILLOG_LINE_MAX 16384     /* longer lines are malformed, skipped */
#define MAILLOG_QUEUE_MAX 100000   /* default cap of live queue ids */
#define MAILLOG_KEYS_MAX 10000     /* distinct keys per count table */
#define MAILLOG_MATCHES_MAX 10000  /* default cap of kept matches */
#define MAILLOG_TRACE_LINES_MAX 10000
#define MAILLOG_TRACE_IDS_MAX 256

enum maillog_format { MAILLOG_AUTO = 0, MAILLOG_POSTFIX, MAILLOG_SENDMAIL };

/* What a line says, after the queue id. */
enum maillog_kind {
	ML_IGNORED = 0,  /* a well-formed syslog line of no interest */
	ML_CLIENT,       /* Postfix smtpd/postscreen QID: client= (received) */
	ML_PICKUP,       /* Postfix pickup QID: uid=/sender= (received) */
	ML_MSGID,        /* Postfix cleanup QID: message-id= */
	ML_FROM,         /* Postfix qmgr QID: from=<>, size=; Sendmail from= */
	ML_DELIVERY,     /* to=<>, ... status=/stat= */
	ML_EXPIRED,      /* Postfix qmgr QID: from=<>, status=expired */
	ML_NOTIFY,       /* bounce/DSN notification: new queue id */
	ML_REMOVED,      /* Postfix qmgr QID: removed */
	ML_REJECT,       /* smtpd/cleanup reject, Sendmail ruleset reject= */
	ML_OTHER,        /* an MTA line we do not use (connect, TLS, ...) */
};

enum maillog_status {
	ML_ST_NONE = 0, ML_ST_SENT, ML_ST_DEFERRED, ML_ST_BOUNCED,
	ML_ST_EXPIRED, ML_ST_REJECTED, ML_ST_FORWARDED, ML_ST_OTHER,
	ML_ST_COUNT
};

/* Labels for well-known failure shapes (Sisimai's names, DESIGN.md). */
enum maillog_reason {
	ML_RE_NONE = 0, ML_RE_GREYLISTED, ML_RE_TOO_MANY_CONN,
	ML_RE_USER_UNKNOWN, ML_RE_MAILBOX_FULL, ML_RE_DELAYED, ML_RE_COUNT
};

/* A field of the line: points into the caller's buffer, not terminated. */
struct ml_str {
	const char *p;
	size_t n;
};

/* One parsed line. Every ml_str borrows the line buffer passed to
 * maillog_parse_line() and is valid while that buffer is. */
struct maillog_line {
	double t;                /* epoch seconds (UTC) */
	int year, mon, mday, hour, min, sec, wday; /* as written; wday 0=Sun */
	enum maillog_format mta; /* POSTFIX or SENDMAIL (AUTO: not an MTA line) */
	enum maillog_kind kind;
	enum maillog_status status;
	enum maillog_reason reason;
	struct ml_str host, prog, cmd, qid;
	struct ml_str from, to, orig_to, relay, dsn, reply, msgid, newqid;
};

/* Year inference for timestamps without a year. Without --year the
 * reference is "now": a date after it is last year's (pflogsumm's rule,
 * so a December-to-January log read in January is right). With --year Y
 * the first such line is in Y and the year steps on when the month goes
 * backwards by half a year or more across the input (December, then
 * January); a single line half a year ahead of the current month is taken
 * as the year before. The clock keeps that state: one per input stream. */
struct maillog_clock {
	int ref_year, ref_mon, ref_mday;
	int fixed;               /* --year given */
	int cur_year, last_mon;  /* --year: the year so far, last month seen */
};

/* Sets the clock's reference from epoch seconds (year = 0) or to `year`. */
void maillog_clock_init(struct maillog_clock *ck, double now, int year);

/* Parses one line (no newline) of n bytes. format restricts which MTA's
 * lines are read (others become ML_IGNORED). Returns 0 (out filled), or -1
 * when the line is not a syslog line we can read (malformed). Updates the
 * clock's --year state. */
int maillog_parse_line(const char *p, size_t n, struct maillog_clock *ck,
		       enum maillog_format format, struct maillog_line *out);

/* "sent", "deferred", ...; "greylisted", ... (NULL for NONE). Static. */
const char *maillog_status_name(enum maillog_status st);
const char *maillog_reason_name(enum maillog_reason re);

/* Is s a mailcanary probe Message-ID (<ID@domain> or ID@domain, ID 26
 * chars of [a-z2-7])? On yes, copies the ID into id (27 bytes) and returns 1. */
int maillog_probe_id(const char *p, size_t n, char id[27]);

/* --- the analysis ---------------------------------------------------- */

#define ML_STATUS_MASK(st) (1u << (st))

struct maillog_opts {
	enum maillog_format format;
	double now;            /* reference for year inference (mc_now_real) */
	int year;              /* --year, 0 = infer from now */
	int search;            /* collect matches (a search option was given) */
	unsigned status_mask;  /* matches: statuses wanted (ML_STATUS_MASK) */
	double since, until;   /* window for everything; < 0 = open */
	const char *rcpt;      /* matches: recipient (to or orig_to), or NULL */
	const char *from;      /* matches: envelope sender, or NULL */
	const char *trace;     /* queue id, Message-ID or probe ID, or NULL */
	size_t queue_max;      /* 0 = MAILLOG_QUEUE_MAX */
	size_t matches_max;    /* 0 = MAILLOG_MATCHES_MAX */
};

struct maillog;

/* Returns a new analysis the caller frees with maillog_free(), or NULL
 * (out of memory). Borrows the strings of opts until maillog_free(). */
struct maillog *maillog_new(const struct maillog_opts *opts);
void maillog_free(struct maillog *m);

/* Feeds one line (without its newline). Never fails: bad lines are
 * counted as malformed. */
void maillog_feed(struct maillog *m, const char *p, size_t n);

/* Feeds a whole stream, plain or gzip (detected), through a bounded line
 * buffer; lines longer than MAILLOG_LINE_MAX are malformed. Borrows fd
 * (it is not closed). Returns 0, or -1 with err set on a read error. */
int maillog_read_fd(struct maillog *m, int fd, const char *name,
		    struct mc_err *err);

/* maillog_read_fd() on a path; "-" is standard input. */
int maillog_read_path(struct maillog *m, const char *path, struct mc_err *err);

/* A --trace needs more than one pass over the input: call after every
 * complete pass. Returns 1 when the input must be fed once more (the
 * statistics are reset for it), 0 when the analysis is complete. */
int maillog_pass_done(struct maillog *m);

/* Ends the analysis (finalises live queue ids into the statistics) and
 * returns the `logs --json` document (new reference), or NULL. */
json_t *maillog_to_json(struct maillog *m);

/* Ends the analysis like maillog_to_json() and prints the readable
 * summary tables, matches and trace to out. */
void maillog_print_text(struct maillog *m, FILE *out);

#endif
