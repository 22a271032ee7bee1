/* common/mc_time: the clocks (the coarse one agrees with the fine one to a
 * clock tick and never runs backwards), mc_ms_until()'s bounds and
 * rounding, the fake wall clock, RFC 3339 both ways and the UTC fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "mc_time.h"

static void test_clocks(void **state)
{
	double last = 0;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		double fine = mc_now_mono(), coarse = mc_now_coarse();

		/* coarse trails by at most a tick (1-10 ms by HZ), is never
		 * ahead (it was read after) by more than rounding */
		assert_true(coarse <= mc_now_mono() + 1e-9);
		assert_true(fine - coarse < 0.05);
		assert_true(coarse >= last);
		last = coarse;
	}
}

static void test_ms_until(void **state)
{
	double now = mc_now_mono();

	(void)state;
	assert_int_equal(mc_ms_until(now - 1), 0);
	assert_int_equal(mc_ms_until(now + 1e6), 3600 * 1000);
	int ms = mc_ms_until(now + 0.0101);
	assert_true(ms >= 1 && ms <= 11);   /* rounded up, never 0 */
}

static void test_real_and_rfc3339(void **state)
{
	char buf[MC_RFC3339_MAX];
	double t;

	(void)state;
	mc_time_fake(1795000000.25);
	assert_true(mc_now_real() == 1795000000.25);
	mc_time_fake(-1);
	assert_true(mc_now_real() > 1.7e9);
	assert_string_equal(mc_time_rfc3339(1795000000.25, 2, buf),
			    "2026-11-18T11:06:40.25Z");
	assert_int_equal(mc_time_parse_rfc3339(buf, strlen(buf), &t), 0);
	assert_true(t == 1795000000.25);
	assert_int_equal(mc_time_parse_rfc3339("2026-11-18T12:06:40+01:00",
					       25, &t), 0);
	assert_true(t == 1795000000);
	assert_int_equal(mc_time_parse_rfc3339("2026-13-18T11:06:40Z", 20,
					       &t), -1);
	assert_int_equal(mc_time_parse_rfc3339("yesterday", 9, &t), -1);
	assert_true(mc_time_from_utc(1970, 1, 1, 0, 0, 0) == 0);
	assert_true(mc_time_from_utc(2026, 11, 18, 11, 6, 40) == 1795000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_ms_until),
		cmocka_unit_test(test_real_and_rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
