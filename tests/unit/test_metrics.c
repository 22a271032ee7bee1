/* store/metrics: the exposition of a known store against a golden text,
 * label escaping, route selection, DNSBL counting, and the atomic write
 * (a reader never sees a partial file; failures leave the old file).
 *
 * `test_metrics --fill DIR` fills the store in DIR with the same fixture
 * and exits: tests/integration/test_metrics.sh and test_status.sh use it to
 * get a realistic store without a mail round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mc_buf.h"
#include "store/metrics.h"
#include "store/store.h"

#define NOW 1700000000.0   /* 2023-11-14T22:13:20Z */

static char dir[256];

/* ---- the fixture ---- */

static int fx_fail(const char *what, const struct mc_err *err)
{
	fprintf(stderr, "fixture: %s: %s\n", what, err->msg);
	return -1;
}

#define FX(call, what) \
	do { \
		if ((call)) \
			return fx_fail(what, &err); \
	} while (0)

/* alpha: three found probes (the newest greylisted, with hops) and one in
 * flight; beta: delivered, bounced, lost, and a deferred one outstanding;
 * two checks (one with a DNSBL listing, one without DNSBL data); a run. */
static int fill_fixture(struct mc_store *st, double now)
{
	struct mc_err err = {0};
	struct store_probe p;
	struct store_hop h2[1] = {
		{"client", "relay", "ESMTPSA", "127.0.0.1", "TLSv1.3",
		 now - 1800 + 1, 2.25},
	};
	struct store_hop h3[3] = {
		{"client", "relay", "ESMTPSA", "127.0.0.1", "TLSv1.3",
		 now - 600 + 1, 1},
		{"relay", "mx", "ESMTPS", "127.0.0.2", "TLSv1.3", now - 200,
		 380.5},
		{NULL, "mx", "LMTP", NULL, NULL, NAN, NAN},
	};

	FX(store_probe_insert_pending(st, "alpha-1", "alpha", now - 3600, &err),
	   "alpha-1");
	store_probe_init(&p, "alpha-1");
	p.state = PROBE_DELIVERED;
	p.total_seconds = 0.8;
	p.folder = "INBOX";
	FX(store_probe_finish(st, &p, now - 3599, &err), "alpha-1");

	FX(store_probe_insert_pending(st, "alpha-2", "alpha", now - 1800, &err),
	   "alpha-2");
	store_probe_init(&p, "alpha-2");
	p.state = PROBE_DELIVERED;
	p.total_seconds = 2.5;
	FX(store_probe_finish(st, &p, now - 1797, &err), "alpha-2");
	FX(store_hops_add(st, "alpha-2", h2, 1, &err), "alpha-2 hops");

	FX(store_probe_insert_pending(st, "alpha-3", "alpha", now - 600, &err),
	   "alpha-3");
	store_probe_init(&p, "alpha-3");
	p.state = PROBE_GREYLISTED;
	p.severity = MC_SEV_WARNING;
	p.total_seconds = 400;
	p.greylisted = 1;
	p.greylist_delay = 380;
	p.error_message = "greylisted for 380 s";
	FX(store_probe_finish(st, &p, now - 200, &err), "alpha-3");
	FX(store_hops_add(st, "alpha-3", h3, 3, &err), "alpha-3 hops");
	FX(store_event_add(st, "alpha-3", now - 599, "smtp_4xx",
			   "{\"code\":451,\"enhanced\":\"4.7.1\"}", &err),
	   "alpha-3 event");

	FX(store_probe_insert_pending(st, "alpha-4", "alpha", now - 60, &err),
	   "alpha-4");

	FX(store_probe_insert_pending(st, "beta-1", "beta", now - 7200, &err),
	   "beta-1");
	store_probe_init(&p, "beta-1");
	p.state = PROBE_DELIVERED;
	p.total_seconds = 1;
	FX(store_probe_finish(st, &p, now - 7199, &err), "beta-1");

	FX(store_probe_insert_pending(st, "beta-2", "beta", now - 3000, &err),
	   "beta-2");
	store_probe_init(&p, "beta-2");
	p.state = PROBE_BOUNCED;
	p.severity = MC_SEV_CRITICAL;
	p.dsn_status = "5.1.1";
	p.dsn_reason = "user_unknown";
	p.dsn_hard = 1;
	p.error_message = "hard bounce 5.1.1 user_unknown: \"no such user\"";
	FX(store_probe_finish(st, &p, now - 2990, &err), "beta-2");

	FX(store_probe_insert_pending(st, "beta-3", "beta", now - 2000, &err),
	   "beta-3");
	store_probe_init(&p, "beta-3");
	p.state = PROBE_LOST;
	p.severity = MC_SEV_CRITICAL;
	p.error_message = "nothing arrived and nothing came back within 900 s";
	FX(store_probe_finish(st, &p, now - 1100, &err), "beta-3");

	FX(store_probe_insert_pending(st, "beta-4", "beta", now - 300, &err),
	   "beta-4");
	store_probe_init(&p, "beta-4");
	p.state = PROBE_DEFERRED;
	p.severity = MC_SEV_WARNING;
	p.error_message = "delay DSN 4.4.7: retry timeout exceeded";
	FX(store_probe_update(st, &p, now - 100, &err), "beta-4");

	FX(store_check_result_add(st, "example.net", now - 7200, 0, "all good",
				  "{\"dnsbl\":[{\"ip\":\"192.0.2.1\","
				  "\"list\":\"zen.test\",\"status\":\"clean\"}]}",
				  &err), "check 1");
	FX(store_check_result_add(st, "example.net", now - 3600, 2,
				  "192.0.2.1 listed on bl.test",
				  "{\"dnsbl\":[{\"ip\":\"192.0.2.1\","
				  "\"list\":\"zen.test\",\"status\":\"clean\"},"
				  "{\"ip\":\"192.0.2.1\",\"list\":\"bl.test\","
				  "\"status\":\"listed\"}]}", &err), "check 2");
	FX(store_check_result_add(st, "mx-only.test", now - 60, 1,
				  "one MX host does not resolve",
				  "{\"mx\":{\"severity\":1}}", &err), "check 3");
	FX(store_set_last_run(st, now - 30, NULL, &err), "last run");
	return 0;
}

