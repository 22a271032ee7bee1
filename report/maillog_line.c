/* One maillog line in, its fields out: timestamp (maillog_time.c), host,
 * program, queue id, and the Postfix or Sendmail fields that the analysis
 * uses. Only pointers into the line are produced; nothing is allocated,
 * nothing is read beyond n bytes. */
#include <string.h>

#include "report/maillog_int.h"

#define QID_MIN 5
#define QID_MAX 24

const char *maillog_status_name(enum maillog_status st)
{
	static const char *const names[ML_ST_COUNT] = {
		NULL, "sent", "deferred", "bounced", "expired", "rejected",
		"forwarded", "other",
	};

	return (unsigned)st < ML_ST_COUNT ? names[st] : NULL;
}

const char *maillog_reason_name(enum maillog_reason re)
{
	static const char *const names[ML_RE_COUNT] = {
		NULL, "greylisted", "too_many_conn", "user_unknown",
		"mailbox_full", "delayed",
	};

	return (unsigned)re < ML_RE_COUNT ? names[re] : NULL;
}

int maillog_probe_id(const char *p, size_t n, char id[27])
{
	if (n >= 2 && p[0] == '<' && p[n - 1] == '>') {
		p++;
		n -= 2;
	}
	if (n < 28 || p[26] != '@')
		return 0;
	for (size_t i = 0; i < 26; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')))
			return 0;
	}
	memcpy(id, p, 26);
	id[26] = '\0';
	return 1;
}

static int has_prefix(const char *p, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && memcmp(p, pre, k) == 0;
}

static int str_eq(struct ml_str s, const char *lit)
{
	size_t k = strlen(lit);

	return s.n == k && memcmp(s.p, lit, k) == 0;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive search of an ASCII lower-case needle. */
static int ci_has(struct ml_str s, const char *needle)
{
	size_t k = strlen(needle);

	if (k == 0 || s.n < k)
		return k == 0;
	for (size_t i = 0; i + k <= s.n; i++) {
		size_t j = 0;

		while (j < k && lower((unsigned char)s.p[i + j]) == needle[j])
			j++;
		if (j == k)
			return 1;
	}
	return 0;
}

static int qid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

/* "QID: " at p; returns its length without ": " or 0. */
static size_t take_qid(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && i <= QID_MAX && qid_char(p[i]))
		i++;
	if (i < QID_MIN || i > QID_MAX || i + 2 > n || p[i] != ':' ||
	    p[i + 1] != ' ')
		return 0;
	return i;
}

/* The value of "key=" in a ", "-separated field list: up to the next
 * ", word=" (a value may contain ", " inside <...>). */
static struct ml_str field_value(const char *p, size_t n)
{
	struct ml_str v = {p, n};
	size_t i = 0;
	int angle = 0;

	for (; i < n; i++) {
		if (p[i] == '<')
			angle = 1;
		else if (p[i] == '>')
			angle = 0;
		else if (!angle && p[i] == ',' && i + 1 < n && p[i + 1] == ' ') {
			size_t j = i + 2;

			while (j < n && ((p[j] >= 'a' && p[j] <= 'z') ||
					 (p[j] >= '0' && p[j] <= '9') ||
					 p[j] == '_' || p[j] == '-'))
				j++;
			if (j > i + 2 && j < n && p[j] == '=')
				break;
		}
	}
	v.n = i;
	return v;
}

static struct ml_str unangle(struct ml_str s)
{
	/* a list "<a>,<b>" (Sendmail) stays as written */
	if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>' &&
	    !memchr(s.p + 1, '>', s.n - 2)) {
		s.p++;
		s.n -= 2;
	}
	return s;
}

/* Enhanced status code "X.Y.Z" at the start of s (after an optional
 * 3-digit reply code). */
static struct ml_str find_enhanced(struct ml_str s)
{
	struct ml_str r = {NULL, 0};
	size_t i = 0;

	if (s.n >= 4 && s.p[0] >= '2' && s.p[0] <= '5' && s.p[3] == ' ')
		i = 4;
	if (i < s.n && (s.p[i] == '2' || s.p[i] == '4' || s.p[i] == '5') &&
	    i + 1 < s.n && s.p[i + 1] == '.') {
		size_t j = i + 2;

		while (j < s.n && (s.p[j] == '.' || (s.p[j] >= '0' && s.p[j] <= '9')))
			j++;
		if (j - i >= 5 && j - i <= 9) {
			r.p = s.p + i;
			r.n = j - i;
		}
	}
	return r;
}

