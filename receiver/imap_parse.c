#include "imap_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mc_time.h"

/* Reads "{N}" or "{N+}" (RFC 7888 non-synchronising) ending exactly at
 * end; returns N, or -1 if the line does not end in a literal marker. */
static long literal_size(const char *line, size_t len)
{
	size_t i;
	long v = 0;

	if (len < 3 || line[len - 1] != '}')
		return -1;
	i = len - 2;
	if (line[i] == '+')
		i--;
	if (!isdigit((unsigned char)line[i]))
		return -1;
	while (i > 0 && isdigit((unsigned char)line[i]))
		i--;
	if (line[i] != '{' || len - i > 12)
		return -1;
	for (size_t j = i + 1; isdigit((unsigned char)line[j]); j++)
		v = v * 10 + (line[j] - '0');
	return v;
}

long imap_resp_frame(const char *p, size_t n)
{
	size_t pos = 0;

	for (;;) {
		const char *nl = memchr(p + pos, '\n', n - pos);
		size_t len;
		long lit;

		if (!nl)
			return n - pos > IMAP_MAX_LINE ? -1 : 0;
		len = (size_t)(nl - (p + pos));
		if (len > IMAP_MAX_LINE)
			return -1;
		if (len && p[pos + len - 1] == '\r')
			len--;
		lit = literal_size(p + pos, len);
		pos = (size_t)(nl - p) + 1;
		if (lit < 0)
			return (long)pos;
		if ((unsigned long)lit > IMAP_MAX_LITERAL || pos > IMAP_MAX_RESPONSE)
			return -1;
		if (n - pos < (size_t)lit)
			return 0;
		pos += (size_t)lit;
	}
}

struct cursor {
	const char *p;
	size_t n, i;
};

static int at_end(const struct cursor *c)
{
	return c->i >= c->n;
}

static void skip_sp(struct cursor *c)
{
	while (!at_end(c) && c->p[c->i] == ' ')
		c->i++;
}

/* An atom-ish token: up to space, parenthesis, CR or LF; '[' ... ']' is
 * kept inside (BODY[HEADER]). */
static size_t token(struct cursor *c, const char **tok)
{
	size_t start = c->i;
	int bracket = 0;

	while (!at_end(c)) {
		char ch = c->p[c->i];
		if (ch == '[')
			bracket++;
		else if (ch == ']' && bracket)
			bracket--;
		else if (!bracket && (ch == ' ' || ch == '(' || ch == ')' ||
				      ch == '\r' || ch == '\n'))
			break;
		c->i++;
	}
	*tok = c->p + start;
	return c->i - start;
}

