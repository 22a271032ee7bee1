/* report: the statistics of a known store (counts, percentages,
 * nearest-rank percentiles, hop delays, every breakdown, greylisting,
 * incidents, the period window, the recent-probe cap), the JSON shape,
 * the text tables, HTML escaping of store text, and read errors.
 *
 * `test_report --fill DIR` fills the store in DIR with the same fixture
 * plus a route whose name and error carry HTML, and exits:
 * tests/integration/test_report.sh renders it with Chromium. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "store/store.h"
#include "store/store_internal.h"

/* 2023-11-14T00:00:00Z, a Tuesday */
#define T0 1699920000.0
#define DAY 86400.0

static char dir[256];

static const struct report_route_cfg routes[] = {
	{"a", "canary@a.test", "probe@src.test"},
	{"b", "canary@b.test", "probe@src.test"},
};

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/mc-test-report-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

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

/* Sends id on route at sent and finishes it with p (state etc.) found or
 * judged 1 s after sent + total (or sent + 60). */
static int probe(struct mc_store *st, const char *id, const char *route,
		 double sent, struct store_probe *p)
{
	struct mc_err err = {0};

	FX(store_probe_insert_pending(st, id, route, sent, &err), id);
	if (!p)
		return 0;
	p->id = id;
	FX(store_probe_finish(st, p, sent + (isnan(p->total_seconds)
						     ? 60 : p->total_seconds + 1),
			      &err), id);
	return 0;
}

/* a: 20 delivered probes on Tuesday, every 10 minutes from 00:00, taking
 * 1..20 s; three with hops. b, on Wednesday: bounced (DSN 5.1.1) at
 * 01:00, rejected (554 5.7.1) at 02:00, delivered (3 s) at 03:00,
 * greylisted (300 s, 240 s of greylisting) at 04:00, one outstanding at
 * 05:00. */
static int fill_fixture(struct mc_store *st)
{
	struct mc_err err = {0};
	struct store_probe p;
	char id[32];
	struct store_hop h[2] = {
		{"client", "relay", "ESMTPSA", "127.0.0.1", "TLSv1.3", NAN, 0},
		{"relay", "mx", "ESMTPS", "127.0.0.2", "TLSv1.3", NAN, 0},
	};

	for (int i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "a-%02d", i);
		store_probe_init(&p, id);
		p.state = PROBE_DELIVERED;
		p.total_seconds = i + 1;
		p.folder = "INBOX";
		p.smtp_code = 250;
		if (probe(st, id, "a", T0 + i * 600, &p))
			return -1;
		if (i < 3) {
			h[0].delay = i + 1;
			h[1].delay = i < 2 ? 10.0 * (i + 1) : NAN;
			FX(store_hops_add(st, id, h, 2, &err), id);
		}
	}
	store_probe_init(&p, NULL);
	p.state = PROBE_BOUNCED;
	p.severity = MC_SEV_CRITICAL;
	p.dsn_status = "5.1.1";
	p.dsn_hard = 1;
	p.smtp_code = 250;
	p.smtp_enhanced = "2.0.0";
	p.error_message = "hard bounce 5.1.1 user_unknown";
	if (probe(st, "b-1", "b", T0 + DAY + 3600, &p))
		return -1;
	store_probe_init(&p, NULL);
	p.state = PROBE_REJECTED;
	p.severity = MC_SEV_CRITICAL;
	p.smtp_code = 554;
	p.smtp_enhanced = "5.7.1";
	p.error_message = "relay rejected: 554 5.7.1 spam";
	if (probe(st, "b-2", "b", T0 + DAY + 7200, &p))
		return -1;
	store_probe_init(&p, NULL);
	p.state = PROBE_DELIVERED;
	p.total_seconds = 3;
	if (probe(st, "b-3", "b", T0 + DAY + 10800, &p))
		return -1;
	store_probe_init(&p, NULL);
	p.state = PROBE_GREYLISTED;
	p.severity = MC_SEV_WARNING;
	p.total_seconds = 300;
	p.greylisted = 1;
	p.greylist_delay = 240;
	p.error_message = "greylisted for 240 s";
	if (probe(st, "b-4", "b", T0 + DAY + 14400, &p))
		return -1;
	return probe(st, "b-5", "b", T0 + DAY + 18000, NULL);
}

