/* Received field clauses: RFC 5321 §4.4 Stamp ("from X (TCP-info) by Y
 * via V with P id I for <a>") as Postfix, Sendmail, Exim, qmail,
 * Exchange/Office 365, Gmail and Dovecot write it. The value is cut into
 * words and comments; a clause keyword starts a clause and the next word
 * is its value ("with" and "via" may take several: "with Microsoft SMTP
 * Server"). Comments are read wherever they stand for what MTAs put in
 * them: TLS version and cipher, the authenticated sender, and -- right
 * after the from-domain -- the TCP-info (reverse-DNS name, IP, HELO). */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mc_time.h"
#include "receiver/received.h"

/* Words of one comment looked at. */
#define COMMENT_MAX_WORDS 48
/* Words outside any clause tolerated before the form counts as unknown. */
#define MAX_STRAY_WORDS 4

enum tok_type { TOK_WORD, TOK_COMMENT };

struct tok {
	enum tok_type type;
	const char *p;          /* a comment: its content, without the parens */
	size_t n;
};

enum clause { CL_NONE, CL_FROM, CL_BY, CL_VIA, CL_WITH, CL_ID, CL_FOR, CL_TLS };

/* What the comments after the from-domain said. */
struct tcpinfo {
	char name[256];
	int have_name;
	char ip[64];
	char helo[256];
	int is_tcpinfo;
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive: is p[0..n) exactly s? */
static int word_is(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || lower((unsigned char)p[i]) != lower((unsigned char)s[i]))
			return 0;
	return s[i] == '\0';
}