static int parse_u32(const char *p, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A string value: quoted, literal or NIL. */
static int string_value(struct cursor *c, const char **s, size_t *len)
{
	if (at_end(c))
		return -1;
	if (c->p[c->i] == '"') {
		size_t start = ++c->i;
		while (!at_end(c) && c->p[c->i] != '"') {
			if (c->p[c->i] == '\\')
				c->i++;
			c->i++;
		}
		if (at_end(c))
			return -1;
		*s = c->p + start;
		*len = c->i - start;
		c->i++;
		return 0;
	}
	if (c->p[c->i] == '{') {
		const char *nl = memchr(c->p + c->i, '\n', c->n - c->i);
		size_t ll;
		long lit;

		if (!nl)
			return -1;
		ll = (size_t)(nl - (c->p + c->i));
		if (ll && nl[-1] == '\r')
			ll--;
		lit = literal_size(c->p + c->i, ll);
		c->i = (size_t)(nl - c->p) + 1;
		if (lit < 0 || c->n - c->i < (size_t)lit)
			return -1;
		*s = c->p + c->i;
		*len = (size_t)lit;
		c->i += (size_t)lit;
		return 0;
	}
	if (c->n - c->i >= 3 && strncasecmp(c->p + c->i, "NIL", 3) == 0) {
		c->i += 3;
		*s = NULL;
		*len = 0;
		return 0;
	}
	return -1;
}

/* Skips any value: atom, number, string, or a parenthesised list. */
static int skip_value(struct cursor *c, int depth)
{
	const char *tok;
	size_t len;

	if (depth > 16 || at_end(c))
		return -1;
	if (c->p[c->i] == '(') {
		c->i++;
		for (;;) {
			skip_sp(c);
			if (at_end(c))
				return -1;
			if (c->p[c->i] == ')') {
				c->i++;
				return 0;
			}
			if (skip_value(c, depth + 1))
				return -1;
		}
	}
	if (c->p[c->i] == '"' || c->p[c->i] == '{')
		return string_value(c, &tok, &len);
	return token(c, &tok) ? 0 : -1;
}

static int parse_fetch(struct cursor *c, struct imap_resp *r)
{
	skip_sp(c);
	if (at_end(c) || c->p[c->i] != '(')
		return -1;
	c->i++;
	for (;;) {
		const char *name, *v;
		size_t nl, vl;

		skip_sp(c);
		if (at_end(c))
			return -1;
		if (c->p[c->i] == ')')
			return 0;
		nl = token(c, &name);
		if (nl == 0)
			return -1;
		skip_sp(c);
		if (nl == 3 && strncasecmp(name, "UID", 3) == 0) {
			vl = token(c, &v);
			if (parse_u32(v, vl, &r->uid))
				return -1;
			r->has_uid = 1;
		} else if (nl == 12 && strncasecmp(name, "INTERNALDATE", 12) == 0) {
			if (string_value(c, &v, &vl) || !v ||
			    imap_parse_internaldate(v, vl, &r->internaldate))
				return -1;
			r->has_internaldate = 1;
		} else if ((nl == 12 && strncasecmp(name, "BODY[HEADER]", 12) == 0) ||
			   (nl == 14 && strncasecmp(name, "RFC822.HEADER", 13) == 0)) {
			if (string_value(c, &v, &vl))
				return -1;
			r->header = v;
			r->header_len = vl;
		} else if ((nl == 6 && strncasecmp(name, "BODY[]", 6) == 0) ||
			   (nl == 6 && strncasecmp(name, "RFC822", 6) == 0)) {
			if (string_value(c, &v, &vl))
				return -1;
			r->body = v;
			r->body_len = vl;
		} else if (skip_value(c, 0)) {
			return -1;
		}
	}
}

static const struct {
	const char *word;
	enum imap_status st;
} statuses[] = {
	{"OK", IMAP_ST_OK}, {"NO", IMAP_ST_NO}, {"BAD", IMAP_ST_BAD},
	{"BYE", IMAP_ST_BYE}, {"PREAUTH", IMAP_ST_PREAUTH},
};

static enum imap_status status_word(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strlen(statuses[i].word) == n &&
		    strncasecmp(p, statuses[i].word, n) == 0)
			return statuses[i].st;
	return IMAP_ST_NONE;
}

static void rest_of_line(struct cursor *c, struct imap_resp *r)
{
	const char *nl;
	size_t end;

	skip_sp(c);
	nl = memchr(c->p + c->i, '\n', c->n - c->i);
	end = nl ? (size_t)(nl - c->p) : c->n;
	if (end > c->i && c->p[end - 1] == '\r')
		end--;
	r->text = c->p + c->i;
	r->text_len = end > c->i ? end - c->i : 0;
}

int imap_resp_parse(const char *p, size_t n, struct imap_resp *r)
{
	struct cursor c = {p, n, 0};
	const char *tok;
	size_t len;

	memset(r, 0, sizeof(*r));
	if (n == 0)
		return -1;
	if (p[0] == '+') {
		r->type = IMAP_RESP_CONTINUE;
		c.i = 1;
		rest_of_line(&c, r);
		return 0;
	}
	len = token(&c, &tok);
	if (len == 1 && tok[0] == '*') {
		r->type = IMAP_RESP_UNTAGGED;
	} else {
		if (len == 0 || len >= sizeof(r->tag))
			return -1;
		r->type = IMAP_RESP_TAGGED;
		memcpy(r->tag, tok, len);
	}
	skip_sp(&c);
	len = token(&c, &tok);
	if (len == 0)
		return -1;
	r->status = status_word(tok, len);
	if (r->status != IMAP_ST_NONE) {
		rest_of_line(&c, r);
		return 0;
	}
	if (r->type == IMAP_RESP_TAGGED)
		return -1;
	if (isdigit((unsigned char)tok[0])) {
		if (parse_u32(tok, len, &r->number))
			return -1;
		skip_sp(&c);
		len = token(&c, &tok);
		if (len == 0)
			return -1;
	}
	if (len >= sizeof(r->keyword))
		len = sizeof(r->keyword) - 1;
	for (size_t i = 0; i < len; i++)
		r->keyword[i] = (char)toupper((unsigned char)tok[i]);
	if (strcmp(r->keyword, "FETCH") == 0) {
		size_t save = c.i;
		if (parse_fetch(&c, r))
			return -1;
		c.i = save;
	}
	rest_of_line(&c, r);
	return 0;
}