/* One pass over the reply for the phrases that name a reason. */
static enum maillog_reason reply_reason(struct ml_str r)
{
	static const struct { const char *s; enum maillog_reason re; } ph[] = {
		{"greylist", ML_RE_GREYLISTED}, {"graylist", ML_RE_GREYLISTED},
		{"grey-list", ML_RE_GREYLISTED}, {"postgrey", ML_RE_GREYLISTED},
		{"too busy", ML_RE_TOO_MANY_CONN},
		{"too many connections", ML_RE_TOO_MANY_CONN},
		{"user unknown", ML_RE_USER_UNKNOWN},
		{"mailbox full", ML_RE_MAILBOX_FULL},
	};
	enum maillog_reason best = ML_RE_NONE;

	for (size_t i = 0; i < r.n; i++) {
		int c = lower((unsigned char)r.p[i]);

		if (c != 'g' && c != 'p' && c != 't' && c != 'u' && c != 'm')
			continue;
		for (size_t k = 0; k < sizeof(ph) / sizeof(ph[0]); k++) {
			size_t j = 0, len;

			if (ph[k].s[0] != c)
				continue;
			len = strlen(ph[k].s);
			while (j < len && i + j < r.n &&
			       lower((unsigned char)r.p[i + j]) == ph[k].s[j])
				j++;
			/* earlier entries win: greylisting over the rest */
			if (j == len && (best == ML_RE_NONE || ph[k].re < best))
				best = ph[k].re;
		}
	}
	return best;
}

static void classify(struct maillog_line *l)
{
	if (l->kind == ML_NOTIFY) {
		if (ci_has(l->reply, "delay") || ci_has(l->reply, "warning: could not send"))
			l->reason = ML_RE_DELAYED;
		return;
	}
	if (l->status == ML_ST_SENT || l->status == ML_ST_FORWARDED)
		return;
	l->reason = reply_reason(l->reply);
	if (l->reason == ML_RE_NONE || l->reason > ML_RE_USER_UNKNOWN) {
		if (str_eq(l->dsn, "5.1.1"))
			l->reason = ML_RE_USER_UNKNOWN;
		else if (str_eq(l->dsn, "5.2.2") || str_eq(l->dsn, "4.2.2"))
			l->reason = ML_RE_MAILBOX_FULL;
	}
}

/* "(...)" after a status word: the reply without the outer parentheses. */
static struct ml_str paren_text(const char *p, size_t n)
{
	struct ml_str r = {p, n};

	while (r.n && r.p[0] == ' ') {
		r.p++;
		r.n--;
	}
	if (r.n >= 2 && r.p[0] == '(' && r.p[r.n - 1] == ')') {
		r.p++;
		r.n -= 2;
	}
	return r;
}

/* Postfix "to=<a>, orig_to=<b>, relay=h[ip]:25, delay=.., dsn=.., status=X (reply)" */
static void postfix_delivery(const char *p, size_t n, struct maillog_line *l)
{
	size_t i = 0;

	while (i < n) {
		const char *k = p + i;
		size_t kn = 0;
		struct ml_str v;

		while (i + kn < n && k[kn] != '=' && k[kn] != ' ')
			kn++;
		if (i + kn >= n || k[kn] != '=')
			return;
		i += kn + 1;
		if (kn == 6 && memcmp(k, "status", 6) == 0) {
			size_t w = 0;
			struct ml_str st;

			while (i + w < n && p[i + w] != ' ' && p[i + w] != ',')
				w++;
			st.p = p + i;
			st.n = w;
			l->status = str_eq(st, "sent") ? ML_ST_SENT :
				    str_eq(st, "deferred") ? ML_ST_DEFERRED :
				    str_eq(st, "bounced") ? ML_ST_BOUNCED :
				    str_eq(st, "expired") ? ML_ST_EXPIRED :
				    ML_ST_OTHER;
			l->reply = paren_text(p + i + w, n - i - w);
			if (l->status == ML_ST_SENT && ci_has(l->reply, "forwarded as "))
				l->status = ML_ST_FORWARDED;
			l->kind = ML_DELIVERY;
			return;
		}
		v = field_value(p + i, n - i);
		if (kn == 2 && memcmp(k, "to", 2) == 0)
			l->to = unangle(v);
		else if (kn == 7 && memcmp(k, "orig_to", 7) == 0)
			l->orig_to = unangle(v);
		else if (kn == 5 && memcmp(k, "relay", 5) == 0)
			l->relay = v;
		else if (kn == 3 && memcmp(k, "dsn", 3) == 0)
			l->dsn = v;
		i += v.n;
		if (i + 2 <= n && p[i] == ',' && p[i + 1] == ' ')
			i += 2;
	}
}

