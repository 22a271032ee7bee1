/* Non-standard bounces: the human-readable layouts MTAs used before (and
 * instead of) RFC 3464, read from their text. Each layout is recognised by
 * wording its MTA always writes, then its recipient blocks are read; the
 * codes and reasons inside go through the same classifier as DSNs.
 * Layouts: Exim (classic), qmail and the qmail-derived Yahoo bounces,
 * Lotus/HCL Domino, Exchange 2003-2007 text NDRs, and Amazon SES bounce and
 * complaint notifications (JSON, as SNS mails them; parsed with jansson). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "receiver/dsn_internal.h"

/* The markers sit in the first lines; no need to search a returned copy. */
#define DSN_PREAMBLE (16u * 1024)

static size_t indent_of(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i;
}

static bool blank(const char *line, size_t len)
{
	return indent_of(line, len) == len;
}

/* Position just after the line containing marker (searched in the
 * preamble), or 0 if it is absent. */
static size_t after_line_with(const char *p, size_t n, const char *marker)
{
	size_t lim = n < DSN_PREAMBLE ? n : DSN_PREAMBLE;
	const char *m = dsn_memcase(p, lim, marker), *nl;

	if (!m)
		return 0;
	nl = memchr(m, '\n', n - (size_t)(m - p));
	return nl ? (size_t)(nl + 1 - p) : n;
}

/* Appends a recipient read from a layout: address text, diagnostic span,
 * remote MTA span (may be empty). Returns 0 or -1 on memory. */
static int ndr_add(struct mc_dsn *d, const char *addr, size_t an,
		   const char *diag, size_t dn, const char *mta, size_t mn,
		   enum mc_dsn_action action, int cls)
{
	struct mc_dsn_rcpt *r;
	bool oom = false;
	int k = dsn_rcpt_add(d, &r);

	if (k)
		return k < 0 ? -1 : 0;
	r->recipient = dsn_address(addr, an, &oom);
	if (oom)
		return -1;
	dsn_trim(&diag, &dn);
	if (dn) {
		if (!(r->diagnostic = dsn_clean(diag, dn, DSN_MAX_FIELD)))
			return -1;
		dsn_collapse_reply(r->diagnostic);
	}
	dsn_trim(&mta, &mn);
	if (mn && !(r->remote_mta = dsn_clean(mta, mn, DSN_MAX_FIELD)))
		return -1;
	r->action = action;
	dsn_rcpt_finish(r, cls);
	return 0;
}

/* ---- Exim: "This message was created automatically by mail delivery
 * software." Recipients indented two spaces, details four or more:
 *
 *   user@example.test
 *     host mx.example.test [192.0.2.25]
 *     SMTP error from remote mail server after RCPT TO:<user@example.test>:
 *     550 5.1.1 <user@example.test>: Recipient address rejected: ...
 */
static int exim_block(struct mc_dsn *d, const char *addr, size_t an,
		      const char *det, size_t dn, enum mc_dsn_action action,
		      int cls)
{
	const char *mta = "", *diag = det, *line;
	size_t mn = 0, pos = 0, len, diag_n = dn;
	bool have_code = false;

	while (dsn_next_line(det, dn, &pos, &line, &len)) {
		size_t ind = indent_of(line, len);
		const char *t = line + ind;
		size_t tn = len - ind;

		if (dsn_startcase(t, tn, "host ") && !mn) {
			const char *sp, *err;

			mta = t + 5;
			mn = tn - 5;
			sp = memchr(mta, ' ', mn);
			if (sp)
				mn = (size_t)(sp - mta);
			/* the diagnostic follows the host line, or ends it:
			 * "host mx.example.test [192.0.2.9]: Connection timed out" */
			err = dsn_memcase(t, tn, "]: ");
			if (err) {
				diag = err + 3;
				diag_n = dn - (size_t)(diag - det);
			} else {
				diag = det + pos;
				diag_n = dn - pos;
			}
		} else if (!have_code && dsn_reply_at(t, tn)) {
			/* from the reply on: drop Exim's "SMTP error from
			 * remote mail server after RCPT TO:" lead-in */
			have_code = true;
			diag = t;
			diag_n = dn - (size_t)(t - det);
		}
	}
	return ndr_add(d, addr, an, diag, diag_n, mta, mn, action, cls);
}