static struct mc_store *open_filled(void)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(dir, &err);

	if (!st)
		fail_msg("store_open: %s", err.msg);
	assert_int_equal(fill_fixture(st), 0);
	return st;
}

static struct report *load(struct mc_store *st, double since, double until)
{
	struct mc_err err = {0};
	struct report *r = report_load(st, routes, 2, since, until,
				       T0 + 2 * DAY, &err);

	if (!r)
		fail_msg("report_load: %s", err.msg);
	return r;
}

static const struct report_bucket *bucket(const struct report_breakdown *b,
					  const char *key)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->b[i].key, key) == 0)
			return &b->b[i];
	fail_msg("no bucket %s", key);
	return NULL;
}

/* ---- tests ---- */

static void test_counts_and_percentiles(void **state)
{
	struct mc_store *st = open_filled();
	struct report *r = load(st, T0, T0 + 2 * DAY);
	const struct report_section *a, *b;

	(void)state;
	assert_int_equal(r->n_routes, 2);
	a = &r->routes[0];
	b = &r->routes[1];
	assert_string_equal(a->name, "a");
	assert_string_equal(a->domain, "a.test");
	assert_int_equal(a->c.final, 20);
	assert_int_equal(a->c.state[PROBE_DELIVERED], 20);
	/* nearest rank over 1..20: p50 = 10th, p95 = 19th */
	assert_int_equal(a->delivery.n, 20);
	assert_float_equal(a->delivery.p50, 10, 1e-9);
	assert_float_equal(a->delivery.p95, 19, 1e-9);
	assert_float_equal(a->delivery.max, 20, 1e-9);
	assert_float_equal(a->delivery.avg, 10.5, 1e-9);

	assert_int_equal(b->c.final, 4);
	assert_int_equal(b->c.state[PROBE_PENDING], 1);
	assert_int_equal(b->c.state[PROBE_BOUNCED], 1);
	assert_int_equal(b->c.state[PROBE_REJECTED], 1);
	assert_int_equal(b->c.state[PROBE_GREYLISTED], 1);
	assert_int_equal(b->c.state[PROBE_DELIVERED], 1);
	assert_int_equal(b->delivery.n, 2);
	assert_float_equal(b->delivery.p50, 3, 1e-9);
	assert_float_equal(b->delivery.max, 300, 1e-9);
	assert_int_equal(b->greylisted, 1);
	assert_float_equal(b->greylist_delay.avg, 240, 1e-9);
	assert_float_equal(b->greylist_delay.max, 240, 1e-9);

	/* overall: 1..20, 3, 300 */
	assert_int_equal(r->overall.c.final, 24);
	assert_int_equal(r->overall.c.state[PROBE_DELIVERED], 21);
	assert_int_equal(r->overall.c.state[PROBE_PENDING], 1);
	assert_int_equal(r->overall.delivery.n, 22);
	assert_float_equal(r->overall.delivery.p50, 10, 1e-9);
	assert_float_equal(r->overall.delivery.p95, 20, 1e-9);
	assert_float_equal(r->overall.delivery.max, 300, 1e-9);
	assert_int_equal(r->overall.greylisted, 1);
	report_free(r);
	store_close(st);
}

