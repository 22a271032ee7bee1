/* The machine-readable report parts: RFC 3464 §2 message/delivery-status,
 * RFC 6533 §6.2 message/global-delivery-status and RFC 5965 §3.1
 * message/feedback-report. Their bodies are header-like fields in groups
 * separated by blank lines; GMime has no parser for them (it parses
 * message headers only), so this file reads the groups itself. */
#include <stdlib.h>
#include <string.h>

#include "receiver/dsn_internal.h"

/* One field: name and raw value span (continuation lines included, still
 * folded: dsn_clean() unfolds). */
struct field {
	const char *name;
	size_t nn;
	const char *val;
	size_t vn;
};

enum field_step { FIELD_END, FIELD_BLANK, FIELD_OK };

static bool is_blank(const char *p, size_t n)
{
	dsn_trim(&p, &n);
	return n == 0;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Next field or group break. Lines that are neither (no colon, a bad
 * name, a continuation with nothing to continue) are skipped: real
 * reports carry such noise and it must not end the parse. */
static enum field_step next_field(const char *p, size_t n, size_t *pos,
				  struct field *f)
{
	const char *line, *colon;
	size_t len;

	while (dsn_next_line(p, n, pos, &line, &len)) {
		size_t nn, peek;
		const char *next;
		size_t nlen;

		if (is_blank(line, len))
			return FIELD_BLANK;
		if (is_wsp(line[0]))
			continue;
		colon = memchr(line, ':', len);
		if (!colon)
			continue;
		nn = (size_t)(colon - line);
		while (nn > 0 && is_wsp(line[nn - 1]))
			nn--;
		if (nn == 0 || memchr(line, ' ', nn) || memchr(line, '\t', nn))
			continue;
		f->name = line;
		f->nn = nn;
		f->val = colon + 1;
		f->vn = len - (size_t)(colon + 1 - line);
		/* RFC 5322 §2.2.3 folding: continuation lines start with WSP */
		peek = *pos;
		while (dsn_next_line(p, n, &peek, &next, &nlen) && nlen > 0 &&
		       is_wsp(next[0]) && !is_blank(next, nlen)) {
			f->vn = (size_t)(next + nlen - f->val);
			*pos = peek;
		}
		return FIELD_OK;
	}
	return FIELD_END;
}

static bool name_is(const struct field *f, const char *name)
{
	return strlen(name) == f->nn && dsn_startcase(f->name, f->nn, name);
}

/* "dns; mx.example.test" -> "mx.example.test": the type before ';' is
 * dropped when it is a plain token (RFC 3464 §2.1.2 mta-name-type). */
static void strip_type(const char **p, size_t *n)
{
	const char *semi = memchr(*p, ';', *n);

	if (!semi || semi - *p > 32)
		return;
	for (const char *c = *p; c < semi; c++)
		if (!(*c == '-' || *c == '.' || *c == ' ' ||
		      (*c >= '0' && *c <= '9') || ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z')))
			return;
	*n -= (size_t)(semi + 1 - *p);
	*p = semi + 1;
}

static char *field_text(const char *p, size_t n, bool typed)
{
	if (typed)
		strip_type(&p, &n);
	return dsn_clean(p, n, DSN_MAX_FIELD);
}

/* RFC 3464 §2.3.5: "dns; mx.example.test" names one host; what senders
 * add after it ("(2001:db8::1b, the server for ...)", "[192.0.2.25]") is
 * comment, and a trailing root dot is dropped. */
static char *mta_name(const char *p, size_t n)
{
	size_t k = 0;

	strip_type(&p, &n);
	dsn_trim(&p, &n);
	while (k < n && p[k] != ' ' && p[k] != '\t' && p[k] != '(' &&
	       p[k] != '\r' && p[k] != '\n')
		k++;
	if (k > 1 && p[k - 1] == '.')
		k--;
	return dsn_clean(p, k, DSN_MAX_FIELD);
}

/* RFC 3464 §2.3.3 action-field */
static enum mc_dsn_action parse_action(const char *p, size_t n)
{
	static const struct {
		const char *name;
		enum mc_dsn_action a;
	} actions[] = {
		{"failed", DSN_ACTION_FAILED},
		{"delayed", DSN_ACTION_DELAYED},
		{"delivered", DSN_ACTION_DELIVERED},
		{"relayed", DSN_ACTION_RELAYED},
		{"expanded", DSN_ACTION_EXPANDED},
	};

	dsn_trim(&p, &n);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		size_t m = strlen(actions[i].name);

		if (dsn_startcase(p, n, actions[i].name) &&
		    (n == m || !((p[m] | 0x20) >= 'a' && (p[m] | 0x20) <= 'z')))
			return actions[i].a;
	}
	return DSN_ACTION_NONE;
}

enum rfield {
	RF_FINAL = 1 << 0,
	RF_ORIGINAL = 1 << 1,
	RF_ACTION = 1 << 2,
	RF_STATUS = 1 << 3,
	RF_REMOTE = 1 << 4,
	RF_DIAG = 1 << 5,
	RF_LAST = 1 << 6,
	RF_RETRY = 1 << 7,
};

static const struct {
	const char *name;
	enum rfield f;
} rcpt_fields[] = {
	{"Final-Recipient", RF_FINAL},
	{"Original-Recipient", RF_ORIGINAL},
	{"Action", RF_ACTION},
	{"Status", RF_STATUS},
	{"Remote-MTA", RF_REMOTE},
	{"Diagnostic-Code", RF_DIAG},
	{"Last-Attempt-Date", RF_LAST},
	{"Will-Retry-Until", RF_RETRY},
};

struct rstate {
	struct mc_dsn *d;
	size_t first;               /* index of the first recipient we added */
	struct mc_dsn_rcpt *cur;
	unsigned seen;              /* RF_* bits set in cur */
	bool closed;                /* a blank line since cur's last field */
	bool full;                  /* DSN_MAX_RCPT reached */
};

static bool rcpt_empty(const struct mc_dsn_rcpt *r)
{
	return !r->recipient && !r->original_recipient &&
	       r->action == DSN_ACTION_NONE && !r->status[0];
}

static void close_cur(struct rstate *st)
{
	if (st->cur && rcpt_empty(st->cur))
		dsn_rcpt_drop_last(st->d);
	st->cur = NULL;
	st->seen = 0;
	st->closed = false;
}

/* Sets one per-recipient field; returns -1 on memory. */
static int set_rcpt_field(struct rstate *st, enum rfield f, const char *v,
			  size_t vn)
{
	struct mc_dsn_rcpt *r;
	bool oom = false;
	char **slot = NULL;
	char *s = NULL;

	/* A new recipient starts after a blank line or when a field repeats
	 * (senders that forget the blank line between groups). */
	if (!st->cur || st->closed || (st->seen & f)) {
		int rc;

		close_cur(st);
		if (st->full)
			return 0;
		rc = dsn_rcpt_add(st->d, &st->cur);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			st->full = true;
			return 0;
		}
	}
	r = st->cur;
	st->seen |= f;
	switch (f) {
	case RF_FINAL:
	case RF_ORIGINAL:
		s = dsn_address(v, vn, &oom);
		slot = f == RF_FINAL ? &r->recipient : &r->original_recipient;
		break;
	case RF_ACTION:
		r->action = parse_action(v, vn);
		return 0;
	case RF_STATUS:
		dsn_trim(&v, &vn);
		dsn_status_at(v, vn, r->status);
		return 0;
	case RF_REMOTE:
		s = mta_name(v, vn);
		oom = !s;
		slot = &r->remote_mta;
		break;
	case RF_DIAG:
		s = field_text(v, vn, true);
		oom = !s;
		if (s)
			dsn_collapse_reply(s);
		slot = &r->diagnostic;
		break;
	case RF_LAST:
		dsn_date(v, vn, r->last_attempt_date);
		return 0;
	case RF_RETRY:
		dsn_date(v, vn, r->will_retry_until);
		return 0;
	}
	if (oom)
		return -1;
	if (s && !s[0]) {
		free(s);
		s = NULL;
	}
	free(*slot);
	*slot = s;
	return 0;
}

/* Per-message fields that can name the probe: Gmail's X-Original-Message-ID
 * and RFC 3464 §2.2.1 Original-Envelope-Id (the ENVID the probe may set). */
static void message_field(struct mc_dsn *d, const struct field *f)
{
	if (name_is(f, "X-Original-Message-ID"))
		dsn_probe_from_value(d, f->val, f->vn, true);
	else if (name_is(f, "Original-Envelope-Id"))
		dsn_probe_from_value(d, f->val, f->vn, false);
}

int dsn_fields_parse(struct mc_dsn *d, const char *p, size_t n, bool global)
{
	struct rstate st = {.d = d, .first = d->nrcpt};
	struct field f;
	enum field_step step;
	size_t pos = 0;

	(void)global;   /* RFC 6533 fields differ only in their address
			 * type (utf-8), which dsn_address() reads anyway */
	while ((step = next_field(p, n, &pos, &f)) != FIELD_END) {
		enum rfield rf = 0;

		if (step == FIELD_BLANK) {
			st.closed = st.cur != NULL;
			continue;
		}
		for (size_t i = 0; i < sizeof(rcpt_fields) / sizeof(rcpt_fields[0]); i++)
			if (name_is(&f, rcpt_fields[i].name))
				rf = rcpt_fields[i].f;
		if (!rf) {
			message_field(d, &f);
			continue;
		}
		if (set_rcpt_field(&st, rf, f.val, f.vn) < 0)
			return -1;
	}
	close_cur(&st);
	for (size_t i = st.first; i < d->nrcpt; i++) {
		struct mc_dsn_rcpt *r = &d->rcpt[i];

		/* RFC 3464 §2.3.2 makes Final-Recipient required; when a
		 * sender omits it, the original address is the best name */
		if (!r->recipient && r->original_recipient &&
		    !(r->recipient = strdup(r->original_recipient)))
			return -1;
		dsn_rcpt_finish(r, 0);
	}
	return (int)(d->nrcpt - st.first);
}

int dsn_arf_parse(struct mc_dsn *d, const char *p, size_t n, const char *to)
{
	struct mc_dsn_rcpt *r;
	struct field f;
	enum field_step step;
	size_t pos = 0, first = d->nrcpt;
	char *type = NULL, *mta = NULL;
	bool oom = false;
	int rc = -1, k;

	/* RFC 5965 §3.1: one Original-Rcpt-To per complaining recipient */
	while ((step = next_field(p, n, &pos, &f)) != FIELD_END) {
		if (step != FIELD_OK)
			continue;
		if (name_is(&f, "Feedback-Type") && !type) {
			if (!(type = field_text(f.val, f.vn, false)))
				goto out;
		} else if (name_is(&f, "Reporting-MTA") && !mta) {
			if (!(mta = mta_name(f.val, f.vn)))
				goto out;
		} else if (name_is(&f, "Original-Rcpt-To")) {
			if ((k = dsn_rcpt_add(d, &r)) < 0)
				goto out;
			if (k > 0)
				continue;
			r->recipient = dsn_address(f.val, f.vn, &oom);
			if (oom)
				goto out;
		}
	}
	if (d->nrcpt == first) {
		if ((k = dsn_rcpt_add(d, &r)) < 0)
			goto out;
		if (k == 0 && to && !(r->recipient = dsn_address(to, strlen(to), &oom)) &&
		    oom)
			goto out;
	}
	for (size_t i = first; i < d->nrcpt; i++) {
		r = &d->rcpt[i];
		if (type && type[0] && !(r->diagnostic = strdup(type)))
			goto out;
		if (mta && mta[0] && !(r->remote_mta = strdup(mta)))
			goto out;
		r->reason = DSN_REASON_FEEDBACK;
		r->hard = false;
	}
	rc = 0;
out:
	free(type);
	free(mta);
	return rc;
}
