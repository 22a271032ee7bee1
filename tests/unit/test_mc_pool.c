/* common/mc_pool: every job runs exactly once, whatever the thread count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "mc_pool.h"

static void mark(void *arg, size_t i)
{
	int *counts = arg;

	__atomic_add_fetch(&counts[i], 1, __ATOMIC_RELAXED);
}

static void test_each_job_once(void **state)
{
	static const unsigned threads[] = {0, 1, 2, 16, 99};
	int counts[100];

	(void)state;
	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		memset(counts, 0, sizeof(counts));
		mc_pool_run(100, threads[t], mark, counts);
		for (int i = 0; i < 100; i++)
			assert_int_equal(counts[i], 1);
	}
	mc_pool_run(0, 4, mark, counts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_job_once),
	};

	return cmocka_run_group_tests_name("mc_pool", tests, NULL, NULL);
}
