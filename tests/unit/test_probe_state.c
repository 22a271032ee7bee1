/* probe/probe_state: names, severities, and judging an arrival. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "probe/probe_state.h"

static void test_names_round_trip(void **state)
{
	enum mc_probe_state st;

	(void)state;
	for (int i = PROBE_PENDING; i <= PROBE_ERROR; i++) {
		assert_int_equal(probe_state_parse(probe_state_name(i), &st), 0);
		assert_int_equal(st, i);
	}
	assert_int_equal(probe_state_parse("exploded", &st), -1);
	assert_string_equal(probe_state_name((enum mc_probe_state)99), "error");
}

static void test_severity(void **state)
{
	(void)state;
	assert_int_equal(probe_state_severity(PROBE_DELIVERED, 1, 10), MC_SEV_OK);
	assert_int_equal(probe_state_severity(PROBE_SLOW, 11, 10), MC_SEV_WARNING);
	assert_int_equal(probe_state_severity(PROBE_JUNK, 1, 10), MC_SEV_WARNING);
	assert_int_equal(probe_state_severity(PROBE_GREYLISTED, 5, 10), MC_SEV_OK);
	assert_int_equal(probe_state_severity(PROBE_GREYLISTED, 50, 10), MC_SEV_WARNING);
	assert_int_equal(probe_state_severity(PROBE_DEFERRED, 0, 10), MC_SEV_WARNING);
	assert_int_equal(probe_state_severity(PROBE_BOUNCED, 0, 10), MC_SEV_CRITICAL);
	assert_int_equal(probe_state_severity(PROBE_REJECTED, 0, 10), MC_SEV_CRITICAL);
	assert_int_equal(probe_state_severity(PROBE_LOST, 0, 10), MC_SEV_CRITICAL);
	assert_int_equal(probe_state_severity(PROBE_ERROR, 0, 10), MC_SEV_CRITICAL);
	assert_int_equal(probe_state_severity(PROBE_PENDING, 0, 10), MC_SEV_UNKNOWN);
}

static void test_judge_found(void **state)
{
	(void)state;
	assert_int_equal(probe_state_judge_found(0, 10, 10), PROBE_DELIVERED);
	assert_int_equal(probe_state_judge_found(0, 10.01, 10), PROBE_SLOW);
	assert_int_equal(probe_state_judge_found(1, 0.1, 10), PROBE_JUNK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_judge_found),
	};

	return cmocka_run_group_tests_name("probe_state", tests, NULL, NULL);
}
