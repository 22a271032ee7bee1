/* The date after a Received field's last ';': RFC 5322 §3.3 date-time and
 * the §4.3 obsolete syntax, read without the C library's locale- and
 * TZ-dependent routines (see received.h for why not strptime()). The text
 * is split into at most RECEIVED_DATE_MAX_TOKENS tokens (comments dropped,
 * white space and commas separate) and those are matched against the
 * layouts MTAs write. */
#include <stdint.h>
#include <string.h>

#include "mc_time.h"
#include "receiver/received.h"

#define TOK_MAX 40             /* longer tokens are not part of a date */

struct dtok {
	const char *p;
	size_t n;
};

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive: is t[0..n) exactly s? */
static int tok_is(const char *t, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || lower((unsigned char)t[i]) != lower((unsigned char)s[i]))
			return 0;
	return s[i] == '\0';
}

/* Splits p[0..n) into tokens; comments (nested, with quoted-pairs) are
 * dropped. Returns the count, or -1 if there are too many or one is too
 * long. */
static int tokenize(const char *p, size_t n, struct dtok *tok, int max)
{
	size_t i = 0;
	int nt = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
			i++;
		} else if (c == '(') {
			int depth = 0;

			for (; i < n; i++) {
				if (p[i] == '\\' && i + 1 < n) {
					i++;
				} else if (p[i] == '(') {
					depth++;
				} else if (p[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
		} else {
			size_t s = i;

			while (i < n && p[i] != ' ' && p[i] != '\t' &&
			       p[i] != '\r' && p[i] != '\n' && p[i] != ',' &&
			       p[i] != '(')
				i++;
			if (nt >= max || i - s > TOK_MAX)
				return -1;
			tok[nt].p = p + s;
			tok[nt].n = i - s;
			nt++;
		}
	}
	return nt;
}

/* All digits, 1..maxd of them: the value, else -1. */
static int number(const char *p, size_t n, size_t maxd)
{
	int v = 0;

	if (n == 0 || n > maxd)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int day_name(const char *p, size_t n)
{
	static const char *const days[] = {
		"monday", "tuesday", "wednesday", "thursday", "friday",
		"saturday", "sunday",
	};

	if (n < 3)
		return 0;
	/* "Tue", "Tues", "Tuesday": a prefix of the full name */
	for (size_t d = 0; d < 7; d++) {
		size_t len = strlen(days[d]);

		size_t i;

		if (n > len)
			continue;
		for (i = 0; i < n; i++)
			if (lower((unsigned char)p[i]) != days[d][i])
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

/* 1..12 for "Nov", "nov", "November", else 0. */
static int month_name(const char *p, size_t n)
{
	static const char *const months[] = {
		"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december",
	};

	if (n < 3)
		return 0;
	for (int m = 0; m < 12; m++) {
		size_t len = strlen(months[m]), i;

		if (n > len || (n != 3 && n != len && !(m == 8 && n == 4)))
			continue;       /* "Nov", "November", or "Sept" */
		for (i = 0; i < n; i++)
			if (lower((unsigned char)p[i]) != months[m][i])
				break;
		if (i == n)
			return m + 1;
	}
	return 0;
}

/* RFC 5322 §4.3 obsolete zones, plus names that are common and mean one
 * thing only. Ambiguous ones (IST, BST, ...) are unknown on purpose. */
static const struct zone {
	const char *name;
	int minutes;
} zones[] = {
	{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0},
	{"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
	{"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420},
	{"AKST", -540}, {"AKDT", -480}, {"HST", -600},
	{"WET", 0}, {"WEST", 60}, {"CET", 60}, {"CEST", 120},
	{"MET", 60}, {"MEST", 120}, {"EET", 120}, {"EEST", 180},
	{"MSK", 180}, {"JST", 540}, {"KST", 540}, {"HKT", 480},
	{"SGT", 480}, {"AEST", 600}, {"AEDT", 660}, {"NZST", 720},
	{"NZDT", 780},
};

/* Reads a zone token. Returns 0 and sets *off (seconds east of UTC) and
 * *known, or -1 if the token is not a zone. */
static int zone(const char *p, size_t n, int *off, int *known)
{
	if (n >= 1 && (p[0] == '+' || p[0] == '-')) {
		int sign = p[0] == '-' ? -1 : 1, hh, mm;

		if (n == 5) {
			hh = number(p + 1, 2, 2);
			mm = number(p + 3, 2, 2);
		} else if (n == 6 && p[3] == ':') {     /* "+01:00" */
			hh = number(p + 1, 2, 2);
			mm = number(p + 4, 2, 2);
		} else {
			return -1;
		}
		if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
			return -1;
		*off = sign * (hh * 3600 + mm * 60);
		*known = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_alpha((unsigned char)p[i]))
			return -1;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		if (tok_is(p, n, zones[z].name)) {
			*off = zones[z].minutes * 60;
			*known = 1;
			return 0;
		}
	}
	/* RFC 5322 §4.3: military zones were written with the wrong sign so
	 * often that they mean "-0000", as does any other unknown name. */
	if (n >= 1 && n <= 5) {
		*off = 0;
		*known = 0;
		return 0;
	}
	return -1;
}

/* "hh:mm[:ss[.frac]]", possibly with a zone glued on ("10:00:00+0000",
 * "10:00:00Z"); *rest and *rest_n get the glued part (n = 0 if none). */
static int time_of_day(const char *p, size_t n, int *h, int *mi, int *s,
		       double *frac, int *frac_digits, const char **rest,
		       size_t *rest_n)
{
	size_t i = 0, st;
	double scale = 0.1;
	int nd = 0;

	st = i;
	while (i < n && is_digit((unsigned char)p[i]))
		i++;
	if ((*h = number(p + st, i - st, 2)) < 0 || i >= n || p[i] != ':')
		return -1;
	st = ++i;
	while (i < n && is_digit((unsigned char)p[i]))
		i++;
	if (i - st != 2 || (*mi = number(p + st, 2, 2)) < 0)
		return -1;
	*s = 0;
	*frac = 0;
	*frac_digits = 0;
	if (i < n && p[i] == ':') {
		st = ++i;
		while (i < n && is_digit((unsigned char)p[i]))
			i++;
		if (i - st != 2 || (*s = number(p + st, 2, 2)) < 0)
			return -1;
		if (i < n && p[i] == '.') {
			i++;
			if (i >= n || !is_digit((unsigned char)p[i]))
				return -1;
			while (i < n && is_digit((unsigned char)p[i])) {
				if (nd < 9) {
					*frac += (p[i] - '0') * scale;
					scale /= 10;
				}
				nd++;
				i++;
			}
		}
	}
	*frac_digits = nd > 6 ? 6 : nd;
	if (*h > 23 || *mi > 59 || *s > 60)     /* 60: a leap second */
		return -1;
	*rest = p + i;
	*rest_n = n - i;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* RFC 5322 §4.3: a 2-digit year below 50 is 20xx, else 19xx; a 3-digit
 * year adds 1900. Four digits are taken as they are (>= 1900). */
static int year_value(const char *p, size_t n)
{
	int y = number(p, n, 4);

	if (y < 0 || n < 2)
		return -1;
	if (n == 2)
		return y < 50 ? 2000 + y : 1900 + y;
	if (n == 3)
		return 1900 + y;
	return y >= 1900 ? y : -1;
}

/* "24-Nov-2026" (the IMAP INTERNALDATE style some MTAs use). */
static int dashed_date(const char *p, size_t n, int *d, int *m, int *y)
{
	const char *a = memchr(p, '-', n), *b;

	if (!a)
		return -1;
	b = memchr(a + 1, '-', n - (size_t)(a + 1 - p));
	if (!b)
		return -1;
	*d = number(p, (size_t)(a - p), 2);
	*m = month_name(a + 1, (size_t)(b - a - 1));
	*y = year_value(b + 1, n - (size_t)(b + 1 - p));
	return *d < 0 || *m == 0 || *y < 0 ? -1 : 0;
}

int received_parse_date(const char *p, size_t n, double *t, int *tz_ok,
			int *frac_digits)
{
	struct dtok tok[RECEIVED_DATE_MAX_TOKENS];
	int nt, i = 0, d = -1, m = 0, y = -1, h, mi, s, fd = 0, off = 0;
	int known = 0, have_zone = 0;
	double frac = 0;
	const char *rest;
	size_t rest_n;

	if (!p)
		return -1;
	nt = tokenize(p, n, tok, RECEIVED_DATE_MAX_TOKENS);
	if (nt <= 0)
		return -1;
	/* RFC 3339, as a few newer MTAs write */
	if (nt == 1 && tok[0].n >= 20 && is_digit((unsigned char)tok[0].p[0]) &&
	    tok[0].p[4] == '-') {
		const char *dot = memchr(tok[0].p, '.', tok[0].n);

		/* the same year floor as RFC 5322 dates (>= 1900) */
		if (mc_time_parse_rfc3339(tok[0].p, tok[0].n, t) < 0 ||
		    *t < (double)mc_time_from_utc(1900, 1, 1, 0, 0, 0) - 86400)
			return -1;
		if (dot) {
			int nd = 0;

			for (const char *q = dot + 1;
			     q < tok[0].p + tok[0].n && is_digit((unsigned char)*q); q++)
				nd++;
			fd = nd > 6 ? 6 : nd;
		}
		if (tz_ok)
			*tz_ok = 1;
		if (frac_digits)
			*frac_digits = fd;
		return 0;
	}
	if (day_name(tok[i].p, tok[i].n))
		i++;
	if (i + 3 > nt)
		return -1;
	if ((d = number(tok[i].p, tok[i].n, 2)) >= 0) {
		/* RFC 5322: day month year time */
		if (i + 4 > nt || !(m = month_name(tok[i + 1].p, tok[i + 1].n)) ||
		    (y = year_value(tok[i + 2].p, tok[i + 2].n)) < 0)
			return -1;
		i += 3;
		if (time_of_day(tok[i].p, tok[i].n, &h, &mi, &s, &frac, &fd,
				&rest, &rest_n) < 0)
			return -1;
		i++;
	} else if ((m = month_name(tok[i].p, tok[i].n)) != 0) {
		/* asctime: month day time year */
		if (i + 4 > nt || (d = number(tok[i + 1].p, tok[i + 1].n, 2)) < 0 ||
		    time_of_day(tok[i + 2].p, tok[i + 2].n, &h, &mi, &s, &frac,
				&fd, &rest, &rest_n) < 0 || rest_n)
			return -1;
		/* the zone, if any, sits between time and year or after it */
		if ((y = year_value(tok[i + 3].p, tok[i + 3].n)) >= 0) {
			i += 4;
		} else if (i + 5 <= nt &&
			   zone(tok[i + 3].p, tok[i + 3].n, &off, &known) == 0 &&
			   (y = year_value(tok[i + 4].p, tok[i + 4].n)) >= 0) {
			have_zone = 1;
			i += 5;
		} else {
			return -1;
		}
	} else if (dashed_date(tok[i].p, tok[i].n, &d, &m, &y) == 0) {
		i++;
		if (time_of_day(tok[i].p, tok[i].n, &h, &mi, &s, &frac, &fd,
				&rest, &rest_n) < 0)
			return -1;
		i++;
	} else {
		return -1;
	}
	if (d < 1 || d > days_in_month(y, m))
		return -1;
	if (!have_zone) {
		if (rest_n) {           /* glued to the time */
			if (zone(rest, rest_n, &off, &known) < 0)
				return -1;
			have_zone = 1;
		} else if (i < nt) {
			if (zone(tok[i].p, tok[i].n, &off, &known) < 0)
				return -1;
			have_zone = 1;
			i++;
		}
	}
	/* "+0100 CET": a name after a numeric zone only repeats it. */
	if (i < nt) {
		int o2, k2;

		if (i + 1 != nt || zone(tok[i].p, tok[i].n, &o2, &k2) < 0 ||
		    tok[i].p[0] == '+' || tok[i].p[0] == '-')
			return -1;
	}
	*t = (double)mc_time_from_utc(y, m, d, h, mi, s) + frac - off;
	if (tz_ok)
		*tz_ok = have_zone && known;
	if (frac_digits)
		*frac_digits = fd;
	return 0;
}
