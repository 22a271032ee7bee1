/* Shared by the store's own files (store*.c, metrics.c) and its unit tests:
 * the handle, statement helpers and the migration entry point. Not for
 * other modules: they use store.h. */
#ifndef MC_STORE_INTERNAL_H
#define MC_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>

#include "store/store.h"

/* SQLite's default automatic checkpoint, which store.c's WAL hook keeps,
 * and the longest WAL (frames of a page) left at close for the next open
 * to read back instead of checkpointing it. */
#define STORE_WAL_AUTOCHECKPOINT 1000
#define STORE_WAL_KEEP 64

struct mc_store {
	sqlite3 *db;
	char *path;                /* state_dir/mailcanary.db, for messages */
	int in_begin;              /* a store_begin() transaction is open */
	int savepoints;            /* nesting depth of store_tx_begin() */
	int wal_frames;            /* frames in the WAL after this
				    * connection's last commit; -1 before
				    * its first (see store_close) */
};

/* Fills err with "PATH: what: SQLite's message" (plus a hint for corrupt
 * files) and returns -1. */
int store_fail(struct mc_store *st, struct mc_err *err, const char *what);

/* Prepares sql and binds its parameters from the varargs, one per
 * character of types: 't' const char * (NULL -> NULL), 'd' double (NAN ->
 * NULL), 'i' int, 'n' int (negative -> NULL), 'I' long long. Returns 0
 * with *out set (the caller finalizes it), or -1. */
int store_prepare(struct mc_store *st, struct mc_err *err, const char *what,
		  const char *sql, sqlite3_stmt **out, const char *types, ...);

/* Prepares, binds (as store_prepare), steps to the end and finalizes.
 * Returns the number of rows changed (>= 0) or -1. */
int store_exec(struct mc_store *st, struct mc_err *err, const char *what,
	       const char *sql, const char *types, ...);

/* A write transaction: BEGIN IMMEDIATE outside store_begin(), a savepoint
 * inside one. store_tx_end() commits when ok, else rolls back; it returns
 * 0, or -1 with err filled when the commit fails (and ok was 1). */
int store_tx_begin(struct mc_store *st, struct mc_err *err);
int store_tx_end(struct mc_store *st, int ok, struct mc_err *err);

/* Column i as a double (NULL -> NAN), or as a new string (NULL -> NULL;
 * sets *oom when memory runs out). */
double store_col_double(sqlite3_stmt *s, int i);
char *store_col_strdup(sqlite3_stmt *s, int i, int *oom);

/* Ends a row loop over s (rc: the last sqlite3_step() result; oom: memory
 * ran out on the way): finalizes s; returns 0, or -1 with err filled. */
int store_end_rows(struct mc_store *st, sqlite3_stmt *s, int rc, int oom,
		   const char *what, struct mc_err *err);

/* Makes room for one more zeroed element at the end of *arr (len used
 * of cap), doubling it as needed; returns the element, or NULL when out
 * of memory (*arr then unchanged). */
void *store_grow(void **arr, size_t *len, size_t *cap, size_t elem);

/* mkdir -p: missing parents 0755, the last component leaf_mode. */
int store_mkdir_p(const char *dir, unsigned leaf_mode, struct mc_err *err);

/* Applies the migrations from the database's user_version up to target
 * (<= STORE_SCHEMA_VERSION), each in its own transaction. path names the
 * file in messages. Tests use it to build old schema versions. */
int store_migrate(sqlite3 *db, const char *path, int target,
		  struct mc_err *err);

/* The delivery histogram's bucket bounds (STORE_DELIVERY_BUCKETS). */
extern const double store_delivery_buckets[STORE_N_DELIVERY_BUCKETS];

/* 1 for the states of a probe that was found in a mailbox. */
int store_state_found(enum mc_probe_state s);

#endif
