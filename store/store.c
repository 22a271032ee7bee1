/* The store's handle: opening the database safely (mode, pragmas), the
 * schema migrations, transactions, statement helpers, retention and
 * the last run's time. Probes live in store_probe.c; checks, alerts and
 * routes in store_state.c; the run lock in store_lock.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_internal.h"

const double store_delivery_buckets[STORE_N_DELIVERY_BUCKETS] =
	STORE_DELIVERY_BUCKETS;

int store_state_found(enum mc_probe_state s)
{
	return s == PROBE_DELIVERED || s == PROBE_SLOW || s == PROBE_JUNK ||
	       s == PROBE_GREYLISTED;
}

/* ---- schema ----
 * migrations[i] takes the schema from version i to i + 1. Append only:
 * a released migration is never edited, a change is a new entry. */

static const char *const migrations[] = {
	/* 1: the tables of the first release. */
	"CREATE TABLE probes ("
	" id TEXT PRIMARY KEY,"
	" route TEXT NOT NULL,"
	" sent_at REAL NOT NULL,"
	" found_at REAL,"
	" state TEXT NOT NULL,"
	" final INTEGER NOT NULL DEFAULT 0,"   /* 0: outstanding */
	" severity INTEGER,"
	" folder TEXT,"
	" total_seconds REAL,"
	" smtp_code INTEGER,"
	" smtp_enhanced TEXT,"
	" smtp_text TEXT,"
	" queue_id TEXT,"
	" error_component TEXT,"
	" error_message TEXT,"
	" greylisted INTEGER NOT NULL DEFAULT 0,"
	" greylist_delay REAL,"
	" dsn_status TEXT,"
	" dsn_reason TEXT,"
	" dsn_hard INTEGER,"
	" updated_at REAL NOT NULL);"
	"CREATE INDEX probes_outstanding ON probes(final, sent_at);"
	"CREATE INDEX probes_route_sent ON probes(route, sent_at);"
	"CREATE INDEX probes_sent ON probes(sent_at);"
	"CREATE TABLE probe_events ("
	" probe_id TEXT NOT NULL REFERENCES probes(id) ON DELETE CASCADE,"
	" at REAL NOT NULL,"
	" type TEXT NOT NULL,"
	" detail TEXT CHECK (detail IS NULL OR json_valid(detail)));"
	"CREATE INDEX probe_events_probe ON probe_events(probe_id, at);"
	"CREATE TABLE hops ("
	" probe_id TEXT NOT NULL REFERENCES probes(id) ON DELETE CASCADE,"
	" n INTEGER NOT NULL,"
	" from_host TEXT, by_host TEXT, \"with\" TEXT, ip TEXT, tls TEXT,"
	" at REAL, delay REAL,"
	" PRIMARY KEY (probe_id, n));"
	"CREATE TABLE check_results ("
	" check_name TEXT NOT NULL,"
	" at REAL NOT NULL,"
	" severity INTEGER NOT NULL,"
	" summary TEXT,"
	" json TEXT CHECK (json IS NULL OR json_valid(json)));"
	"CREATE INDEX check_results_name_at ON check_results(check_name, at);"
	"CREATE TABLE alert_state ("
	" key TEXT PRIMARY KEY,"
	" status TEXT NOT NULL CHECK (status IN ('firing', 'ok')),"
	" since REAL,"
	" last_notified REAL,"
	" consecutive_failures INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT,"
	" pending_delivery TEXT CHECK (pending_delivery IS NULL OR"
	"  json_valid(pending_delivery)));"
	"CREATE TABLE counters ("
	" route TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" count INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (route, state));"
	"CREATE TABLE route_state ("
	" route TEXT PRIMARY KEY,"
	" last_sent_at REAL,"
	" last_state TEXT,"
	" last_severity INTEGER,"
	" since REAL,"
	" last_delivery_seconds REAL,"
	" last_success_at REAL,"
	" last_error TEXT,"
	" judged_sent_at REAL);",   /* sent_at of the probe behind last_state */

	/* 2: the delivery-time histogram as counters that never go down
	 * (pruning old probes must not lower a Prometheus histogram), and a
	 * key/value table for the last run's time. Backfilled from the
	 * probes version 1 recorded, with the bounds of STORE_DELIVERY_BUCKETS
	 * as they were at version 2. */
	"CREATE TABLE delivery_hist ("
	" route TEXT NOT NULL,"
	" le REAL NOT NULL,"           /* bucket upper bound; non-cumulative */
	" count INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (route, le));"
	"ALTER TABLE route_state ADD COLUMN delivery_count INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE route_state ADD COLUMN delivery_sum REAL NOT NULL DEFAULT 0;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value);"
	"CREATE TEMP VIEW v2_timed AS SELECT route, total_seconds AS s FROM probes"
	" WHERE final = 1 AND total_seconds IS NOT NULL"
	" AND state IN ('delivered', 'slow', 'junk', 'greylisted');"
	"INSERT INTO delivery_hist (route, le, count)"
	" SELECT route, le, COUNT(*) FROM (SELECT route, (SELECT MIN(b.column1)"
	"  FROM (VALUES (0.5), (1), (2), (5), (10), (30), (60), (120), (300),"
	"   (600), (900)) AS b WHERE b.column1 >= t.s) AS le FROM v2_timed AS t)"
	" WHERE le IS NOT NULL GROUP BY route, le;"
	"INSERT OR IGNORE INTO route_state (route) SELECT DISTINCT route FROM v2_timed;"
	"UPDATE route_state SET"
	" delivery_count = (SELECT COUNT(*) FROM v2_timed t WHERE t.route = route_state.route),"
	" delivery_sum = (SELECT COALESCE(SUM(s), 0) FROM v2_timed t WHERE t.route = route_state.route);"
	"DROP VIEW v2_timed;",

	/* 3: the history of every alert: each transition (firing, repeat,
	 * resolved) and each delivery attempt's outcome, so reports list
	 * real alert firings and an operator can audit what was sent. */
	"CREATE TABLE alert_events ("
	" key TEXT NOT NULL,"
	" at REAL NOT NULL,"
	" event TEXT NOT NULL CHECK (event IN ('firing', 'repeat', 'resolved',"
	"  'delivered', 'delivery_failed')),"
	" severity INTEGER,"
	" detail TEXT);"
	"CREATE INDEX alert_events_key_at ON alert_events(key, at);"
	"CREATE INDEX alert_events_at ON alert_events(at);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
		       STORE_SCHEMA_VERSION,
	       "one migration per schema version");

