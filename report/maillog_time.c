/* Syslog timestamps of maillog lines: classic "Dec  2 03:41:54" (and
 * Postfix maillog_file's "Dec 02 03:41:54"), whose year is inferred by
 * struct maillog_clock, and RFC 3339 with fraction and zone. */
#include <string.h>

#include "mc_time.h"
#include "report/maillog_int.h"

static const char *const months = "JanFebMarAprMayJunJulAugSepOctNovDec";

void maillog_clock_init(struct maillog_clock *ck, double now, int year)
{
	long long days;
	long long y, m, d, era, doe, yoe, doy, mp;

	memset(ck, 0, sizeof(*ck));
	if (year > 0) {
		ck->ref_year = ck->cur_year = year;
		ck->ref_mon = 12;
		ck->ref_mday = 31;
		ck->fixed = 1;
		return;
	}
	/* civil_from_days (Howard Hinnant's algorithm) */
	days = (long long)(now / 86400.0);
	if (now < 0 && (double)days * 86400.0 != now)
		days--;
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	ck->ref_year = (int)(y + (m <= 2));
	ck->ref_mon = (int)m;
	ck->ref_mday = (int)d;
}

static int digits(const char *p, size_t n, int *v)
{
	int x = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return 0;
}

/* "HH:MM:SS" */
static int parse_hms(const char *p, struct maillog_line *l)
{
	if (p[2] != ':' || p[5] != ':')
		return -1;
	if (digits(p, 2, &l->hour) || digits(p + 3, 2, &l->min) ||
	    digits(p + 6, 2, &l->sec))
		return -1;
	if (l->hour > 23 || l->min > 59 || l->sec > 60)
		return -1;
	return 0;
}

/* Classic "Dec  2 03:41:54 " / "Dec 02 03:41:54 " / "Dec 2 03:41:54 ".
 * Returns the bytes consumed (through the space after the time) or -1. */
static long parse_classic(const char *p, size_t n, struct maillog_clock *ck,
			  struct maillog_line *l, long long *local)
{
	const char *m;
	size_t i = 4;

	if (n < 15 || p[3] != ' ')
		return -1;
	m = NULL;
	for (int k = 0; k < 12; k++)
		if (memcmp(months + 3 * k, p, 3) == 0)
			m = months + 3 * k;
	if (!m)
		return -1;
	l->mon = (int)((m - months) / 3) + 1;
	if (p[i] == ' ')
		i++;
	if (i >= n || p[i] < '0' || p[i] > '9')
		return -1;
	l->mday = p[i++] - '0';
	if (i < n && p[i] >= '0' && p[i] <= '9')
		l->mday = l->mday * 10 + (p[i++] - '0');
	if (l->mday < 1 || l->mday > 31 || i + 10 > n || p[i] != ' ')
		return -1;
	i++;
	if (parse_hms(p + i, l) < 0 || p[i + 8] != ' ')
		return -1;
	/* the year is not written (see struct maillog_clock) */
	if (ck->fixed) {
		l->year = ck->cur_year;
		if (ck->last_mon && l->mon + 6 <= ck->last_mon) {
			l->year = ++ck->cur_year;      /* December, then January */
			ck->last_mon = l->mon;
		} else if (ck->last_mon && l->mon >= ck->last_mon + 6) {
			l->year--;                      /* a straggler of last year */
		} else {
			ck->last_mon = l->mon;
		}
	} else {
		l->year = ck->ref_year;
		if (l->mon > ck->ref_mon ||
		    (l->mon == ck->ref_mon && l->mday > ck->ref_mday + 1))
			l->year--;
	}
	*local = mc_time_from_utc(l->year, l->mon, l->mday, l->hour, l->min, l->sec);
	l->t = (double)*local;
	return (long)(i + 9);
}

/* RFC 3339 "2026-12-02T03:41:54.123456+00:00 " (fraction and zone
 * optional). The written wall clock gives hour and weekday; t is UTC. */
static long parse_iso(const char *p, size_t n, struct maillog_line *l,
		      long long *local)
{
	size_t i = 19;
	double frac = 0, scale = 0.1;
	int off = 0;

	if (n < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' '))
		return -1;
	if (digits(p, 4, &l->year) || digits(p + 5, 2, &l->mon) ||
	    digits(p + 8, 2, &l->mday) || parse_hms(p + 11, l) < 0)
		return -1;
	if (l->mon < 1 || l->mon > 12 || l->mday < 1 || l->mday > 31)
		return -1;
	if (i < n && p[i] == '.') {
		i++;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (scale > 1e-9)
				frac += (p[i] - '0') * scale;
			scale /= 10;
			i++;
		}
	}
	if (i < n && p[i] == 'Z') {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int hh, mm, sign = p[i] == '-' ? -1 : 1;

		if (i + 6 <= n && p[i + 3] == ':' && !digits(p + i + 1, 2, &hh) &&
		    !digits(p + i + 4, 2, &mm))
			i += 6;
		else if (i + 5 <= n && !digits(p + i + 1, 2, &hh) &&
			 !digits(p + i + 3, 2, &mm))
			i += 5;
		else
			return -1;
		if (hh > 23 || mm > 59)
			return -1;
		off = sign * (hh * 3600 + mm * 60);
	}
	if (i >= n || p[i] != ' ')
		return -1;
	*local = mc_time_from_utc(l->year, l->mon, l->mday, l->hour, l->min, l->sec);
	l->t = (double)*local + frac - off;
	return (long)(i + 1);
}

/* The weekday of the written date: t minus the zone offset gives the
 * local wall clock as if UTC (off_s is 0 for classic timestamps). */
static int weekday(long long local)
{
	long long d = local / 86400 - (local % 86400 < 0);

	return (int)(((d % 7) + 11) % 7);   /* 1970-01-01 was a Thursday */
}

long ml_parse_stamp(const char *p, size_t n, struct maillog_clock *ck,
		    struct maillog_line *l)
{
	long long local = 0;
	long off;

	if (n >= 4 && p[0] >= '0' && p[0] <= '9')
		off = parse_iso(p, n, l, &local);
	else
		off = parse_classic(p, n, ck, l, &local);
	if (off >= 0)
		l->wday = weekday(local);
	return off;
}
