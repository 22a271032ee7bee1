/* The comments of a Received field -- where MTAs put everything RFC 5321
 * has no clause for: TLS version and cipher (Postfix "using TLSv1.3 with
 * cipher C", Sendmail/Gmail/Office 365 "version=V cipher=C", Exim "TLS1.3"
 * and "TLS1.2:C:256", Exchange 2010 "TLS", qmail's "C encrypted", Courier's
 * "TLS: V,bits,C"), the authenticated sender, and right after the
 * from-domain the TCP-info (RFC 5321 §4.4: "(name [ip])", Exim's
 * "([ip]:port helo=h)", qmail's "(HELO h)" and "(ip)"). Also the byte
 * helpers both halves of the parser use. */
#include <arpa/inet.h>
#include <string.h>

#include "receiver/received_internal.h"

/* Words of one comment looked at. */
#define COMMENT_MAX_WORDS 48

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int rcv_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int rcv_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive: is p[0..n) exactly s? */
int rcv_word_is(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || lower((unsigned char)p[i]) != lower((unsigned char)s[i]))
			return 0;
	return s[i] == '\0';
}

/* Case-insensitive prefix test; *rest gets what follows. */
int rcv_word_has_prefix(const char *p, size_t n, const char *s,
			   const char **rest, size_t *rest_n)
{
	size_t len = strlen(s);

	if (n < len || !rcv_word_is(p, len, s))
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
void rcv_clean_copy(char *dst, size_t size, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t o = 0, i = 0;
	int space = 0;

	if (size == 0)
		return;
	while (i < n) {
		size_t len = utf8_len(u + i, n - i);
		const char *src = p + i;

		if (len == 1 && rcv_is_space(u[i])) {
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

/* rcv_clean_copy() of a host name, without the trailing root dot Gmail
 * writes ("mail-x.example. [192.0.2.1]"). */
void rcv_copy_host(char *dst, size_t size, const char *p, size_t n)
{
	if (n > 1 && p[n - 1] == '.')
		n--;
	rcv_clean_copy(dst, size, p, n);
}

int received_tls_version(const char *p, size_t n, char *out, size_t out_size)
{
	char buf[16];
	size_t i = 3, o = 3;

	if (!p || n < 3 || out_size == 0)
		return -1;
	if (rcv_word_is(p, 3, "tls"))
		memcpy(buf, "TLS", 3);
	else if (rcv_word_is(p, 3, "ssl"))
		memcpy(buf, "SSL", 3);
	else
		return -1;
	if (i < n && (p[i] == 'v' || p[i] == 'V'))
		i++;
	if (i < n) {
		if (!rcv_is_digit((unsigned char)p[i]) || n - i > 8)
			return -1;
		buf[o++] = 'v';
		for (; i < n; i++) {
			if (rcv_is_digit((unsigned char)p[i]))
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
int rcv_ip_word(const char *p, size_t n, char *out)
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
	if (rcv_word_has_prefix(p, n, "ipv6:", &rest, &rest_n)) {
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
		    !rcv_is_digit(c) && c != '-' && c != '_' && c != '.')
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

		if (rcv_is_space((unsigned char)p[i]) || p[i] == ',' || p[i] == '(' ||
		    p[i] == ')') {
			i++;
			continue;
		}
		s = i;
		while (i < n && !rcv_is_space((unsigned char)p[i]) && p[i] != ',' &&
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
	return rcv_word_has_prefix(w->p, w->n, key, v, vn) && *vn > 0;
}

static void set_tls(struct received *r, const char *v, size_t vn)
{
	if (!r->tls_version[0])
		received_tls_version(v, vn, r->tls_version, sizeof(r->tls_version));
}

void rcv_set_cipher(struct received *r, const char *v, size_t vn)
{
	if (!r->tls_cipher[0] && vn > 0)
		rcv_clean_copy(r->tls_cipher, sizeof(r->tls_cipher), v, vn);
}

/* Reads one comment for TLS details (Postfix "using TLSv1.3 with cipher
 * C", Sendmail/Gmail/Office 365 "version=V cipher=C", Exim "TLS1.3" and
 * "TLS1.2:C:256", Exchange 2010 "TLS"), an authenticated sender (Postfix),
 * and, if from_section, TCP-info (RFC 5321 §4.4: "(name [ip])", Exim's
 * "([ip]:port helo=h)", qmail's "(HELO h)" and "(ip)"). */
enum rcv_comment_kind rcv_scan_comment(const char *p, size_t n,
				      struct received *r, struct rcv_tcpinfo *ti,
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
		return RCV_CK_OTHER;
	for (i = 0; i < nw; i++) {
		if (kv(&w[i], "version=", &v, &vn) &&
		    received_tls_version(v, vn, tmp, sizeof(tmp)) == 0) {
			set_tls(r, v, vn);
			tls = 1;
		} else if (kv(&w[i], "cipher=", &v, &vn)) {
			rcv_set_cipher(r, v, vn);
			tls = 1;
		}
	}
	if (tls)
		return RCV_CK_TLS;
	if (rcv_word_is(w[0].p, w[0].n, "using") && nw >= 2 &&
	    received_tls_version(w[1].p, w[1].n, tmp, sizeof(tmp)) == 0) {
		set_tls(r, w[1].p, w[1].n);
		for (i = 2; i + 1 < nw; i++)
			if (rcv_word_is(w[i].p, w[i].n, "cipher")) {
				rcv_set_cipher(r, w[i + 1].p, w[i + 1].n);
				break;
			}
		return RCV_CK_TLS;
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

				rcv_set_cipher(r, c, (size_t)((c2 ? c2 : end) - c));
			}
			return RCV_CK_TLS;
		}
	}
	if (nw == 2 && rcv_word_is(w[1].p, w[1].n, "encrypted")) {
		/* qmail's TLS patch: "with (DHE-RSA-AES256-SHA encrypted) SMTP" */
		rcv_set_cipher(r, w[0].p, w[0].n);
		if (!r->tls_version[0])
			memcpy(r->tls_version, "TLS", 4);
		return RCV_CK_TLS;
	}
	for (i = 0; i + 1 < nw; i++) {
		/* Courier: "(AUTH: LOGIN user, TLS: TLSv1.2,256bits,CIPHER)" */
		if (rcv_word_is(w[i].p, w[i].n, "tls:")) {
			set_tls(r, w[i + 1].p, w[i + 1].n);
			if (!r->tls_version[0])
				memcpy(r->tls_version, "TLS", 4);
			if (i + 3 < nw && w[i + 2].n > 4 &&
			    rcv_word_is(w[i + 2].p + w[i + 2].n - 4, 4, "bits"))
				rcv_set_cipher(r, w[i + 3].p, w[i + 3].n);
			tls = 1;
		} else if (rcv_word_is(w[i].p, w[i].n, "auth:") && i + 2 < nw) {
			if (!r->auth[0])
				rcv_clean_copy(r->auth, sizeof(r->auth), w[i + 2].p,
					   w[i + 2].n);
			tls |= 2;
		}
	}
	if (tls)
		return tls & 1 ? RCV_CK_TLS : RCV_CK_AUTH;
	for (i = 0; i + 2 < nw; i++) {
		if (rcv_word_is(w[i].p, w[i].n, "authenticated") &&
		    rcv_word_is(w[i + 1].p, w[i + 1].n, "sender:")) {
			if (!r->auth[0])
				rcv_clean_copy(r->auth, sizeof(r->auth), w[i + 2].p,
					   w[i + 2].n);
			return RCV_CK_AUTH;
		}
	}
	if (!from_section)
		return RCV_CK_OTHER;

	for (i = 0; i < nw; i++) {
		char ip[64];

		if (kv(&w[i], "helo=", &v, &vn)) {
			if (!ti->helo[0])
				rcv_copy_host(ti->helo, sizeof(ti->helo), v, vn);
			helo_found = 1;
		} else if ((rcv_word_is(w[i].p, w[i].n, "helo") ||
			    rcv_word_is(w[i].p, w[i].n, "ehlo")) && i + 1 < nw) {
			i++;
			if (!ti->helo[0])
				rcv_copy_host(ti->helo, sizeof(ti->helo), w[i].p, w[i].n);
			helo_found = 1;
		} else if (rcv_ip_word(w[i].p, w[i].n, ip)) {
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
		return RCV_CK_OTHER;
	if (name && !ti->have_name) {
		ti->have_name = 1;
		if (!rcv_word_is(name->p, name->n, "unknown"))
			rcv_copy_host(ti->name, sizeof(ti->name), name->p, name->n);
	}
	return RCV_CK_TCPINFO;
}
