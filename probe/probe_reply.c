/* SMTP replies as the relay sends them: framing and parsing of one reply
 * (RFC 5321 §4.2), its enhanced status code (RFC 3463, RFC 2034), the
 * queue ID in a final 250, and whether a 4xx is greylisting. Pure: bytes
 * in, structures out, so the fuzz target and the unit tests can drive it.
 * libesmtp parses replies too, but only keeps enhanced codes when the
 * relay advertises ENHANCEDSTATUSCODES and exposes the text of some
 * replies (greeting, EHLO, AUTH) not at all; we read the raw lines from its
 * protocol monitor and parse them here. */
#include "probe/probe.h"
#include "probe/probe_internal.h"

#include <string.h>
#include <strings.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An RFC 3463 code "c.sss.ddd" at p[0..n), class c (0: any of 2, 4, 5),
 * followed by a space or the end. Returns its length or 0. */
static size_t enhanced_len(const char *p, size_t n, int cls)
{
	size_t i = 0, d;

	if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5'))
		return 0;
	if (cls && p[0] - '0' != cls)
		return 0;
	if (p[1] != '.')
		return 0;
	i = 2;
	for (d = 0; i < n && is_digit(p[i]) && d < 4; i++, d++)
		;
	if (d < 1 || d > 3 || i >= n || p[i] != '.')
		return 0;
	i++;
	for (d = 0; i < n && is_digit(p[i]) && d < 4; i++, d++)
		;
	if (d < 1 || d > 3 || (i < n && p[i] != ' ' && p[i] != '\t'))
		return 0;
	return i;
}

/* Appends p[0..n) to r->text, separated by one space, with bytes that
 * are not printable ASCII as '?'; truncates silently. */
