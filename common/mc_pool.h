/* A small fixed pool of threads for work that a library forces to block
 * (libesmtp submissions, IMAP logins). Jobs are indices 0..n-1; the
 * function must not touch shared state without its own care. */
#ifndef MC_POOL_H
#define MC_POOL_H

#include <stddef.h>

#define MC_POOL_MAX_THREADS 16

/* Runs fn(arg, i) for every i in 0..n-1 on at most max_threads threads
 * (1 = inline, in this thread) and returns when all are done. Falls back
 * to running inline when threads cannot be created. */
void mc_pool_run(size_t n, unsigned max_threads,
		 void (*fn)(void *arg, size_t i), void *arg);

#endif
