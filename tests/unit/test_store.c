/* store/: opening (mode, pragmas, corrupt and newer files), migrations,
 * the pending-before-DATA contract, outstanding probes, finishing with
 * counters and route state, events, hops, checks, alerts, transactions,
 * retention and the run lock. Each test works in its own temporary
 * directory; times are fake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_internal.h"

#define NOW 1700000000.0

static char dir[256];

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mc-test-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char *path_in(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void expect_msg(const struct mc_err *err, const char *needle)
{
	if (!strstr(err->msg, needle))
		fail_msg("expected '%s' in '%s'", needle, err->msg);
}

static struct mc_store *open_ok(const char *state_dir)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(state_dir, &err);

	if (!st)
		fail_msg("store_open: %s", err.msg);
	return st;
}

/* One integer (or -1 for NULL) from a query on the store's database. */
static long long q_int(struct mc_store *st, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL),
			 SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static double q_double(struct mc_store *st, const char *sql)
{
	sqlite3_stmt *s;
	double v = NAN;

	assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL),
			 SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = store_col_double(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void pending(struct mc_store *st, const char *id, const char *route,
		    double sent_at)
{
	struct mc_err err = {0};

	if (store_probe_insert_pending(st, id, route, sent_at, &err))
		fail_msg("insert_pending %s: %s", id, err.msg);
}

static void finish(struct mc_store *st, const char *id,
		   enum mc_probe_state state, enum mc_severity sev,
		   double total, const char *error, double now)
{
	struct store_probe p;
	struct mc_err err = {0};

	store_probe_init(&p, id);
	p.state = state;
	p.severity = sev;
	p.total_seconds = total;
	p.error_message = error;
	if (store_probe_finish(st, &p, now, &err))
		fail_msg("finish %s: %s", id, err.msg);
}

static const struct store_route_state *
route_state(const struct store_route_state *rs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rs[i].route, name) == 0)
			return &rs[i];
	fail_msg("no route state for %s", name);
	return NULL;
}

/* ---- opening ---- */

static void test_open_creates(void **state)
{
	char sub[512];
	struct mc_store *st;
	struct stat sb;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/a/b/state", dir);
	mode_t old = umask(0);
	st = open_ok(sub);
	umask(old);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM sqlite_master WHERE"
			 " name IN ('probes', 'probe_events', 'hops',"
			 " 'check_results', 'alert_state', 'counters',"
			 " 'route_state', 'delivery_hist', 'meta', 'alert_events')"),
			 10);
	assert_int_equal(q_int(st, "PRAGMA foreign_keys"), 1);
	assert_int_equal(q_int(st, "PRAGMA synchronous"), 2);   /* FULL */
	assert_int_equal(q_int(st, "SELECT journal_mode = 'wal' FROM"
			 " pragma_journal_mode"), 1);
	assert_true(q_int(st, "PRAGMA busy_timeout") > 0);
	pending(st, "p1", "r1", NOW);   /* makes the -wal file exist */

	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(sub, sizeof(sub), "%s/a/b/state/mailcanary.db", dir);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(sub, sizeof(sub), "%s/a/b/state/mailcanary.db-wal", dir);
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	store_close(st);

	/* Opening again keeps the data and the mode. */
	st = open_ok(dir);
	store_close(st);
	snprintf(sub, sizeof(sub), "%s/a/b/state", dir);
	st = open_ok(sub);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probes"), 1);
	store_close(st);
}

