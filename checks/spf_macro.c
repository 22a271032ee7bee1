/* SPF macros (RFC 7208 §7): syntax checks of macro-strings and
 * domain-specs, expansion, and turning an expansion into a query name.
 * Pure: the caller supplies every value, including %{p} and %{t}. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "checks/spf_parse.h"

#define MAX_PARTS 128            /* labels one value may split into */
#define MAX_DIGITS_VALUE 128     /* "%{d999}" keeps everything anyway */

struct macro {
	char letter;     /* lower case */
	int upper;       /* URL-escape the result */
	unsigned keep;   /* 0 = all */
	int reverse;
	char delims[8];  /* NUL-terminated; "" = "." */
};

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_delim(int c)
{
	return c && strchr(".-+,/_=", c) != NULL;
}

/* Parses "%{...}" at p[*i] == '%' && p[*i+1] == '{'. */
static int parse_macro(const char *p, size_t n, size_t *i, int exp_text,
		       struct macro *m, struct mc_err *err)
{
	size_t j = *i + 2, nd = 0;
	int c;

	memset(m, 0, sizeof(*m));
	if (j >= n)
		goto bad;
	c = (unsigned char)p[j++];
	m->upper = c >= 'A' && c <= 'Z';
	m->letter = (char)(m->upper ? c - 'A' + 'a' : c);
	if (!strchr("slodiphvcrt", m->letter) || !m->letter)
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "unknown macro letter '%c'", c);
	if (!exp_text && strchr("crt", m->letter))
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "macro %%{%c} is allowed only in explanation text (RFC 7208 section 7.2)",
				  c);
	if (j < n && is_digit(p[j])) {
		unsigned v = 0;

		while (j < n && is_digit(p[j])) {
			if (v < MAX_DIGITS_VALUE)
				v = v * 10 + (unsigned)(p[j] - '0');
			j++;
		}
		/* §7.3: the DIGIT transformer must be nonzero. */
		if (v == 0)
			return mc_err_set(err, -1, MC_COMP_SPF,
					  "macro transformer 0 (RFC 7208 section 7.3)");
		m->keep = v;
	}
	if (j < n && (p[j] == 'r' || p[j] == 'R')) {
		m->reverse = 1;
		j++;
	}
	while (j < n && is_delim(p[j])) {
		if (!strchr(m->delims, p[j]) && nd < sizeof(m->delims) - 1)
			m->delims[nd++] = p[j];
		j++;
	}
	if (j >= n || p[j] != '}')
		goto bad;
	*i = j + 1;
	return 0;
bad:
	return mc_err_set(err, -1, MC_COMP_SPF,
			  "malformed macro at \"%.*s\"",
			  (int)(n - *i > 20 ? 20 : n - *i), p + *i);
}

/* Walks p/n; for each macro calls nothing, only validates. Returns 0/-1;
 * *ends_in_macro says whether the last item was a macro-expand. */
static int scan(const char *p, size_t n, int exp_text, int *ends_in_macro,
		struct mc_err *err)
{
	size_t i = 0;
	struct macro m;

	*ends_in_macro = 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%') {
			if (i + 1 >= n)
				return mc_err_set(err, -1, MC_COMP_SPF,
						  "'%%' at the end of \"%.*s\"",
						  (int)n, p);
			if (p[i + 1] == '{') {
				if (parse_macro(p, n, &i, exp_text, &m, err))
					return -1;
			} else if (strchr("%_-", p[i + 1])) {
				i += 2;
			} else {
				/* §7.1: '%' must be followed by {, %, - or _ */
				return mc_err_set(err, -1, MC_COMP_SPF,
						  "'%%' not followed by '{', '%%', '_' or '-' in \"%.*s\"",
						  (int)n, p);
			}
			*ends_in_macro = 1;
			continue;
		}
		/* macro-literal = %x21-24 / %x26-7E; explanation text also
		 * allows SP (§6.2 explanation-string). */
		if (!((c >= 0x21 && c <= 0x7e) || (exp_text && c == ' ')))
			return mc_err_set(err, -1, MC_COMP_SPF,
					  "character 0x%02x not allowed in \"%.*s\"",
					  c, (int)(n > 60 ? 60 : n), p);
		*ends_in_macro = 0;
		i++;
	}
	return 0;
}