/* Case-insensitive prefix test; *rest gets what follows. */
static int word_has_prefix(const char *p, size_t n, const char *s,
			   const char **rest, size_t *rest_n)
{
	size_t len = strlen(s);

	if (n < len || !word_is(p, len, s))
		return 0;
	*rest = p + len;
	*rest_n = n - len;
	return 1;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
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
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Copies untrusted p[0..n) into dst[size] as valid UTF-8: runs of white
 * space become one space (trimmed at both ends), other control bytes and
 * invalid sequences '?'. Cuts at a character boundary. */
static void clean_copy(char *dst, size_t size, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t o = 0, i = 0;
	int space = 0;

	if (size == 0)
		return;
	while (i < n) {
		size_t len = utf8_len(u + i, n - i);
		const char *src = p + i;

		if (len == 1 && is_space(u[i])) {
			space = o > 0;
			i++;
			continue;
		}
		if (len == 0 || (len == 1 && (u[i] < 0x20 || u[i] == 0x7f))) {
			src = "?";
			len = 1;
			i++;
		} else {
			i += len;
		}
		if (o + space + len > size - 1)
			break;
		if (space)
			dst[o++] = ' ';
		space = 0;
		memcpy(dst + o, src, len);
		o += len;
	}
	dst[o] = '\0';
}

/* clean_copy() of a host name, without the trailing root dot Gmail
 * writes ("mail-x.example. [192.0.2.1]"). */
static void copy_host(char *dst, size_t size, const char *p, size_t n)
{
	if (n > 1 && p[n - 1] == '.')
		n--;
	clean_copy(dst, size, p, n);
}

/* Cuts the clause part into words and comments. Returns the count. */
static size_t tokenize(const char *p, size_t n, struct tok *tok, size_t max)
{
	size_t i = 0, nt = 0;

	while (i < n && nt < max) {
		unsigned char c = (unsigned char)p[i];
		size_t s = i;

		if (is_space(c) || c == ')') {  /* a stray ')' is noise */
			i++;
			continue;
		}
		if (c == '(') {
			int depth = 0;

			/* RFC 5322 §3.2.2: comments nest; '\' quotes */
			for (; i < n; i++) {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				else if (p[i] == '(')
					depth++;
				else if (p[i] == ')' && --depth == 0)
					break;
			}
			tok[nt].type = TOK_COMMENT;
			tok[nt].p = p + s + 1;
			tok[nt].n = (i < n ? i : n) - s - 1;
			nt++;
			if (i < n)
				i++;
			continue;
		}
		if (c == '<') {
			const char *gt = memchr(p + i, '>', n - i);

			i = gt ? (size_t)(gt - p) + 1 : i + 1;
		} else if (c == '"') {
			for (i++; i < n && p[i] != '"'; i++)
				if (p[i] == '\\' && i + 1 < n)
					i++;
			if (i < n)
				i++;
		}
		while (i < n && !is_space((unsigned char)p[i]) && p[i] != '(')
			i++;
		tok[nt].type = TOK_WORD;
		tok[nt].p = p + s;
		tok[nt].n = i - s;
		nt++;
	}
	return nt;
}

static enum clause keyword(const char *p, size_t n)
{
	static const struct {
		const char *word;
		enum clause cl;
	} kw[] = {
		{"from", CL_FROM}, {"by", CL_BY}, {"via", CL_VIA},
		{"with", CL_WITH}, {"id", CL_ID}, {"for", CL_FOR},
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (word_is(p, n, kw[i].word))
			return kw[i].cl;
	return CL_NONE;
}

int received_tls_version(const char *p, size_t n, char *out, size_t out_size)
{
	char buf[16];
	size_t i = 3, o = 3;

	if (!p || n < 3 || out_size == 0)
		return -1;
	if (word_is(p, 3, "tls"))
		memcpy(buf, "TLS", 3);
	else if (word_is(p, 3, "ssl"))
		memcpy(buf, "SSL", 3);
	else
		return -1;
	if (i < n && (p[i] == 'v' || p[i] == 'V'))
		i++;
	if (i < n) {
		if (!is_digit((unsigned char)p[i]) || n - i > 8)
			return -1;
		buf[o++] = 'v';
		for (; i < n; i++) {
			if (is_digit((unsigned char)p[i]))
				buf[o++] = p[i];
			else if (p[i] == '.' || p[i] == '_')
				buf[o++] = '.';
			else
				return -1;
		}
	} else if (n > 3) {
		return -1;      /* "TLSv" */
	}
	buf[o] = '\0';
	if (o + 1 > out_size)
		return -1;
	memcpy(out, buf, o + 1);
	return 0;
}

/* An IP address in one of the shapes Received fields write it: "[a.b.c.d]",
 * "[IPv6:x::y]", "[a.b.c.d]:port", "a.b.c.d", "x::y", "user@[a.b.c.d]".
 * Copies the bare address to out (64 bytes) and returns 1, or returns 0. */
static int ip_word(const char *p, size_t n, char *out)
{
	const char *at = NULL, *rest;
	char buf[64];
	size_t rest_n;
	unsigned char bin[16];

	for (size_t i = 0; i < n; i++)
		if (p[i] == '@')
			at = p + i;
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);

		if (!close)
			return 0;
		n = (size_t)(close - p) - 1;
		p++;
	}
	if (word_has_prefix(p, n, "ipv6:", &rest, &rest_n)) {
		p = rest;
		n = rest_n;
	}
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, bin) != 1 && inet_pton(AF_INET6, buf, bin) != 1)
		return 0;
	memcpy(out, buf, n + 1);
	return 1;
}

/* A DNS-name-looking word (letters, digits, '-', '_', '.'), as a
 * reverse-DNS name in TCP-info is. */
static int name_word(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !is_digit(c) && c != '-' && c != '_' && c != '.')
			return 0;
	}
	return 1;
}

struct cword {
	const char *p;
	size_t n;
};

/* Words of a comment: white space, ',' and parentheses separate. */
static size_t comment_words(const char *p, size_t n, struct cword *w, size_t max)
{
	size_t i = 0, nw = 0;

	while (i < n && nw < max) {
		size_t s;

		if (is_space((unsigned char)p[i]) || p[i] == ',' || p[i] == '(' ||
		    p[i] == ')') {
			i++;
			continue;
		}
		s = i;
		while (i < n && !is_space((unsigned char)p[i]) && p[i] != ',' &&
		       p[i] != '(' && p[i] != ')')
			i++;
		w[nw].p = p + s;
		w[nw].n = i - s;
		nw++;
	}
	return nw;
}

/* The value after "key=" in word w, if w is such a word. */
static int kv(const struct cword *w, const char *key, const char **v, size_t *vn)
{
	return word_has_prefix(w->p, w->n, key, v, vn) && *vn > 0;
}

