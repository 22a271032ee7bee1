/* DKIM tag-lists (RFC 6376 §3.2), base64 and the DKIM-Signature field's
 * tags (§3.5). Pure parsing: bytes in, structures out. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dkim_parse.h"

#define OOM -2

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

char *dkim_printable(const char *p, size_t n)
{
	char *out = malloc(4 * n + 1);
	size_t j = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c > 0x7e) {
			snprintf(out + j, 5, "\\x%02x", c);
			j += 4;
		} else {
			out[j++] = (char)c;
		}
	}
	out[j] = '\0';
	return out;
}

int dkim_tags_parse(const char *p, size_t n, struct dkim_taglist *tl,
		    struct mc_err *err)
{
	size_t i = 0;

	tl->n = 0;
	for (;;) {
		struct dkim_tag *t;
		size_t s, e;

		while (i < n && is_ws(p[i]))
			i++;
		if (i == n)
			return 0;
		if (p[i] == ';') {        /* an empty tag-spec: tolerated */
			i++;
			continue;
		}
		if (!is_alpha(p[i]))
			return mc_err_set(err, -1, MC_COMP_DKIM,
					  "tag-list syntax: a tag name must start with a letter (offset %zu)",
					  i);
		if (tl->n == MC_DKIM_MAX_TAGS)
			return mc_err_set(err, -1, MC_COMP_DKIM,
					  "tag-list has more than %d tags",
					  MC_DKIM_MAX_TAGS);
		t = &tl->tags[tl->n];
		t->name = p + i;
		while (i < n && (is_alpha(p[i]) || is_digit(p[i]) || p[i] == '_'))
			i++;
		t->name_len = (size_t)(p + i - t->name);
		while (i < n && is_ws(p[i]))
			i++;
		if (i == n || p[i] != '=')
			return mc_err_set(err, -1, MC_COMP_DKIM,
					  "tag-list syntax: tag '%.*s' has no '='",
					  (int)(t->name_len > 20 ? 20 : t->name_len),
					  t->name);
		i++;
		t->raw_start = i;
		while (i < n && p[i] != ';')
			i++;
		t->raw_end = i;
		s = t->raw_start;
		e = t->raw_end;
		while (s < e && is_ws(p[s]))
			s++;
		while (e > s && is_ws(p[e - 1]))
			e--;
		for (size_t k = s; k < e; k++) {
			unsigned char c = (unsigned char)p[k];

			/* VALCHAR is %x21-3A / %x3C-7E; 8-bit bytes are let
			 * through (EAI z= copies, notes); controls are not. */
			if (c < 0x20 && !is_ws((char)c))
				return mc_err_set(err, -1, MC_COMP_DKIM,
						  "tag-list syntax: control byte 0x%02x in tag '%.*s'",
						  c, (int)(t->name_len > 20 ? 20 : t->name_len),
						  t->name);
			if (c == 0x7f)
				return mc_err_set(err, -1, MC_COMP_DKIM,
						  "tag-list syntax: DEL in tag '%.*s'",
						  (int)(t->name_len > 20 ? 20 : t->name_len),
						  t->name);
		}
		t->val = p + s;
		t->val_len = e - s;
		/* §3.2: a duplicated tag makes the whole list invalid. */
		for (size_t k = 0; k < tl->n; k++)
			if (tl->tags[k].name_len == t->name_len &&
			    memcmp(tl->tags[k].name, t->name, t->name_len) == 0)
				return mc_err_set(err, -1, MC_COMP_DKIM,
						  "tag-list: tag '%.*s' appears twice",
						  (int)(t->name_len > 20 ? 20 : t->name_len),
						  t->name);
		tl->n++;
		if (i < n)
			i++;      /* the ';' */
	}
}

const struct dkim_tag *dkim_tag_find(const struct dkim_taglist *tl,
				     const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < tl->n; i++)
		if (tl->tags[i].name_len == len &&
		    memcmp(tl->tags[i].name, name, len) == 0)
			return &tl->tags[i];
	return NULL;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