int spf_macro_check(const char *p, size_t n, int exp_text,
		    struct mc_err *err)
{
	int ends;

	return scan(p, n, exp_text, &ends, err);
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )  (§7.1) */
static int toplabel_ok(const char *p, size_t n)
{
	int alpha = 0, dash = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (is_alpha(p[i]))
			alpha = 1;
		else if (p[i] == '-')
			dash = 1;
		else if (!is_digit(p[i]))
			return 0;
	}
	if (!dash)
		return alpha;
	return p[0] != '-' && p[n - 1] != '-';
}

int spf_domain_spec_check(const char *p, size_t n, struct mc_err *err)
{
	const char *dot;
	size_t end = n;
	int ends_in_macro;

	if (n == 0)
		return mc_err_set(err, -1, MC_COMP_SPF, "empty domain-spec");
	if (scan(p, n, 0, &ends_in_macro, err))
		return -1;
	if (ends_in_macro)
		return 0;
	/* domain-end = "." toplabel [ "." ] */
	if (p[end - 1] == '.')
		end--;
	dot = NULL;
	for (size_t i = end; i > 0; i--) {
		if (p[i - 1] == '.') {
			dot = p + i - 1;
			break;
		}
	}
	if (!dot || !toplabel_ok(dot + 1, (size_t)(p + end - dot - 1)))
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "domain-spec \"%.*s\" does not end in a macro or a valid top label",
				  (int)(n > 80 ? 80 : n), p);
	return 0;
}

int spf_macro_uses_p(const char *p, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (p[i] == '%' && p[i + 1] == '%') {
			i++;
			continue;
		}
		if (p[i] == '%' && p[i + 1] == '{' &&
		    (p[i + 2] == 'p' || p[i + 2] == 'P'))
			return 1;
	}
	return 0;
}

/* RFC 3986 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
static int url_append(struct mc_buf *out, const char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};

		if (is_alpha(c) || is_digit(c) || (c && strchr("-._~", c))) {
			if (mc_buf_append(out, &p[i], 1))
				return -1;
		} else if (mc_buf_append(out, e, 3)) {
			return -1;
		}
	}
	return 0;
}

/* %{i} of an IPv6 address: 32 dot-separated nibbles, high first. */
static void ip6_nibbles(const struct mc_spf_macro_ctx *ctx, char *tmp)
{
	const char *hex = ctx->ip_upper ? "0123456789ABCDEF" :
		"0123456789abcdef";
	size_t k = 0;

	for (int i = 0; i < 16; i++) {
		tmp[k++] = hex[ctx->ip->a[i] >> 4];
		tmp[k++] = '.';
		tmp[k++] = hex[ctx->ip->a[i] & 15];
		tmp[k++] = '.';
	}
	tmp[k - 1] = '\0';
}

static const char *macro_value(const struct macro *m,
			       const struct mc_spf_macro_ctx *ctx,
			       char *tmp, size_t tmplen)
{
	switch (m->letter) {
	case 's':
		return ctx->sender;
	case 'l':
		return ctx->local;
	case 'o':
		return ctx->sender_domain;
	case 'd':
		return ctx->domain;
	case 'h':
		return ctx->helo;
	case 'p':
		return ctx->ptr;
	case 'r':
		return ctx->receiver ? ctx->receiver : "unknown";
	case 'v':
		return ctx->ip->family == AF_INET ? "in-addr" : "ip6";
	case 'i':
		/* §7.3: IPv4 dotted quad, IPv6 dot-separated nibbles. */
		if (ctx->ip->family == AF_INET)
			return ipaddr_format(ctx->ip, tmp);
		ip6_nibbles(ctx, tmp);
		return tmp;
	case 'c':
		return ipaddr_format(ctx->ip, tmp);
	case 't':
		snprintf(tmp, tmplen, "%lld", ctx->now);
		return tmp;
	}
	return "";
}

/* §7.3: split on the delimiters, reverse, keep the right-most parts, join
 * with ".". */