static void set_tls(struct received *r, const char *v, size_t vn)
{
	if (!r->tls_version[0])
		received_tls_version(v, vn, r->tls_version, sizeof(r->tls_version));
}

static void set_cipher(struct received *r, const char *v, size_t vn)
{
	if (!r->tls_cipher[0] && vn > 0)
		clean_copy(r->tls_cipher, sizeof(r->tls_cipher), v, vn);
}

enum comment_kind { CK_OTHER, CK_TLS, CK_AUTH, CK_TCPINFO };

/* Reads one comment for TLS details (Postfix "using TLSv1.3 with cipher
 * C", Sendmail/Gmail/Office 365 "version=V cipher=C", Exim "TLS1.3" and
 * "TLS1.2:C:256", Exchange 2010 "TLS"), an authenticated sender (Postfix),
 * and, if from_section, TCP-info (RFC 5321 §4.4: "(name [ip])", Exim's
 * "([ip]:port helo=h)", qmail's "(HELO h)" and "(ip)"). */
static enum comment_kind scan_comment(const char *p, size_t n,
				      struct received *r, struct tcpinfo *ti,
				      int from_section)
{
	struct cword w[COMMENT_MAX_WORDS];
	size_t nw = comment_words(p, n, w, COMMENT_MAX_WORDS), i;
	const char *v;
	size_t vn;
	char tmp[16];
	int tls = 0, ip_found = 0, helo_found = 0;
	const struct cword *name = NULL;

	if (nw == 0)
		return CK_OTHER;
	for (i = 0; i < nw; i++) {
		if (kv(&w[i], "version=", &v, &vn) &&
		    received_tls_version(v, vn, tmp, sizeof(tmp)) == 0) {
			set_tls(r, v, vn);
			tls = 1;
		} else if (kv(&w[i], "cipher=", &v, &vn)) {
			set_cipher(r, v, vn);
			tls = 1;
		}
	}
	if (tls)
		return CK_TLS;
	if (word_is(w[0].p, w[0].n, "using") && nw >= 2 &&
	    received_tls_version(w[1].p, w[1].n, tmp, sizeof(tmp)) == 0) {
		set_tls(r, w[1].p, w[1].n);
		for (i = 2; i + 1 < nw; i++)
			if (word_is(w[i].p, w[i].n, "cipher")) {
				set_cipher(r, w[i + 1].p, w[i + 1].n);
				break;
			}
		return CK_TLS;
	}
	if (nw <= 2) {
		/* "TLS1.3", "TLS", "TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256" */
		const char *colon = memchr(w[0].p, ':', w[0].n);
		size_t vlen = colon ? (size_t)(colon - w[0].p) : w[0].n;

		if (received_tls_version(w[0].p, vlen, tmp, sizeof(tmp)) == 0) {
			set_tls(r, w[0].p, vlen);
			if (colon) {
				const char *c = colon + 1;
				const char *end = w[0].p + w[0].n;
				const char *c2 = memchr(c, ':', (size_t)(end - c));

				set_cipher(r, c, (size_t)((c2 ? c2 : end) - c));
			}
			return CK_TLS;
		}
	}
	if (nw == 2 && word_is(w[1].p, w[1].n, "encrypted")) {
		/* qmail's TLS patch: "with (DHE-RSA-AES256-SHA encrypted) SMTP" */
		set_cipher(r, w[0].p, w[0].n);
		if (!r->tls_version[0])
			memcpy(r->tls_version, "TLS", 4);
		return CK_TLS;
	}
	for (i = 0; i + 1 < nw; i++) {
		/* Courier: "(AUTH: LOGIN user, TLS: TLSv1.2,256bits,CIPHER)" */
		if (word_is(w[i].p, w[i].n, "tls:")) {
			set_tls(r, w[i + 1].p, w[i + 1].n);
			if (!r->tls_version[0])
				memcpy(r->tls_version, "TLS", 4);
			if (i + 3 < nw && w[i + 2].n > 4 &&
			    word_is(w[i + 2].p + w[i + 2].n - 4, 4, "bits"))
				set_cipher(r, w[i + 3].p, w[i + 3].n);
			tls = 1;
		} else if (word_is(w[i].p, w[i].n, "auth:") && i + 2 < nw) {
			if (!r->auth[0])
				clean_copy(r->auth, sizeof(r->auth), w[i + 2].p,
					   w[i + 2].n);
			tls |= 2;
		}
	}
	if (tls)
		return tls & 1 ? CK_TLS : CK_AUTH;
	for (i = 0; i + 2 < nw; i++) {
		if (word_is(w[i].p, w[i].n, "authenticated") &&
		    word_is(w[i + 1].p, w[i + 1].n, "sender:")) {
			if (!r->auth[0])
				clean_copy(r->auth, sizeof(r->auth), w[i + 2].p,
					   w[i + 2].n);
			return CK_AUTH;
		}
	}
	if (!from_section)
		return CK_OTHER;

	for (i = 0; i < nw; i++) {
		char ip[64];

		if (kv(&w[i], "helo=", &v, &vn)) {
			if (!ti->helo[0])
				copy_host(ti->helo, sizeof(ti->helo), v, vn);
			helo_found = 1;
		} else if ((word_is(w[i].p, w[i].n, "helo") ||
			    word_is(w[i].p, w[i].n, "ehlo")) && i + 1 < nw) {
			i++;
			if (!ti->helo[0])
				copy_host(ti->helo, sizeof(ti->helo), w[i].p, w[i].n);
			helo_found = 1;
		} else if (ip_word(w[i].p, w[i].n, ip)) {
			if (!ti->ip[0])
				memcpy(ti->ip, ip, strlen(ip) + 1);
			ip_found = 1;
		} else if (w[i].p[0] == '[') {
			ip_found = 1;   /* an address literal, if not a valid one */
		} else if (kv(&w[i], "port=", &v, &vn) ||
			   kv(&w[i], "ident=", &v, &vn)) {
			continue;
		} else if (!name && i == 0) {
			const char *at = NULL;

			/* Sendmail: "IDENT:user@rdns" or "user@rdns" */
			for (size_t k = 0; k < w[i].n; k++)
				if (w[i].p[k] == '@')
					at = w[i].p + k;
			if (at) {
				w[i].n -= (size_t)(at + 1 - w[i].p);
				w[i].p = at + 1;
			}
			if (name_word(w[i].p, w[i].n))
				name = &w[i];
		}
	}
	if (!ip_found && !helo_found && !(nw == 1 && name))
		return CK_OTHER;
	if (name && !ti->have_name) {
		ti->have_name = 1;
		if (!word_is(name->p, name->n, "unknown"))
			copy_host(ti->name, sizeof(ti->name), name->p, name->n);
	}
	ti->is_tcpinfo = 1;
	return CK_TCPINFO;
}

