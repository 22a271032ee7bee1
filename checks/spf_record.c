/* SPF record syntax (RFC 7208 §4.5, §4.6.1, §5, §6, §12 ABNF): a record is
 * parsed whole before anything is evaluated, because a syntax error
 * anywhere makes the result permerror (§4.6). Pure; no DNS. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "checks/spf_parse.h"

struct mech_name {
	const char *name;
	enum mc_spf_mech mech;
};

static const struct mech_name mechs[] = {
	{"all", MC_SPF_MECH_ALL},       {"include", MC_SPF_MECH_INCLUDE},
	{"a", MC_SPF_MECH_A},           {"mx", MC_SPF_MECH_MX},
	{"ptr", MC_SPF_MECH_PTR},       {"ip4", MC_SPF_MECH_IP4},
	{"ip6", MC_SPF_MECH_IP6},       {"exists", MC_SPF_MECH_EXISTS},
};

int spf_record_is_spf1(const char *p, size_t n)
{
	return n >= 6 && strncasecmp(p, "v=spf1", 6) == 0 &&
	       (n == 6 || p[6] == ' ');
}

void spf_record_free(struct mc_spf_record *rec)
{
	if (!rec)
		return;
	free(rec->terms);
	free(rec->strings);
	free(rec);
}

/* A NUL-terminated copy of p/n in rec's string block, which
 * spf_record_parse() sized for every copy a record can need. */
static char *dup_n(struct mc_spf_record *rec, const char *p, size_t n)
{
	char *s;

	if (rec->strings_cap - rec->strings_used < n + 1)
		return NULL;      /* cannot happen: see spf_record_parse() */
	s = rec->strings + rec->strings_used;
	memcpy(s, p, n);
	s[n] = '\0';
	rec->strings_used += n + 1;
	return s;
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Parses a CIDR length: "0" or digits without a leading zero, at most
 * max. Returns the value or -1. */
static int cidr_value(const char *p, size_t n, int max)
{
	int v = 0;

	if (n == 0 || n > 3 || (p[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= max ? v : -1;
}

/* If p (length *n) ends in sep DIGITS (sep "/" or "//"), takes it off, stores the
 * length in *cidr and returns 0; returns 1 if there is none; -1 if it is
 * there but invalid. A "/" that is the second half of "//" is not one. */
static int strip_cidr(const char *p, size_t *n, const char *sep, int max,
		      int *cidr)
{
	size_t end = *n, d = end, sl = strlen(sep);

	while (d > 0 && is_digit(p[d - 1]))
		d--;
	if (d == end || d < sl || memcmp(p + d - sl, sep, sl) != 0)
		return 1;
	if (sl == 1 && d >= 2 && p[d - 2] == '/')
		return 1;
	*cidr = cidr_value(p + d, end - d, max);
	if (*cidr < 0)
		return -1;
	*n = d - sl;
	return 0;
}

static int parse_ip_mech(struct mc_spf_term *t, const char *p, size_t n,
			 struct mc_err *err)
{
	int v6 = t->mech == MC_SPF_MECH_IP6;
	int max = v6 ? 128 : 32;
	const char *slash;
	size_t alen;

	if (n < 2 || p[0] != ':')
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "%s needs ':' and a network", v6 ? "ip6" : "ip4");
	p++;
	n--;
	slash = memchr(p, '/', n);
	alen = slash ? (size_t)(slash - p) : n;
	if (ipaddr_parse(p, alen, &t->net) ||
	    t->net.family != (v6 ? AF_INET6 : AF_INET))
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "bad %s network \"%.*s\"", v6 ? "ip6" : "ip4",
				  (int)alen, p);
	if (slash) {
		int c = cidr_value(slash + 1, n - alen - 1, max);

		if (c < 0)
			return mc_err_set(err, -1, MC_COMP_SPF,
					  "bad prefix length \"%.*s\"",
					  (int)(n - alen), slash);
		if (v6)
			t->cidr6 = c;
		else
			t->cidr4 = c;
	}
	return 0;
}

/* rest = what follows the mechanism name. */
static int parse_mech_args(struct mc_spf_record *rec, struct mc_spf_term *t,
			   const char *rest, size_t n, struct mc_err *err)
{
	int dual = t->mech == MC_SPF_MECH_A || t->mech == MC_SPF_MECH_MX;
	int need_domain = t->mech == MC_SPF_MECH_INCLUDE ||
		t->mech == MC_SPF_MECH_EXISTS;

	switch (t->mech) {
	case MC_SPF_MECH_ALL:
		if (n)
			goto junk;
		return 0;
	case MC_SPF_MECH_IP4:
	case MC_SPF_MECH_IP6:
		return parse_ip_mech(t, rest, n, err);
	default:
		break;
	}
	if (dual) {
		int rc = strip_cidr(rest, &n, "//", 128, &t->cidr6);

		if (rc == 0 || rc == 1)
			rc = strip_cidr(rest, &n, "/", 32, &t->cidr4);
		if (rc < 0)
			return mc_err_set(err, -1, MC_COMP_SPF,
					  "bad prefix length in \"%s\"", t->text);
	}
	if (n == 0) {
		if (need_domain)
			return mc_err_set(err, -1, MC_COMP_SPF,
					  "\"%s\" needs a domain", t->text);
		return 0;
	}
	if (rest[0] != ':')
		goto junk;
	if (spf_domain_spec_check(rest + 1, n - 1, err))
		return -1;
	t->domain = dup_n(rec, rest + 1, n - 1);
	if (!t->domain)
		return mc_err_set(err, -1, MC_COMP_SPF, "out of memory");
	return 0;
junk:
	return mc_err_set(err, -1, MC_COMP_SPF, "unexpected text in \"%s\"",
			  t->text);
}

static int parse_modifier(struct mc_spf_record *rec, const char *p,
			  size_t name_len, size_t n, struct mc_err *err)
{
	const char *v = p + name_len + 1;
	size_t vn = n - name_len - 1;
	char **slot = NULL;

	/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
	if (!is_alpha(p[0]))
		goto badname;
	for (size_t i = 1; i < name_len; i++)
		if (!is_alpha(p[i]) && !is_digit(p[i]) && !strchr("-_.", p[i]))
			goto badname;
	if (name_len == 8 && strncasecmp(p, "redirect", 8) == 0)
		slot = &rec->redirect;
	else if (name_len == 3 && strncasecmp(p, "exp", 3) == 0)
		slot = &rec->exp;
	if (!slot) {
		/* §6: unknown modifiers are ignored, but must parse. */
		return spf_macro_check(v, vn, 0, err);
	}
	/* §6: redirect and exp may each appear at most once. */
	if (*slot)
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "%.*s= appears twice (RFC 7208 section 6)",
				  (int)name_len, p);
	if (spf_domain_spec_check(v, vn, err))
		return -1;
	*slot = dup_n(rec, v, vn);
	if (!*slot)
		return mc_err_set(err, -1, MC_COMP_SPF, "out of memory");
	return 0;
badname:
	return mc_err_set(err, -1, MC_COMP_SPF, "bad modifier name \"%.*s\"",
			  (int)name_len, p);
}

static int parse_term(struct mc_spf_record *rec, size_t cap, const char *p,
		      size_t n, struct mc_err *err)
{
	struct mc_spf_term *t;
	size_t k = 0, name_end;
	enum mc_spf_result q = MC_SPF_PASS;
	int has_q = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		/* §4.6.1: terms are separated by spaces only; everything
		 * else must be visible US-ASCII (§3.1, §12). */
		if (c < 0x21 || c > 0x7e)
			return mc_err_set(err, -1, MC_COMP_SPF,
					  "character 0x%02x in \"%.*s\"", c,
					  (int)(n > 60 ? 60 : n), p);
	}
	/* A modifier's name is followed by '=' before any ':' or '/'. */
	name_end = strcspn(p, "=:/ ");
	if (name_end > n)
		name_end = n;
	if (name_end < n && p[name_end] == '=')
		return parse_modifier(rec, p, name_end, n, err);

	switch (p[0]) {
	case '+':
		q = MC_SPF_PASS;
		has_q = 1;
		break;
	case '-':
		q = MC_SPF_FAIL;
		has_q = 1;
		break;
	case '~':
		q = MC_SPF_SOFTFAIL;
		has_q = 1;
		break;
	case '?':
		q = MC_SPF_NEUTRAL;
		has_q = 1;
		break;
	}
	k = (size_t)has_q;
	if (rec->n_terms == cap)
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "more than %zu terms", cap);
	t = &rec->terms[rec->n_terms];
	memset(t, 0, sizeof(*t));
	t->qualifier = q;
	t->cidr4 = t->cidr6 = -1;
	t->text = dup_n(rec, p, n);
	if (!t->text)
		return mc_err_set(err, -1, MC_COMP_SPF, "out of memory");
	rec->n_terms++;   /* owned from here on, freed with the record */
	for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		size_t ml = strlen(mechs[i].name);

		if (name_end - k == ml &&
		    strncasecmp(p + k, mechs[i].name, ml) == 0) {
			t->mech = mechs[i].mech;
			return parse_mech_args(rec, t, p + name_end,
					       n - name_end, err);
		}
	}
	return mc_err_set(err, -1, MC_COMP_SPF, "unknown mechanism \"%.*s\"",
			  (int)(n > 60 ? 60 : n), p);
}