/* ---- helpers ---- */

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
	strcpy(dir, "/tmp/mc-test-metrics-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct mc_store *open_ok(void)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(dir, &err);

	if (!st)
		fail_msg("store_open: %s", err.msg);
	return st;
}

static char *render(struct mc_store *st, const struct metrics_opts *o)
{
	struct mc_buf b = {0};
	struct mc_err err = {0};

	if (metrics_render(st, o, &b, &err))
		fail_msg("metrics_render: %s", err.msg);
	return mc_buf_steal(&b);
}

static void assert_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		/* show the first differing line */
		const char *g = got, *w = want;
		int line = 1;

		while (*g && *g == *w) {
			if (*g == '\n')
				line++;
			g++;
			w++;
		}
		fail_msg("differs at line %d:\n got: %.120s\nwant: %.120s\n"
			 "--- full output ---\n%s", line, g, w, got);
	}
}

static const char golden[] =
	"# HELP mailcanary_probe_delivery_seconds Time from submission to the probe being noticed in its mailbox, of every found probe.\n"
	"# TYPE mailcanary_probe_delivery_seconds histogram\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"0.5\"} 0\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"1\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"2\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"5\"} 2\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"10\"} 2\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"30\"} 2\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"60\"} 2\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"120\"} 2\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"300\"} 2\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"600\"} 3\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"900\"} 3\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"alpha\",le=\"+Inf\"} 3\n"
	"mailcanary_probe_delivery_seconds_sum{route=\"alpha\"} 403.3\n"
	"mailcanary_probe_delivery_seconds_count{route=\"alpha\"} 3\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"0.5\"} 0\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"1\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"2\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"5\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"10\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"30\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"60\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"120\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"300\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"600\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"900\"} 1\n"
	"mailcanary_probe_delivery_seconds_bucket{route=\"beta\",le=\"+Inf\"} 1\n"
	"mailcanary_probe_delivery_seconds_sum{route=\"beta\"} 1\n"
	"mailcanary_probe_delivery_seconds_count{route=\"beta\"} 1\n"
	"# HELP mailcanary_probe_state 1 for the state of the route's newest judged probe, 0 for the others.\n"
	"# TYPE mailcanary_probe_state gauge\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"delivered\"} 0\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"slow\"} 0\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"junk\"} 0\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"greylisted\"} 1\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"deferred\"} 0\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"bounced\"} 0\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"rejected\"} 0\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"lost\"} 0\n"
	"mailcanary_probe_state{route=\"alpha\",state=\"error\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"delivered\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"slow\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"junk\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"greylisted\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"deferred\"} 1\n"
	"mailcanary_probe_state{route=\"beta\",state=\"bounced\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"rejected\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"lost\"} 0\n"
	"mailcanary_probe_state{route=\"beta\",state=\"error\"} 0\n"
	"# HELP mailcanary_probe_severity Severity of the route's newest judged probe: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
	"# TYPE mailcanary_probe_severity gauge\n"
	"mailcanary_probe_severity{route=\"alpha\"} 1\n"
	"mailcanary_probe_severity{route=\"beta\"} 1\n"
	"# HELP mailcanary_probe_last_success_timestamp_seconds When a probe of the route was last judged OK (Unix time).\n"
	"# TYPE mailcanary_probe_last_success_timestamp_seconds gauge\n"
	"mailcanary_probe_last_success_timestamp_seconds{route=\"alpha\"} 1699998203\n"
	"mailcanary_probe_last_success_timestamp_seconds{route=\"beta\"} 1699992801\n"
	"# HELP mailcanary_probe_hop_delay_seconds Delay of each Received hop (1 = oldest) of the route's newest found probe.\n"
	"# TYPE mailcanary_probe_hop_delay_seconds gauge\n"
	"mailcanary_probe_hop_delay_seconds{route=\"alpha\",hop=\"1\"} 1\n"
	"mailcanary_probe_hop_delay_seconds{route=\"alpha\",hop=\"2\"} 380.5\n"
	"# HELP mailcanary_probe_greylist_delay_seconds Greylisting delay of the route's newest found probe (0 when not greylisted).\n"
	"# TYPE mailcanary_probe_greylist_delay_seconds gauge\n"
	"mailcanary_probe_greylist_delay_seconds{route=\"alpha\"} 380\n"
	"mailcanary_probe_greylist_delay_seconds{route=\"beta\"} 0\n"
	"# HELP mailcanary_probes_total Probes that reached a final state, by state.\n"
	"# TYPE mailcanary_probes_total counter\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"delivered\"} 2\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"slow\"} 0\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"junk\"} 0\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"greylisted\"} 1\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"deferred\"} 0\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"bounced\"} 0\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"rejected\"} 0\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"lost\"} 0\n"
	"mailcanary_probes_total{route=\"alpha\",state=\"error\"} 0\n"
	"mailcanary_probes_total{route=\"beta\",state=\"delivered\"} 1\n"
	"mailcanary_probes_total{route=\"beta\",state=\"slow\"} 0\n"
	"mailcanary_probes_total{route=\"beta\",state=\"junk\"} 0\n"
	"mailcanary_probes_total{route=\"beta\",state=\"greylisted\"} 0\n"
	"mailcanary_probes_total{route=\"beta\",state=\"deferred\"} 0\n"
	"mailcanary_probes_total{route=\"beta\",state=\"bounced\"} 1\n"
	"mailcanary_probes_total{route=\"beta\",state=\"rejected\"} 0\n"
	"mailcanary_probes_total{route=\"beta\",state=\"lost\"} 1\n"
	"mailcanary_probes_total{route=\"beta\",state=\"error\"} 0\n"
	"# HELP mailcanary_check_severity Severity of the newest result of a DNS check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
	"# TYPE mailcanary_check_severity gauge\n"
	"mailcanary_check_severity{check=\"example.net\"} 2\n"
	"mailcanary_check_severity{check=\"mx-only.test\"} 1\n"
	"# HELP mailcanary_dnsbl_listed Address and blocklist pairs listed in the newest result of a DNS check.\n"
	"# TYPE mailcanary_dnsbl_listed gauge\n"
	"mailcanary_dnsbl_listed{check=\"example.net\"} 1\n"
	"# HELP mailcanary_last_run_timestamp_seconds When the last mailcanary run tick finished (Unix time).\n"
	"# TYPE mailcanary_last_run_timestamp_seconds gauge\n"
	"mailcanary_last_run_timestamp_seconds 1699999970\n";

