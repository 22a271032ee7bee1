/* common/mc_io: a whole buffer through a pipe whose reader takes it in
 * small pieces (so that write() returns short), and the errors: a pipe
 * with no reader, a closed descriptor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc_io.h"

#define BIG (1u << 20)   /* 16 times a pipe's default capacity */

struct reader {
	int fd;
	unsigned char *got;
	size_t n;
};

static void *read_slowly(void *arg)
{
	struct reader *r = arg;
	ssize_t k;

	while ((k = read(r->fd, r->got + r->n, 1000)) > 0)
		r->n += (size_t)k;
	return NULL;
}

static void test_whole_buffer_through_a_pipe(void **state)
{
	unsigned char *data = malloc(BIG);
	struct reader r = {.got = malloc(BIG + 1000)};
	pthread_t t;
	int p[2];

	(void)state;
	assert_non_null(data);
	assert_non_null(r.got);
	for (size_t i = 0; i < BIG; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(pipe(p), 0);
	r.fd = p[0];
	assert_int_equal(pthread_create(&t, NULL, read_slowly, &r), 0);
	assert_int_equal(mc_write_all(p[1], data, BIG), 0);
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	assert_int_equal(r.n, BIG);
	assert_memory_equal(r.got, data, BIG);
	assert_int_equal(mc_write_all(-1, data, 0), 0);   /* nothing to do */
	free(data);
	free(r.got);
}

static void test_errors(void **state)
{
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	errno = 0;
	assert_int_equal(mc_write_all(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	errno = 0;
	assert_int_equal(mc_write_all(p[1], "x", 1), -1);
	assert_int_equal(errno, EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_buffer_through_a_pipe),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
