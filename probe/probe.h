/* The sending side of a probe (DESIGN.md "Probe message and states"): a
 * random probe ID, the RFC 5322 probe message that carries it, and its
 * submission to the route's relay with libesmtp, timed stage by stage and
 * judged from the relay's replies. This module never waits for arrival,
 * never touches the store and never prints; cli/ and the run tick do that.
 *
 * Why libesmtp: it is the packaged, maintained SMTP submission client on
 * Debian (DESIGN.md "Dependencies"); it does EHLO/HELO fallback,
 * PIPELINING, SASL (PLAIN, LOGIN, CRAM-MD5 plugins) and DSN parameters,
 * and its protocol monitor lets us see every reply line without writing
 * an SMTP client of our own. Where 1.1.0 falls short (no connect deadline,
 * no implicit TLS, a STARTTLS that deadlocks on TLS 1.3, BDAT that blinds
 * the monitor, MAIL FROM sent after a failed AUTH) we carry the connection
 * and TLS ourselves and watch it closely; see probe_submit.c and
 * probe_session.c. */
#ifndef MC_PROBE_H
#define MC_PROBE_H

#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "mc_err.h"

/* 128 random bits in RFC 4648 base32, lower case, no padding. */
#define PROBE_ID_LEN 26

/* Fills out with a new probe ID (PROBE_ID_LEN characters and a NUL) from
 * OpenSSL's RAND_bytes. Returns 0, or -1 (component internal) when the
 * random generator fails. */
int probe_id_new(char out[PROBE_ID_LEN + 1], struct mc_err *err);

/* Builds the probe message for route: From: route->from, To: route->to,
 * Subject: "mailcanary probe ID", Date: date (RFC 5322, UTC, "+0000"),
 * Message-ID: <ID@domain> (domain NULL: the domain of route->from),
 * X-Mailcanary-Probe: ID, X-Mailcanary-Route: route name, MIME-Version,
 * Content-Type text/plain us-ascii, Auto-Submitted: auto-generated, and a
 * short body naming the ID and route. Lines end in CRLF.
 * Refuses (component config) addresses, names or a domain holding CR, LF or
 * other control or 8-bit characters, '<' or '>', or a header line over the
 * RFC 5322 §2.1.1 limit of 998 characters.
 * Returns a new NUL-terminated string the caller frees with free(), or NULL
 * with err filled. Borrows route, id and domain until it returns. */
char *probe_message_new(const struct mc_route *route, const char *id,
			const char *domain, time_t date, struct mc_err *err);

/* ---- SMTP replies (pure; the fuzz target covers these) ---- */

#define PROBE_REPLY_TEXT_MAX 512
#define PROBE_ENHANCED_MAX 16
#define PROBE_QUEUE_ID_MAX 64

struct probe_reply {
	int code;                         /* 200..599 */
	char enhanced[PROBE_ENHANCED_MAX]; /* RFC 3463 "4.7.1", or "" */
	char text[PROBE_REPLY_TEXT_MAX];  /* the lines' text after code and
					   * enhanced code, joined by one
					   * space, non-printable bytes as
					   * '?', truncated to fit */
};

/* Parses the first complete SMTP reply (RFC 5321 §4.2: "ddd-text" lines
 * then one "ddd text" line, each ending in LF, CRLF preferred) in p[0..n).
 * Returns the bytes it took (> 0) and fills r; 0 when p holds no complete
 * final line yet; -1 when a line is not a reply line (bad code or
 * separator) or a continuation line's code differs from the first line's
 * (r is then undefined). p need not be NUL-terminated. */
long probe_reply_parse(const char *p, size_t n, struct probe_reply *r);

/* Extracts the relay's queue ID from the text of a final 2xx reply to the
 * message (as probe_reply_parse() leaves it): Postfix "Ok: queued as ID",
 * Exim "OK id=ID", Sendmail/OpenSMTPD "ID Message accepted for delivery",
 * Exchange "[InternalId=ID, ...]" or "<ID> Queued mail for delivery",
 * Gmail "... ID - gsmtp", Haraka "Message Queued (ID)", qmail "qp ID",
 * Amazon SES "Ok ID". Returns 0 and writes a NUL-terminated ID of at most
 * out_size - 1 characters, or -1 if none is recognised (out = ""). */