unsigned char *dkim_base64_decode(const char *p, size_t n, size_t *out_len,
				  int *oom)
{
	unsigned char *out = malloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	size_t chars = 0, pad = 0, j = 0;

	if (oom)
		*oom = out == NULL;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (is_ws(p[i]))
			continue;
		if (p[i] == '=') {
			pad++;
			continue;
		}
		v = b64_value(p[i]);
		if (v < 0 || pad)      /* data after padding */
			goto bad;
		acc = acc << 6 | (unsigned)v;
		if (++chars % 4 == 0) {
			out[j++] = (unsigned char)(acc >> 16);
			out[j++] = (unsigned char)(acc >> 8);
			out[j++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (chars % 4) {
	case 0:
		if (pad)
			goto bad;
		break;
	case 1:
		goto bad;
	case 2:           /* padding, when present, must be complete */
		if (pad != 0 && pad != 2)
			goto bad;
		out[j++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (pad > 1)
			goto bad;
		out[j++] = (unsigned char)(acc >> 10);
		out[j++] = (unsigned char)(acc >> 2);
		break;
	}
	out[j] = '\0';
	*out_len = j;
	return out;
bad:
	free(out);
	return NULL;
}

/* A domain or selector: dot-separated labels of letters, digits, '-' and
 * '_', each 1..63 bytes, 253 in all. */
static int name_ok(const char *p, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

char *dkim_key_name(const char *domain, const char *selector)
{
	size_t dl = strlen(domain), sl = strlen(selector);
	char *name;

	if (!name_ok(domain, dl) || !name_ok(selector, sl) ||
	    dl + sl + 12 > 253)
		return NULL;
	name = malloc(dl + sl + 13);
	if (name)
		snprintf(name, dl + sl + 13, "%s._domainkey.%s", selector,
			 domain);
	return name;
}

static char *dup_val(const struct dkim_tag *t)
{
	char *s = malloc(t->val_len + 1);

	if (s) {
		memcpy(s, t->val, t->val_len);
		s[t->val_len] = '\0';
	}
	return s;
}

/* Decimal digits only, at most max_digits; the value is clamped at
 * LLONG_MAX (RFC 6376 allows 76 digits in l=). */
static int parse_decimal(const struct dkim_tag *t, size_t max_digits,
			 long long *v)
{
	long long x = 0;

	if (t->val_len == 0 || t->val_len > max_digits)
		return -1;
	for (size_t i = 0; i < t->val_len; i++) {
		if (!is_digit(t->val[i]))
			return -1;
		if (x > (LLONG_MAX - 9) / 10)
			x = LLONG_MAX;
		else
			x = x * 10 + (t->val[i] - '0');
	}
	*v = x;
	return 0;
}

static int parse_canon(const char *p, size_t n, enum dkim_canon *c)
{
	if (n == 6 && strncasecmp(p, "simple", 6) == 0)
		*c = DKIM_CANON_SIMPLE;
	else if (n == 7 && strncasecmp(p, "relaxed", 7) == 0)
		*c = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* h=: colon-separated field names with FWS around them. */
static int parse_h(const struct dkim_tag *t, struct dkim_sig *sig,
		   struct mc_err *err)
{
	size_t i = 0, count = 1;
	int from = 0;

	for (size_t k = 0; k < t->val_len; k++)
		count += t->val[k] == ':';
	if (count > MC_DKIM_MAX_SIGNED_HEADERS)
		return mc_err_set(err, -1, MC_COMP_DKIM,
				  "h= lists more than %d fields",
				  MC_DKIM_MAX_SIGNED_HEADERS);
	sig->h = calloc(count, sizeof(*sig->h));
	if (!sig->h)
		return mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory");
	while (i <= t->val_len) {
		size_t s = i, e;
		char *name;

		while (i < t->val_len && t->val[i] != ':')
			i++;
		e = i;
		while (s < e && is_ws(t->val[s]))
			s++;
		while (e > s && is_ws(t->val[e - 1]))
			e--;
		if (s == e)
			return mc_err_set(err, -1, MC_COMP_DKIM,
					  "h= has an empty field name");
		for (size_t k = s; k < e; k++) {
			unsigned char c = (unsigned char)t->val[k];

			if (c < 0x21 || c > 0x7e)
				return mc_err_set(err, -1, MC_COMP_DKIM,
						  "h= has a bad field name");
		}
		name = malloc(e - s + 1);
		if (!name)
			return mc_err_set(err, OOM, MC_COMP_DKIM,
					  "out of memory");
		for (size_t k = s; k < e; k++)
			name[k - s] = (char)tolower((unsigned char)t->val[k]);
		name[e - s] = '\0';
		sig->h[sig->n_h++] = name;
		if (strcmp(name, "from") == 0)
			from = 1;
		i++;      /* past ':' (or the end) */
	}
	/* RFC 6376 §5.4: the From field MUST be signed. */
	if (!from)
		return mc_err_set(err, -1, MC_COMP_DKIM,
				  "h= does not include From (RFC 6376 section 5.4)");
	return 0;
}

static int parse_b64_tag(const struct dkim_tag *t, const char *what,
			 unsigned char **out, size_t *len, struct mc_err *err)
{
	int oom;

	*out = dkim_base64_decode(t->val, t->val_len, len, &oom);
	if (!*out)
		return oom ? mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory") :
			mc_err_set(err, -1, MC_COMP_DKIM, "%s= is not base64",
				   what);
	if (*len == 0)
		return mc_err_set(err, -1, MC_COMP_DKIM, "%s= is empty", what);
	return 0;
}

/* Whether dom (of i=) is d or a subdomain of it, case-insensitively. */
static int within(const char *dom, size_t n, const char *d)
{
	size_t dl = strlen(d);

	if (n < dl || strncasecmp(dom + n - dl, d, dl) != 0)
		return 0;
	return n == dl || dom[n - dl - 1] == '.';
}

int dkim_sig_parse(const char *p, size_t n, struct dkim_sig *sig,
		   struct mc_err *err)
{
	struct dkim_taglist *tl = malloc(sizeof(*tl));
	const struct dkim_tag *t;
	const char *slash;
	int rc = -1;

	memset(sig, 0, sizeof(*sig));
	sig->l = sig->t = sig->x = -1;
	if (!tl)
		return mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory");
	if (dkim_tags_parse(p, n, tl, err))
		goto out;
#define COPY(field, tag) \
	if ((t = dkim_tag_find(tl, tag)) && !(sig->field = dup_val(t))) { \
		rc = mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory"); \
		goto out; \
	}
	COPY(a, "a");
	COPY(domain, "d");
	COPY(selector, "s");
#undef COPY
	t = dkim_tag_find(tl, "v");
	if (!t) {
		mc_err_set(err, -1, MC_COMP_DKIM, "no v= tag");
		goto out;
	}
	if (t->val_len != 1 || t->val[0] != '1') {
		mc_err_set(err, -1, MC_COMP_DKIM, "unsupported version v=%.*s",
			   (int)(t->val_len > 10 ? 10 : t->val_len), t->val);
		goto out;
	}
	if (!sig->a) {
		mc_err_set(err, -1, MC_COMP_DKIM, "no a= tag");
		goto out;
	}
	if (strcasecmp(sig->a, "rsa-sha256") == 0)
		sig->alg = DKIM_ALG_RSA_SHA256;
	else if (strcasecmp(sig->a, "rsa-sha1") == 0)
		sig->alg = DKIM_ALG_RSA_SHA1;
	else if (strcasecmp(sig->a, "ed25519-sha256") == 0)
		sig->alg = DKIM_ALG_ED25519_SHA256;
	else {
		mc_err_set(err, -1, MC_COMP_DKIM, "unknown algorithm a=%.40s",
			   sig->a);
		goto out;
	}
	if (!(t = dkim_tag_find(tl, "b"))) {
		mc_err_set(err, -1, MC_COMP_DKIM, "no b= tag");
		goto out;
	}
	sig->b_start = t->raw_start;
	sig->b_end = t->raw_end;
	if ((rc = parse_b64_tag(t, "b", &sig->b, &sig->b_len, err)) != 0)
		goto out;
	rc = -1;
	if (!(t = dkim_tag_find(tl, "bh"))) {
		mc_err_set(err, -1, MC_COMP_DKIM, "no bh= tag");
		goto out;
	}
	if ((rc = parse_b64_tag(t, "bh", &sig->bh, &sig->bh_len, err)) != 0)
		goto out;
	rc = -1;
	if ((t = dkim_tag_find(tl, "c"))) {
		slash = memchr(t->val, '/', t->val_len);
		if (parse_canon(t->val, slash ? (size_t)(slash - t->val) :
				t->val_len, &sig->hcanon) ||
		    (slash && parse_canon(slash + 1, t->val_len -
					  (size_t)(slash + 1 - t->val),
					  &sig->bcanon))) {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "unknown canonicalization c=%.*s",
				   (int)(t->val_len > 30 ? 30 : t->val_len),
				   t->val);
			goto out;
		}
	}
	sig->canon = malloc(16);
	if (!sig->canon) {
		rc = mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory");
		goto out;
	}
	snprintf(sig->canon, 16, "%s/%s",
		 sig->hcanon == DKIM_CANON_RELAXED ? "relaxed" : "simple",
		 sig->bcanon == DKIM_CANON_RELAXED ? "relaxed" : "simple");
	if (!sig->domain || !name_ok(sig->domain, strlen(sig->domain))) {
		mc_err_set(err, -1, MC_COMP_DKIM,
			   sig->domain ? "d= is not a domain name" : "no d= tag");
		goto out;
	}
	if (!sig->selector || !name_ok(sig->selector, strlen(sig->selector))) {
		mc_err_set(err, -1, MC_COMP_DKIM, sig->selector ?
			   "s= is not a selector name" : "no s= tag");
		goto out;
	}
	if (!(t = dkim_tag_find(tl, "h"))) {
		mc_err_set(err, -1, MC_COMP_DKIM, "no h= tag");
		goto out;
	}
	if ((rc = parse_h(t, sig, err)) != 0)
		goto out;
	rc = -1;
	if ((t = dkim_tag_find(tl, "i"))) {
		const char *at = memrchr(t->val, '@', t->val_len);

		if (!(sig->identity = dup_val(t))) {
			rc = mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory");
			goto out;
		}
		/* §3.5 i=: the domain part must be d= or a subdomain. */
		if (!at || !within(at + 1, t->val_len - (size_t)(at + 1 - t->val),
				   sig->domain)) {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "i= is not in d= or a subdomain of it");
			goto out;
		}
	} else {
		size_t dl = strlen(sig->domain) + 2;

		if (!(sig->identity = malloc(dl))) {
			rc = mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory");
			goto out;
		}
		snprintf(sig->identity, dl, "@%s", sig->domain);
	}
	if ((t = dkim_tag_find(tl, "l")) && parse_decimal(t, 76, &sig->l)) {
		mc_err_set(err, -1, MC_COMP_DKIM, "l= is not a number");
		goto out;
	}
	if ((t = dkim_tag_find(tl, "q"))) {
		int ok = 0;

		/* Colon-separated methods; dns/txt is the only one defined. */
		for (size_t i = 0; i < t->val_len;) {
			size_t s = i;

			while (i < t->val_len && t->val[i] != ':')
				i++;
			if (i - s == 7 && strncasecmp(t->val + s, "dns/txt", 7) == 0)
				ok = 1;
			i++;
		}
		if (!ok) {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "q= has no supported query method (dns/txt)");
			goto out;
		}
	}
	if ((t = dkim_tag_find(tl, "t")) && parse_decimal(t, 12, &sig->t)) {
		mc_err_set(err, -1, MC_COMP_DKIM, "t= is not a timestamp");
		goto out;
	}
	if ((t = dkim_tag_find(tl, "x")) && parse_decimal(t, 12, &sig->x)) {
		mc_err_set(err, -1, MC_COMP_DKIM, "x= is not a timestamp");
		goto out;
	}
	/* §3.5 x=: MUST be greater than t= when both are present. */
	if (sig->t >= 0 && sig->x >= 0 && sig->x < sig->t) {
		mc_err_set(err, -1, MC_COMP_DKIM, "x= is earlier than t=");
		goto out;
	}
	rc = 0;
out:
	free(tl);
	return rc;
}

void dkim_sig_clear(struct dkim_sig *sig)
{
	if (!sig)
		return;
	free(sig->a);
	free(sig->domain);
	free(sig->selector);
	free(sig->identity);
	free(sig->canon);
	for (size_t i = 0; i < sig->n_h; i++)
		free(sig->h[i]);
	free(sig->h);
	free(sig->b);
	free(sig->bh);
	memset(sig, 0, sizeof(*sig));
}