int imap_search_uids(const char *p, size_t n, uint32_t *out, size_t max,
		     size_t *count)
{
	struct cursor c = {p, n, 0};

	*count = 0;
	for (;;) {
		const char *tok;
		size_t len;
		uint32_t v;

		skip_sp(&c);
		if (at_end(&c) || c.p[c.i] == '(')  /* RFC 4731/7162 extras */
			return 0;
		len = token(&c, &tok);
		if (len == 0 || parse_u32(tok, len, &v))
			return -1;
		if (*count < max)
			out[(*count)++] = v;
	}
}

int imap_has_capability(const char *p, size_t n, const char *cap)
{
	size_t cl = strlen(cap), i = 0;

	while (i < n) {
		size_t start = i;
		while (i < n && p[i] != ' ' && p[i] != ']')
			i++;
		if (i - start == cl && strncasecmp(p + start, cap, cl) == 0)
			return 1;
		i++;
	}
	return 0;
}

int imap_parse_internaldate(const char *p, size_t n, double *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[40];
	char mon[4];
	int d, y, h, mi, s, off, mo = 0;
	char sign;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	/* RFC 3501 date-time: " 4-Nov-2026" uses a space-padded day. */
	if (sscanf(buf, "%2d-%3c-%4d %2d:%2d:%2d %c%4d", &d, mon, &y, &h, &mi,
		   &s, &sign, &off) != 8)
		return -1;
	mon[3] = '\0';
	for (int i = 0; i < 12; i++)
		if (strncasecmp(months + 3 * i, mon, 3) == 0)
			mo = i + 1;
	if (!mo || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
	    (sign != '+' && sign != '-') || off % 100 > 59)
		return -1;
	*t = (double)mc_time_from_utc(y, mo, d, h, mi, s) -
	     (sign == '-' ? -1 : 1) * ((off / 100) * 3600.0 + (off % 100) * 60.0);
	return 0;
}

int imap_quote(const char *s, char *out, size_t out_size)
{
	size_t o = 0;

	if (out_size < 3)
		return -1;
	out[o++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\r' || ch == '\n' || ch >= 0x80)
			return -1;
		if (o + 3 >= out_size)
			return -1;
		if (ch == '"' || ch == '\\')
			out[o++] = '\\';
		out[o++] = (char)ch;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

int imap_capability_list(const struct imap_resp *r, const char **p, size_t *n)
{
	static const char code[] = "[CAPABILITY ";
	const size_t cl = sizeof(code) - 1;
	const char *end;

	if (r->type == IMAP_RESP_UNTAGGED && r->status == IMAP_ST_NONE &&
	    strcmp(r->keyword, "CAPABILITY") == 0) {
		*p = r->text;
		*n = r->text_len;
		return 1;
	}
	if (r->status == IMAP_ST_NONE || r->text_len < cl ||
	    strncasecmp(r->text, code, cl) != 0)
		return 0;
	end = memchr(r->text + cl, ']', r->text_len - cl);
	if (!end)
		return 0;
	*p = r->text + cl;
	*n = (size_t)(end - *p);
	return 1;
}

int imap_login_command(const char *user, const char *password, char *out,
		       size_t out_size)
{
	char qu[IMAP_MAX_LINE / 2], qp[IMAP_MAX_LINE / 2];
	int n, rc = -1;

	if (imap_quote(user, qu, sizeof(qu)) == 0 &&
	    imap_quote(password, qp, sizeof(qp)) == 0) {
		n = snprintf(out, out_size, "LOGIN %s %s", qu, qp);
		rc = n < 0 || (size_t)n >= out_size ? -1 : 0;
	}
	explicit_bzero(qp, sizeof(qp));
	return rc;
}

int imap_sasl_plain(const char *user, const char *password, char *out,
		    size_t out_size)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t ul = strlen(user), pl = strlen(password);
	size_t n = ul + pl + 2, o = 0;

	if (n > SIZE_MAX / 2 || ((n + 2) / 3) * 4 + 1 > out_size)
		return -1;
	for (size_t i = 0; i < n; i += 3) {
		unsigned char in[3];
		uint32_t v;

		for (size_t j = 0; j < 3; j++) {
			size_t k = i + j;   /* in "\0user\0password" */
			in[j] = k == 0 || k == ul + 1 || k >= n ? 0
			      : k <= ul ? (unsigned char)user[k - 1]
			      : (unsigned char)password[k - ul - 2];
		}
		v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}