static void test_hops(void **state)
{
	struct mc_store *st = open_filled();
	struct report *r = load(st, T0, T0 + 2 * DAY);
	const struct report_section *a = &r->routes[0];

	(void)state;
	assert_int_equal(a->n_hops, 2);
	assert_int_equal(a->hops[0].hop, 1);
	assert_int_equal(a->hops[0].delay.n, 3);
	assert_float_equal(a->hops[0].delay.p50, 2, 1e-9);
	assert_float_equal(a->hops[0].delay.p95, 3, 1e-9);
	assert_int_equal(a->hops[1].delay.n, 2);   /* the NAN one left out */
	assert_float_equal(a->hops[1].delay.p50, 10, 1e-9);
	assert_float_equal(a->hops[1].delay.p95, 20, 1e-9);
	assert_int_equal(r->routes[1].n_hops, 0);
	assert_int_equal(r->overall.n_hops, 2);
	report_free(r);
	store_close(st);
}

static void test_breakdowns(void **state)
{
	struct mc_store *st = open_filled();
	struct report *r = load(st, T0, T0 + 2 * DAY);
	const struct report_bucket *k;

	(void)state;
	assert_int_equal(r->by_date.n, 2);
	assert_string_equal(r->by_date.b[0].key, "2023-11-14");
	assert_int_equal(r->by_date.b[0].c.final, 20);
	assert_string_equal(r->by_date.b[1].key, "2023-11-15");
	assert_int_equal(r->by_date.b[1].c.final, 4);
	assert_int_equal(r->by_date.b[1].c.state[PROBE_PENDING], 1);
	assert_int_equal(r->by_day_of_month.n, 2);
	assert_string_equal(r->by_day_of_month.b[0].key, "14");
	/* weekdays in week order, not by name */
	assert_int_equal(r->by_weekday.n, 2);
	assert_string_equal(r->by_weekday.b[0].key, "Tue");
	assert_string_equal(r->by_weekday.b[1].key, "Wed");
	/* hour 01: six of a (06..11) and b-1 */
	k = bucket(&r->by_hour, "01");
	assert_int_equal(k->c.final, 7);
	assert_int_equal(k->c.state[PROBE_BOUNCED], 1);
	assert_int_equal(k->delivery.n, 6);
	assert_float_equal(k->delivery.p50, 9, 1e-9);   /* 7..12 */
	k = bucket(&r->by_hour, "03");
	assert_int_equal(k->c.final, 3);
	assert_int_equal(bucket(&r->by_hour, "05")->c.state[PROBE_PENDING], 1);
	k = bucket(&r->by_domain, "a.test");
	assert_int_equal(k->c.final, 20);
	k = bucket(&r->by_domain, "b.test");
	assert_int_equal(k->c.final, 4);
	assert_float_equal(k->delivery.p95, 300, 1e-9);
	/* the DSN status wins over the submission's 2.0.0; a bare reply
	 * code is a key of its own */
	k = bucket(&r->by_code, "5.1.1");
	assert_int_equal(k->c.state[PROBE_BOUNCED], 1);
	k = bucket(&r->by_code, "5.7.1");
	assert_int_equal(k->c.state[PROBE_REJECTED], 1);
	k = bucket(&r->by_code, "250");
	assert_int_equal(k->c.final, 20);
	assert_int_equal(r->by_code.n, 3);
	/* one month, one sender: both routes send from the same address */
	assert_int_equal(r->by_month.n, 1);
	assert_string_equal(r->by_month.b[0].key, "2023-11");
	assert_int_equal(r->by_month.b[0].c.final, 24);
	assert_int_equal(r->by_sender.n, 1);
	assert_string_equal(r->by_sender.b[0].key, "probe@src.test");
	assert_int_equal(r->by_sender.b[0].c.final, 24);
	report_free(r);
	store_close(st);
}