static int parse_exim(struct mc_dsn *d, const char *p, size_t n)
{
	static const char *const lists[] = {
		"address(es) failed:", "addresses failed:", "address failed:",
		"not yet been delivered is:", "not yet been delivered are:",
	};
	size_t pos = 0, len, start = 0, addr_n = 0, det_start = 0;
	const char *line, *addr = NULL;
	enum mc_dsn_action action = DSN_ACTION_FAILED;
	int cls = 5;

	if (!after_line_with(p, n, "created automatically by mail delivery software"))
		return 0;
	if (dsn_memcase(p, n < DSN_PREAMBLE ? n : DSN_PREAMBLE,
			"has not yet been delivered")) {
		action = DSN_ACTION_DELAYED;
		cls = 4;
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && !start; i++)
		start = after_line_with(p, n, lists[i]);
	if (!start)
		return 1;   /* Exim's wording, but no list we can read */
	pos = start;
	while (dsn_next_line(p, n, &pos, &line, &len)) {
		size_t ind = indent_of(line, len);
		size_t here = (size_t)(line - p);

		if (blank(line, len))
			continue;
		if (ind >= 4 && addr)
			continue;      /* detail of the current recipient */
		if (addr && exim_block(d, addr, addr_n, p + det_start,
				       here - det_start, action, cls) < 0)
			return -1;
		addr = NULL;
		if (ind == 0)
			break;         /* "------ This is a copy ..." or prose */
		addr = line + ind;
		addr_n = len - ind;
		det_start = pos;
	}
	if (addr && exim_block(d, addr, addr_n, p + det_start,
			       (pos < n ? pos : n) - det_start, action, cls) < 0)
		return -1;
	return 1;
}

/* ---- qmail ("Hi. This is the qmail-send program at ...") and Yahoo
 * ("Sorry, we were unable to deliver your message to the following
 * address."): a "<address>:" line, then the reason until a blank line. */
static int qmail_block(struct mc_dsn *d, const char *addr, size_t an,
		       const char *det, size_t dn)
{
	const char *said = dsn_memcase(det, dn, "Remote host said:");
	const char *gu = dsn_memcase(det, dn, "Giving up on ");
	const char *diag = det, *mta = "", *line;
	size_t diag_n = dn, mn = 0, pos = 0, len;

	if (said) {
		const char *nl;

		diag = said + 17;
		nl = memchr(diag, '\n', dn - (size_t)(diag - det));
		diag_n = nl ? (size_t)(nl - diag) : dn - (size_t)(diag - det);
	}
	if (gu) {
		const char *nl;

		mta = gu + 13;
		nl = memchr(mta, '\n', dn - (size_t)(mta - det));
		mn = nl ? (size_t)(nl - mta) : dn - (size_t)(mta - det);
		dsn_trim(&mta, &mn);
		if (mn && mta[mn - 1] == '.')
			mn--;
	} else if (dsn_next_line(det, dn, &pos, &line, &len)) {
		/* "192.0.2.25 does not like recipient." */
		const char *like = dsn_memcase(line, len, " does not like ");

		if (like) {
			mta = line;
			mn = (size_t)(like - line);
		}
	}
	return ndr_add(d, addr, an, diag, diag_n, mta, mn, DSN_ACTION_FAILED, 5);
}

