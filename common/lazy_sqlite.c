/* SQLite on first use: defines every sqlite3_* function store/ calls and
 * forwards it to libsqlite3.so.0, loaded by lazy.h's helper on the first
 * call. Only the commands that open the store (run, probe, status, report,
 * metrics, ...) need it; spf, dnsbl, dkim, dmarc and check never do, and
 * linking it cost each of their starts the mapping and relocation of a
 * 1.4 MB library plus libm (its one dependency we would not otherwise
 * load). Why hand-written: lazy.h. Add a function here (and to SQLITE_FNS)
 * when the store starts calling one; the link fails until you do.
 *
 * Two of them are variadic (sqlite3_config, sqlite3_db_config). C cannot
 * pass a "..." on, so each forwards the verbs whose arguments it knows and
 * answers SQLITE_MISUSE to any other, as SQLite itself does for a verb it
 * does not know. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>

#include "lazy.h"

#define SQLITE_SONAME "libsqlite3.so.0"

#define SQLITE_FNS(X) \
	X(sqlite3_bind_double) X(sqlite3_bind_int) X(sqlite3_bind_int64) \
	X(sqlite3_bind_null) X(sqlite3_bind_text) X(sqlite3_busy_timeout) \
	X(sqlite3_changes) X(sqlite3_close) X(sqlite3_column_double) \
	X(sqlite3_column_int) X(sqlite3_column_int64) \
	X(sqlite3_column_text) X(sqlite3_column_type) X(sqlite3_config) \
	X(sqlite3_db_config) X(sqlite3_errmsg) X(sqlite3_exec) \
	X(sqlite3_extended_errcode) X(sqlite3_extended_result_codes) \
	X(sqlite3_file_control) X(sqlite3_finalize) \
	X(sqlite3_get_autocommit) X(sqlite3_open_v2) X(sqlite3_prepare_v2) \
	X(sqlite3_reset) X(sqlite3_step) X(sqlite3_total_changes64) \
	X(sqlite3_wal_checkpoint_v2) X(sqlite3_wal_hook)

LAZY_LIB(sqlite, SQLITE_SONAME, SQLITE_FNS)
#define REAL(f) LAZY_CALL(sqlite, f)

int sqlite3_bind_double(sqlite3_stmt *s, int i, double v)
{
	return REAL(sqlite3_bind_double)(s, i, v);
}

int sqlite3_bind_int(sqlite3_stmt *s, int i, int v)
{
	return REAL(sqlite3_bind_int)(s, i, v);
}

int sqlite3_bind_int64(sqlite3_stmt *s, int i, sqlite3_int64 v)
{
	return REAL(sqlite3_bind_int64)(s, i, v);
}

int sqlite3_bind_null(sqlite3_stmt *s, int i)
{
	return REAL(sqlite3_bind_null)(s, i);
}

int sqlite3_bind_text(sqlite3_stmt *s, int i, const char *v, int n,
		      void (*destroy)(void *))
{
	return REAL(sqlite3_bind_text)(s, i, v, n, destroy);
}

int sqlite3_busy_timeout(sqlite3 *db, int ms)
{
	return REAL(sqlite3_busy_timeout)(db, ms);
}

int sqlite3_changes(sqlite3 *db)
{
	return REAL(sqlite3_changes)(db);
}

int sqlite3_close(sqlite3 *db)
{
	return REAL(sqlite3_close)(db);
}

double sqlite3_column_double(sqlite3_stmt *s, int col)
{
	return REAL(sqlite3_column_double)(s, col);
}

int sqlite3_column_int(sqlite3_stmt *s, int col)
{
	return REAL(sqlite3_column_int)(s, col);
}

sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *s, int col)
{
	return REAL(sqlite3_column_int64)(s, col);
}

const unsigned char *sqlite3_column_text(sqlite3_stmt *s, int col)
{
	return REAL(sqlite3_column_text)(s, col);
}

int sqlite3_column_type(sqlite3_stmt *s, int col)
{
	return REAL(sqlite3_column_type)(s, col);
}

int sqlite3_config(int op, ...)
{
	va_list ap;
	int rc = SQLITE_MISUSE;

	va_start(ap, op);
	if (op == SQLITE_CONFIG_PAGECACHE) {
		void *buf = va_arg(ap, void *);
		int size = va_arg(ap, int);
		int n = va_arg(ap, int);

		rc = REAL(sqlite3_config)(op, buf, size, n);
	}
	va_end(ap);
	return rc;
}

/* The on/off verbs: (int onoff, int *result). SQLITE_DBCONFIG_MAINDBNAME
 * (1000) and SQLITE_DBCONFIG_LOOKASIDE (1001) take other arguments. */
int sqlite3_db_config(sqlite3 *db, int op, ...)
{
	va_list ap;
	int rc = SQLITE_MISUSE;

	va_start(ap, op);
	if (op > SQLITE_DBCONFIG_LOOKASIDE && op <= SQLITE_DBCONFIG_MAX) {
		int onoff = va_arg(ap, int);
		int *result = va_arg(ap, int *);

		rc = REAL(sqlite3_db_config)(db, op, onoff, result);
	}
	va_end(ap);
	return rc;
}

const char *sqlite3_errmsg(sqlite3 *db)
{
	return REAL(sqlite3_errmsg)(db);
}

int sqlite3_exec(sqlite3 *db, const char *sql,
		 int (*cb)(void *, int, char **, char **), void *arg,
		 char **errmsg)
{
	return REAL(sqlite3_exec)(db, sql, cb, arg, errmsg);
}

int sqlite3_extended_errcode(sqlite3 *db)
{
	return REAL(sqlite3_extended_errcode)(db);
}

int sqlite3_extended_result_codes(sqlite3 *db, int onoff)
{
	return REAL(sqlite3_extended_result_codes)(db, onoff);
}

int sqlite3_file_control(sqlite3 *db, const char *name, int op, void *arg)
{
	return REAL(sqlite3_file_control)(db, name, op, arg);
}

int sqlite3_finalize(sqlite3_stmt *s)
{
	return REAL(sqlite3_finalize)(s);
}

int sqlite3_get_autocommit(sqlite3 *db)
{
	return REAL(sqlite3_get_autocommit)(db);
}

int sqlite3_open_v2(const char *path, sqlite3 **db, int flags,
		    const char *vfs)
{
	return REAL(sqlite3_open_v2)(path, db, flags, vfs);
}

int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n,
		       sqlite3_stmt **s, const char **tail)
{
	return REAL(sqlite3_prepare_v2)(db, sql, n, s, tail);
}

int sqlite3_reset(sqlite3_stmt *s)
{
	return REAL(sqlite3_reset)(s);
}

int sqlite3_step(sqlite3_stmt *s)
{
	return REAL(sqlite3_step)(s);
}

sqlite3_int64 sqlite3_total_changes64(sqlite3 *db)
{
	return REAL(sqlite3_total_changes64)(db);
}

int sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode,
			      int *log, int *ckpt)
{
	return REAL(sqlite3_wal_checkpoint_v2)(db, name, mode, log, ckpt);
}

void *sqlite3_wal_hook(sqlite3 *db,
		       int (*hook)(void *, sqlite3 *, const char *, int),
		       void *arg)
{
	return REAL(sqlite3_wal_hook)(db, hook, arg);
}