static void test_open_mode_with_loose_umask(void **state)
{
	struct mc_store *st;
	struct stat sb;

	(void)state;
	mode_t old = umask(0002);
	st = open_ok(dir);
	umask(old);
	store_close(st);
	assert_int_equal(stat(path_in(STORE_DB_NAME), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_open_errors(void **state)
{
	struct mc_err err = {0};
	char sub[512];
	FILE *f;

	(void)state;
	assert_null(store_open("", &err));
	expect_msg(&err, "state_dir is not set");
	assert_null(store_open(NULL, &err));

	/* state_dir is a file */
	f = fopen(path_in("plain"), "w");
	assert_non_null(f);
	fclose(f);
	assert_null(store_open(path_in("plain"), &err));
	assert_int_equal(err.component, MC_COMP_STORE);
	expect_msg(&err, "plain");

	/* mailcanary.db is a directory */
	snprintf(sub, sizeof(sub), "%s/d", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/d/" STORE_DB_NAME, dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	assert_null(store_open(sub, &err));
	expect_msg(&err, "not a regular file");

	/* a parent we may not write (skipped as root, who may) */
	if (geteuid() != 0) {
		snprintf(sub, sizeof(sub), "%s/ro", dir);
		assert_int_equal(mkdir(sub, 0500), 0);
		snprintf(sub, sizeof(sub), "%s/ro/state", dir);
		assert_null(store_open(sub, &err));
		expect_msg(&err, "creating");
	}
}

static void test_open_corrupt(void **state)
{
	struct mc_err err = {0};
	char junk[8192];
	FILE *f;

	(void)state;
	memset(junk, 'x', sizeof(junk));
	f = fopen(path_in(STORE_DB_NAME), "w");
	assert_non_null(f);
	fwrite(junk, 1, sizeof(junk), f);
	fclose(f);
	assert_null(store_open(dir, &err));
	assert_int_equal(err.component, MC_COMP_STORE);
	expect_msg(&err, STORE_DB_NAME);
	expect_msg(&err, "not a database");
	expect_msg(&err, "move it aside");
}

static void test_open_corrupt_page(void **state)
{
	struct mc_store *st;
	struct mc_err err = {0};
	char junk[4096];
	int fd;

	(void)state;
	st = open_ok(dir);
	for (int i = 0; i < 200; i++) {
		char id[16];

		snprintf(id, sizeof(id), "p%d", i);
		pending(st, id, "a-route-name-to-fill-pages", NOW + i);
	}
	assert_int_equal(q_int(st, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
	store_close(st);
	/* Trash every page after the header page: the schema is gone. */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(path_in(STORE_DB_NAME), O_WRONLY);
	assert_true(fd >= 0);
	for (int i = 1; i < 8; i++)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096 * i),
				 (ssize_t)sizeof(junk));
	close(fd);
	st = store_open(dir, &err);
	if (st) {
		/* The schema page may have survived; a read must then fail. */
		struct store_outstanding *o;
		size_t n;

		assert_int_equal(store_probe_outstanding(st, NULL, &o, &n, &err),
				 -1);
		store_close(st);
	}
	expect_msg(&err, STORE_DB_NAME);
	expect_msg(&err, "move it aside");
}

/* ---- migrations ---- */

static void test_newer_schema_refused(void **state)
{
	struct mc_store *st;
	struct mc_err err = {0};
	sqlite3 *db;

	(void)state;
	st = open_ok(dir);
	store_close(st);
	assert_int_equal(sqlite3_open(path_in(STORE_DB_NAME), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_null(store_open(dir, &err));
	expect_msg(&err, "schema version 99 is newer");
	expect_msg(&err, STORE_DB_NAME);

	/* untouched */
	assert_int_equal(sqlite3_open(path_in(STORE_DB_NAME), &db), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 99);
	sqlite3_finalize(s);
	assert_int_equal(store_migrate(db, "x.db", STORE_SCHEMA_VERSION, &err),
			 -1);
	expect_msg(&err, "newer");
	sqlite3_close(db);
}

static void test_migrate_from_v1(void **state)
{
	struct mc_err err = {0};
	struct store_route_state *rs;
	struct store_outstanding *o;
	struct mc_store *st;
	size_t n;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(path_in(STORE_DB_NAME), &db), SQLITE_OK);
	assert_int_equal(store_migrate(db, "v1.db", 1, &err), 0);
	/* What a version-1 mailcanary left: three timed deliveries (one
	 * above the last bucket), a bounce and a probe in flight. */
	assert_int_equal(
		sqlite3_exec(db,
			     "INSERT INTO probes (id, route, sent_at, state, final,"
			     " total_seconds, updated_at) VALUES"
			     " ('a', 'r1', 1, 'delivered', 1, 0.2, 2),"
			     " ('b', 'r1', 3, 'slow', 1, 3, 4),"
			     " ('c', 'r1', 5, 'greylisted', 1, 1000, 6),"
			     " ('d', 'r2', 7, 'bounced', 1, NULL, 8),"
			     " ('e', 'r2', 9, 'pending', 0, NULL, 9);"
			     "INSERT INTO route_state (route, last_state) VALUES"
			     " ('r2', 'bounced');"
			     "INSERT INTO counters VALUES ('r1', 'delivered', 1),"
			     " ('r1', 'slow', 1), ('r1', 'greylisted', 1),"
			     " ('r2', 'bounced', 1);",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);

	st = open_ok(dir);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM alert_events"), 0);
	/* backfilled histogram: 0.2 -> le 0.5, 3 -> le 5, 1000 -> +Inf only */
	assert_int_equal(q_int(st, "SELECT count FROM delivery_hist WHERE"
			 " route = 'r1' AND le = 0.5"), 1);
	assert_int_equal(q_int(st, "SELECT count FROM delivery_hist WHERE"
			 " route = 'r1' AND le = 5"), 1);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM delivery_hist"), 2);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM sqlite_temp_master"),
			 0);
	assert_int_equal(store_route_states(st, &rs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(route_state(rs, n, "r1")->delivery_count, 3);
	assert_true(fabs(route_state(rs, n, "r1")->delivery_sum - 1003.2) < 1e-9);
	assert_int_equal(route_state(rs, n, "r2")->delivery_count, 0);
	assert_int_equal(route_state(rs, n, "r2")->state, PROBE_BOUNCED);
	/* no severity recorded: the state's own */
	assert_int_equal(route_state(rs, n, "r2")->severity, MC_SEV_CRITICAL);
	store_route_states_free(rs, n);

	/* The old probe in flight is collected and finished as usual. */
	assert_int_equal(store_probe_outstanding(st, NULL, &o, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(o[0].id, "e");
	store_outstanding_free(o, n);
	finish(st, "e", PROBE_DELIVERED, MC_SEV_OK, 1.5, NULL, 20);
	assert_int_equal(q_int(st, "SELECT delivery_count FROM route_state"
			 " WHERE route = 'r2'"), 1);
	store_close(st);
}

static void test_migrate_twice_is_noop(void **state)
{
	struct mc_err err = {0};
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(path_in(STORE_DB_NAME), &db), SQLITE_OK);
	assert_int_equal(store_migrate(db, "x.db", 1, &err), 0);
	assert_int_equal(store_migrate(db, "x.db", 1, &err), 0);
	assert_int_equal(store_migrate(db, "x.db", 99, &err), 0);
	assert_int_equal(store_migrate(db, "x.db", STORE_SCHEMA_VERSION, &err),
			 0);
	sqlite3_close(db);
}

/* ---- probes ---- */

static void test_pending_before_data(void **state)
{
	struct store_outstanding *o;
	struct mc_store *st, *other;
	struct mc_err err = {0};
	size_t n;
	pid_t pid;
	int status;

	(void)state;
	st = open_ok(dir);
	/* The contract: once insert_pending returns, the probe is committed
	 * -- another connection sees it at once. */
	other = open_ok(dir);
	pending(st, "p1", "r1", NOW);
	assert_int_equal(store_probe_outstanding(other, NULL, &o, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(o[0].id, "p1");
	assert_string_equal(o[0].route, "r1");
	assert_true(o[0].sent_at == NOW);
	assert_int_equal(o[0].state, PROBE_PENDING);
	store_outstanding_free(o, n);
	store_close(other);

	/* A process that dies right after recording (as if killed during
	 * DATA) leaves the probe outstanding. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mc_store *c = store_open(dir, &err);

		if (!c || store_probe_insert_pending(c, "p2", "r1", NOW + 1,
						     &err))
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(store_probe_outstanding(st, "r1", &o, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(o[1].id, "p2");
	store_outstanding_free(o, n);

	/* route_state knows the last send before any verdict */
	struct store_route_state *rs;
	assert_int_equal(store_route_states(st, &rs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_false(rs[0].judged);
	assert_true(rs[0].last_sent_at == NOW + 1);
	assert_true(isnan(rs[0].since));
	store_route_states_free(rs, n);

	/* errors */
	assert_int_equal(store_probe_insert_pending(st, "p1", "r1", NOW, &err),
			 -1);
	expect_msg(&err, "probe p1 is already recorded");
	assert_int_equal(store_probe_insert_pending(st, NULL, "r1", NOW, &err),
			 -1);
	assert_int_equal(store_probe_insert_pending(st, "p9", "", NOW, &err),
			 -1);
	assert_int_equal(store_probe_insert_pending(st, "p9", "r1", NAN, &err),
			 -1);
	expect_msg(&err, "send time");
	store_close(st);
}

static void test_outstanding_across_reopen(void **state)
{
	struct store_outstanding *o;
	struct store_probe p;
	struct mc_err err = {0};
	struct mc_store *st;
	size_t n;

	(void)state;
	st = open_ok(dir);
	pending(st, "c", "r2", NOW + 2);
	pending(st, "a", "r1", NOW);
	pending(st, "b", "r1", NOW + 1);
	store_close(st);

	st = open_ok(dir);
	assert_int_equal(store_probe_outstanding(st, NULL, &o, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(o[0].id, "a");
	assert_string_equal(o[1].id, "b");
	assert_string_equal(o[2].id, "c");
	store_outstanding_free(o, n);
	assert_int_equal(store_probe_outstanding(st, "r2", &o, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(o[0].route, "r2");
	store_outstanding_free(o, n);
	assert_int_equal(store_probe_outstanding(st, "nope", &o, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(o);

	/* A deferred probe stays outstanding, with its state. */
	store_probe_init(&p, "a");
	p.state = PROBE_DEFERRED;
	p.severity = MC_SEV_WARNING;
	p.error_message = "delay DSN 4.4.1";
	assert_int_equal(store_probe_update(st, &p, NOW + 10, &err), 0);
	finish(st, "b", PROBE_DELIVERED, MC_SEV_OK, 3, NULL, NOW + 11);
	assert_int_equal(store_probe_outstanding(st, "r1", &o, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(o[0].id, "a");
	assert_int_equal(o[0].state, PROBE_DEFERRED);
	store_outstanding_free(o, n);
	store_close(st);
}

static void test_update(void **state)
{
	struct store_route_state *rs;
	struct store_probe p;
	struct mc_err err = {0};
	struct mc_store *st;
	size_t n;

	(void)state;
	st = open_ok(dir);
	pending(st, "p1", "r1", NOW);
	/* after submission: the reply, still pending; route not judged */
	store_probe_init(&p, "p1");
	p.smtp_code = 250;
	p.smtp_enhanced = "2.0.0";
	p.smtp_text = "Ok: queued as ABC";
	p.queue_id = "ABC";
	assert_int_equal(store_probe_update(st, &p, NOW + 1, &err), 0);
	assert_int_equal(q_int(st, "SELECT smtp_code FROM probes"), 250);
	assert_int_equal(q_int(st, "SELECT queue_id = 'ABC' FROM probes"), 1);
	assert_int_equal(q_int(st, "SELECT dsn_hard FROM probes"), -1);
	assert_int_equal(q_int(st, "SELECT final FROM probes"), 0);
	assert_int_equal(store_route_states(st, &rs, &n, &err), 0);
	assert_false(rs[0].judged);
	store_route_states_free(rs, n);

	/* deferred: the route's state, not a counter */
	p.state = PROBE_DEFERRED;
	p.severity = MC_SEV_WARNING;
	p.error_message = "delayed: 4.7.1 greylisted";
	assert_int_equal(store_probe_update(st, &p, NOW + 60, &err), 0);
	assert_int_equal(store_route_states(st, &rs, &n, &err), 0);
	assert_true(rs[0].judged);
	assert_int_equal(rs[0].state, PROBE_DEFERRED);
	assert_int_equal(rs[0].severity, MC_SEV_WARNING);
	assert_true(rs[0].since == NOW + 60);
	assert_string_equal(rs[0].last_error, "delayed: 4.7.1 greylisted");
	store_route_states_free(rs, n);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM counters"), 0);

	/* errors: unknown, finished */
	store_probe_init(&p, "nope");
	assert_int_equal(store_probe_update(st, &p, NOW, &err), -1);
	expect_msg(&err, "no probe nope is recorded");
	finish(st, "p1", PROBE_DELIVERED, MC_SEV_OK, 70, NULL, NOW + 70);
	store_probe_init(&p, "p1");
	assert_int_equal(store_probe_update(st, &p, NOW, &err), -1);
	expect_msg(&err, "already finished (delivered)");
	store_close(st);
}

static void test_finish_counters_route_state(void **state)
{
	struct store_route_state *rs;
	const struct store_route_state *r;
	struct store_probe p;
	struct mc_err err = {0};
	struct mc_store *st;
	size_t n;

	(void)state;
	st = open_ok(dir);
	pending(st, "old", "r1", NOW - 100);
	pending(st, "p1", "r1", NOW);
	pending(st, "p2", "r1", NOW + 300);
	pending(st, "p3", "r1", NOW + 600);

	store_probe_init(&p, "p1");
	p.state = PROBE_DELIVERED;
	p.severity = MC_SEV_OK;
	p.found_at = NOW + 1.5;
	p.folder = "INBOX";
	p.total_seconds = 1.5;
	p.smtp_code = 250;
	p.greylisted = 0;
	p.dsn_hard = 0;
	assert_int_equal(store_probe_finish(st, &p, NOW + 2, &err), 0);
	assert_int_equal(q_int(st, "SELECT count FROM counters WHERE"
			 " route = 'r1' AND state = 'delivered'"), 1);
	assert_int_equal(q_int(st, "SELECT count FROM delivery_hist WHERE"
			 " route = 'r1' AND le = 2"), 1);
	assert_true(q_double(st, "SELECT found_at FROM probes WHERE id = 'p1'")
		    == NOW + 1.5);
	assert_int_equal(q_int(st, "SELECT dsn_hard FROM probes WHERE id = 'p1'"),
			 0);
	assert_int_equal(store_route_states(st, &rs, &n, &err), 0);
	r = route_state(rs, n, "r1");
	assert_int_equal(r->state, PROBE_DELIVERED);
	assert_int_equal(r->severity, MC_SEV_OK);
	assert_true(r->since == NOW + 2);
	assert_true(r->last_delivery_seconds == 1.5);
	assert_true(r->last_success_at == NOW + 2);
	assert_null(r->last_error);
	assert_int_equal(r->delivery_count, 1);
	assert_true(r->delivery_sum == 1.5);
	store_route_states_free(rs, n);

	/* Nothing is counted twice; pending is no final state. */
	assert_int_equal(store_probe_finish(st, &p, NOW + 3, &err), -1);
	expect_msg(&err, "already finished");
	assert_int_equal(q_int(st, "SELECT count FROM counters WHERE"
			 " state = 'delivered'"), 1);
	p.id = "ghost";
	assert_int_equal(store_probe_finish(st, &p, NOW + 3, &err), -1);
	expect_msg(&err, "no probe ghost");
	p.id = "p2";
	p.state = PROBE_PENDING;
	assert_int_equal(store_probe_finish(st, &p, NOW + 3, &err), -1);
	expect_msg(&err, "not a final state");

	/* a bounce: new state and since, success and delivery time kept */
	finish(st, "p2", PROBE_BOUNCED, MC_SEV_CRITICAL, NAN,
	       "hard bounce 5.1.1 user_unknown", NOW + 310);
	assert_int_equal(store_route_states(st, &rs, &n, &err), 0);
	r = route_state(rs, n, "r1");
	assert_int_equal(r->state, PROBE_BOUNCED);
	assert_int_equal(r->severity, MC_SEV_CRITICAL);
	assert_true(r->since == NOW + 310);
	assert_true(r->last_delivery_seconds == 1.5);
	assert_true(r->last_success_at == NOW + 2);
	assert_string_equal(r->last_error, "hard bounce 5.1.1 user_unknown");
	store_route_states_free(rs, n);

	/* same state again: since stays */
	finish(st, "p3", PROBE_BOUNCED, MC_SEV_CRITICAL, NAN, "again",
	       NOW + 610);
	/* an older probe judged late counts, but does not set the state */
	finish(st, "old", PROBE_LOST, MC_SEV_CRITICAL, NAN, "lost", NOW + 900);
	assert_int_equal(store_route_states(st, &rs, &n, &err), 0);
	r = route_state(rs, n, "r1");
	assert_int_equal(r->state, PROBE_BOUNCED);
	assert_true(r->since == NOW + 310);
	assert_string_equal(r->last_error, "again");
	store_route_states_free(rs, n);
	assert_int_equal(q_int(st, "SELECT count FROM counters WHERE"
			 " state = 'bounced'"), 2);
	assert_int_equal(q_int(st, "SELECT count FROM counters WHERE"
			 " state = 'lost'"), 1);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probes WHERE"
			 " final = 0"), 0);

	/* slower than the last bucket: +Inf only; a negative time is not
	 * timed at all */
	pending(st, "p4", "r1", NOW + 1000);
	finish(st, "p4", PROBE_SLOW, MC_SEV_WARNING, 5000, "slow", NOW + 6000);
	pending(st, "p5", "r1", NOW + 7000);
	finish(st, "p5", PROBE_DELIVERED, MC_SEV_OK, -1, NULL, NOW + 7001);
	assert_int_equal(q_int(st, "SELECT SUM(count) FROM delivery_hist"), 1);
	assert_int_equal(q_int(st, "SELECT delivery_count FROM route_state"), 2);
	store_close(st);
}

static void test_finish_rolls_back(void **state)
{
	struct store_probe p;
	struct mc_err err = {0};
	struct mc_store *st;

	(void)state;
	st = open_ok(dir);
	pending(st, "p1", "r1", NOW);
	/* A trigger makes the route_state step fail: nothing of the
	 * transaction may remain. */
	assert_int_equal(sqlite3_exec(st->db,
				      "CREATE TEMP TRIGGER boom BEFORE UPDATE"
				      " ON route_state WHEN NEW.last_state IS"
				      " NOT NULL BEGIN SELECT RAISE(ABORT,"
				      " 'boom'); END", NULL, NULL, NULL),
			 SQLITE_OK);
	store_probe_init(&p, "p1");
	p.state = PROBE_DELIVERED;
	p.total_seconds = 1;
	assert_int_equal(store_probe_finish(st, &p, NOW + 1, &err), -1);
	expect_msg(&err, "boom");
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM counters"), 0);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM delivery_hist"), 0);
	assert_int_equal(q_int(st, "SELECT final FROM probes"), 0);
	assert_int_equal(q_int(st, "SELECT delivery_count FROM route_state"), 0);
	store_close(st);
}

static void test_events_hops(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st;
	struct store_hop hops[3] = {
		{"client.test", "relay.test", "ESMTPSA", "127.0.0.1", "TLSv1.3",
		 NOW + 0.1, 0.1},
		{"relay.test", "mx.test", "ESMTPS", "127.0.0.2", NULL, NOW + 1,
		 0.9},
		{NULL, "mx.test", "LMTP", NULL, NULL, NAN, NAN},
	};

	(void)state;
	st = open_ok(dir);
	pending(st, "p1", "r1", NOW);
	assert_int_equal(store_event_add(st, "p1", NOW + 5, "smtp_4xx",
					 "{\"code\":451}", &err), 0);
	assert_int_equal(store_event_add(st, "p1", NOW + 6, "delay_dsn", NULL,
					 &err), 0);
	assert_int_equal(store_event_add(st, "p1", NOW, "x", "{bad", &err), -1);
	expect_msg(&err, "not valid JSON");
	assert_int_equal(store_event_add(st, "zz", NOW, "x", NULL, &err), -1);
	expect_msg(&err, "no probe zz is recorded");
	assert_int_equal(store_event_add(st, NULL, NOW, "x", NULL, &err), -1);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probe_events"), 2);

	assert_int_equal(store_hops_add(st, "p1", hops, 2, &err), 0);
	assert_int_equal(store_hops_add(st, "p1", hops, 3, &err), 0);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM hops"), 3);
	assert_int_equal(q_int(st, "SELECT n FROM hops WHERE \"with\" = 'LMTP'"),
			 3);
	assert_true(q_double(st, "SELECT delay FROM hops WHERE n = 2") == 0.9);
	assert_int_equal(q_int(st, "SELECT delay FROM hops WHERE n = 3"), -1);
	assert_int_equal(store_hops_add(st, "zz", hops, 1, &err), -1);
	expect_msg(&err, "no probe zz is recorded");
	assert_int_equal(store_hops_add(st, "p1", hops, 0, &err), 0);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM hops"), 0);
	store_close(st);
}

/* The relay IPs of recent probes: submission hops and empty IPs left out,
 * one row per IP naming its newest probe, newest first, the route filter,
 * the window, the cap, and errors. */
static void test_relay_ips(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st;
	struct store_relay_ip *v;
	size_t n;
	struct store_hop a[3] = {
		{"probe.test", "relay.test", "ESMTPSA", "203.0.113.5", NULL, NAN, NAN},
		{"relay.test", "mx.test", "ESMTPS", "192.0.2.1", NULL, NAN, NAN},
		{"mx.test", "imap.test", "LMTP", "192.0.2.9", NULL, NAN, NAN},
	};
	struct store_hop b[3] = {
		{"probe.test", "relay.test", "utf8smtpsa", "203.0.113.5", NULL, NAN, NAN},
		{"relay.test", "mx.test", "ESMTP", "192.0.2.1", NULL, NAN, NAN},
		{"relay2.test", "mx.test", NULL, "2001:db8::7", NULL, NAN, NAN},
	};
	struct store_hop c[2] = {
		{"relay.test", "mx.test", "ESMTP", "198.51.100.3", NULL, NAN, NAN},
		{NULL, "mx.test", "LMTP", "", NULL, NAN, NAN},
	};
	const char *only_r1[] = {"r1"};
	const char *none[] = {"nope"};

	(void)state;
	st = open_ok(dir);
	assert_int_equal(store_recent_relay_ips(st, NULL, 0, 0, 10, &v, &n, &err), 0);
	assert_null(v);
	assert_int_equal(n, 0);

	pending(st, "old", "r1", NOW - 100);
	pending(st, "p1", "r1", NOW);
	pending(st, "p2", "r1", NOW + 10);
	pending(st, "p3", "r2", NOW + 5);
	assert_int_equal(store_hops_add(st, "old", c, 2, &err), 0);
	assert_int_equal(store_hops_add(st, "p1", a, 3, &err), 0);
	assert_int_equal(store_hops_add(st, "p2", b, 3, &err), 0);
	assert_int_equal(store_hops_add(st, "p3", c, 2, &err), 0);

	/* Every route since NOW: 192.0.2.1 seen by p1 and p2 (newest p2);
	 * 2001:db8::7 by p2; 198.51.100.3 by p3 (NOW + 5); 192.0.2.9 by p1;
	 * never the submission hops' 203.0.113.5 nor the empty IP. */
	assert_int_equal(store_recent_relay_ips(st, NULL, 0, NOW, 10, &v, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].ip, "192.0.2.1");
	assert_string_equal(v[0].probe_id, "p2");
	assert_string_equal(v[0].route, "r1");
	assert_true(v[0].sent_at == NOW + 10);
	assert_string_equal(v[1].ip, "2001:db8::7");
	assert_string_equal(v[1].probe_id, "p2");
	assert_string_equal(v[2].ip, "198.51.100.3");
	assert_string_equal(v[2].probe_id, "p3");
	assert_string_equal(v[2].route, "r2");
	assert_string_equal(v[3].ip, "192.0.2.9");
	assert_string_equal(v[3].probe_id, "p1");
	store_relay_ips_free(v, n);

	/* The cap keeps the newest. */
	assert_int_equal(store_recent_relay_ips(st, NULL, 0, NOW, 2, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].ip, "2001:db8::7");
	store_relay_ips_free(v, n);

	/* Route r1 over the whole history: the old probe's IP comes last. */
	assert_int_equal(store_recent_relay_ips(st, only_r1, 1, 0, 10, &v, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[3].ip, "198.51.100.3");
	assert_string_equal(v[3].probe_id, "old");
	store_relay_ips_free(v, n);

	/* No such route, an empty route list, max 0: nothing. */
	assert_int_equal(store_recent_relay_ips(st, none, 1, 0, 10, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_recent_relay_ips(st, only_r1, 0, 0, 10, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_recent_relay_ips(st, NULL, 0, 0, 0, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(v);

	/* Too many routes; a broken table. */
	assert_int_equal(store_recent_relay_ips(st, only_r1, 100000, 0, 10, &v,
						&n, &err), -1);
	expect_msg(&err, "more than 1000 routes");
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM hops"), 10);
	assert_true(store_exec(st, &err, "x", "DROP TABLE hops", "") >= 0);
	assert_int_equal(store_recent_relay_ips(st, NULL, 0, 0, 10, &v, &n, &err), -1);
	expect_msg(&err, "reading the relay IPs of recent probes");
	assert_null(v);
	store_close(st);
}

static void test_checks(void **state)
{
	struct store_check_state *cs;
	struct mc_err err = {0};
	struct mc_store *st;
	size_t n;

	(void)state;
	st = open_ok(dir);
	assert_int_equal(store_check_states(st, &cs, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_check_result_add(st, "b.test", NOW, 0, "ok",
						"{}", &err), 0);
	assert_int_equal(store_check_result_add(st, "a.test", NOW + 100, 0,
						"fine", NULL, &err), 0);
	assert_int_equal(store_check_result_add(st, "a.test", NOW + 200, 2,
						"listed", "{\"dnsbl\":[]}",
						&err), 0);
	assert_int_equal(store_check_result_add(st, "a.test", NOW + 300, 2,
						"still listed", NULL, &err), 0);
	assert_int_equal(store_check_states(st, &cs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(cs[0].check, "a.test");
	assert_int_equal(cs[0].severity, 2);
	assert_true(cs[0].since == NOW + 200);
	assert_true(cs[0].at == NOW + 300);
	assert_string_equal(cs[0].summary, "still listed");
	assert_null(cs[0].json);
	assert_string_equal(cs[1].check, "b.test");
	assert_true(cs[1].since == NOW);
	assert_string_equal(cs[1].json, "{}");
	store_check_states_free(cs, n);

	assert_int_equal(store_check_result_add(st, "a.test", NOW, 0, "x",
						"not json", &err), -1);
	expect_msg(&err, "not valid JSON");
	assert_int_equal(store_check_result_add(st, "a.test", NOW, 4, "x",
						NULL, &err), -1);
	expect_msg(&err, "severity 4");
	assert_int_equal(store_check_result_add(st, "", NOW, 0, "x", NULL,
						&err), -1);
	store_close(st);
}

static void test_alerts(void **state)
{
	struct store_alert a, *list;
	struct mc_err err = {0};
	struct mc_store *st;
	size_t n;

	(void)state;
	st = open_ok(dir);
	assert_int_equal(store_alert_get(st, "route/r1/pager", &a, &err), 0);
	assert_string_equal(a.key, "route/r1/pager");
	assert_int_equal(a.status, STORE_ALERT_OK);
	assert_true(isnan(a.since));
	assert_true(isnan(a.last_notified));
	assert_int_equal(a.consecutive_failures, 0);
	assert_null(a.last_error);

	a.status = STORE_ALERT_FIRING;
	a.since = NOW;
	a.consecutive_failures = 3;
	a.last_error = strdup("relay: connection refused");
	a.pending_delivery = strdup("{\"status\":\"firing\"}");
	assert_int_equal(store_alert_put(st, &a, &err), 0);
	store_alert_clear(&a);

	assert_int_equal(store_alert_get(st, "route/r1/pager", &a, &err), 1);
	assert_int_equal(a.status, STORE_ALERT_FIRING);
	assert_true(a.since == NOW);
	assert_true(isnan(a.last_notified));
	assert_int_equal(a.consecutive_failures, 3);
	assert_string_equal(a.last_error, "relay: connection refused");
	assert_string_equal(a.pending_delivery, "{\"status\":\"firing\"}");

	/* resolve and delivered: replaced, not added */
	a.status = STORE_ALERT_OK;
	a.last_notified = NOW + 60;
	free(a.pending_delivery);
	a.pending_delivery = NULL;
	assert_int_equal(store_alert_put(st, &a, &err), 0);
	store_alert_clear(&a);
	assert_int_equal(store_alert_list(st, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].status, STORE_ALERT_OK);
	assert_true(list[0].last_notified == NOW + 60);
	assert_null(list[0].pending_delivery);
	store_alerts_free(list, n);

	struct store_alert bad = {.key = "k", .pending_delivery = "{"};
	assert_int_equal(store_alert_put(st, &bad, &err), -1);
	expect_msg(&err, "not valid JSON");
	bad.key = NULL;
	assert_int_equal(store_alert_put(st, &bad, &err), -1);
	expect_msg(&err, "no alert key");
	assert_int_equal(store_alert_get(st, NULL, &a, &err), -1);
	store_close(st);
}

/* The history: a state and its events land together; a failing write
 * leaves neither; events come back by key and time, before `until`. */
static void test_alert_history(void **state)
{
	struct mc_err err = {0};
	struct store_alert_event_row *ev;
	struct mc_store *st;
	size_t n;

	(void)state;
	st = open_ok(dir);
	struct store_alert a = {.key = "route/r1/pager",
				.status = STORE_ALERT_FIRING, .since = NOW};
	struct store_alert_event fire[] = {
		{.at = NOW, .kind = STORE_AEV_FIRING, .severity = 2,
		 .detail = "r1: bounced"},
		{.at = NOW, .kind = STORE_AEV_DELIVERY_FAILED, .severity = -1,
		 .detail = "connection refused"},
	};
	assert_int_equal(store_alert_record(st, &a, fire, 2, &err), 0);
	struct store_alert_event later[] = {
		{.at = NOW + 60, .kind = STORE_AEV_DELIVERED, .severity = -1},
		{.key = "route/r2/pager", .at = NOW + 30,
		 .kind = STORE_AEV_REPEAT, .severity = 1},
	};
	assert_int_equal(store_alert_record(st, &a, later, 2, &err), 0);
	a.status = STORE_ALERT_OK;
	struct store_alert_event res = {.at = NOW + 120,
					.kind = STORE_AEV_RESOLVED,
					.severity = 0};
	assert_int_equal(store_alert_record(st, &a, &res, 1, &err), 0);

	assert_int_equal(store_alert_events(st, NOW + 120, &ev, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(ev[0].key, "route/r1/pager");
	assert_int_equal(ev[0].kind, STORE_AEV_FIRING);
	assert_int_equal(ev[0].severity, 2);
	assert_string_equal(ev[0].detail, "r1: bounced");
	assert_int_equal(ev[1].kind, STORE_AEV_DELIVERY_FAILED);
	assert_int_equal(ev[1].severity, -1);
	assert_int_equal(ev[2].kind, STORE_AEV_DELIVERED);
	assert_null(ev[2].detail);
	assert_string_equal(ev[3].key, "route/r2/pager");
	store_alert_events_free(ev, n);
	assert_int_equal(store_alert_events(st, NOW + 121, &ev, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(ev[3].kind, STORE_AEV_RESOLVED);
	store_alert_events_free(ev, n);
	assert_string_equal(store_alert_event_name(STORE_AEV_REPEAT), "repeat");
	assert_string_equal(store_alert_event_name(99), "unknown");

	/* A bad state writes no event either. */
	struct store_alert bad = {.key = "k", .pending_delivery = "{"};
	assert_int_equal(store_alert_record(st, &bad, &res, 1, &err), -1);
	expect_msg(&err, "not valid JSON");
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM alert_events"), 5);

	/* Retention prunes history like probes. */
	assert_int_equal(store_prune(st, 1, NOW + 86400 + 61, NULL, &err), 0);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM alert_events"), 1);
	store_close(st);
}

static void test_transactions(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st;

	(void)state;
	st = open_ok(dir);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_begin(st, &err), -1);
	expect_msg(&err, "already open");
	pending(st, "a", "r1", NOW);
	finish(st, "a", PROBE_DELIVERED, MC_SEV_OK, 1, NULL, NOW + 1);
	store_rollback(st);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probes"), 0);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM counters"), 0);

	assert_int_equal(store_begin(st, &err), 0);
	pending(st, "a", "r1", NOW);
	/* a failed call inside rolls back only itself */
	assert_int_equal(store_probe_insert_pending(st, "a", "r1", NOW, &err),
			 -1);
	pending(st, "b", "r1", NOW);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probes"), 2);
	assert_int_equal(store_commit(st, &err), -1);
	expect_msg(&err, "no transaction");
	store_rollback(st);   /* harmless */
	store_rollback(NULL);

	/* an open transaction is rolled back by close */
	assert_int_equal(store_begin(st, &err), 0);
	pending(st, "c", "r1", NOW);
	store_close(st);
	st = open_ok(dir);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probes"), 2);
	store_close(st);
}

static void test_last_run(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st;
	double t = 0;

	(void)state;
	st = open_ok(dir);
	assert_int_equal(store_last_run(st, &t, &err), 1);
	assert_int_equal(store_set_last_run(st, NOW, NULL, &err), 0);
	assert_int_equal(store_set_last_run(st, NOW + 60, NULL, &err), 0);
	assert_int_equal(store_last_run(st, &t, &err), 0);
	assert_true(t == NOW + 60);
	/* committed without a WAL sync, and FULL again for what follows */
	assert_int_equal(q_int(st, "PRAGMA synchronous"), 2);
	/* inside a transaction too (its own commit decides) */
	assert_int_equal(store_tx_begin(st, &err), 0);
	assert_int_equal(store_set_last_run(st, NOW + 120, NULL, &err), 0);
	assert_int_equal(store_tx_end(st, 1, &err), 0);
	assert_int_equal(q_int(st, "PRAGMA synchronous"), 2);
	store_close(st);
	st = open_ok(dir);
	assert_int_equal(store_last_run(st, &t, &err), 0);
	assert_true(t == NOW + 120);

	/* the metrics signature: recorded with the last run, taken once */
	char *sig = (char *)"x";
	long long changes = store_changes(st);
	assert_int_equal(store_take_metrics_sig(st, &sig, &err), 0);
	assert_null(sig);
	assert_int_equal(store_set_last_run(st, NOW + 180, "1 2 3.4 *", &err),
			 0);
	assert_true(store_changes(st) > changes);
	store_close(st);
	st = open_ok(dir);
	assert_int_equal(store_take_metrics_sig(st, &sig, &err), 0);
	assert_string_equal(sig, "1 2 3.4 *");
	free(sig);
	assert_int_equal(store_take_metrics_sig(st, &sig, &err), 0);
	assert_null(sig);
	assert_int_equal(store_last_run(st, &t, &err), 0);
	assert_true(t == NOW + 180);
	store_close(st);
}

static off_t wal_size(void)
{
	struct stat sb;

	assert_int_equal(stat(path_in(STORE_DB_NAME "-wal"), &sb), 0);
	return sb.st_size;
}

/* A run that wrote a few pages leaves them in the WAL for the next open
 * (no checkpoint at close); one that wrote STORE_WAL_KEEP or more is
 * checkpointed and the WAL emptied. Nothing is lost either way. */
static void test_wal_at_close(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st;
	double t = 0;
	char id[32];

	(void)state;
	st = open_ok(dir);
	assert_int_equal(store_set_last_run(st, NOW, NULL, &err), 0);
	store_close(st);
	assert_true(wal_size() > 0);
	st = open_ok(dir);
	assert_int_equal(store_last_run(st, &t, &err), 0);
	assert_true(t == NOW);
	for (int i = 0; i < STORE_WAL_KEEP + 10; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		pending(st, id, "r1", NOW + i);
	}
	store_close(st);
	assert_int_equal(wal_size(), 0);
	st = open_ok(dir);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probes"),
			 STORE_WAL_KEEP + 10);
	/* a reader that committed nothing checkpoints as before */
	store_close(st);
	assert_int_equal(wal_size(), 0);
	store_close(NULL);
}

static void test_prune(void **state)
{
	struct store_check_state *cs;
	struct store_hop hop = {"a", "b", "SMTP", NULL, NULL, NAN, 1};
	struct mc_err err = {0};
	struct mc_store *st;
	long long deleted = -1;
	size_t n;
	const double day = 86400;

	(void)state;
	st = open_ok(dir);
	pending(st, "old", "r1", NOW - 100 * day);
	finish(st, "old", PROBE_DELIVERED, MC_SEV_OK, 1, NULL, NOW - 100 * day);
	assert_int_equal(store_event_add(st, "old", NOW - 100 * day, "x", NULL,
					 &err), 0);
	assert_int_equal(store_hops_add(st, "old", &hop, 1, &err), 0);
	pending(st, "stuck", "r1", NOW - 61 * day);   /* never finished */
	pending(st, "new", "r1", NOW - 10 * day);
	finish(st, "new", PROBE_DELIVERED, MC_SEV_OK, 2, NULL, NOW - 10 * day);
	assert_int_equal(store_event_add(st, "new", NOW, "x", NULL, &err), 0);
	assert_int_equal(store_check_result_add(st, "quiet", NOW - 90 * day, 0,
						"old but newest", NULL, &err), 0);
	assert_int_equal(store_check_result_add(st, "busy", NOW - 90 * day, 0,
						"old", NULL, &err), 0);
	assert_int_equal(store_check_result_add(st, "busy", NOW - day, 1,
						"new", NULL, &err), 0);

	assert_int_equal(store_prune(st, 60, NOW, &deleted, &err), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probes"), 1);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM probe_events"), 1);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM hops"), 0);
	assert_int_equal(q_int(st, "SELECT COUNT(*) FROM check_results"), 2);
	/* counters and the histogram never go down */
	assert_int_equal(q_int(st, "SELECT count FROM counters"), 2);
	assert_int_equal(q_int(st, "SELECT delivery_count FROM route_state"), 2);
	assert_int_equal(store_check_states(st, &cs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(cs[1].summary, "old but newest");
	store_check_states_free(cs, n);

	assert_int_equal(store_prune(st, 60, NOW, NULL, &err), 0);
	assert_int_equal(store_prune(st, 0, NOW, NULL, &err), -1);
	expect_msg(&err, "retention_days");
	store_close(st);
}

/* ---- the run lock ---- */

static void test_lock(void **state)
{
	struct store_lock *lk = NULL, *lk2 = NULL;
	struct mc_err err = {0};
	int to_child[2], to_parent[2], status;
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* holds the lock until told to let go */
		struct store_lock *mine;

		if (store_lock(dir, 0, &mine, &err) != 0)
			_exit(1);
		if (write(to_parent[1], "L", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		store_unlock(mine);
		_exit(0);
	}
	assert_int_equal(read(to_parent[0], &c, 1), 1);

	assert_int_equal(store_lock(dir, 0, &lk, &err), 1);
	assert_null(lk);
	assert_int_equal(err.code, STORE_ERR_BUSY);
	expect_msg(&err, "busy");
	expect_msg(&err, STORE_LOCK_NAME);
	assert_int_equal(store_lock(dir, 0.2, &lk, &err), 1);

	/* released while we wait: we get it (the wait bound is generous) */
	assert_int_equal(write(to_child[1], "U", 1), 1);
	assert_int_equal(store_lock(dir, 60, &lk, &err), 0);
	assert_non_null(lk);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* flock locks belong to the open file: a second open is refused
	 * even within one process */
	assert_int_equal(store_lock(dir, 0, &lk2, &err), 1);
	store_unlock(lk);
	assert_int_equal(store_lock(dir, 0, &lk2, &err), 0);
	store_unlock(lk2);
	store_unlock(NULL);

	/* a holder that dies frees the lock */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_lock *mine;

		if (store_lock(dir, 0, &mine, &err) != 0)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(store_lock(dir, 0, &lk, &err), 0);
	store_unlock(lk);

	struct stat sb;
	assert_int_equal(stat(path_in(STORE_LOCK_NAME), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(store_lock("", 0, &lk, &err), -1);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_creates),
		T(test_open_mode_with_loose_umask),
		T(test_open_errors),
		T(test_open_corrupt),
		T(test_open_corrupt_page),
		T(test_newer_schema_refused),
		T(test_migrate_from_v1),
		T(test_migrate_twice_is_noop),
		T(test_pending_before_data),
		T(test_outstanding_across_reopen),
		T(test_update),
		T(test_finish_counters_route_state),
		T(test_finish_rolls_back),
		T(test_events_hops),
		T(test_relay_ips),
		T(test_checks),
		T(test_alerts),
		T(test_alert_history),
		T(test_transactions),
		T(test_last_run),
		T(test_wal_at_close),
		T(test_prune),
		T(test_lock),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
