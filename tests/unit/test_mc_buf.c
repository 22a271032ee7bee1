/* common/mc_buf: growth, the size limit (the buffer unchanged when it would
 * be passed), NUL termination, consume, steal and reserve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"

static void test_append_and_grow(void **state)
{
	struct mc_buf b = {0};
	char chunk[1000];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 300; i++)
		assert_int_equal(mc_buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 300000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(mc_buf_append(&b, "", 0), 0);
	assert_int_equal(b.len, 300000);
	mc_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_puts_printf(void **state)
{
	struct mc_buf b = {0};

	(void)state;
	assert_int_equal(mc_buf_puts(&b, "a="), 0);
	assert_int_equal(mc_buf_printf(&b, "%d,%s", 42, "z"), 0);
	assert_string_equal(b.data, "a=42,z");
	assert_int_equal(b.len, 6);
	/* data may hold NULs; len is what counts */
	assert_int_equal(mc_buf_append(&b, "\0q", 2), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data + 6, "\0q", 2);
	mc_buf_free(&b);
}

static void test_limit(void **state)
{
	struct mc_buf b = {.limit = 10};

	(void)state;
	assert_int_equal(mc_buf_puts(&b, "0123456789"), 0);
	assert_int_equal(mc_buf_puts(&b, "x"), -1);
	assert_int_equal(mc_buf_printf(&b, "%s", "y"), -1);
	assert_int_equal(mc_buf_reserve(&b, 1), -1);
	assert_string_equal(b.data, "0123456789");   /* unchanged */
	assert_int_equal(mc_buf_append(&b, "x", (size_t)-1), -1);
	assert_int_equal(b.len, 10);
	mc_buf_free(&b);
}

static void test_reserve(void **state)
{
	struct mc_buf b = {0};
	char *before;

	(void)state;
	assert_int_equal(mc_buf_reserve(&b, 10), 0);
	assert_string_equal(b.data, "");   /* still a string */
	assert_int_equal(mc_buf_puts(&b, "head"), 0);
	assert_int_equal(mc_buf_reserve(&b, 100000), 0);
	assert_true(b.cap >= 100005);
	assert_string_equal(b.data, "head");
	assert_int_equal(b.len, 4);
	/* what was reserved is filled without moving the data */
	before = b.data;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(mc_buf_append(&b, "0123456789", 10), 0);
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.len, 10004);
	assert_int_equal(mc_buf_reserve(&b, 0), 0);
	mc_buf_free(&b);
}

static void test_consume_reset_steal(void **state)
{
	struct mc_buf b = {0};
	char *p;

	(void)state;
	assert_int_equal(mc_buf_puts(&b, "line1\nline2"), 0);
	mc_buf_consume(&b, 6);
	assert_string_equal(b.data, "line2");
	mc_buf_consume(&b, 99);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(mc_buf_puts(&b, "kept"), 0);
	mc_buf_reset(&b);
	assert_string_equal(b.data, "");
	assert_int_equal(mc_buf_puts(&b, "mine"), 0);
	p = mc_buf_steal(&b);
	assert_string_equal(p, "mine");
	assert_null(b.data);
	free(p);
	p = mc_buf_steal(&b);   /* empty: "" */
	assert_string_equal(p, "");
	free(p);
	mc_buf_consume(&b, 1);  /* on a never-used buffer: nothing */
	mc_buf_reset(&b);
	mc_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_grow),
		cmocka_unit_test(test_puts_printf),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_consume_reset_steal),
	};

	return cmocka_run_group_tests_name("mc_buf", tests, NULL, NULL);
}
