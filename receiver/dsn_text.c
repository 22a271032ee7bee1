/* Byte-level helpers for the bounce parser: cleaning untrusted text into
 * bounded UTF-8, status and reply codes, addresses and probe IDs. Every
 * function takes explicit lengths; nothing trusts a NUL inside the data. */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/dsn_internal.h"

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

char *dsn_clean(const char *p, size_t n, size_t max)
{
	static const char repl[] = "\xef\xbf\xbd";
	const unsigned char *u = (const unsigned char *)p;
	size_t cap = (n < max ? n : max), o = 0, i = 0;
	bool space = false;
	char *out;

	/* A replaced byte grows to three: room for that, bounded by max. */
	cap = cap * 3 < max ? cap * 3 : max;
	out = malloc(cap + 1);
	if (!out)
		return NULL;
	while (i < n) {
		size_t len = utf8_len(u + i, n - i);
		const char *src = p + i;

		if (len == 1 && (u[i] < 0x20 || u[i] == 0x7f)) {
			space = o > 0;
			i++;
			continue;
		}
		if (len == 1 && u[i] == ' ') {
			space = o > 0;
			i++;
			continue;
		}
		if (len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) {
			/* C1 controls: as invisible as C0 ones */
			space = o > 0;
			i += 2;
			continue;
		}
		if (len == 0) {
			src = repl;
			len = 3;
			i++;
		} else
			i += len;
		if (o + (space ? 1 : 0) + len > cap)
			break;
		if (space)
			out[o++] = ' ';
		space = false;
		memcpy(out + o, src, len);
		o += len;
	}
	out[o] = '\0';
	return out;
}

const char *dsn_memcase(const char *p, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	int c0;

	if (m == 0)
		return p;
	if (m > n)
		return NULL;
	c0 = lower((unsigned char)needle[0]);
	for (size_t i = 0; i + m <= n; i++) {
		size_t k;

		if (lower((unsigned char)p[i]) != c0)
			continue;
		for (k = 1; k < m; k++)
			if (lower((unsigned char)p[i + k]) !=
			    lower((unsigned char)needle[k]))
				break;
		if (k == m)
			return p + i;
	}
	return NULL;
}

bool dsn_startcase(const char *p, size_t n, const char *prefix)
{
	size_t m = strlen(prefix);

	if (m > n)
		return false;
	for (size_t i = 0; i < m; i++)
		if (lower((unsigned char)p[i]) != lower((unsigned char)prefix[i]))
			return false;
	return true;
}

