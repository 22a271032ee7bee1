/* The one source of time for mailcanary: monotonic seconds for durations,
 * realtime seconds for timestamps, and RFC 3339 formatting. Tests may pin
 * the realtime clock with mc_time_fake(). */
#ifndef MC_TIME_H
#define MC_TIME_H

#include <stddef.h>

#define MC_RFC3339_MAX 40

/* Monotonic clock, seconds. Only differences are meaningful. */
double mc_now_mono(void);

/* The same clock to a few milliseconds (CLOCK_MONOTONIC_COARSE), at a
 * fifth of the cost here (6 against 31 ns): for TTLs and deadlines of
 * seconds checked many times a second (every cached DNS answer, every SPF
 * lookup). Comparable with mc_now_mono(), which it trails by at most a
 * clock tick. */
double mc_now_coarse(void);

/* Milliseconds from now until deadline (mc_now_mono()), for poll(): 0
 * once it has passed, at most an hour, rounded up so a wait never ends
 * just short of it. */
int mc_ms_until(double deadline);

/* Wall clock, seconds since the epoch (UTC). */
double mc_now_real(void);

/* Pins mc_now_real() to t (t < 0 unpins). For tests only. */
void mc_time_fake(double t);

/* Formats t (epoch seconds) as RFC 3339 UTC ("2026-11-24T11:21:03Z"), with
 * frac_digits (0..6) fractional digits. buf must hold MC_RFC3339_MAX.
 * Returns buf. */
char *mc_time_rfc3339(double t, int frac_digits, char *buf);

/* Parses an RFC 3339 timestamp (with 'Z' or a numeric offset, optional
 * fraction). Returns 0 and sets *t, or -1. p need not be NUL-terminated. */
int mc_time_parse_rfc3339(const char *p, size_t n, double *t);

/* timegm() without the libc extension dependency: UTC broken-down fields
 * (year e.g. 2026, mon 1..12) to epoch seconds; no range checks beyond
 * what the arithmetic needs. */
long long mc_time_from_utc(int year, int mon, int day, int hour, int min,
			   int sec);

#endif
