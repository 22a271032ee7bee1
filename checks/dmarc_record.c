/* The DMARC record parser (RFC 7489 §6.3, §6.4; DMARCbis np, psd, t): tag
 * list to struct, with every error named after its tag. Pure: bytes in,
 * struct out. Tag names and keyword values are case-insensitive (ABNF
 * quoted strings); "DMARC1" is not (%x44.4d.41.52.43.31). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dmarc.h"

#define MAX_TAGS 64                /* more tags than this: the rest unread */
#define MAX_SHOW 40                /* bytes of a bad value quoted back */

struct span {
	const char *p;
	size_t n;
};

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(const char *p, size_t n)
{
	while (n && is_wsp(*p))
		p++, n--;
	while (n && is_wsp(p[n - 1]))
		n--;
	return (struct span){p, n};
}

static int span_is(struct span s, const char *word)
{
	return s.n == strlen(word) && strncasecmp(s.p, word, s.n) == 0;
}

/* A bad value quoted back, shortened and made printable. */
static const char *show(struct span s, char *buf, size_t size)
{
	size_t j = 0;

	for (size_t i = 0; i < s.n && j + 5 < size; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (i == MAX_SHOW) {
			memcpy(buf + j, "...", 3);
			j += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f)
			j += (size_t)snprintf(buf + j, size - j, "\\x%02x", c);
		else
			buf[j++] = (char)c;
	}
	buf[j] = '\0';
	return buf;
}

const char *dmarc_policy_name(enum mc_dmarc_policy p)
{
	switch (p) {
	case MC_DMARC_P_NONE:
		return "none";
	case MC_DMARC_P_QUARANTINE:
		return "quarantine";
	case MC_DMARC_P_REJECT:
		return "reject";
	case MC_DMARC_P_UNSET:
		break;
	}
	return "";
}

int dmarc_record_is_dmarc(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_wsp(p[i]))
		i++;
	if (i >= n || (p[i] != 'v' && p[i] != 'V'))
		return 0;
	i++;
	while (i < n && is_wsp(p[i]))
		i++;
	if (i >= n || p[i] != '=')
		return 0;
	i++;
	while (i < n && is_wsp(p[i]))
		i++;
	if (n - i < 6 || strncasecmp(p + i, "DMARC1", 6) != 0)
		return 0;
	i += 6;
	return i == n || p[i] == ';' || is_wsp(p[i]);
}

static int parse_policy(struct mc_dmarc_record *r, const char *tag,
			struct span v, enum mc_dmarc_policy *out)
{
	char buf[64];