/* ---- tests ---- */

static void test_golden(void **state)
{
	struct mc_store *st;
	char *got;

	(void)state;
	st = open_ok();
	assert_int_equal(fill_fixture(st, NOW), 0);
	got = render(st, NULL);
	assert_text(got, golden);
	free(got);

	/* the same routes named explicitly give the same text */
	const char *routes[] = {"alpha", "beta"};
	struct metrics_opts o = {routes, 2, 0};
	got = render(st, &o);
	assert_text(got, golden);
	free(got);
	store_close(st);
}

static void test_empty_store(void **state)
{
	struct mc_store *st;
	char *got;

	(void)state;
	st = open_ok();
	got = render(st, NULL);
	assert_string_equal(got, "");
	free(got);
	store_close(st);
}

static void test_route_selection(void **state)
{
	struct mc_store *st;
	char *got;
	const char *routes[] = {"gamma", "beta"};
	struct metrics_opts o = {routes, 2, 0};

	(void)state;
	st = open_ok();
	assert_int_equal(fill_fixture(st, NOW), 0);
	got = render(st, &o);
	/* a route never probed: empty histogram, zero counters, no state */
	assert_non_null(strstr(got, "mailcanary_probe_delivery_seconds_bucket"
			       "{route=\"gamma\",le=\"+Inf\"} 0\n"));
	assert_non_null(strstr(got, "mailcanary_probe_delivery_seconds_count"
			       "{route=\"gamma\"} 0\n"));
	assert_non_null(strstr(got, "mailcanary_probes_total{route=\"gamma\","
			       "state=\"lost\"} 0\n"));
	assert_null(strstr(got, "mailcanary_probe_state{route=\"gamma\""));
	assert_null(strstr(got, "mailcanary_probe_severity{route=\"gamma\""));
	assert_null(strstr(got, "route=\"alpha\""));
	/* in the order given, each family's samples together */
	assert_true(strstr(got, "_bucket{route=\"gamma\"") <
		    strstr(got, "_bucket{route=\"beta\""));
	assert_true(strstr(got, "# TYPE mailcanary_probes_total") <
		    strstr(got, "mailcanary_probes_total{route=\"gamma\""));
	assert_true(strstr(got, "mailcanary_probes_total{route=\"beta\"") <
		    strstr(got, "# TYPE mailcanary_check_severity"));
	free(got);

	/* an empty list: checks and the last run only */
	o.n_routes = 0;
	got = render(st, &o);
	assert_null(strstr(got, "route="));
	assert_non_null(strstr(got, "mailcanary_check_severity{"));
	free(got);
	store_close(st);
}