/* "queued as NEWQID" in a relay's 250 reply: the next hop's queue id. */
static void queued_as(struct maillog_line *l)
{
	const char *q = l->reply.n ? memmem(l->reply.p, l->reply.n, "queued as ", 10) : NULL;
	const char *e = l->reply.p + l->reply.n;
	size_t k = 0;

	if (!q)
		return;
	q += 10;
	while (q + k < e && qid_char(q[k]))
		k++;
	if (k >= QID_MIN && k <= QID_MAX) {
		l->newqid.p = q;
		l->newqid.n = k;
	}
}

/* "RCPT from h[ip]: 450 4.7.1 <x>: text; from=<a> to=<b> proto=ESMTP helo=<h>" */
static void postfix_reject(const char *p, size_t n, struct maillog_line *l)
{
	const char *e = p + n, *s, *f;

	l->kind = ML_REJECT;
	l->status = ML_ST_REJECTED;
	s = memchr(p, ':', n);          /* end of "RCPT from host[ip]" */
	s = s && s + 2 <= e ? s + 2 : p;
	f = NULL;
	for (const char *q = s; q + 8 <= e; q++)
		if (memcmp(q, "; from=<", 8) == 0) {
			f = q;
			break;
		}
	l->reply.p = s;
	l->reply.n = (size_t)((f ? f : e) - s);
	l->dsn = find_enhanced(l->reply);
	if (!f)
		return;
	f += 8;
	s = memchr(f, '>', (size_t)(e - f));
	if (!s)
		return;
	l->from.p = f;
	l->from.n = (size_t)(s - f);
	if (s + 6 <= e && memcmp(s, "> to=<", 6) == 0) {
		const char *t = s + 6, *te = memchr(t, '>', (size_t)(e - t));

		if (te) {
			l->to.p = t;
			l->to.n = (size_t)(te - t);
		}
	}
}

static int postfix_notify(const char *p, size_t n, struct maillog_line *l)
{
	static const char *const kinds[] = {
		"sender non-delivery notification: ",
		"sender delivery status notification: ",
		"sender delay notification: ",
		"postmaster non-delivery notification: ",
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t kl = strlen(kinds[k]), j;

		if (!has_prefix(p, n, kinds[k]))
			continue;
		j = kl;
		while (j < n && qid_char(p[j]))
			j++;
		l->kind = ML_NOTIFY;
		l->newqid.p = p + kl;
		l->newqid.n = j - kl;
		l->reply.p = p;
		l->reply.n = kl - 2;
		return 1;
	}
	return 0;
}

static void parse_postfix(const char *p, size_t n, struct maillog_line *l)
{
	struct ml_str cmd = l->cmd;
	size_t q;

	if (has_prefix(p, n, "NOQUEUE: ")) {
		l->qid.p = p;
		l->qid.n = 7;
		if (str_eq(cmd, "smtpd") && has_prefix(p + 9, n - 9, "reject: "))
			postfix_reject(p + 17, n - 17, l);
		return;
	}
	q = take_qid(p, n);
	if (!q)
		return;
	if (q <= 7 && (has_prefix(p, n, "warning:") || has_prefix(p, n, "fatal:") ||
		       has_prefix(p, n, "panic:") || has_prefix(p, n, "error:")))
		return;
	l->qid.p = p;
	l->qid.n = q;
	p += q + 2;
	n -= q + 2;
	if (has_prefix(p, n, "client=")) {
		if (str_eq(cmd, "smtpd") || str_eq(cmd, "postscreen"))
			l->kind = ML_CLIENT;
	} else if (str_eq(cmd, "pickup") &&
		   (has_prefix(p, n, "uid=") || has_prefix(p, n, "sender="))) {
		l->kind = ML_PICKUP;
	} else if (has_prefix(p, n, "message-id=")) {
		l->kind = ML_MSGID;
		l->msgid.p = p + 11;
		l->msgid.n = n - 11;
	} else if (has_prefix(p, n, "from=<")) {
		const char *e = memchr(p + 6, '>', n - 6);

		if (!e)
			return;
		l->from.p = p + 6;
		l->from.n = (size_t)(e - l->from.p);
		e++;
		if (has_prefix(e, (size_t)(p + n - e), ", size="))
			l->kind = ML_FROM;
		else if (has_prefix(e, (size_t)(p + n - e), ", status=expired")) {
			l->kind = ML_EXPIRED;
			l->status = ML_ST_EXPIRED;
		}
	} else if (has_prefix(p, n, "to=<")) {
		if (!str_eq(cmd, "smtpd") && !str_eq(cmd, "postscreen"))
			postfix_delivery(p, n, l);
		if (l->status == ML_ST_SENT)
			queued_as(l);
	} else if (str_eq(cmd, "qmgr") && n == 7 && memcmp(p, "removed", 7) == 0) {
		l->kind = ML_REMOVED;
	} else if (str_eq(cmd, "bounce") && postfix_notify(p, n, l)) {
		/* filled */
	} else if (str_eq(cmd, "smtpd") && has_prefix(p, n, "reject: ")) {
		postfix_reject(p + 8, n - 8, l);
	} else if (str_eq(cmd, "cleanup") &&
		   (has_prefix(p, n, "reject: ") || has_prefix(p, n, "milter-reject: "))) {
		const char *r = p + (p[0] == 'm' ? 15 : 8);
		size_t rn = n - (size_t)(r - p);

		if (has_prefix(r, rn, "header ") || has_prefix(r, rn, "body ") ||
		    has_prefix(r, rn, "END-OF-MESSAGE ")) {
			l->kind = ML_REJECT;
			l->status = ML_ST_REJECTED;
			l->reply.p = r;
			l->reply.n = rn;
			l->dsn = find_enhanced(l->reply);
		}
	}
}

