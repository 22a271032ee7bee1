/* Received field clauses: RFC 5321 §4.4 Stamp ("from X (TCP-info) by Y
 * via V with P id I for <a>") as Postfix, Sendmail, Exim, qmail,
 * Exchange/Office 365, Gmail and Dovecot write it. The value is cut into
 * words and comments; a clause keyword starts a clause and the next word
 * is its value ("with" and "via" may take several: "with Microsoft SMTP
 * Server"). Comments are read wherever they stand (received_comment.c)
 * for TLS details, the authenticated sender and, right after the
 * from-domain, the TCP-info (reverse-DNS name, IP, HELO). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mc_time.h"
#include "receiver/received_internal.h"

/* Words outside any clause tolerated before the form counts as unknown. */
#define MAX_STRAY_WORDS 4

enum tok_type { TOK_WORD, TOK_COMMENT };

struct tok {
	enum tok_type type;
	const char *p;          /* a comment: its content, without the parens */
	size_t n;
};

enum clause { CL_NONE, CL_FROM, CL_BY, CL_VIA, CL_WITH, CL_ID, CL_FOR, CL_TLS };

/* Cuts the clause part into words and comments. Returns the count. */
static size_t tokenize(const char *p, size_t n, struct tok *tok, size_t max)
{
	size_t i = 0, nt = 0;

	while (i < n && nt < max) {
		unsigned char c = (unsigned char)p[i];
		size_t s = i;

		if (rcv_is_space(c) || c == ')') {  /* a stray ')' is noise */
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
		while (i < n && !rcv_is_space((unsigned char)p[i]) && p[i] != '(')
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
		if (rcv_word_is(p, n, kw[i].word))
			return kw[i].cl;
	return CL_NONE;
}

/* RFC 3848 (and Gmail's "SMTPS"): protocols that say TLS was used. */
static int with_means_tls(const char *with)
{
	static const char *const tls_protos[] = {
		"ESMTPS", "ESMTPSA", "UTF8SMTPS", "UTF8SMTPSA", "LMTPS",
		"LMTPSA", "UTF8LMTPS", "UTF8LMTPSA", "SMTPS",
	};

	for (size_t i = 0; i < sizeof(tls_protos) / sizeof(tls_protos[0]); i++)
		if (rcv_word_is(with, strlen(with), tls_protos[i]))
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
	rcv_clean_copy(r->with + o + 1, sizeof(r->with) - o - 1, p, n);
	if (!r->with[o + 1])
		r->with[o] = '\0';
	return 0;
}

/* Which word after "from", and what the comments after it said, decide
 * helo, host and IP. RFC 5321 (Postfix, Sendmail, Gmail): "from HELO
 * (rdns [ip])". Exim and qmail put the verified name first and say the
 * HELO apart ("helo=h", "(HELO h)"). */
static void resolve_from(struct received *r, const char *w, size_t wn,
			 const struct rcv_tcpinfo *ti)
{
	char ip[64];
	int literal = wn > 0 && w[0] == '[';

	if (ti->helo[0]) {
		memcpy(r->from_helo, ti->helo, sizeof(r->from_helo));
		if (!literal && !rcv_word_is(w, wn, "unknown"))
			rcv_copy_host(r->from_host, sizeof(r->from_host), w, wn);
	} else {
		rcv_copy_host(r->from_helo, sizeof(r->from_helo), w, wn);
		memcpy(r->from_host, ti->name, sizeof(r->from_host));
	}
	if (ti->ip[0])
		memcpy(r->from_ip, ti->ip, sizeof(r->from_ip));
	else if (wn > 0 && rcv_ip_word(w, wn, ip))
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
		if (rcv_is_space((unsigned char)p[i]) && rcv_word_is(p + i + 1, 2, "id") &&
		    rcv_is_space((unsigned char)p[i + 3])) {
			size_t s = i + 3, e;

			while (s < n && rcv_is_space((unsigned char)p[s]))
				s++;
			for (e = s; e < n && !rcv_is_space((unsigned char)p[e]); e++)
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
		rcv_clean_copy(r->id, sizeof(r->id), idv, idn);
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
	struct rcv_tcpinfo ti;
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
	rcv_clean_copy(r->raw, sizeof(r->raw), p, n);

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
			enum rcv_comment_kind k = rcv_scan_comment(w, wn, r, &ti,
							   cur == CL_FROM);

			if (words == 0 && k == RCV_CK_OTHER && !r->note[0])
				rcv_clean_copy(r->note, sizeof(r->note), w, wn);
			collecting = 0;
			continue;
		}
		kw = keyword(w, wn);
		if (kw == CL_NONE && have_with && !awaiting && rcv_word_is(w, wn, "tls"))
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
					rcv_copy_host(r->by_host, sizeof(r->by_host), w, wn);
				break;
			case CL_WITH:
				if (!have_with) {
					rcv_clean_copy(r->with, sizeof(r->with), w, wn);
					have_with = 1;
					collecting = 1;
				}
				break;
			case CL_VIA:
				collecting = 1;
				break;
			case CL_ID:
				if (!r->id[0])
					rcv_clean_copy(r->id, sizeof(r->id), w, wn);
				break;
			case CL_FOR:
				strip_angle(&w, &wn);
				if (!r->for_addr[0])
					rcv_clean_copy(r->for_addr, sizeof(r->for_addr), w, wn);
				break;
			case CL_TLS:
				rcv_set_cipher(r, w, wn);
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