static int parse_qmail(struct mc_dsn *d, const char *p, size_t n)
{
	size_t pos, len, det_start = 0, addr_n = 0;
	const char *line, *addr = NULL;

	pos = after_line_with(p, n, "This is the qmail-send program");
	if (!pos)
		pos = after_line_with(p, n, "unable to deliver your message to the following address");
	if (!pos)
		return 0;
	while (dsn_next_line(p, n, &pos, &line, &len)) {
		size_t here = (size_t)(line - p);
		bool end = dsn_startcase(line, len, "--- ");
		bool start = len > 3 && line[0] == '<' && line[len - 1] == ':' &&
			     line[len - 2] == '>';

		if (addr && (end || start || blank(line, len))) {
			if (qmail_block(d, addr, addr_n, p + det_start,
					here - det_start) < 0)
				return -1;
			addr = NULL;
		}
		if (end)
			break;
		if (start) {
			addr = line;
			addr_n = len - 1;
			det_start = pos;
		}
	}
	if (addr && qmail_block(d, addr, addr_n, p + det_start,
				(pos < n ? pos : n) - det_start) < 0)
		return -1;
	return 1;
}

/* ---- Lotus/HCL Domino: "Your message ... was not delivered to: ADDRESS
 * because: REASON", one reason for every address listed. */
static int parse_domino(struct mc_dsn *d, const char *p, size_t n)
{
	size_t to = after_line_with(p, n, "was not delivered to:");
	size_t because, pos, len, rstart, rend;
	const char *line;

	if (!to)
		return 0;
	because = after_line_with(p, n, "because:");
	if (!because || because < to)
		return 0;
	/* the reason: from "because:" to the first blank line after text */
	pos = rstart = rend = because;
	while (dsn_next_line(p, n, &pos, &line, &len)) {
		if (blank(line, len)) {
			if (rend > rstart)
				break;
			rstart = rend = pos;
			continue;
		}
		rend = (size_t)(line - p) + len;
	}
	pos = to;
	while (dsn_next_line(p, n, &pos, &line, &len) && pos <= because) {
		const char *t = line;
		size_t tn = len;

		dsn_trim(&t, &tn);
		if (!tn || dsn_memcase(t, tn, "because:") || !memchr(t, '@', tn))
			continue;
		if (ndr_add(d, t, tn, p + rstart, rend - rstart, "", 0,
			    DSN_ACTION_FAILED, 5) < 0)
			return -1;
	}
	return 1;
}

/* ---- Exchange 2003/2007 text NDR: "Your message did not reach some or
 * all of the intended recipients." Recipient lines "ADDRESS on DATE",
 * details indented deeper, ending in "<host.example #5.1.1>". */
static int exchange_block(struct mc_dsn *d, const char *addr, size_t an,
			  const char *det, size_t dn)
{
	const char *lt = NULL, *mta = "", *sp;
	size_t mn = 0;

	sp = memchr(addr, ' ', an);
	if (sp)
		an = (size_t)(sp - addr);    /* drop " on 3/4/2025 10:15 AM" */
	for (size_t i = dn; i-- > 0;)
		if (det[i] == '<') {
			lt = det + i;
			break;
		}
	if (lt) {
		const char *hash = memchr(lt, '#', dn - (size_t)(lt - det));
		const char *s = memchr(lt, ' ', dn - (size_t)(lt - det));

		if (hash && s && s < hash) {
			mta = lt + 1;
			mn = (size_t)(s - mta);
		}
	}
	return ndr_add(d, addr, an, det, dn, mta, mn, DSN_ACTION_FAILED, 5);
}

static int parse_exchange(struct mc_dsn *d, const char *p, size_t n)
{
	size_t pos, len, det_start = 0, addr_n = 0, rind = 0;
	const char *line, *addr = NULL;

	if (!after_line_with(p, n, "did not reach some or all of the intended recipients"))
		return 0;
	pos = after_line_with(p, n, "recipient(s) cannot be reached:");
	if (!pos)
		pos = after_line_with(p, n, "recipient(s) could not be reached:");
	if (!pos)
		return 1;
	while (dsn_next_line(p, n, &pos, &line, &len)) {
		size_t ind = indent_of(line, len);
		size_t here = (size_t)(line - p);

		if (blank(line, len))
			continue;
		if (addr && ind > rind)
			continue;
		if (addr && exchange_block(d, addr, addr_n, p + det_start,
					   here - det_start) < 0)
			return -1;
		addr = NULL;
		if (ind == 0 || !memchr(line, '@', len))
			break;
		rind = ind;
		addr = line + ind;
		addr_n = len - ind;
		det_start = pos;
	}
	if (addr && exchange_block(d, addr, addr_n, p + det_start,
				   (pos < n ? pos : n) - det_start) < 0)
		return -1;
	return 1;
}

