/* The report as a mail (report --mail-to): the subject line, and the
 * RFC 5322 / MIME message -- multipart/mixed with the text report as a
 * text/plain UTF-8 body and the HTML report as a text/html attachment --
 * built with GMime, which we already use for bounces. Pure: no network,
 * no clock, no store; the caller submits the result (probe_submit()). */
#ifndef MC_REPORT_MAIL_H
#define MC_REPORT_MAIL_H

#include <stddef.h>

#include "mc_err.h"
#include "report/report.h"

/* RFC 5322 §2.1.1 line limit, and a bound on the parts we accept. */
#define REPORT_MAIL_LINE_MAX 998
#define REPORT_MAIL_BODY_MAX (32u * 1024 * 1024)

struct report_mail {
	const char *from;          /* addresses: local@domain */
	const char *to;
	const char *subject;       /* UTF-8; RFC 2047-encoded as needed */
	double date;               /* Date: (seconds since the epoch) */
	const char *message_id;    /* "local@domain", no angle brackets */
	const char *text;          /* the text body, UTF-8 */
	size_t text_len;
	const char *html;          /* the attachment */
	size_t html_len;
	const char *filename;      /* the attachment's name */
};

/* "mailcanary weekly report 2026-11-25 – 2026-12-02: 98.6% delivered"
 * (UTF-8, an en dash). period is "daily", "weekly", "monthly" or NULL
 * (a --since/--until report: no word). The dates are those of r->since
 * and r->until in UTC; the percentage is of the period's final probes
 * that are in state delivered (the figure of the report's STATES table),
 * "no probes" when there were none. Returns a new string the caller
 * frees, or NULL when out of memory. */
char *report_mail_subject(const struct report *r, const char *period);

/* "mailcanary-report-YYYY-MM-DD.html" for the UTC date of t. buf holds
 * at least 40 bytes; returns buf. */
char *report_mail_filename(double t, char *buf, size_t size);

/* Builds the message: From, To, Subject, Date (UTC, RFC 5322), Message-ID,
 * MIME-Version, Auto-Submitted: auto-generated (RFC 3834: so that nobody
 * auto-replies to it), X-Mailcanary-Report: 1; multipart/mixed of
 * text/plain; charset=utf-8 (quoted-printable) and text/html;
 * charset=utf-8 (base64, Content-Disposition: attachment; filename=...).
 * Lines end in CRLF. Refuses (component config) an address, Message-ID or
 * file name that is empty, holds control characters, spaces, '<' or '>',
 * and parts over REPORT_MAIL_BODY_MAX. Returns a new NUL-terminated string
 * the caller frees with free(), or NULL with err filled. Borrows m. */
char *report_mail_message(const struct report_mail *m, struct mc_err *err);

#endif