static void test_incidents(void **state)
{
	struct mc_store *st = open_filled();
	struct mc_err err = {0};
	struct store_alert al = {.key = "route/b/lost", .status = STORE_ALERT_FIRING,
				 .since = T0 + DAY, .last_notified = NAN,
				 .consecutive_failures = 2,
				 .last_error = "nothing arrived"};
	struct store_alert ok = {.key = "route/a/lost", .status = STORE_ALERT_OK,
				 .since = T0, .last_notified = NAN};
	struct report *r;

	(void)state;
	assert_int_equal(store_alert_put(st, &al, &err), 0);
	assert_int_equal(store_alert_put(st, &ok, &err), 0);
	r = load(st, T0, T0 + 2 * DAY);
	assert_int_equal(r->n_incidents, 2);
	assert_string_equal(r->incidents[0].route, "b");
	assert_float_equal(r->incidents[0].start, T0 + DAY + 3600, 1e-9);
	assert_float_equal(r->incidents[0].end, T0 + DAY + 10800, 1e-9);
	assert_int_equal(r->incidents[0].probes, 2);
	assert_int_equal(r->incidents[0].worst_severity, MC_SEV_CRITICAL);
	assert_int_equal(r->incidents[0].worst_state, PROBE_BOUNCED);
	assert_string_equal(r->incidents[0].error,
			    "hard bounce 5.1.1 user_unknown");
	assert_true(isnan(r->incidents[1].end));   /* ongoing */
	assert_int_equal(r->incidents[1].worst_state, PROBE_GREYLISTED);
	assert_int_equal(r->n_alerts, 1);
	assert_string_equal(r->alerts[0].key, "route/b/lost");
	assert_int_equal(r->alerts[0].consecutive_failures, 2);
	report_free(r);
	store_close(st);
}

/* Alert firings come from the alert history: firing -> resolved with its
 * reminders and delivery outcomes; one still firing; one that ended
 * before the period and one that began after it are left out. */
static char *render(const struct report *r,
		    int (*fn)(const struct report *, FILE *));

static void add_events(struct mc_store *st, const char *key,
		       const struct store_alert_event *ev, size_t n)
{
	struct mc_err err = {0};
	struct store_alert a = {.key = (char *)key, .since = NAN,
				.last_notified = NAN};

	assert_int_equal(store_alert_record(st, &a, ev, n, &err), 0);
}

static void test_firings(void **state)
{
	struct mc_store *st = open_filled();
	struct report *r;
	char *t;

	(void)state;
	const struct store_alert_event b[] = {
		{.at = T0 - DAY, .kind = STORE_AEV_FIRING, .severity = 2},
		{.at = T0 - DAY + 60, .kind = STORE_AEV_RESOLVED},
		{.at = T0 + DAY + 3600, .kind = STORE_AEV_FIRING,
		 .severity = 1, .detail = "b: greylisted <x>"},
		{.at = T0 + DAY + 3600, .kind = STORE_AEV_DELIVERY_FAILED,
		 .severity = -1, .detail = "HTTP 500"},
		{.at = T0 + DAY + 3700, .kind = STORE_AEV_DELIVERED,
		 .severity = -1},
		{.at = T0 + DAY + 7200, .kind = STORE_AEV_REPEAT,
		 .severity = 2},
		{.at = T0 + DAY + 7200, .kind = STORE_AEV_DELIVERED,
		 .severity = -1},
		{.at = T0 + DAY + 10800, .kind = STORE_AEV_RESOLVED,
		 .severity = 0},
		{.at = T0 + DAY + 10800, .kind = STORE_AEV_DELIVERED,
		 .severity = -1},
		{.at = T0 + 3 * DAY, .kind = STORE_AEV_FIRING, .severity = 2},
	};
	const struct store_alert_event c[] = {
		{.at = T0 + 100, .kind = STORE_AEV_FIRING, .severity = 2,
		 .detail = "mx: no MX"},
	};
	add_events(st, "route/b/pager", b, sizeof(b) / sizeof(b[0]));
	add_events(st, "check/dns/pager", c, 1);
	r = load(st, T0, T0 + 2 * DAY);
	assert_int_equal(r->n_firings, 2);
	assert_string_equal(r->firings[0].kind, "check");
	assert_string_equal(r->firings[0].subject, "dns");
	assert_true(isnan(r->firings[0].end));
	assert_string_equal(r->firings[1].kind, "route");
	assert_string_equal(r->firings[1].subject, "b");
	assert_string_equal(r->firings[1].alert, "pager");
	assert_float_equal(r->firings[1].start, T0 + DAY + 3600, 1e-9);
	assert_float_equal(r->firings[1].end, T0 + DAY + 10800, 1e-9);
	assert_int_equal(r->firings[1].severity, 2);
	assert_int_equal(r->firings[1].repeats, 1);
	assert_int_equal(r->firings[1].delivered, 3);
	assert_int_equal(r->firings[1].failed, 1);
	assert_string_equal(r->firings[1].summary, "b: greylisted <x>");

	json_t *doc = report_json(r), *f;
	f = json_array_get(json_object_get(doc, "alert_firings"), 1);
	assert_float_equal(json_real_value(json_object_get(f, "duration_seconds")),
			   7200, 1e-9);
	assert_int_equal(json_integer_value(json_object_get(f, "delivered")), 3);
	assert_true(json_is_null(json_object_get(
		json_array_get(json_object_get(doc, "alert_firings"), 0), "end")));
	json_decref(doc);
	t = render(r, report_text);
	assert_non_null(strstr(t, "ALERT FIRINGS: 2\n"));
	assert_non_null(strstr(t, "7200s"));
	free(t);
	t = render(r, report_html);
	assert_non_null(strstr(t, "<table id=\"firings\">"));
	assert_non_null(strstr(t, "b: greylisted &lt;x&gt;"));
	free(t);
	report_free(r);

	/* a firing with no "resolved" before the next firing is closed by it */
	const struct store_alert_event d[] = {
		{.at = T0 + 10, .kind = STORE_AEV_FIRING, .severity = 2},
		{.at = T0 + 20, .kind = STORE_AEV_FIRING, .severity = 2},
	};
	add_events(st, "route/a/x", d, 2);
	r = load(st, T0, T0 + 2 * DAY);
	assert_int_equal(r->n_firings, 4);
	report_free(r);
	store_close(st);
}