int dsn_formats_parse(struct mc_dsn *d, const char *text, size_t n,
		      const char *subject, const char *from)
{
	static int (*const layouts[])(struct mc_dsn *, const char *, size_t) = {
		parse_exim, parse_qmail, parse_domino, parse_exchange,
	};

	(void)subject;
	(void)from;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		int k = layouts[i](d, text, n);

		if (k)
			return k;
	}
	return 0;
}

bool dsn_looks_like_bounce(const char *subject, const char *from)
{
	static const char *const subjects[] = {
		"undeliver", "undelivered mail", "delivery status notification",
		"returned mail", "delivery failure", "delivery failed",
		"mail delivery failed", "failure notice", "non-delivery",
		"nondeliverable", "could not be delivered", "delivery has failed",
		"returned to sender", "delayed mail", "delivery delayed",
	};

	/* not postmaster@: people write from it too */
	if (from && dsn_startcase(from, strlen(from), "mailer-daemon@"))
		return true;
	for (size_t i = 0; subject && i < sizeof(subjects) / sizeof(subjects[0]); i++)
		if (dsn_memcase(subject, strlen(subject), subjects[i]))
			return true;
	return false;
}

/* ---- Amazon SES notifications. The mail body is the notification JSON
 * (possibly inside an SNS envelope's "Message" string), followed by SNS's
 * footer; JSON_DISABLE_EOF_CHECK lets jansson stop after the object. */
static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void ses_probe(struct mc_dsn *d, json_t *mail)
{
	json_t *headers = json_object_get(mail, "headers"), *h;
	const char *v;
	size_t i;

	json_array_foreach(headers, i, h) {
		const char *name = jstr(h, "name");

		v = jstr(h, "value");
		if (name && v && strcasecmp(name, "X-Mailcanary-Probe") == 0)
			dsn_probe_from_value(d, v, strlen(v), false);
	}
	json_array_foreach(headers, i, h) {
		const char *name = jstr(h, "name");

		v = jstr(h, "value");
		if (name && v && strcasecmp(name, "Message-ID") == 0)
			dsn_probe_from_value(d, v, strlen(v), true);
	}
	v = jstr(json_object_get(mail, "commonHeaders"), "messageId");
	if (v)
		dsn_probe_from_value(d, v, strlen(v), true);
}

/* SES bounce subtypes that name the reason better than any code. */
static enum mc_dsn_reason ses_subtype(const char *sub)
{
	static const struct {
		const char *name;
		enum mc_dsn_reason reason;
	} map[] = {
		{"NoEmail", DSN_REASON_USER_UNKNOWN},
		{"MailboxFull", DSN_REASON_MAILBOX_FULL},
		{"MessageTooLarge", DSN_REASON_MESG_TOO_BIG},
		{"ContentRejected", DSN_REASON_CONTENT_ERROR},
		{"AttachmentRejected", DSN_REASON_CONTENT_ERROR},
		/* SES did not send at all: the address is on a suppression
		 * list from an earlier failure whose reason is not given */
		{"Suppressed", DSN_REASON_ON_HOLD},
		{"OnAccountSuppressionList", DSN_REASON_ON_HOLD},
	};

	for (size_t i = 0; sub && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(sub, map[i].name) == 0)
			return map[i].reason;
	return DSN_REASON_UNDEFINED;
}