/* RFC 3848 (and Gmail's "SMTPS"): protocols that say TLS was used. */
static int with_means_tls(const char *with)
{
	static const char *const tls_protos[] = {
		"ESMTPS", "ESMTPSA", "UTF8SMTPS", "UTF8SMTPSA", "LMTPS",
		"LMTPSA", "UTF8LMTPS", "UTF8LMTPSA", "SMTPS",
	};

	for (size_t i = 0; i < sizeof(tls_protos) / sizeof(tls_protos[0]); i++)
		if (word_is(with, strlen(with), tls_protos[i]))
			return 1;
	return 0;
}

/* Appends a word to the multi-word "with" value. Returns -1 when it does
 * not fit. */
static int with_append(struct received *r, const char *p, size_t n)
{
	size_t o = strlen(r->with);

	if (o == 0 || o + 1 + n >= sizeof(r->with))
		return -1;
	r->with[o] = ' ';
	clean_copy(r->with + o + 1, sizeof(r->with) - o - 1, p, n);
	if (!r->with[o + 1])
		r->with[o] = '\0';
	return 0;
}

/* Which word after "from", and what the comments after it said, decide
 * helo, host and IP. RFC 5321 (Postfix, Sendmail, Gmail): "from HELO
 * (rdns [ip])". Exim and qmail put the verified name first and say the
 * HELO apart ("helo=h", "(HELO h)"). */