static int hint_corrupt(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

static int db_fail(sqlite3 *db, const char *path, struct mc_err *err,
		   const char *what)
{
	int rc = sqlite3_extended_errcode(db);

	return mc_err_set(err, -1, MC_COMP_STORE, "%s: %s: %s%s", path, what,
			  sqlite3_errmsg(db),
			  hint_corrupt(rc) ? " (not a mailcanary database, or "
					     "corrupt: move it aside to start "
					     "afresh)" : "");
}

int store_fail(struct mc_store *st, struct mc_err *err, const char *what)
{
	return db_fail(st->db, st->path, err, what);
}

static int read_version(sqlite3 *db, const char *path, int *v,
			struct mc_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_fail(db, path, err, "reading the schema version");
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		db_fail(db, path, err, "reading the schema version");
		sqlite3_finalize(s);
		return -1;
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int newer(const char *path, int v, struct mc_err *err)
{
	return mc_err_set(err, -1, MC_COMP_STORE,
			  "%s: schema version %d is newer than this mailcanary "
			  "(%s) knows (%d): run the newer mailcanary, or move "
			  "the file aside", path, v, MC_VERSION,
			  STORE_SCHEMA_VERSION);
}

int store_migrate(sqlite3 *db, const char *path, int target,
		  struct mc_err *err)
{
	char what[64], sql[64];
	int v;

	if (target > STORE_SCHEMA_VERSION)
		target = STORE_SCHEMA_VERSION;
	if (read_version(db, path, &v, err))
		return -1;
	if (v > STORE_SCHEMA_VERSION)
		return newer(path, v, err);
	while (v < target) {
		/* IMMEDIATE: take the write lock first, then look again --
		 * another process may have migrated meanwhile. */
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK)
			return db_fail(db, path, err, "migrating the schema");
		if (read_version(db, path, &v, err))
			goto fail;
		if (v > STORE_SCHEMA_VERSION) {
			newer(path, v, err);
			goto fail;
		}
		if (v >= target) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			break;
		}
		snprintf(what, sizeof(what), "migrating the schema from "
			 "version %d to %d", v, v + 1);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) !=
			    SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			db_fail(db, path, err, what);
			goto fail;
		}
		v++;
	}
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- opening ---- */