void dsn_trim(const char **p, size_t *n)
{
	while (*n > 0 && is_space((unsigned char)(*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_space((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

bool dsn_next_line(const char *p, size_t n, size_t *pos, const char **line,
		   size_t *len)
{
	const char *nl;
	size_t start = *pos, end;

	if (start >= n)
		return false;
	nl = memchr(p + start, '\n', n - start);
	end = nl ? (size_t)(nl - p) : n;
	*pos = nl ? end + 1 : n;
	if (end > start && p[end - 1] == '\r')
		end--;
	*line = p + start;
	*len = end - start;
	return true;
}

/* 1..3 digits at p; returns how many, 0 if none or more than three. */
static size_t digits(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit((unsigned char)p[i]))
		i++;
	return i <= 3 ? i : 0;
}

size_t dsn_status_at(const char *p, size_t n, char out[DSN_STATUS_MAX])
{
	size_t a, b, used;

	/* RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5,
	 * subject and detail 1-3 digits. */
	if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return 0;
	a = digits(p + 2, n - 2);
	if (!a || 2 + a >= n || p[2 + a] != '.')
		return 0;
	b = digits(p + 3 + a, n - 3 - a);
	if (!b)
		return 0;
	used = 3 + a + b;
	/* "5.1.1.4" is a version or an address, not a status */
	if (used < n && p[used] == '.' && used + 1 < n &&
	    is_digit((unsigned char)p[used + 1]))
		return 0;
	memcpy(out, p, used);
	out[used] = '\0';
	return used;
}

int dsn_status_find(const char *p, size_t n, char out[DSN_STATUS_MAX])
{
	for (size_t i = 0; i + 5 <= n; i++) {
		if (p[i] != '2' && p[i] != '4' && p[i] != '5')
			continue;
		if (i > 0 && (is_digit((unsigned char)p[i - 1]) ||
			      p[i - 1] == '.'))
			continue;
		if (dsn_status_at(p + i, n - i, out))
			return 0;
	}
	out[0] = '\0';
	return -1;
}

int dsn_reply_at(const char *p, size_t n)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' ||
	    !is_digit((unsigned char)p[2]))
		return 0;
	if (n > 3 && p[3] != ' ' && p[3] != '-' && p[3] != '\t')
		return 0;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

int dsn_reply_find(const char *p, size_t n)
{
	const char *said;
	char st[DSN_STATUS_MAX];
	int code;

	dsn_trim(&p, &n);
	if ((code = dsn_reply_at(p, n)))
		return code;
	for (size_t i = 1; i + 9 <= n; i++) {
		int c = lower((unsigned char)p[i - 1]);

		if (is_digit(c) || (c >= 'a' && c <= 'z') || c == '.')
			continue;
		code = dsn_reply_at(p + i, n - i);
		if (code && n - i > 4 && p[i + 4] == p[i] &&
		    dsn_status_at(p + i + 4, n - i - 4, st))
			return code;
	}
	said = dsn_memcase(p, n, "said:");
	if (said) {
		const char *s = said + 5;
		size_t m = n - (size_t)(s - p);

		dsn_trim(&s, &m);
		return dsn_reply_at(s, m);
	}
	return 0;
}

void dsn_collapse_reply(char *s)
{
	char st[DSN_STATUS_MAX] = "";
	size_t n = strlen(s), stlen = 0, i;
	int code = dsn_reply_at(s, n);

	if (!code || n < 4)
		return;
	if (n > 4)
		stlen = dsn_status_at(s + 4, n - 4, st);
	for (i = 4; i + 4 <= n; i++) {
		size_t cut;

		if (s[i - 1] != ' ' || memcmp(s + i, s, 3) != 0 ||
		    (s[i + 3] != '-' && s[i + 3] != ' '))
			continue;
		/* " 550-5.1.1" (or the last line's " 550 5.1.1") repeats the
		 * first line's prefix; without an enhanced code only the
		 * unambiguous "550-" continuation form is removed. */
		if (stlen) {
			if (i + 4 + stlen > n ||
			    memcmp(s + i + 4, st, stlen) != 0 ||
			    (i + 4 + stlen < n && s[i + 4 + stlen] != ' '))
				continue;
			cut = 4 + stlen;
			/* drop the space before the prefix and the prefix;
			 * the space after it stays */
			memmove(s + i - 1, s + i + cut, n - (i + cut) + 1);
			n -= cut + 1;
			i--;
		} else if (s[i + 3] == '-') {
			/* "451-" runs into the next word: keep the space before */
			memmove(s + i, s + i + 4, n - (i + 4) + 1);
			n -= 4;
		}
	}
	if (s[3] == '-')
		s[3] = ' ';
}

static int hexval(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* RFC 6533 §3: in utf-8 addresses a character may be written
 * "\x{" 1*6HEXDIG "}"; anything malformed is kept as written. The output
 * is never longer than the input (an escape is at least 5 bytes, its UTF-8
 * at most 4). */
static size_t unescape_unitext(const char *p, size_t n, char *out)
{
	size_t o = 0, i = 0;

	while (i < n) {
		if (p[i] == '\\' && i + 4 < n && p[i + 1] == 'x' &&
		    p[i + 2] == '{') {
			uint32_t cp = 0;
			size_t k = i + 3, nd = 0;

			while (k < n && nd < 7 && hexval((unsigned char)p[k]) >= 0) {
				cp = cp * 16 + (uint32_t)hexval((unsigned char)p[k]);
				k++;
				nd++;
			}
			if (nd >= 1 && nd <= 6 && k < n && p[k] == '}' &&
			    cp >= 0x80 && cp <= 0x10ffff &&
			    !(cp >= 0xd800 && cp <= 0xdfff)) {
				o += utf8_put(cp, out + o);
				i = k + 1;
				continue;
			}
		}
		out[o++] = p[i++];
	}
	return o;
}

char *dsn_address(const char *p, size_t n, bool *oom)
{
	const char *semi = memchr(p, ';', n);
	bool utf8 = false;
	char *tmp = NULL, *res;

	dsn_trim(&p, &n);
	if (semi) {
		const char *t = p;
		size_t tn = (size_t)(semi - p), k;

		/* an address type is a token: rfc822, utf-8, x-... */
		for (k = 0; k < tn; k++) {
			int c = (unsigned char)t[k];

			if (!(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') ||
			      c == '-' || c == '.' || c == ' '))
				break;
		}
		if (k == tn) {
			dsn_trim(&t, &tn);
			utf8 = tn == 5 && dsn_startcase(t, tn, "utf-8");
			n -= (size_t)(semi + 1 - p);
			p = semi + 1;
			dsn_trim(&p, &n);
		}
	}
	if (n > 0 && p[0] == '<') {
		const char *gt = memchr(p, '>', n);

		if (gt) {
			n = (size_t)(gt - p - 1);
			p++;
		}
	}
	if (n > DSN_MAX_ADDR)
		n = DSN_MAX_ADDR;
	if (utf8 && n > 0) {
		tmp = malloc(n);
		if (!tmp) {
			*oom = true;
			return NULL;
		}
		n = unescape_unitext(p, n, tmp);
		p = tmp;
	}
	res = dsn_clean(p, n, DSN_MAX_ADDR);
	free(tmp);
	if (!res) {
		*oom = true;
		return NULL;
	}
	if (!res[0]) {
		free(res);
		return NULL;
	}
	return res;
}

bool dsn_is_probe_id(const char *p, size_t n)
{
	if (n != DSN_PROBE_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '2' && p[i] <= '7')))
			return false;
	return true;
}

static bool set_probe(struct mc_dsn *d, const char *p, size_t n)
{
	if (!dsn_is_probe_id(p, n))
		return false;
	memcpy(d->probe_id, p, n);
	d->probe_id[n] = '\0';
	return true;
}

bool dsn_probe_from_value(struct mc_dsn *d, const char *p, size_t n,
			  bool is_msgid)
{
	if (d->probe_id[0])
		return true;
	dsn_trim(&p, &n);
	if (!is_msgid)
		return set_probe(d, p, n);
	/* "<ID@host>", possibly several as in References: the ID is the 26
	 * bytes before an '@', starting the value or after '<', space or
	 * ','. Looking back from each '@' keeps this linear. */
	for (const char *at = p; (at = memchr(at, '@', n - (size_t)(at - p)));
	     at++) {
		size_t k = (size_t)(at - p);
		char before;

		if (k < DSN_PROBE_ID_LEN)
			continue;
		before = k == DSN_PROBE_ID_LEN ? '<' : p[k - DSN_PROBE_ID_LEN - 1];
		if ((before == '<' || before == ' ' || before == '\t' ||
		     before == ',') &&
		    set_probe(d, at - DSN_PROBE_ID_LEN, DSN_PROBE_ID_LEN))
			return true;
	}
	return false;
}

/* Value of a header line "name: value" if line starts with name (after
 * quoting like "> " or indentation); continues onto the next line when the
 * value is empty (a folded header). */
static bool header_value(const char *p, size_t n, size_t *pos, const char *line,
			 size_t len, const char *name, const char **v,
			 size_t *vn)
{
	size_t m = strlen(name);

	while (len > 0 && (*line == ' ' || *line == '\t' || *line == '>')) {
		line++;
		len--;
	}
	if (!dsn_startcase(line, len, name) || len <= m || line[m] != ':')
		return false;
	*v = line + m + 1;
	*vn = len - m - 1;
	dsn_trim(v, vn);
	if (*vn == 0) {
		size_t save = *pos;

		if (dsn_next_line(p, n, pos, v, vn) && *vn > 0 &&
		    (**v == ' ' || **v == '\t'))
			dsn_trim(v, vn);
		else
			*pos = save;
	}
	return true;
}

bool dsn_probe_from_text(struct mc_dsn *d, const char *p, size_t n)
{
	static const char *const names[2] = {"X-Mailcanary-Probe", "Message-ID"};

	if (d->probe_id[0])
		return true;
	/* The probe header names the ID outright; Message-ID is the fallback. */
	for (int k = 0; k < 2; k++) {
		size_t pos = 0, len, vn;
		const char *line, *v;

		while (dsn_next_line(p, n, &pos, &line, &len)) {
			if (header_value(p, n, &pos, line, len, names[k], &v, &vn) &&
			    dsn_probe_from_value(d, v, vn, k == 1))
				return true;
		}
	}
	return false;
}

void dsn_date(const char *p, size_t n, char out[MC_RFC3339_MAX])
{
	char buf[128];
	GDateTime *dt;

	out[0] = '\0';
	dsn_trim(&p, &n);
	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, p, n);
	buf[n] = '\0';
	dt = g_mime_utils_header_decode_date(buf);
	if (!dt)
		return;
	mc_time_rfc3339((double)g_date_time_to_unix(dt), 0, out);
	g_date_time_unref(dt);
}
