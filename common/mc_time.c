#include "mc_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double fake_real = -1;

double mc_now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mc_now_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mc_now_real(void)
{
	struct timespec ts;

	if (fake_real >= 0)
		return fake_real;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void mc_time_fake(double t)
{
	fake_real = t;
}

/* Days from 1970-01-01 to the civil date (proleptic Gregorian); H. Hinnant's
 * well-known days_from_civil, so no dependence on TZ or timegm(). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

long long mc_time_from_utc(int year, int mon, int day, int hour, int min,
			   int sec)
{
	return days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400LL +
	       hour * 3600LL + min * 60LL + sec;
}

char *mc_time_rfc3339(double t, int frac_digits, char *buf)
{
	time_t secs;
	struct tm tm;
	double frac;
	size_t n;

	if (frac_digits < 0)
		frac_digits = 0;
	if (frac_digits > 6)
		frac_digits = 6;
	secs = (time_t)t;
	if ((double)secs > t)
		secs--;
	frac = t - (double)secs;
	if (frac_digits > 0) {
		long scale = 1, f;
		for (int i = 0; i < frac_digits; i++)
			scale *= 10;
		f = (long)(frac * (double)scale + 0.5);
		if (f >= scale) {
			secs++;
			f -= scale;
		}
		gmtime_r(&secs, &tm);
		n = strftime(buf, MC_RFC3339_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf + n, MC_RFC3339_MAX - n, ".%0*ldZ", frac_digits, f);
	} else {
		gmtime_r(&secs, &tm);
		strftime(buf, MC_RFC3339_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	return buf;
}

static int digits(const char *p, size_t n, size_t at, size_t len, int *out)
{
	int v = 0;

	if (at + len > n)
		return -1;
	for (size_t i = at; i < at + len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int mc_time_parse_rfc3339(const char *p, size_t n, double *t)
{
	int y, mo, d, h, mi, s, oh = 0, om = 0;
	double frac = 0, scale = 0.1;
	size_t i;
	int sign = 0;

	if (digits(p, n, 0, 4, &y) || n < 19 || p[4] != '-' ||
	    digits(p, n, 5, 2, &mo) || p[7] != '-' || digits(p, n, 8, 2, &d) ||
	    (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    digits(p, n, 11, 2, &h) || p[13] != ':' ||
	    digits(p, n, 14, 2, &mi) || p[16] != ':' ||
	    digits(p, n, 17, 2, &s))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	i = 19;
	if (i < n && p[i] == '.') {
		i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return -1;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			frac += (p[i] - '0') * scale;
			scale /= 10;
			i++;
		}
	}
	if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		sign = p[i] == '-' ? -1 : 1;
		if (digits(p, n, i + 1, 2, &oh) || i + 3 >= n ||
		    p[i + 3] != ':' || digits(p, n, i + 4, 2, &om))
			return -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	*t = (double)mc_time_from_utc(y, mo, d, h, mi, s) + frac -
	     sign * (oh * 3600.0 + om * 60.0);
	return 0;
}

int mc_ms_until(double deadline)
{
	double left = deadline - mc_now_mono();

	if (left <= 0)
		return 0;
	if (left > 3600)
		return 3600 * 1000;
	return (int)(left * 1000) + 1;
}