static int transform(const struct macro *m, const char *v,
		     struct mc_buf *part)
{
	const char *delims = m->delims[0] ? m->delims : ".";
	const char *start[MAX_PARTS];
	size_t len[MAX_PARTS];
	size_t np = 0, first, n = strlen(v), s = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i == n || strchr(delims, v[i])) {
			if (np == MAX_PARTS) {
				/* Fold the overflow into the last part; only
				 * absurd values get here. */
				len[np - 1] = (size_t)(v + i - start[np - 1]);
			} else {
				start[np] = v + s;
				len[np] = i - s;
				np++;
			}
			s = i + 1;
		}
	}
	if (m->reverse) {
		for (size_t a = 0, b = np - 1; a < b; a++, b--) {
			const char *ts = start[a];
			size_t tl = len[a];

			start[a] = start[b];
			len[a] = len[b];
			start[b] = ts;
			len[b] = tl;
		}
	}
	first = m->keep && m->keep < np ? np - m->keep : 0;
	for (size_t i = first; i < np; i++) {
		if ((i > first && mc_buf_append(part, ".", 1)) ||
		    mc_buf_append(part, start[i], len[i]))
			return -1;
	}
	return 0;
}

int spf_macro_expand(const char *p, size_t n,
		     const struct mc_spf_macro_ctx *ctx, int exp_text,
		     struct mc_buf *out, struct mc_err *err)
{
	struct mc_buf part = {.limit = MC_SPF_MAX_EXPANSION};
	size_t limit_save = out->limit, i = 0;
	int rc = -1;
	int ends;

	if (scan(p, n, exp_text, &ends, err))
		return -1;
	if (!out->limit || out->limit > MC_SPF_MAX_EXPANSION)
		out->limit = MC_SPF_MAX_EXPANSION;
	while (i < n) {
		struct macro m;
		char tmp[MC_IPADDR_REVERSE_MAX + 8];
		const char *v;

		if (p[i] != '%') {
			size_t j = i;

			while (j < n && p[j] != '%')
				j++;
			if (mc_buf_append(out, p + i, j - i))
				goto overflow;
			i = j;
			continue;
		}
		if (p[i + 1] == '%' || p[i + 1] == '_' || p[i + 1] == '-') {
			const char *lit = p[i + 1] == '%' ? "%" :
				p[i + 1] == '_' ? " " : "%20";

			if (mc_buf_puts(out, lit))
				goto overflow;
			i += 2;
			continue;
		}
		if (parse_macro(p, n, &i, exp_text, &m, err))
			goto out;
		v = macro_value(&m, ctx, tmp, sizeof(tmp));
		if (!v) {
			if (m.letter == 'p') {
				rc = -2;
				mc_err_set(err, -2, MC_COMP_SPF,
					   "%%{p} not resolved");
				goto out;
			}
			v = "";
		}
		mc_buf_reset(&part);
		if (transform(&m, v, &part))
			goto overflow;
		if (m.upper ? url_append(out, part.data ? part.data : "",
					 part.len) :
		    mc_buf_append(out, part.data ? part.data : "", part.len))
			goto overflow;
	}
	rc = 0;
	goto out;
overflow:
	mc_err_set(err, -1, MC_COMP_SPF,
		   "macro expansion longer than %d bytes",
		   MC_SPF_MAX_EXPANSION);
out:
	out->limit = limit_save;
	mc_buf_free(&part);
	return rc;
}

size_t spf_domain_truncate(char *name, size_t n)
{
	size_t start = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	while (n - start > MC_SPF_MAX_DOMAIN) {
		const char *dot = memchr(name + start, '.', n - start);

		if (!dot) {
			/* One label longer than 253: nothing sensible is
			 * left; keep the right end. */
			start = n - MC_SPF_MAX_DOMAIN;
			break;
		}
		start = (size_t)(dot - name) + 1;
	}
	memmove(name, name + start, n - start);
	name[n - start] = '\0';
	return n - start;
}

int spf_domain_queryable(const char *name, size_t n)
{
	size_t label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > MC_SPF_MAX_DOMAIN)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || name[i] == '.') {
			if (label == 0 || label > 63)
				return 0;
			label = 0;
		} else if (name[i] == '\0') {
			return 0;
		} else {
			label++;
		}
	}
	return 1;
}