static void resolve_from(struct received *r, const char *w, size_t wn,
			 const struct tcpinfo *ti)
{
	char ip[64];
	int literal = wn > 0 && w[0] == '[';

	if (ti->helo[0]) {
		memcpy(r->from_helo, ti->helo, sizeof(r->from_helo));
		if (!literal && !word_is(w, wn, "unknown"))
			copy_host(r->from_host, sizeof(r->from_host), w, wn);
	} else {
		copy_host(r->from_helo, sizeof(r->from_helo), w, wn);
		memcpy(r->from_host, ti->name, sizeof(r->from_host));
	}
	if (ti->ip[0])
		memcpy(r->from_ip, ti->ip, sizeof(r->from_ip));
	else if (wn > 0 && ip_word(w, wn, ip))
		memcpy(r->from_ip, ip, sizeof(r->from_ip));
}

static void strip_angle(const char **p, size_t *n)
{
	while (*n > 0 && ((*p)[*n - 1] == ',' || (*p)[*n - 1] == ';'))
		(*n)--;
	if (*n >= 2 && (*p)[0] == '<' && (*p)[*n - 1] == '>') {
		(*p)++;
		*n -= 2;
	}
}

/* Reads the date after the last ';'. Courier writes its queue ID after
 * the date ("...; Tue, 24 Nov 2026 10:00:00 +0000 id 0000A1B2..."): a
 * free-standing "id" word ends the date and its value is taken. */
static void parse_date_part(const char *p, size_t n, struct received *r)
{
	size_t dn = n;
	const char *idv = NULL;
	size_t idn = 0;
	double t;
	int tz_ok, fd;

	for (size_t i = 0; i + 3 < n; i++) {
		if (is_space((unsigned char)p[i]) && word_is(p + i + 1, 2, "id") &&
		    is_space((unsigned char)p[i + 3])) {
			size_t s = i + 3, e;

			while (s < n && is_space((unsigned char)p[s]))
				s++;
			for (e = s; e < n && !is_space((unsigned char)p[e]); e++)
				;
			dn = i;
			idv = p + s;
			idn = e - s;
			break;
		}
	}
	if (received_parse_date(p, dn, &t, &tz_ok, &fd) < 0)
		return;
	r->at = t;
	r->tz_ok = tz_ok;
	r->at_frac = fd;
	if (idv && idn && !r->id[0])
		clean_copy(r->id, sizeof(r->id), idv, idn);
}

/* An unknown form keeps only raw and the date: half-read clauses of a
 * form we do not know would be guesses. */
static void forget_clauses(struct received *r)
{
	r->from_host[0] = r->from_helo[0] = r->from_ip[0] = '\0';
	r->by_host[0] = r->with[0] = r->id[0] = r->for_addr[0] = '\0';
	r->tls_version[0] = r->tls_cipher[0] = '\0';
	r->auth[0] = r->note[0] = '\0';
}

