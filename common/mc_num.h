/* floor, fmin and fmax without libm. They are the only libm functions the
 * project calls, and linking libm for them made every start map 900 KB and
 * run its ifunc relocations (the Makefile links libm --as-needed, so a
 * future caller of another libm function gets it back). Timestamps and
 * durations only: no NaN comes here, and a value beyond 2^52 is already
 * whole. */
#ifndef MC_NUM_H
#define MC_NUM_H

#include <stdint.h>

static inline double mc_floor(double x)
{
	double t;

	if (!(x > -4503599627370496.0 && x < 4503599627370496.0))
		return x;  /* whole already (or NaN, returned as is) */
	t = (double)(int64_t)x;  /* towards zero */
	return t > x ? t - 1.0 : t;
}

static inline double mc_fmin(double a, double b)
{
	return b < a ? b : a;
}

static inline double mc_fmax(double a, double b)
{
	return b > a ? b : a;
}

#endif