static void test_window(void **state)
{
	struct mc_store *st = open_filled();
	/* Wednesday only: b's probes; a listed, empty */
	struct report *r = load(st, T0 + DAY, T0 + 2 * DAY);

	(void)state;
	assert_int_equal(r->n_probes, 5);
	assert_int_equal(r->routes[0].c.final, 0);
	assert_int_equal(r->routes[0].delivery.n, 0);
	assert_true(isnan(r->routes[0].delivery.p50));
	assert_int_equal(r->overall.c.final, 4);
	report_free(r);
	/* half-open: a probe sent exactly at until is out */
	r = load(st, T0, T0 + 600);
	assert_int_equal(r->n_probes, 1);
	report_free(r);
	/* nothing at all */
	r = load(st, T0 - DAY, T0);
	assert_int_equal(r->n_probes, 0);
	assert_int_equal(r->overall.c.final, 0);
	assert_int_equal(r->by_date.n, 0);
	report_free(r);
	store_close(st);
}

static void test_unconfigured_route(void **state)
{
	struct mc_store *st = open_filled();
	struct mc_err err = {0};
	struct report *r = report_load(st, routes, 1, T0, T0 + 2 * DAY, T0,
				       &err);

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->n_routes, 2);
	assert_string_equal(r->routes[1].name, "b");
	assert_null(r->routes[1].domain);
	assert_int_equal(bucket(&r->by_domain, "(unknown)")->c.final, 4);
	report_free(r);
	store_close(st);
}

static char *render(const struct report *r, int (*fn)(const struct report *,
						       FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(r, f), 0);
	fclose(f);
	return buf;
}