int store_mkdir_p(const char *dir, unsigned leaf_mode, struct mc_err *err)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);
	struct stat sb;

	if (n == 0 || n >= sizeof(buf))
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "state_dir '%s': empty or too long", dir);
	memcpy(buf, dir, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	for (char *p = buf + 1;; p++) {
		int last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(buf, last ? leaf_mode : 0755) != 0 &&
		    errno != EEXIST)
			return mc_err_set(err, -1, MC_COMP_STORE,
					  "creating %s: %s", buf,
					  strerror(errno));
		if (last)
			break;
		*p = '/';
	}
	if (stat(buf, &sb) != 0)
		return mc_err_set(err, -1, MC_COMP_STORE, "%s: %s", buf,
				  strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: not a directory", buf);
	return 0;
}

/* Creates the file 0600 ourselves, so neither the umask nor SQLite's
 * default 0644 decides who may read probe history. An existing file's
 * mode is left alone (the operator may have chosen it). */
static int create_db_file(const char *path, struct mc_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		      0600);

	if (fd < 0 && errno == EEXIST) {
		struct stat sb;

		if (lstat(path, &sb) != 0)
			return mc_err_set(err, -1, MC_COMP_STORE, "%s: %s",
					  path, strerror(errno));
		if (!S_ISREG(sb.st_mode))
			return mc_err_set(err, -1, MC_COMP_STORE,
					  "%s: not a regular file", path);
		return 0;
	}
	if (fd < 0)
		return mc_err_set(err, -1, MC_COMP_STORE, "creating %s: %s",
				  path, strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		int e = errno;

		close(fd);
		return mc_err_set(err, -1, MC_COMP_STORE, "chmod %s: %s",
				  path, strerror(e));
	}
	close(fd);
	return 0;
}

static int exec_pragma(struct mc_store *st, const char *sql,
		       const char *expect, struct mc_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, err, sql);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(st, err, sql);
		sqlite3_finalize(s);
		return -1;
	}
	if (expect) {
		const char *got = rc == SQLITE_ROW
			? (const char *)sqlite3_column_text(s, 0) : NULL;

		if (!got || strcmp(got, expect) != 0) {
			mc_err_set(err, -1, MC_COMP_STORE,
				   "%s: %s gave '%s', not '%s'", st->path, sql,
				   got ? got : "", expect);
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	return 0;
}

/* SQLite's page caches start with a bulk allocation of 20 pages, each
 * touched at once: every ephemeral b-tree of a query (an IN list, an
 * ORDER BY an index does not give) paid 20 page faults, about 900 in an
 * idle 100-route tick. Pages are allocated one by one instead. */
static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)NULL, 0, 0);
}