/* Space-separated terms in p/n. */
static size_t count_terms(const char *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && (i == 0 || p[i - 1] == ' '))
			k++;
	return k;
}

int spf_record_parse(const char *p, size_t n, struct mc_spf_record **out,
		     struct mc_err *err)
{
	struct mc_spf_record *rec = NULL;
	char *copy;
	size_t i, max_terms;
	int rc = -1;

	*out = NULL;
	if (!spf_record_is_spf1(p, n))
		return mc_err_set(err, -1, MC_COMP_SPF,
				  "not an SPF record (no \"v=spf1\")");
	max_terms = count_terms(p + 6, n - 6);
	if (max_terms > MC_SPF_MAX_TERMS)
		max_terms = MC_SPF_MAX_TERMS;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		goto oom;
	/* One block: a NUL-terminated copy of the record (so that strcspn()
	 * cannot run past n), then every term's text and its domain-spec or
	 * modifier value, each a part of a term, with their NULs: at most
	 * 2 (n + terms) bytes. */
	rec->strings_cap = 3 * (n + 1) + 2 * max_terms;
	rec->strings = malloc(rec->strings_cap);
	if (!rec->strings ||
	    !(rec->terms = calloc(max_terms ? max_terms : 1,
				  sizeof(*rec->terms))))
		goto oom;
	copy = dup_n(rec, p, n);
	for (i = 6; i < n;) {
		size_t j;

		if (copy[i] == ' ') {
			i++;
			continue;
		}
		j = i;
		while (j < n && copy[j] != ' ')
			j++;
		copy[j] = '\0';   /* so that strcspn() stops at the term's end */
		if (parse_term(rec, max_terms, copy + i, j - i, err))
			goto out;
		i = j + 1;   /* past the space (or the end) */
	}
	*out = rec;
	rec = NULL;
	rc = 0;
	goto out;
oom:
	mc_err_set(err, -1, MC_COMP_SPF, "out of memory");
out:
	spf_record_free(rec);
	return rc;
}