static void test_json(void **state)
{
	struct mc_store *st = open_filled();
	struct report *r = load(st, T0, T0 + 2 * DAY);
	json_t *doc = report_json(r), *a;

	(void)state;
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "since")),
			    "2023-11-14T00:00:00Z");
	a = json_array_get(json_object_get(doc, "routes"), 0);
	assert_int_equal(json_integer_value(json_object_get(a, "total")), 20);
	assert_float_equal(json_real_value(json_object_get(
				   json_object_get(a, "percent"), "delivered")),
			   100, 1e-9);
	assert_float_equal(json_real_value(json_object_get(
				   json_object_get(a, "delivery"), "p95")),
			   19, 1e-9);
	a = json_object_get(doc, "overall");
	assert_int_equal(json_integer_value(json_object_get(a, "outstanding")), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(a, "counts"), "rejected")), 1);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(doc, "breakdowns"), "hour")), 6);
	assert_int_equal(json_array_size(json_object_get(doc, "incidents")), 2);
	assert_true(json_is_null(json_object_get(
		json_array_get(json_object_get(doc, "incidents"), 1), "end")));
	a = json_object_get(doc, "recent");
	assert_int_equal(json_array_size(a), 25);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(a, 0), "id")), "b-5");
	assert_false(json_is_true(json_object_get(json_array_get(a, 0), "final")));
	json_decref(doc);
	report_free(r);
	store_close(st);
}

static void test_recent_cap(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(dir, &err);
	struct report *r;
	json_t *doc;
	char id[32];

	(void)state;
	assert_non_null(st);
	for (int i = 0; i < 150; i++) {
		snprintf(id, sizeof(id), "p-%03d", i);
		assert_int_equal(store_probe_insert_pending(st, id, "a",
							    T0 + i, &err), 0);
	}
	r = load(st, T0, T0 + DAY);
	doc = report_json(r);
	assert_int_equal(json_array_size(json_object_get(doc, "recent")),
			 REPORT_RECENT_MAX);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
				    json_object_get(doc, "recent"), 0), "id")),
			    "p-149");
	assert_int_equal(r->routes[0].c.state[PROBE_PENDING], 150);
	assert_int_equal(r->routes[0].c.final, 0);
	json_decref(doc);
	report_free(r);
	store_close(st);
}

static void test_text(void **state)
{
	struct mc_store *st = open_filled();
	struct report *r = load(st, T0, T0 + 2 * DAY);
	char *t = render(r, report_text);

	(void)state;
	assert_non_null(strstr(t, "MAILCANARY REPORT 2023-11-14T00:00:00Z .. "
				  "2023-11-16T00:00:00Z - 24 probes, 2 routes\n"));
	assert_non_null(strstr(t, "\na          20  20 (100.0%)"));
	assert_non_null(strstr(t, "\na          20  10.00s     19.00s     20.00s"));
	assert_non_null(strstr(t, "\n5.7.1"));
	assert_non_null(strstr(t, "INCIDENTS: 2\n"));
	assert_non_null(strstr(t, "ongoing"));
	assert_non_null(strstr(t, "outstanding"));
	free(t);
	report_free(r);
	store_close(st);
}

static void test_html_escaping(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(dir, &err);
	struct store_probe p;
	struct report_route_cfg evil[] = {{"<b>x</b>", "a@\"y'.test", "<s>@x.test"}};
	struct report *r;
	char *h;

	(void)state;
	assert_non_null(st);
	store_probe_init(&p, NULL);
	p.state = PROBE_ERROR;
	p.severity = MC_SEV_CRITICAL;
	p.smtp_enhanced = "<i>5.0.0";
	p.error_message = "<script>alert(1)</script> & \"q\" 'a' <img src=x onerror=alert(2)>";
	assert_int_equal(probe(st, "e1", "<b>x</b>", T0, &p), 0);
	r = report_load(st, evil, 1, T0, T0 + DAY, T0, &err);
	assert_non_null(r);
	h = render(r, report_html);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "<b>"));
	assert_null(strstr(h, "<i>"));
	assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
				  "&quot;q&quot; &#39;a&#39; &lt;img"));
	assert_non_null(strstr(h, "&lt;b&gt;x&lt;/b&gt;"));
	assert_non_null(strstr(h, "&lt;i&gt;5.0.0"));
	assert_non_null(strstr(h, "<td class=\"l\">&quot;y&#39;.test</td>"));
	assert_non_null(strstr(h, "&lt;s&gt;@x.test"));
	/* self-contained */
	assert_null(strstr(h, "http:"));
	assert_null(strstr(h, "https:"));
	assert_null(strstr(h, "src=\""));
	/* links only inside the page: recent probe -> its details */
	for (const char *q = h; (q = strstr(q, "href=\"")); q += 6)
		assert_int_equal(strncmp(q, "href=\"#p-", 9), 0);
	assert_non_null(strstr(h, "<details id=\"p-"));
	assert_non_null(strstr(h, "<svg id=\"chart-states\""));
	assert_non_null(strstr(h, "<svg id=\"chart-p95\""));
	assert_non_null(strstr(h, "name=\"viewport\""));
	assert_non_null(strstr(h, "@media print"));
	free(h);
	report_free(r);
	store_close(st);
}