static void text_append(struct probe_reply *r, size_t *len, const char *p,
			size_t n)
{
	size_t max = sizeof(r->text) - 1;

	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (!n)
		return;
	if (*len && *len < max)
		r->text[(*len)++] = ' ';
	for (size_t i = 0; i < n && *len < max; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\t')
			c = ' ';
		r->text[(*len)++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	r->text[*len] = '\0';
}

long probe_reply_parse(const char *p, size_t n, struct probe_reply *r)
{
	size_t pos = 0, tlen = 0;
	int first = 1;

	memset(r, 0, sizeof(*r));
	while (pos < n) {
		const char *line = p + pos;
		const char *nl = memchr(line, '\n', n - pos);
		size_t len, rest;
		int code, final;

		if (!nl)
			return 0;
		len = (size_t)(nl - line);
		pos += len + 1;
		if (len && line[len - 1] == '\r')
			len--;
		/* RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '5' || !is_digit(line[2]))
			return -1;
		if (len > 3 && line[3] != ' ' && line[3] != '-')
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		       (line[2] - '0');
		final = len == 3 || line[3] == ' ';
		if (first) {
			r->code = code;
		} else if (code != r->code) {
			return -1;
		}
		line += len > 3 ? 4 : 3;
		rest = len > 3 ? len - 4 : 0;
		while (rest && *line == ' ')
			line++, rest--;
		{
			size_t e = enhanced_len(line, rest, code / 100);

			if (e) {
				if (first && e < sizeof(r->enhanced)) {
					memcpy(r->enhanced, line, e);
					r->enhanced[e] = '\0';
				}
				line += e;
				rest -= e;
			}
		}
		text_append(r, &tlen, line, rest);
		first = 0;
		if (final)
			return (long)pos;
	}
	return 0;
}

/* Case-insensitive strstr. */
static const char *ci_find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

static int id_char(char c)
{
	return c > ' ' && c < 0x7f && !strchr(",;[]()<>\"'", c);
}

/* Copies the ID-like token at p (stopping at the first character not
 * allowed, or at stop) into out; trailing '.' and ':' dropped. */
static int take_token(const char *p, int stop, char *out, size_t size)
{
	size_t n = 0;

	while (*p == ' ')
		p++;
	while (p[n] && id_char(p[n]) && p[n] != stop)
		n++;
	while (n && (p[n - 1] == '.' || p[n - 1] == ':'))
		n--;
	if (!n || n >= size)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int probe_reply_queue_id(const char *text, char *out, size_t out_size)
{
	const char *p;

	if (!out || out_size == 0)
		return -1;
	out[0] = '\0';
	if (!text)
		return -1;
	/* Postfix "2.0.0 Ok: queued as 4Xyz..." (and many that copy it). */
	if ((p = ci_find(text, "queued as ")) &&
	    take_token(p + 10, 0, out, out_size) == 0)
		return 0;
	/* Exchange / Microsoft 365 "[InternalId=1234, Hostname=...]". */
	if ((p = ci_find(text, "InternalId=")) &&
	    take_token(p + 11, 0, out, out_size) == 0)
		return 0;
	/* Exim "OK id=1rABCD-0001Ab-Cd". */
	for (p = text; (p = ci_find(p, "id=")); p++) {
		if ((p == text || p[-1] == ' ') &&
		    take_token(p + 3, 0, out, out_size) == 0)
			return 0;
	}
	/* Gmail "OK  1700000000 a1-20020a05...si123.45 - gsmtp": the token
	 * before " - gsmtp". */
	if ((p = ci_find(text, " - gsmtp")) && p > text) {
		const char *s = p;

		while (s > text && s[-1] != ' ')
			s--;
		if (s < p && (size_t)(p - s) < out_size) {
			memcpy(out, s, (size_t)(p - s));
			out[p - s] = '\0';
			return 0;
		}
	}
	/* Sendmail and OpenSMTPD "x9LAdFQ1012345 Message accepted for
	 * delivery": the first token. */
	if ((p = ci_find(text, " Message accepted")) &&
	    take_token(text, 0, out, out_size) == 0 &&
	    strlen(out) == (size_t)(p - text))
		return 0;
	out[0] = '\0';
	/* Exchange without InternalId "<id@host> Queued mail for delivery". */
	if (ci_find(text, "Queued mail for delivery") &&
	    (p = strchr(text, '<')) && take_token(p + 1, '>', out, out_size) == 0)
		return 0;
	/* Haraka "Message Queued (ID)". */
	if ((p = ci_find(text, "Queued (")) &&
	    take_token(p + 8, ')', out, out_size) == 0)
		return 0;
	/* qmail "ok 1700000000 qp 12345". */
	if ((p = ci_find(text, " qp ")) &&
	    take_token(p + 4, 0, out, out_size) == 0)
		return 0;
	/* Amazon SES "Ok 0100018b...-000000": a long token after "Ok". */
	if (strncasecmp(text, "Ok ", 3) == 0 &&
	    take_token(text + 3, 0, out, out_size) == 0 && strlen(out) >= 16)
		return 0;
	out[0] = '\0';
	return -1;
}

int probe_reply_is_greylisting(const struct probe_reply *r)
{
	/* Words only greylisting uses: any 4xx carrying them counts. */
	static const char *const grey_words[] = {
		"greylist", "graylist", "grey-list", "gray-list", "grey list",
		"gray list", "postgrey", "sqlgrey",
	};
	/* "Come back later" phrasing that greylisters (milter-greylist,
	 * Exim greylist ACLs, many providers) use without naming it. On its
	 * own it is far too common ("451 4.3.0 Temporary lookup failure, try
	 * again later", Microsoft's "451 4.7.500 Server busy. Please try
	 * again later"), so it counts only on a 450/451 without an enhanced
	 * code (4.7.0 and 4.7.1 count anyway). */
	static const char *const later_words[] = {
		"try again later", "try later", "retry later", "come back later",
		"please come back", "try again in", "retry in", "deferred for",
	};
	/* What 450/451 4.7.x also says when it is not greylisting: Postfix's
	 * reject_unknown_* and DNS lookups failing at the relay. */
	static const char *const not_grey[] = {
		"not found", "cannot find", "hostname", "helo command",
		"lookup", "dns", "listed", "blocked", "rate limit",
		"ratelimit", "rate-limit", "too many", "busy",
	};
	int is_45x;

	if (!r || r->code / 100 != 4)
		return 0;
	for (size_t i = 0; i < sizeof(grey_words) / sizeof(grey_words[0]); i++)
		if (ci_find(r->text, grey_words[i]))
			return 1;
	is_45x = r->code == 450 || r->code == 451;
	if (!is_45x)
		return 0;
	for (size_t i = 0; i < sizeof(not_grey) / sizeof(not_grey[0]); i++)
		if (ci_find(r->text, not_grey[i]))
			return 0;
	/* DESIGN.md "Greylisting evidence": a synchronous 450/451 4.7.1;
	 * 4.7.0 is what several greylisters send instead. */
	if (strcmp(r->enhanced, "4.7.1") == 0 ||
	    strcmp(r->enhanced, "4.7.0") == 0)
		return 1;
	if (r->enhanced[0])
		return 0;
	for (size_t i = 0; i < sizeof(later_words) / sizeof(later_words[0]); i++)
		if (ci_find(r->text, later_words[i]))
			return 1;
	return 0;
}

/* Renames CHUNKING in a held-back line head (see probe_internal.h). */
static void mask_head(struct probe_ehlo_mask *m, size_t len)
{
	if (len == PROBE_MASK_HEAD && memcmp(m->head, "250", 3) == 0 &&
	    (m->head[3] == '-' || m->head[3] == ' ') &&
	    strncasecmp(m->head + 4, "CHUNKING", 8) == 0) {
		memcpy(m->head + 4, "X-NOBDAT", 8);
		m->masked++;
	}
}

size_t probe_ehlo_mask(struct probe_ehlo_mask *m, const char *in, size_t n,
		       char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (m->col < PROBE_MASK_HEAD) {
			if (c == '\n') {
				/* A short line: nothing to rename. */
				memcpy(out + o, m->head, m->col);
				o += m->col;
				out[o++] = c;
				m->col = 0;
				continue;
			}
			m->head[m->col++] = c;
			if (m->col == PROBE_MASK_HEAD) {
				mask_head(m, m->col);
				memcpy(out + o, m->head, m->col);
				o += m->col;
			}
			continue;
		}
		out[o++] = c;
		if (c == '\n')
			m->col = 0;
	}
	return o;
}

const char *probe_submit_outcome_name(enum probe_submit_outcome o)
{
	switch (o) {
	case PROBE_SUBMIT_QUEUED:
		return "queued";
	case PROBE_SUBMIT_DEFERRED:
		return "deferred";
	case PROBE_SUBMIT_GREYLISTED:
		return "greylisted";
	case PROBE_SUBMIT_REJECTED:
		return "rejected";
	case PROBE_SUBMIT_ERROR:
		break;
	}
	return "error";
}