	if (span_is(v, "none"))
		*out = MC_DMARC_P_NONE;
	else if (span_is(v, "quarantine"))
		*out = MC_DMARC_P_QUARANTINE;
	else if (span_is(v, "reject"))
		*out = MC_DMARC_P_REJECT;
	else {
		findings_add(&r->errors, MC_CHK_CRITICAL,
			     "%s: '%s' is not none, quarantine or reject", tag,
			     show(v, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

/* 1*DIGIT within max; -1 if not. */
static long parse_uint(struct span v, unsigned long max)
{
	unsigned long x = 0;

	if (v.n == 0 || v.n > 10)
		return -1;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		x = x * 10 + (unsigned long)(v.p[i] - '0');
	}
	return x > max ? -1 : (long)x;
}

static void parse_align(struct mc_dmarc_record *r, const char *tag,
			struct span v, char *out)
{
	char buf[64];

	if (span_is(v, "r"))
		*out = 'r';
	else if (span_is(v, "s"))
		*out = 's';
	else
		findings_add(&r->errors, MC_CHK_WARNING,
			     "%s: '%s' is not r or s (relaxed used)", tag,
			     show(v, buf, sizeof(buf)));
}

/* A URI's scheme (RFC 3986 §3.1) and, for mailto:, an address with both
 * sides. Returns NULL if fine, else what is wrong. */
static const char *uri_problem(struct span u)
{
	size_t i = 0, at = 0, colon;

	if (u.n == 0)
		return "empty URI";
	if (u.n > MC_DMARC_MAX_URI)
		return "URI too long";
	if (!((u.p[0] >= 'a' && u.p[0] <= 'z') ||
	      (u.p[0] >= 'A' && u.p[0] <= 'Z')))
		return "not a URI (no scheme)";
	while (i < u.n && u.p[i] != ':') {
		char c = u.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return "not a URI (bad scheme)";
		i++;
	}
	if (i == u.n)
		return "not a URI (no scheme)";
	colon = i;
	for (i = colon + 1; i < u.n; i++) {
		unsigned char c = (unsigned char)u.p[i];

		if (c <= 0x20 || c >= 0x7f)
			return "URI holds a space or a non-ASCII byte";
		if (c == '@' && !at)
			at = i;
	}
	if (colon == 6 && strncasecmp(u.p, "mailto", 6) == 0) {
		if (!at || at == colon + 1 || at + 1 == u.n)
			return "mailto: URI without a full address";
	}
	return NULL;
}

/* dmarc-uri *(*WSP "," *WSP dmarc-uri); dmarc-uri = URI ["!" size]. */
static void parse_uris(struct mc_dmarc_record *r, const char *tag,
		       struct span v, char ***list, size_t *n)
{
	const char *p = v.p, *end = v.p + v.n;
	char buf[64];

	if (v.n == 0) {
		findings_add(&r->errors, MC_CHK_WARNING, "%s: empty", tag);
		return;
	}
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		struct span item = trim(p, (size_t)((comma ? comma : end) - p));
		struct span uri = item;
		const char *bang = NULL, *why;

		for (size_t i = 0; i < item.n; i++)
			if (item.p[i] == '!')
				bang = item.p + i;
		if (bang) {
			struct span size = {bang + 1,
					    (size_t)(item.p + item.n - bang - 1)};
			size_t digits = 0;

			while (digits < size.n && size.p[digits] >= '0' &&
			       size.p[digits] <= '9')
				digits++;
			uri.n = (size_t)(bang - item.p);
			if (digits == 0 || digits > 15 ||
			    size.n > digits + 1 ||
			    (size.n == digits + 1 &&
			     !strchr("kmgtKMGT", size.p[digits])))
				findings_add(&r->errors, MC_CHK_WARNING,
					     "%s: '%s' has a bad size limit (want !DIGITS[k|m|g|t])",
					     tag, show(item, buf, sizeof(buf)));
		}
		why = uri_problem(uri);
		if (why) {
			findings_add(&r->errors, MC_CHK_WARNING, "%s: '%s': %s",
				     tag, show(item, buf, sizeof(buf)), why);
		} else if (*n >= MC_DMARC_MAX_URIS) {
			findings_add(&r->errors, MC_CHK_WARNING,
				     "%s: more than %d URIs; the rest ignored",
				     tag, MC_DMARC_MAX_URIS);
			return;
		} else {
			char **l = realloc(*list, (*n + 1) * sizeof(**list));
			char *s = strndup(item.p, item.n);

			if (!l || !s) {
				free(s);
				if (l)
					*list = l;
				r->errors.oom = 1;
				return;
			}
			*list = l;
			l[(*n)++] = s;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
}

/* A colon-separated list whose items must be among allowed (each
 * item one of the NUL-separated words). Copies the value into out. */
static void parse_colon_list(struct mc_dmarc_record *r, const char *tag,
			     struct span v, const char *const *allowed,
			     const char *want, char *out, size_t out_size)
{
	const char *p = v.p, *end = v.p + v.n;
	char buf[64];
	int bad = 0;

	if (v.n == 0)
		bad = 1;
	while (!bad && p <= end) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		struct span item = trim(p, (size_t)((colon ? colon : end) - p));
		int ok = 0;

		for (size_t i = 0; allowed[i]; i++)
			ok |= span_is(item, allowed[i]);
		if (!ok) {
			findings_add(&r->errors, MC_CHK_WARNING,
				     "%s: '%s' is not %s", tag,
				     show(item, buf, sizeof(buf)), want);
			return;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	if (bad) {
		findings_add(&r->errors, MC_CHK_WARNING, "%s: empty", tag);
		return;
	}
	if (v.n < out_size) {
		memcpy(out, v.p, v.n);
		out[v.n] = '\0';
	} else {
		findings_add(&r->errors, MC_CHK_WARNING, "%s: too long", tag);
	}
}

struct parse_state {
	struct mc_dmarc_record *r;
	int p_ok, sp_bad;
	char seen[MAX_TAGS][8];
	size_t n_seen;
};

/* Returns 1 if the tag was seen before (and records it otherwise). */
static int seen_before(struct parse_state *st, struct span tag)
{
	char name[8];

	if (tag.n >= sizeof(name))
		return 0;     /* no known tag is that long */
	for (size_t i = 0; i < tag.n; i++)
		name[i] = (char)(tag.p[i] >= 'A' && tag.p[i] <= 'Z' ?
				 tag.p[i] - 'A' + 'a' : tag.p[i]);
	name[tag.n] = '\0';
	for (size_t i = 0; i < st->n_seen; i++)
		if (strcmp(st->seen[i], name) == 0)
			return 1;
	if (st->n_seen < MAX_TAGS)
		memcpy(st->seen[st->n_seen++], name, tag.n + 1);
	return 0;
}

static void parse_tag(struct parse_state *st, struct span tag, struct span v)
{
	static const char *const fo_words[] = {"0", "1", "d", "s", NULL};
	static const char *const rf_words[] = {"afrf", NULL};
	struct mc_dmarc_record *r = st->r;
	char buf[64], tagbuf[64];
	long x;

	if (seen_before(st, tag)) {
		findings_add(&r->errors, MC_CHK_WARNING,
			     "%s: given twice (the first is used)",
			     show(tag, tagbuf, sizeof(tagbuf)));
		return;
	}
	if (span_is(tag, "v")) {
		findings_add(&r->errors, MC_CHK_WARNING,
			     "v: must be the first tag only");
	} else if (span_is(tag, "p")) {
		st->p_ok = parse_policy(r, "p", v, &r->p) == 0;
	} else if (span_is(tag, "sp")) {
		st->sp_bad = parse_policy(r, "sp", v, &r->sp) != 0;
	} else if (span_is(tag, "np")) {
		if (parse_policy(r, "np", v, &r->np))
			r->np = MC_DMARC_P_UNSET;
	} else if (span_is(tag, "pct")) {
		x = parse_uint(v, 100);
		if (x < 0)
			findings_add(&r->errors, MC_CHK_WARNING,
				     "pct: '%s' is not a whole number 0..100 (100 used)",
				     show(v, buf, sizeof(buf)));
		else
			r->pct = (int)x;
	} else if (span_is(tag, "adkim")) {
		parse_align(r, "adkim", v, &r->adkim);
	} else if (span_is(tag, "aspf")) {
		parse_align(r, "aspf", v, &r->aspf);
	} else if (span_is(tag, "rua")) {
		parse_uris(r, "rua", v, &r->rua, &r->n_rua);
	} else if (span_is(tag, "ruf")) {
		parse_uris(r, "ruf", v, &r->ruf, &r->n_ruf);
	} else if (span_is(tag, "fo")) {
		parse_colon_list(r, "fo", v, fo_words,
				 "0, 1, d or s (colon-separated)", r->fo,
				 sizeof(r->fo));
	} else if (span_is(tag, "rf")) {
		parse_colon_list(r, "rf", v, rf_words,
				 "a known report format (afrf)", r->rf,
				 sizeof(r->rf));
	} else if (span_is(tag, "ri")) {
		x = parse_uint(v, 4294967295UL);
		if (x < 0)
			findings_add(&r->errors, MC_CHK_WARNING,
				     "ri: '%s' is not a whole number of seconds (86400 used)",
				     show(v, buf, sizeof(buf)));
		else
			r->ri = (unsigned long)x;
	} else if (span_is(tag, "psd")) {
		if (!span_is(v, "y") && !span_is(v, "n") && !span_is(v, "u"))
			findings_add(&r->errors, MC_CHK_WARNING,
				     "psd: '%s' is not y, n or u",
				     show(v, buf, sizeof(buf)));
	} else if (span_is(tag, "t")) {
		if (!span_is(v, "y") && !span_is(v, "n"))
			findings_add(&r->errors, MC_CHK_WARNING,
				     "t: '%s' is not y or n",
				     show(v, buf, sizeof(buf)));
	} else {
		/* §6.3: unknown tags MUST be ignored; still worth saying. */
		findings_add(&r->errors, MC_CHK_WARNING,
			     "unknown tag '%s' (ignored)",
			     show(tag, tagbuf, sizeof(tagbuf)));
	}
}

struct mc_dmarc_record *dmarc_record_parse(const char *p, size_t n)
{
	struct mc_dmarc_record *r = calloc(1, sizeof(*r));
	struct parse_state st = {.r = r};
	const char *end;
	size_t n_tags = 0;
	int first = 1, v_ok = 0;
	char buf[64];

	if (!r)
		return NULL;
	r->pct = 100;
	r->adkim = r->aspf = 'r';
	memcpy(r->fo, "0", 2);
	memcpy(r->rf, "afrf", 5);
	r->ri = 86400;
	if (n > MC_DMARC_MAX_RECORD) {
		findings_add(&r->errors, MC_CHK_CRITICAL,
			     "record longer than %d bytes", MC_DMARC_MAX_RECORD);
		goto out;
	}
	end = p + n;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		struct span part = trim(p, (size_t)((semi ? semi : end) - p));
		const char *eq = part.n ? memchr(part.p, '=', part.n) : NULL;
		struct span tag, val;

		p = semi ? semi + 1 : end;
		if (part.n == 0)
			continue;      /* ";;" and a final ';' are harmless */
		if (++n_tags > MAX_TAGS) {
			findings_add(&r->errors, MC_CHK_WARNING,
				     "more than %d tags; the rest ignored",
				     MAX_TAGS);
			break;
		}
		if (!eq) {
			findings_add(&r->errors,
				     first ? MC_CHK_CRITICAL : MC_CHK_WARNING,
				     "'%s' is not a tag=value pair",
				     show(part, buf, sizeof(buf)));
			first = 0;
			continue;
		}
		tag = trim(part.p, (size_t)(eq - part.p));
		val = trim(eq + 1, (size_t)(part.p + part.n - eq - 1));
		if (first) {
			first = 0;
			if (!span_is(tag, "v")) {
				findings_add(&r->errors, MC_CHK_CRITICAL,
					     "v: the record must start with v=DMARC1");
			} else if (val.n != 6 || memcmp(val.p, "DMARC1", 6)) {
				findings_add(&r->errors, MC_CHK_CRITICAL,
					     "v: '%s' is not DMARC1 (case matters)",
					     show(val, buf, sizeof(buf)));
				seen_before(&st, tag);
				continue;
			} else {
				v_ok = 1;
				seen_before(&st, tag);
				continue;
			}
		}
		if (tag.n == 0) {
			findings_add(&r->errors, MC_CHK_WARNING,
				     "'%s' has no tag name",
				     show(part, buf, sizeof(buf)));
			continue;
		}
		parse_tag(&st, tag, val);
	}
	if (first)
		findings_add(&r->errors, MC_CHK_CRITICAL, "empty record");
	if (v_ok && !st.p_ok) {
		int had_p = 0;

		for (size_t i = 0; i < st.n_seen; i++)
			had_p |= strcmp(st.seen[i], "p") == 0;
		if (!had_p)
			findings_add(&r->errors, MC_CHK_CRITICAL,
				     "p: missing (required)");
	}
	/* §6.6.3 step 6: without a valid p (or with a bad sp), a record
	 * with a valid rua is taken as p=none; otherwise it is no policy. */
	if (v_ok && st.p_ok && !st.sp_bad) {
		r->valid = 1;
	} else if (v_ok && r->n_rua) {
		r->valid = 1;
		r->p = MC_DMARC_P_NONE;
		r->sp = MC_DMARC_P_UNSET;
		findings_add(&r->errors, MC_CHK_CRITICAL,
			     "no valid policy: receivers act as if p=none (RFC 7489 section 6.6.3)");
	}
	if (!r->valid)
		r->p = r->sp = r->np = MC_DMARC_P_UNSET;
out:
	return r;
}

void dmarc_record_free(struct mc_dmarc_record *rec)
{
	if (!rec)
		return;
	for (size_t i = 0; i < rec->n_rua; i++)
		free(rec->rua[i]);
	for (size_t i = 0; i < rec->n_ruf; i++)
		free(rec->ruf[i]);
	free(rec->rua);
	free(rec->ruf);
	findings_clear(&rec->errors);
	free(rec);
}