static int ses_recipients(struct mc_dsn *d, json_t *list, const char *diag_key,
			  const char *fallback_diag, const char *mta, int cls,
			  enum mc_dsn_reason fixed)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *addr = jstr(e, "emailAddress");
		const char *diag = jstr(e, diag_key);
		const char *action = jstr(e, "action");
		const char *status = jstr(e, "status");
		struct mc_dsn_rcpt *r;
		size_t before = d->nrcpt;
		enum mc_dsn_action act = DSN_ACTION_NONE;

		if (!diag)
			diag = fallback_diag;
		if (diag && strchr(diag, ';') && strchr(diag, ';') - diag < 16)
			diag = strchr(diag, ';') + 1;   /* "smtp; 550 ..." */
		if (action && strcasecmp(action, "failed") == 0)
			act = DSN_ACTION_FAILED;
		else if (action && strcasecmp(action, "delayed") == 0)
			act = DSN_ACTION_DELAYED;
		else if (fixed != DSN_REASON_FEEDBACK)
			act = cls == 4 ? DSN_ACTION_DELAYED : DSN_ACTION_FAILED;
		if (ndr_add(d, addr ? addr : "", addr ? strlen(addr) : 0,
			    diag ? diag : "", diag ? strlen(diag) : 0,
			    mta ? mta : "", mta ? strlen(mta) : 0, act, cls) < 0)
			return -1;
		if (d->nrcpt == before)
			break;    /* DSN_MAX_RCPT */
		r = &d->rcpt[d->nrcpt - 1];
		if (status && !r->status[0])
			dsn_status_at(status, strlen(status), r->status);
		if (fixed == DSN_REASON_FEEDBACK) {
			r->action = DSN_ACTION_NONE;
			r->reason = fixed;
			r->hard = false;
		} else {
			if (status)
				dsn_classify(r, cls);
			if (fixed != DSN_REASON_UNDEFINED) {
				r->reason = fixed;
				r->hard = cls == 5 && !dsn_reason_is_soft(fixed);
			}
		}
	}
	return 0;
}

int dsn_ses_parse(struct mc_dsn *d, const char *text, size_t n)
{
	json_t *root = NULL, *inner = NULL, *note, *b;
	const char *type, *p = text;
	json_error_t jerr;
	int kind = DSN_KIND_UNKNOWN, cls = 0;

	dsn_trim(&p, &n);
	if (n < 2 || p[0] != '{')
		return DSN_KIND_UNKNOWN;
	root = json_loadb(p, n, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!json_is_object(root))
		goto out;
	note = root;
	if (jstr(root, "Message")) {          /* an SNS envelope */
		const char *m = jstr(root, "Message");

		inner = json_loads(m, 0, &jerr);
		if (!json_is_object(inner))
			goto out;
		note = inner;
	}
	type = jstr(note, "notificationType");
	if (!type)
		type = jstr(note, "eventType");
	if (!type || !json_is_object(json_object_get(note, "mail")))
		goto out;
	if (strcmp(type, "Bounce") == 0 &&
	    json_is_object(b = json_object_get(note, "bounce"))) {
		const char *bt = jstr(b, "bounceType");

		if (bt && strcmp(bt, "Permanent") == 0)
			cls = 5;
		else if (bt && strcmp(bt, "Transient") == 0)
			cls = 4;
		kind = DSN_KIND_NDR;
		if (ses_recipients(d, json_object_get(b, "bouncedRecipients"),
				   "diagnosticCode", NULL, jstr(b, "remoteMtaIp"),
				   cls, ses_subtype(jstr(b, "bounceSubType"))) < 0)
			kind = -1;
	} else if (strcmp(type, "Complaint") == 0 &&
		   json_is_object(b = json_object_get(note, "complaint"))) {
		kind = DSN_KIND_ARF;
		if (ses_recipients(d, json_object_get(b, "complainedRecipients"),
				   "complaintFeedbackType",
				   jstr(b, "complaintFeedbackType"), NULL, 0,
				   DSN_REASON_FEEDBACK) < 0)
			kind = -1;
	}
	if (kind > 0)
		ses_probe(d, json_object_get(note, "mail"));
out:
	json_decref(inner);
	json_decref(root);
	return kind;
}