/* Sendmail relay= "mx.dest.test. [127.0.0.3]" or "[127.0.0.3]" */
static struct ml_str sendmail_relay(struct ml_str v)
{
	size_t i = 0;

	while (i < v.n && v.p[i] != ' ')
		i++;
	if (i > 1 && v.p[i - 1] == '.')
		i--;
	v.n = i;
	return v;
}

static void parse_sendmail(const char *p, size_t n, struct maillog_line *l)
{
	size_t q = take_qid(p, n), i;
	int is_to;

	if (!q)
		return;
	l->qid.p = p;
	l->qid.n = q;
	p += q + 2;
	n -= q + 2;
	/* "QID: NEWQID: DSN: ..." / "QID: NEWQID: return to sender: ..." */
	q = take_qid(p, n);
	if (q) {
		const char *r = p + q + 2;
		size_t rn = n - q - 2;

		if (has_prefix(r, rn, "DSN: ") || has_prefix(r, rn, "return to sender: ") ||
		    has_prefix(r, rn, "postmaster notify: ")) {
			l->kind = ML_NOTIFY;
			l->newqid.p = p;
			l->newqid.n = q;
			l->reply.p = r;
			l->reply.n = rn;
		}
		return;
	}
	if (has_prefix(p, n, "from=")) {
		is_to = 0;
		l->kind = ML_FROM;
	} else if (has_prefix(p, n, "to=")) {
		is_to = 1;
	} else if (has_prefix(p, n, "ruleset=")) {
		is_to = 2;
	} else {
		return;
	}
	i = 0;
	while (i < n) {
		const char *k = p + i;
		size_t kn = 0;
		struct ml_str v;

		while (i + kn < n && k[kn] != '=' && k[kn] != ' ')
			kn++;
		if (i + kn >= n || k[kn] != '=')
			break;
		i += kn + 1;
		if ((kn == 4 && memcmp(k, "stat", 4) == 0 && is_to == 1) ||
		    (kn == 6 && memcmp(k, "reject", 6) == 0 && is_to == 2)) {
			v.p = p + i;
			v.n = n - i;
			l->reply = v;
			break;
		}
		v = field_value(p + i, n - i);
		if (kn == 4 && memcmp(k, "from", 4) == 0)
			l->from = unangle(v);
		else if (kn == 2 && memcmp(k, "to", 2) == 0)
			l->to = unangle(v);
		else if (kn == 4 && memcmp(k, "arg1", 4) == 0)
			l->to = unangle(v);
		else if (kn == 7 && memcmp(k, "ctladdr", 7) == 0 && !l->orig_to.n)
			l->orig_to = unangle(v);
		else if (kn == 5 && memcmp(k, "msgid", 5) == 0)
			l->msgid = v;
		else if (kn == 5 && memcmp(k, "relay", 5) == 0 && is_to == 1)
			l->relay = sendmail_relay(v);
		else if (kn == 3 && memcmp(k, "dsn", 3) == 0)
			l->dsn = v;
		i += v.n;
		if (i + 2 <= n && p[i] == ',' && p[i + 1] == ' ')
			i += 2;
	}
	l->orig_to.n = 0;   /* ctladdr is not an original recipient */
	l->orig_to.p = NULL;
	if (is_to == 2) {
		if (l->reply.n) {
			l->kind = ML_REJECT;
			l->status = ML_ST_REJECTED;
			l->dsn = find_enhanced(l->reply);
		}
		return;
	}
	if (is_to == 1 && l->reply.p) {
		struct ml_str r = l->reply;

		l->kind = ML_DELIVERY;
		if (has_prefix(r.p, r.n, "Sent")) {
			l->status = ML_ST_SENT;
			l->reply = paren_text(r.p + 4, r.n - 4);
			queued_as(l);
		} else if (has_prefix(r.p, r.n, "Deferred") ||
			   (l->dsn.n && l->dsn.p[0] == '4')) {
			l->status = ML_ST_DEFERRED;
		} else if (has_prefix(r.p, r.n, "queued")) {
			l->status = ML_ST_OTHER;   /* queue-only mode: no attempt yet */
		} else if ((l->dsn.n && l->dsn.p[0] == '5') || !l->dsn.n) {
			l->status = ML_ST_BOUNCED; /* permanent ("User unknown", ...) */
		} else {
			l->status = ML_ST_OTHER;
		}
	}
}