static void test_label_escaping(void **state)
{
	struct mc_err err = {0};
	struct store_probe p;
	struct mc_store *st;
	char *got;

	(void)state;
	st = open_ok();
	assert_int_equal(store_probe_insert_pending(st, "x1", "a\"b\\c\nd é",
						    NOW, &err), 0);
	store_probe_init(&p, "x1");
	p.state = PROBE_LOST;
	p.severity = MC_SEV_CRITICAL;
	assert_int_equal(store_probe_finish(st, &p, NOW + 900, &err), 0);
	assert_int_equal(store_check_result_add(st, "q\"\\", NOW, 3, NULL, NULL,
						&err), 0);
	got = render(st, NULL);
	assert_non_null(strstr(got, "mailcanary_probe_severity"
			       "{route=\"a\\\"b\\\\c\\nd é\"} 2\n"));
	assert_non_null(strstr(got, "mailcanary_check_severity"
			       "{check=\"q\\\"\\\\\"} 3\n"));
	/* no raw line feed inside a sample: every line starts a sample or
	 * a comment */
	for (char *line = got; *line; line = strchr(line, '\n') + 1)
		assert_true(strncmp(line, "mailcanary_", 11) == 0 ||
			    line[0] == '#');
	free(got);
	store_close(st);
}

static void test_numbers(void **state)
{
	struct mc_err err = {0};
	struct store_probe p;
	struct mc_store *st;
	char *got;

	(void)state;
	st = open_ok();
	assert_int_equal(store_probe_insert_pending(st, "n1", "r", NOW, &err), 0);
	store_probe_init(&p, "n1");
	p.state = PROBE_DELIVERED;
	p.total_seconds = 0.1 + 0.2;   /* 0.30000000000000004 */
	assert_int_equal(store_probe_finish(st, &p, NOW + 0.25, &err), 0);
	got = render(st, NULL);
	assert_non_null(strstr(got, "_sum{route=\"r\"} 0.30000000000000004\n"));
	assert_non_null(strstr(got, "mailcanary_probe_last_success_timestamp"
			       "_seconds{route=\"r\"} 1700000000.25\n"));
	assert_non_null(strstr(got, "le=\"0.5\"} 1\n"));
	free(got);
	store_close(st);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_write_file(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st;
	char path[512], *data;
	struct stat sb;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	mode_t old = umask(077);
	assert_int_equal(metrics_write_file(path, "a 1\n", 4, &err), 0);
	umask(old);
	data = slurp(path, &len);
	assert_string_equal(data, "a 1\n");
	free(data);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(count_entries(), 1);   /* no temporary left */

	/* metrics_write: the store's text replaces the file */
	snprintf(path, sizeof(path), "%s/state", dir);
	struct mc_err e2 = {0};
	st = store_open(path, &e2);
	assert_non_null(st);
	assert_int_equal(fill_fixture(st, NOW), 0);
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	assert_int_equal(metrics_write(st, NULL, path, NULL, &err), 0);
	store_close(st);
	data = slurp(path, &len);
	assert_string_equal(data, golden);
	free(data);
}

/* An idle tick's rewrite: only the last-run sample changes, and only of
 * the very file a signature names, for the same routes. */
static void test_refresh(void **state)
{
	static const char *routes[] = {"alpha", "beta"};
	struct metrics_opts o = {routes, 2, NOW + 60};
	struct metrics_opts other = {routes, 1, NOW + 60};
	struct mc_err err = {0};
	struct mc_store *st;
	char path[512], sig[METRICS_SIG_MAX], sig2[METRICS_SIG_MAX];
	char *before, *after, *want;
	size_t len, len2;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/state", dir);
	st = store_open(path, &err);
	assert_non_null(st);
	assert_int_equal(fill_fixture(st, NOW), 0);
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	o.last_run = NOW - 30;
	assert_int_equal(metrics_write(st, &o, path, sig, &err), 0);
	before = slurp(path, &len);
	assert_non_null(strstr(before, "\nmailcanary_last_run_timestamp_seconds "
			       "1699999970\n"));

	o.last_run = NOW + 60.125;
	assert_int_equal(metrics_refresh(path, &o, sig, sig2, &err), 0);
	assert_string_not_equal(sig, sig2);
	after = slurp(path, &len2);
	want = malloc(len + 32);   /* the new value is longer */
	assert_non_null(want);
	strcpy(want, before);
	strcpy(strstr(want, "\nmailcanary_last_run_timestamp_seconds ") + 39,
	       "1700000060.125\n");
	assert_string_equal(after, want);
	assert_int_equal(count_entries(), 2);   /* no temporary left */
	free(after);
	free(want);

	/* the old signature names a file that is gone; other routes, no
	 * signature, no time: render instead */
	assert_int_equal(metrics_refresh(path, &o, sig, sig, &err), 1);
	assert_int_equal(metrics_refresh(path, &other, sig2, sig, &err), 1);
	assert_int_equal(metrics_refresh(path, &o, NULL, sig, &err), 1);
	o.last_run = 0;
	assert_int_equal(metrics_refresh(path, &o, sig2, sig, &err), 1);
	o.last_run = NOW + 120;

	/* replaced by someone else (the metrics command, an editor) */
	assert_int_equal(metrics_write_file(path, before, len, &err), 0);
	assert_int_equal(metrics_refresh(path, &o, sig2, sig, &err), 1);

	/* a file that does not end with the last-run sample, even under its
	 * signature (same inode, size and time): the text is checked too */
	assert_int_equal(metrics_write(st, &o, path, sig, &err), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(fseek(f, -20, SEEK_END), 0);
	fputs("\n# not a sample\n", f);
	fclose(f);
	struct timespec times[2] = {sb.st_atim, sb.st_mtim};
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_int_equal(metrics_refresh(path, &o, sig, sig2, &err), 1);

	/* missing */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(metrics_refresh(path, &o, sig, sig2, &err), 1);
	free(before);
	store_close(st);
}

static void test_write_failures(void **state)
{
	struct mc_err err = {0};
	char path[512], sub[512], *data;
	size_t len;

	(void)state;
	/* the rename fails (target is a non-empty directory): no temporary
	 * left behind, the directory untouched */
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/m.prom/keep", dir);
	assert_int_equal(metrics_write_file(sub, "old\n", 4, &err), 0);
	assert_int_equal(metrics_write_file(path, "new\n", 4, &err), -1);
	assert_int_equal(err.component, MC_COMP_STORE);
	if (!strstr(err.msg, "renaming"))
		fail_msg("unexpected message: %s", err.msg);
	assert_int_equal(count_entries(), 1);
	data = slurp(sub, &len);
	assert_string_equal(data, "old\n");
	free(data);

	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/none/m.prom", dir);
	assert_int_equal(metrics_write_file(path, "x\n", 2, &err), -1);
	if (!strstr(err.msg, "none/m.prom.tmp."))
		fail_msg("unexpected message: %s", err.msg);

	assert_int_equal(metrics_write_file("", "x", 1, &err), -1);
	assert_int_equal(metrics_write_file(NULL, "x", 1, &err), -1);

	if (geteuid() != 0) {
		snprintf(sub, sizeof(sub), "%s/ro", dir);
		assert_int_equal(mkdir(sub, 0500), 0);
		snprintf(path, sizeof(path), "%s/ro/m.prom", dir);
		assert_int_equal(metrics_write_file(path, "x\n", 2, &err), -1);
	}
}

/* A reader racing the writer only ever sees a whole old or whole new
 * file. Bounded by count, not time. */
static void test_write_atomic_under_reads(void **state)
{
	enum { SIZE = 256 * 1024, ROUNDS = 60 };
	struct mc_err err = {0};
	char path[512], *a, *b;
	pid_t pid;
	int status;

	(void)state;
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	a = malloc(SIZE);
	b = malloc(SIZE);
	assert_non_null(a);
	assert_non_null(b);
	memset(a, 'a', SIZE);
	memset(b, 'b', SIZE);
	assert_int_equal(metrics_write_file(path, a, SIZE, &err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < ROUNDS; i++)
			if (metrics_write_file(path, i % 2 ? a : b, SIZE, &err))
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < ROUNDS * 4; i++) {
		size_t len;
		char *got = slurp(path, &len);

		assert_non_null(got);
		assert_int_equal(len, SIZE);
		assert_true(memcmp(got, a, SIZE) == 0 ||
			    memcmp(got, b, SIZE) == 0);
		free(got);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(count_entries(), 1);
	free(a);
	free(b);
}

static int fill_main(const char *state_dir)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(state_dir, &err);
	int rc;

	if (!st) {
		fprintf(stderr, "test_metrics --fill: %s\n", err.msg);
		return 1;
	}
	rc = fill_fixture(st, NOW);
	store_close(st);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_golden),
		T(test_empty_store),
		T(test_route_selection),
		T(test_label_escaping),
		T(test_numbers),
		T(test_write_file),
		T(test_refresh),
		T(test_write_failures),
		T(test_write_atomic_under_reads),
	};

	if (argc == 3 && strcmp(argv[1], "--fill") == 0)
		return fill_main(argv[2]);
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