static void test_html_empty(void **state)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(dir, &err);
	struct report *r;
	char *h;

	(void)state;
	assert_non_null(st);
	r = report_load(st, NULL, 0, T0, T0 + DAY, T0, &err);
	assert_non_null(r);
	h = render(r, report_html);
	assert_non_null(strstr(h, "No probes in this period."));
	assert_non_null(strstr(h, "</html>"));
	free(h);
	h = render(r, report_text);
	assert_non_null(strstr(h, "- 0 probes, 0 routes"));
	free(h);
	report_free(r);
	store_close(st);
}

static void test_read_errors(void **state)
{
	struct mc_store *st = open_filled();
	struct mc_err err = {0};

	(void)state;
	assert_int_equal(sqlite3_exec(st->db, "DROP TABLE hops", NULL, NULL,
				      NULL), SQLITE_OK);
	assert_null(report_load(st, routes, 2, T0, T0 + DAY, T0, &err));
	assert_non_null(strstr(err.msg, "reading hops for a report"));
	assert_non_null(strstr(err.msg, "mailcanary.db"));
	assert_int_equal(sqlite3_exec(st->db, "DROP TABLE probes", NULL, NULL,
				      NULL), SQLITE_OK);
	assert_null(report_load(st, routes, 2, T0, T0 + DAY, T0, &err));
	assert_non_null(strstr(err.msg, "reading probes for a report"));
	store_close(st);
}

static void test_write_error(void **state)
{
	struct mc_store *st = open_filled();
	struct report *r = load(st, T0, T0 + DAY);
	FILE *full = fopen("/dev/full", "w");

	(void)state;
	if (!full)
		skip();
	setvbuf(full, NULL, _IONBF, 0);
	assert_int_equal(report_text(r, full), -1);
	clearerr(full);
	assert_int_equal(report_html(r, full), -1);
	fclose(full);
	report_free(r);
	store_close(st);
}

/* The integration fixture: the unit one, plus a route whose name and
 * error carry HTML, on recent days so --period month covers it. */
static int fill_main(const char *state_dir)
{
	struct mc_err err = {0};
	struct mc_store *st = store_open(state_dir, &err);
	struct store_probe p;
	int rc;

	if (!st) {
		fprintf(stderr, "test_report --fill: %s\n", err.msg);
		return 1;
	}
	rc = fill_fixture(st);
	store_probe_init(&p, NULL);
	p.state = PROBE_ERROR;
	p.severity = MC_SEV_CRITICAL;
	p.error_message = "<script>alert(1)</script><img src=x onerror=alert(2)>";
	if (!rc)
		rc = probe(st, "evil-1", "<b>evil</b>", T0 + 3 * DAY, &p);
	store_close(st);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_counts_and_percentiles),
		T(test_hops),
		T(test_breakdowns),
		T(test_incidents),
		T(test_firings),
		T(test_window),
		T(test_unconfigured_route),
		T(test_json),
		T(test_recent_cap),
		T(test_text),
		T(test_html_escaping),
		T(test_html_empty),
		T(test_read_errors),
		T(test_write_error),
	};

	if (argc == 3 && strcmp(argv[1], "--fill") == 0)
		return fill_main(argv[2]);
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