static int known_postfix_cmd(struct ml_str c)
{
#define C(s) {s, sizeof(s) - 1}
	static const struct { const char *s; size_t n; } cmds[] = {
		C("smtp"), C("qmgr"), C("smtpd"), C("cleanup"), C("lmtp"),
		C("bounce"), C("local"), C("virtual"), C("pipe"), C("pickup"),
		C("postscreen"), C("error"), C("discard"), C("retry"),
		C("trivial-rewrite"), C("master"), C("anvil"), C("scache"),
		C("tlsmgr"), C("showq"), C("postfix-script"), C("postdrop"),
		C("sendmail"), C("dnsblog"), C("tlsproxy"), C("verify"),
		C("flush"), C("proxymap"), C("oqmgr"), C("spawn"),
		C("postsuper"), C("postqueue"), C("postmulti"),
	};
#undef C

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (c.n == cmds[i].n && memcmp(c.p, cmds[i].s, c.n) == 0)
			return 1;
	return 0;
}

int maillog_parse_line(const char *p, size_t n, struct maillog_clock *ck,
		       enum maillog_format format, struct maillog_line *l)
{
	long off;
	size_t i, j;

	memset(l, 0, sizeof(*l));
	if (n && p[n - 1] == '\r')
		n--;
	off = ml_parse_stamp(p, n, ck, l);
	if (off < 0)
		return -1;
	i = (size_t)off;
	/* host */
	j = i;
	while (j < n && p[j] != ' ')
		j++;
	if (j == i || j >= n)
		return -1;
	l->host.p = p + i;
	l->host.n = j - i;
	i = j + 1;
	/* program[pid]: */
	j = i;
	while (j < n && p[j] != '[' && p[j] != ':' && p[j] != ' ')
		j++;
	if (j == i || j >= n || p[j] == ' ')
		return -1;
	l->prog.p = p + i;
	l->prog.n = j - i;
	if (p[j] == '[') {
		while (j < n && p[j] != ']')
			j++;
		j++;
	}
	if (j + 1 >= n || p[j] != ':' || p[j + 1] != ' ') {
		/* "prog[pid]:" with nothing after is still a syslog line */
		if (j < n && p[j] == ':' && j + 1 == n)
			return 0;
		return -1;
	}
	i = j + 2;

	/* which MTA: Postfix "name/daemon" (name may be a multi-instance
	 * syslog_name), Sendmail "sm-mta"/"sendmail"/"sm-msp-queue" */
	{
		const char *slash = memrchr(l->prog.p, '/', l->prog.n);

		if (slash) {
			l->cmd.p = slash + 1;
			l->cmd.n = (size_t)(l->prog.p + l->prog.n - l->cmd.p);
			if (known_postfix_cmd(l->cmd))
				l->mta = MAILLOG_POSTFIX;
		} else if (str_eq(l->prog, "sm-mta") || str_eq(l->prog, "sendmail") ||
			   str_eq(l->prog, "sm-msp-queue") || has_prefix(l->prog.p, l->prog.n, "sm-mta-")) {
			l->mta = MAILLOG_SENDMAIL;
			l->cmd = l->prog;
		}
	}
	if (l->mta == MAILLOG_AUTO || (format != MAILLOG_AUTO && format != l->mta)) {
		l->mta = MAILLOG_AUTO;
		return 0;
	}
	l->kind = ML_OTHER;
	if (l->mta == MAILLOG_POSTFIX)
		parse_postfix(p + i, n - i, l);
	else
		parse_sendmail(p + i, n - i, l);
	if (l->kind == ML_DELIVERY || l->kind == ML_REJECT || l->kind == ML_NOTIFY)
		classify(l);
	return 0;
}