int received_parse(const char *p, size_t n, struct received *r)
{
	struct tok tok[RECEIVED_MAX_TOKENS];
	struct tcpinfo ti;
	enum clause cur = CL_NONE;
	const char *from_w = NULL, *semi = NULL;
	size_t nt, from_n = 0, clause_n;
	int awaiting = 0, collecting = 0, words = 0, first_is_kw = 0;
	int strays = 0, have_with = 0, with_full = 0, qmail = 0;

	memset(r, 0, sizeof(*r));
	memset(&ti, 0, sizeof(ti));
	r->at = NAN;
	if (!p)
		n = 0;
	if (n > RECEIVED_MAX_INPUT)
		n = RECEIVED_MAX_INPUT;
	if (n == 0)
		return 0;
	clean_copy(r->raw, sizeof(r->raw), p, n);

	/* RFC 5321 §4.4: the date follows the last ';' */
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == ';') {
			semi = p + i - 1;
			break;
		}
	clause_n = semi ? (size_t)(semi - p) : n;
	if (semi)
		parse_date_part(semi + 1, n - clause_n - 1, r);

	nt = tokenize(p, clause_n, tok, RECEIVED_MAX_TOKENS);
	for (size_t i = 0; i < nt; i++) {
		const char *w = tok[i].p;
		size_t wn = tok[i].n;
		enum clause kw;

		if (tok[i].type == TOK_COMMENT) {
			enum comment_kind k = scan_comment(w, wn, r, &ti,
							   cur == CL_FROM);

			if (words == 0 && k == CK_OTHER && !r->note[0])
				clean_copy(r->note, sizeof(r->note), w, wn);
			collecting = 0;
			continue;
		}
		kw = keyword(w, wn);
		if (kw == CL_NONE && have_with && !awaiting && word_is(w, wn, "tls"))
			kw = CL_TLS;    /* Exim: "with esmtps (TLS1.3) tls CIPHER" */
		if (words++ == 0)
			first_is_kw = kw != CL_NONE;
		if (kw != CL_NONE) {
			cur = kw;
			awaiting = 1;
			collecting = 0;
			continue;
		}
		if (awaiting) {
			awaiting = 0;
			switch (cur) {
			case CL_FROM:
				if (!from_w) {
					from_w = w;
					from_n = wn;
				}
				break;
			case CL_BY:
				if (!r->by_host[0])
					copy_host(r->by_host, sizeof(r->by_host), w, wn);
				break;
			case CL_WITH:
				if (!have_with) {
					clean_copy(r->with, sizeof(r->with), w, wn);
					have_with = 1;
					collecting = 1;
				}
				break;
			case CL_VIA:
				collecting = 1;
				break;
			case CL_ID:
				if (!r->id[0])
					clean_copy(r->id, sizeof(r->id), w, wn);
				break;
			case CL_FOR:
				strip_angle(&w, &wn);
				if (!r->for_addr[0])
					clean_copy(r->for_addr, sizeof(r->for_addr), w, wn);
				break;
			case CL_TLS:
				set_cipher(r, w, wn);
				break;
			case CL_NONE:
				break;
			}
			continue;
		}
		if (collecting) {
			/* a protocol too long for its field ends at the
			 * first word that does not fit; the rest is
			 * still part of it, not stray */
			if (cur == CL_WITH && !with_full &&
			    with_append(r, w, wn) < 0)
				with_full = 1;
			continue;
		}
		strays++;
	}

	if (from_w)
		resolve_from(r, from_w, from_n, &ti);
	if (!r->tls_version[0] && with_means_tls(r->with))
		memcpy(r->tls_version, "TLS", 4);
	/* qmail-queue's own stamp: "(qmail 1234 invoked by uid 89)" */
	if (words == 0 && strncmp(r->note, "qmail ", 6) == 0 &&
	    strstr(r->note, " invoked "))
		qmail = 1;
	r->parsed = qmail || (first_is_kw && (r->from_helo[0] || r->by_host[0]) &&
			      strays <= MAX_STRAY_WORDS);
	if (!r->parsed)
		forget_clauses(r);
	return r->parsed;
}

static int set_str(json_t *o, const char *key, const char *s)
{
	json_t *v = s && s[0] ? json_string(s) : json_null();

	return !v || json_object_set_new(o, key, v);
}

json_t *received_to_json(const struct received *r)
{
	json_t *o = json_object();
	char at[MC_RFC3339_MAX];
	int bad = 0;

	if (!o)
		return NULL;
	bad |= set_str(o, "from", r->from_host[0] ? r->from_host : r->from_helo);
	bad |= set_str(o, "helo", r->from_helo);
	bad |= set_str(o, "ip", r->from_ip);
	bad |= set_str(o, "by", r->by_host);
	bad |= set_str(o, "with", r->with);
	bad |= set_str(o, "id", r->id);
	bad |= set_str(o, "for", r->for_addr);
	bad |= set_str(o, "tls", r->tls_version);
	bad |= set_str(o, "cipher", r->tls_cipher);
	bad |= set_str(o, "auth", r->auth);
	bad |= set_str(o, "note", r->note);
	bad |= set_str(o, "at", isnan(r->at) ? NULL
			: mc_time_rfc3339(r->at, r->at_frac, at));
	if (!isnan(r->at) && !r->tz_ok)
		bad |= json_object_set_new(o, "zone_assumed", json_true()) != 0;
	if (!r->parsed)
		bad |= set_str(o, "raw", r->raw);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