int probe_reply_queue_id(const char *text, char *out, size_t out_size);

/* 1 if a 4xx reply looks like greylisting (DESIGN.md "Greylisting
 * evidence"): any 4xx naming greylisting in its text; else a 450/451 with
 * enhanced code 4.7.0 or 4.7.1, or without an enhanced code but with "try
 * again later"-style words, unless its text names another cause (host
 * name or DNS lookups, listings, rate limits, "busy"). 0 otherwise, and
 * always for non-4xx. */
int probe_reply_is_greylisting(const struct probe_reply *r);

/* ---- submission ---- */

/* How the relay answered. Named PROBE_SUBMIT_* so as not to clash with the
 * final probe states of probe_state.h, which they feed. */
enum probe_submit_outcome {
	PROBE_SUBMIT_QUEUED = 0,     /* final 2xx: the relay took it */
	PROBE_SUBMIT_DEFERRED,       /* 4xx (not greylisting) */
	PROBE_SUBMIT_GREYLISTED,     /* 4xx that is greylisting */
	PROBE_SUBMIT_REJECTED,       /* 5xx */
	PROBE_SUBMIT_ERROR,          /* connect, TLS, AUTH, timeout, drop */
};

/* "queued", "deferred", "greylisted", "rejected", "error". Static. */
const char *probe_submit_outcome_name(enum probe_submit_outcome o);

/* Stage names, in order: "connect", "greeting" (220 and EHLO/HELO), "tls"
 * (STARTTLS, the handshake and the EHLO after it; the handshake for
 * implicit TLS), "auth", "mail", "rcpt", "data" (DATA, the message and the
 * final reply), "quit". */
#define PROBE_STAGE_MAX 16

struct mc_probe_result {
	enum probe_submit_outcome outcome;
	char stage[PROBE_STAGE_MAX];      /* where the verdict came from */
	enum mc_component component;      /* NONE when queued; relay, tls,
					   * auth or greylisting otherwise */
	struct probe_reply reply;         /* the reply that decided it, code
					   * 0 when there was none */
	char queue_id[PROBE_QUEUE_ID_MAX]; /* from the final 250, or "" */
	double sent_at;                   /* wall clock at the start */
	struct {                          /* seconds since sent_at; -1 if
					   * not reached */
		double connected;         /* TCP connected to the relay */
		double greeting;          /* 220 greeting read */
		double tls;               /* TLS handshake done */
		double auth;              /* 235 read */
		double envelope;          /* RCPT accepted */
		double data;              /* 354 read */
		double queued;            /* final 2xx read */
	} t;
	char tls_version[16];             /* "TLSv1.3", or "" */
	char tls_cipher[64];              /* OpenSSL's name, or "" */
	char peer[128];                   /* "192.0.2.1:587", "[::1]:25" */
};

/* Submits msg (as probe_message_new() makes it) for route->to from
 * route->from through route->relay, asking for DSNs (RET=HDRS, ENVID=id,
 * NOTIFY=FAILURE,DELAY) when the relay offers them; always with DATA,
 * never BDAT. relay->tls STARTTLS requires STARTTLS (if it is not
 * offered, or fails, nothing but EHLO and QUIT was sent in clear),
 * IMPLICIT speaks TLS from the first byte, NONE is cleartext.
 * Certificates are verified against the system store or relay->ca_file
 * and relay->host (a name, sent as SNI, or an IP SAN) unless
 * relay->tls_verify is 0. With relay->user set, MAIL FROM is sent only
 * after a successful AUTH. Each stage may take relay->timeout (connect
 * included; name resolution is the system resolver's), the whole at most
 * eight times that.
 * Fills res in every case. Returns 0 when the relay queued the message;
 * otherwise -1 with err filled: component as in res (relay, tls, auth,
 * greylisting; internal for bad arguments or no resources), the stage and
 * the relay's host:port named; the password never appears. Blocks the
 * calling thread for the whole submission (it runs one helper thread of
 * its own); safe to call from several threads at once. Borrows everything
 * until it returns. */
int probe_submit(const struct mc_route *route, const char *msg,
		 const char *id, struct mc_probe_result *res,
		 struct mc_err *err);

#endif