/* SQLite's automatic checkpoint is itself a WAL hook, which a hook of our
 * own replaces: this one keeps it (a passive checkpoint at 1000 frames,
 * SQLite's default) and remembers the WAL's size for store_close(). */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct mc_store *st = arg;

	/* frames stays the WAL's size after a checkpoint too: the file holds
	 * them (and an open would read them all back) until the next commit
	 * starts it over. */
	st->wal_frames = frames;
	if (frames >= STORE_WAL_AUTOCHECKPOINT)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
	return SQLITE_OK;
}

struct mc_store *store_open(const char *state_dir, struct mc_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct mc_store *st;
	int v;

	pthread_once(&once, configure_sqlite);
	if (!state_dir || !*state_dir) {
		mc_err_set(err, -1, MC_COMP_STORE, "state_dir is not set");
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st || asprintf(&st->path, "%s/%s", state_dir, STORE_DB_NAME) < 0) {
		free(st);
		mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
		return NULL;
	}
	if (store_mkdir_p(state_dir, 0700, err) ||
	    create_db_file(st->path, err))
		goto fail;
	if (sqlite3_open_v2(st->path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		if (st->db)
			store_fail(st, err, "opening");
		else
			mc_err_set(err, -1, MC_COMP_STORE, "%s: out of memory",
				   st->path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	st->wal_frames = -1;
	sqlite3_wal_hook(st->db, wal_hook, st);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	/* Keep the -wal file between runs instead of re-creating it every
	 * time (a file and a directory sync per run); durability is the
	 * same. The checkpoint at close stays: without it the WAL grows to
	 * SQLite's automatic checkpoint (4 MB) and every open reads it all
	 * back (measured: an idle tick 22 -> 34 ms). */
	int one = 1;
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	/* journal_mode is the first statement that reads the file: a file
	 * that is no database fails here, with the hint. */
	if (exec_pragma(st, "PRAGMA journal_mode = WAL", "wal", err) ||
	    exec_pragma(st, "PRAGMA journal_size_limit = 1048576", NULL, err) ||
	    exec_pragma(st, "PRAGMA synchronous = FULL", NULL, err) ||
	    exec_pragma(st, "PRAGMA foreign_keys = ON", NULL, err) ||
	    store_migrate(st->db, st->path, STORE_SCHEMA_VERSION, err) ||
	    read_version(st->db, st->path, &v, err))
		goto fail;
	if (v != STORE_SCHEMA_VERSION) {
		mc_err_set(err, -1, MC_COMP_STORE, "%s: schema version %d "
			   "after migration, expected %d", st->path, v,
			   STORE_SCHEMA_VERSION);
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void store_close(struct mc_store *st)
{
	if (!st)
		return;
	if (st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	/* A short WAL stays for the next run to read back (a few pages),
	 * which saves an idle tick its checkpoint: a sync of the WAL, a write
	 * and a sync of the database. A long one is checkpointed, so that no
	 * open ever reads back more than STORE_WAL_KEEP frames. */
	if (st->db && st->wal_frames >= 0 &&
	    st->wal_frames < STORE_WAL_KEEP)
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
				  NULL);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_schema_version(struct mc_store *st)
{
	int v = -1;

	if (read_version(st->db, st->path, &v, NULL))
		return -1;
	return v;
}

/* ---- statements and transactions ---- */

static int bind_args(sqlite3_stmt *s, const char *types, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 't': {
			const char *v = va_arg(ap, const char *);

			rc = v ? sqlite3_bind_text(s, i + 1, v, -1,
						   SQLITE_TRANSIENT)
			       : sqlite3_bind_null(s, i + 1);
			break;
		}
		case 'd': {
			double v = va_arg(ap, double);

			rc = isnan(v) ? sqlite3_bind_null(s, i + 1)
				      : sqlite3_bind_double(s, i + 1, v);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int(s, i + 1, va_arg(ap, int));
			break;
		case 'n': {
			int v = va_arg(ap, int);

			rc = v < 0 ? sqlite3_bind_null(s, i + 1)
				   : sqlite3_bind_int(s, i + 1, v);
			break;
		}
		case 'I':
			rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, long long));
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

static int prepare_v(struct mc_store *st, struct mc_err *err,
		     const char *what, const char *sql, sqlite3_stmt **out,
		     const char *types, va_list ap)
{
	*out = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
		return store_fail(st, err, what);
	if (bind_args(*out, types, ap) != SQLITE_OK) {
		store_fail(st, err, what);
		sqlite3_finalize(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int store_prepare(struct mc_store *st, struct mc_err *err, const char *what,
		  const char *sql, sqlite3_stmt **out, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = prepare_v(st, err, what, sql, out, types, ap);
	va_end(ap);
	return rc;
}

static int exec_v(struct mc_store *st, struct mc_err *err, const char *what,
		  const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *s;
	int rc;

	if (prepare_v(st, err, what, sql, &s, types, ap))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		store_fail(st, err, what);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return sqlite3_changes(st->db);
}

int store_exec(struct mc_store *st, struct mc_err *err, const char *what,
	       const char *sql, const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = exec_v(st, err, what, sql, types, ap);
	va_end(ap);
	return rc;
}

int store_tx_begin(struct mc_store *st, struct mc_err *err)
{
	const char *sql = sqlite3_get_autocommit(st->db) ? "BEGIN IMMEDIATE"
							 : "SAVEPOINT mc";

	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, err, "starting a transaction");
	if (sql[0] == 'S')
		st->savepoints++;
	return 0;
}

int store_tx_end(struct mc_store *st, int ok, struct mc_err *err)
{
	if (st->savepoints > 0) {
		st->savepoints--;
		if (!ok) {
			sqlite3_exec(st->db, "ROLLBACK TO mc; RELEASE mc", NULL,
				     NULL, NULL);
			return 0;
		}
		if (sqlite3_exec(st->db, "RELEASE mc", NULL, NULL, NULL) !=
		    SQLITE_OK)
			return store_fail(st, err, "releasing a savepoint");
		return 0;
	}
	if (!ok) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, err, "committing");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int store_begin(struct mc_store *st, struct mc_err *err)
{
	if (st->in_begin || !sqlite3_get_autocommit(st->db))
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: a transaction is already open",
				  st->path);
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_fail(st, err, "starting a transaction");
	st->in_begin = 1;
	return 0;
}

int store_commit(struct mc_store *st, struct mc_err *err)
{
	if (!st->in_begin)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: no transaction to commit", st->path);
	st->in_begin = 0;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, err, "committing");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void store_rollback(struct mc_store *st)
{
	if (!st || !st->in_begin)
		return;
	st->in_begin = 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

double store_col_double(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NAN;
	return sqlite3_column_double(s, i);
}

char *store_col_strdup(sqlite3_stmt *s, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	char *r;

	if (!t)
		return NULL;
	r = strdup((const char *)t);
	if (!r)
		*oom = 1;
	return r;
}

int store_end_rows(struct mc_store *st, sqlite3_stmt *s, int rc, int oom,
		   const char *what, struct mc_err *err)
{
	sqlite3_finalize(s);
	if (oom)
		return mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	if (rc != SQLITE_DONE)
		return store_fail(st, err, what);
	return 0;
}

void *store_grow(void **arr, size_t *len, size_t *cap, size_t elem)
{
	if (*len == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *m = realloc(*arr, nc * elem);

		if (!m)
			return NULL;
		*arr = m;
		*cap = nc;
	}
	void *item = (char *)*arr + (*len)++ * elem;
	memset(item, 0, elem);
	return item;
}

/* ---- run bookkeeping and retention ---- */

/* Runs sql (types/varargs as store_exec) as one commit with synchronous =
 * NORMAL: no sync of the WAL. For what a power cut may take back without
 * harm -- the next tick writes it again -- which is all an idle tick
 * writes; probes, counters and alert state keep synchronous = FULL.
 * Inside a transaction the pragma cannot change and that transaction's
 * own commit decides. */
static int exec_unsynced(struct mc_store *st, struct mc_err *err,
			 const char *what, const char *sql, const char *types,
			 ...)
{
	struct mc_err ignored = {0};
	va_list ap;
	int relax, rc;

	relax = sqlite3_get_autocommit(st->db);
	if (relax && exec_pragma(st, "PRAGMA synchronous = NORMAL", NULL, err))
		return -1;
	va_start(ap, types);
	rc = exec_v(st, err, what, sql, types, ap) < 0 ? -1 : 0;
	va_end(ap);
	if (relax && exec_pragma(st, "PRAGMA synchronous = FULL", NULL,
				 rc ? &ignored : err))
		rc = -1;
	return rc;
}

int store_set_last_run(struct mc_store *st, double now,
		       const char *metrics_sig, struct mc_err *err)
{
	static const char one[] =
		"INSERT INTO meta (key, value) VALUES ('last_run_at', ?1)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	static const char both[] =
		"INSERT INTO meta (key, value) VALUES ('last_run_at', ?1),"
		" ('metrics_sig', ?2)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value";

	return metrics_sig
		? exec_unsynced(st, err, "recording the last run", both, "dt",
				now, metrics_sig)
		: exec_unsynced(st, err, "recording the last run", one, "d",
				now);
}

int store_take_metrics_sig(struct mc_store *st, char **sig,
			   struct mc_err *err)
{
	sqlite3_stmt *s;
	int rc, oom = 0;

	*sig = NULL;
	if (store_prepare(st, err, "reading the metrics signature",
			  "SELECT value FROM meta WHERE key = 'metrics_sig'",
			  &s, ""))
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*sig = store_col_strdup(s, 0, &oom);
	if (store_end_rows(st, s, rc == SQLITE_ROW ? SQLITE_DONE : rc, oom,
			   "reading the metrics signature", err))
		goto fail;
	if (*sig && exec_unsynced(st, err, "forgetting the metrics signature",
				  "DELETE FROM meta WHERE key = 'metrics_sig'",
				  ""))
		goto fail;
	return 0;
fail:
	free(*sig);
	*sig = NULL;
	return -1;
}

long long store_changes(struct mc_store *st)
{
	return sqlite3_total_changes64(st->db);
}

int store_last_run(struct mc_store *st, double *t, struct mc_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, err, "reading the last run",
			  "SELECT value FROM meta WHERE key = 'last_run_at'",
			  &s, ""))
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		*t = sqlite3_column_double(s, 0);
		rc = 0;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		rc = 1;
	} else {
		rc = store_fail(st, err, "reading the last run");
	}
	sqlite3_finalize(s);
	return rc;
}

int store_prune(struct mc_store *st, int retention_days, double now,
		long long *deleted, struct mc_err *err)
{
	double cut = now - (double)retention_days * 86400.0;
	int n;

	if (retention_days < 1)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: retention_days must be at least 1, "
				  "not %d", st->path, retention_days);
	if (store_tx_begin(st, err))
		return -1;
	/* Events and hops go with their probe (ON DELETE CASCADE). */
	n = store_exec(st, err, "pruning probes",
		       "DELETE FROM probes WHERE sent_at < ?", "d", cut);
	if (n < 0 ||
	    store_exec(st, err, "pruning check results",
		       "DELETE FROM check_results WHERE at < ? AND at < ("
		       " SELECT MAX(at) FROM check_results AS c"
		       " WHERE c.check_name = check_results.check_name)",
		       "d", cut) < 0 ||
	    store_exec(st, err, "pruning alert history",
		       "DELETE FROM alert_events WHERE at < ?", "d", cut) < 0) {
		store_tx_end(st, 0, NULL);
		return -1;
	}
	if (store_tx_end(st, 1, err))
		return -1;
	if (deleted)
		*deleted = n;
	return 0;
}
