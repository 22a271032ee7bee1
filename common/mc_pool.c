#include "mc_pool.h"

#include <pthread.h>

struct pool {
	pthread_mutex_t lock;
	size_t next, n;
	void (*fn)(void *arg, size_t i);
	void *arg;
};

static void *worker(void *p)
{
	struct pool *pool = p;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&pool->lock);
		i = pool->next < pool->n ? pool->next++ : pool->n;
		pthread_mutex_unlock(&pool->lock);
		if (i == pool->n)
			return NULL;
		pool->fn(pool->arg, i);
	}
}

void mc_pool_run(size_t n, unsigned max_threads,
		 void (*fn)(void *arg, size_t i), void *arg)
{
	struct pool pool = {.n = n, .fn = fn, .arg = arg};
	pthread_t threads[MC_POOL_MAX_THREADS];
	unsigned started = 0, want;

	pthread_mutex_init(&pool.lock, NULL);
	want = max_threads > MC_POOL_MAX_THREADS ? MC_POOL_MAX_THREADS
						 : max_threads;
	if (want > n)
		want = (unsigned)n;
	/* The calling thread is a worker too. */
	while (started + 1 < want &&
	       pthread_create(&threads[started], NULL, worker, &pool) == 0)
		started++;
	worker(&pool);
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&pool.lock);
}
