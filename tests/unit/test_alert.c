/* alert/alert: the state machine as a table of ticks (flapping,
 * failures = 3, repeat, resolve, a pending delivery retried), the store
 * key and dedup key, and the event JSON's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"

/* One tick: a result's severity, then what the machine should say and
 * whether the (simulated) delivery works. */
struct tick {
	double now;
	int severity;
	int want_notify;           /* ALERT_NOTIFY_* */
	int deliver_ok;            /* when something is pending */
	int want_status;
	int want_failures;
	int want_pending;          /* pending after the delivery attempt */
};

static void run_table(int failures, int repeat, const struct tick *t,
		      size_t n)
{
	struct mc_alert a = {.name = "pager", .failures = failures,
			     .repeat = repeat};
	struct store_alert cur = {.key = strdup("route/r1/pager"),
				  .since = NAN, .last_notified = NAN};
	struct mc_err err;

	for (size_t i = 0; i < n; i++) {
		struct alert_result res = {.kind = ALERT_ROUTE, .subject = "r1",
					   .severity = t[i].severity,
					   .state = t[i].severity ? "lost" : "delivered",
					   .component = "relay",
					   .summary = "s"};
		struct store_alert next;
		int rc = alert_next(&a, &res, &cur, t[i].now, &next, &err);

		if (rc != t[i].want_notify)
			fail_msg("tick %zu: notify %d, expected %d", i, rc,
				 t[i].want_notify);
		if (next.pending_delivery) {
			if (t[i].deliver_ok)
				alert_delivered(&next, t[i].now);
			else
				assert_int_equal(alert_delivery_failed(&next, "HTTP 500"), 0);
		}
		if ((int)next.status != t[i].want_status ||
		    next.consecutive_failures != t[i].want_failures ||
		    !!next.pending_delivery != t[i].want_pending)
			fail_msg("tick %zu: status %d failures %d pending %d", i,
				 next.status, next.consecutive_failures,
				 !!next.pending_delivery);
		assert_string_equal(next.key, "route/r1/pager");
		store_alert_clear(&cur);
		cur = next;
	}
	store_alert_clear(&cur);
}

#define N(x) (sizeof(x) / sizeof((x)[0]))
enum { NONE = ALERT_NOTIFY_NONE, FIRE = ALERT_NOTIFY_FIRING,
       RES = ALERT_NOTIFY_RESOLVED, OK = STORE_ALERT_OK,
       FIRING = STORE_ALERT_FIRING };

static void test_fire_and_resolve(void **state)
{
	static const struct tick t[] = {
		{100, 0, NONE, 1, OK, 0, 0},
		{200, 2, FIRE, 1, FIRING, 1, 0},
		{300, 2, NONE, 1, FIRING, 2, 0},
		{400, 0, RES, 1, OK, 0, 0},
		{500, 0, NONE, 1, OK, 0, 0},
	};

	(void)state;
	run_table(1, 0, t, N(t));
}

static void test_warning_is_bad(void **state)
{
	static const struct tick t[] = {
		{100, 1, FIRE, 1, FIRING, 1, 0},
		{200, 3, NONE, 1, FIRING, 2, 0},
		{300, 0, RES, 1, OK, 0, 0},
	};

	(void)state;
	run_table(1, 0, t, N(t));
}

static void test_failures_three_and_flapping(void **state)
{
	static const struct tick t[] = {
		{100, 2, NONE, 1, OK, 1, 0},
		{200, 2, NONE, 1, OK, 2, 0},
		{300, 0, NONE, 1, OK, 0, 0},   /* flap: the count restarts */
		{400, 2, NONE, 1, OK, 1, 0},
		{500, 0, NONE, 1, OK, 0, 0},
		{600, 2, NONE, 1, OK, 1, 0},
		{700, 2, NONE, 1, OK, 2, 0},
		{800, 2, FIRE, 1, FIRING, 3, 0},
		{900, 2, NONE, 1, FIRING, 4, 0},
		{1000, 0, RES, 1, OK, 0, 0},
	};

	(void)state;
	run_table(3, 0, t, N(t));
}

static void test_repeat(void **state)
{
	static const struct tick t[] = {
		{1000, 2, FIRE, 1, FIRING, 1, 0},
		{1500, 2, NONE, 1, FIRING, 2, 0},
		{1999, 2, NONE, 1, FIRING, 3, 0},
		{2000, 2, FIRE, 1, FIRING, 4, 0},   /* 1000 s after the last */
		{2500, 1, NONE, 1, FIRING, 5, 0},
		{3000, 1, FIRE, 1, FIRING, 6, 0},
		{3100, 0, RES, 1, OK, 0, 0},
	};

	(void)state;
	run_table(1, 1000, t, N(t));
}

static void test_pending_retried(void **state)
{
	static const struct tick t[] = {
		/* the firing notification fails twice, then gets through */
		{100, 2, FIRE, 0, FIRING, 1, 1},
		{200, 2, NONE, 0, FIRING, 2, 1},
		{300, 2, NONE, 1, FIRING, 3, 0},
		/* no reminder while one is pending; the resolution then
		 * replaces an undelivered reminder */
		{400, 2, FIRE, 0, FIRING, 4, 1},
		{500, 2, NONE, 0, FIRING, 5, 1},
		{600, 0, RES, 0, OK, 0, 1},
		{700, 0, NONE, 0, OK, 0, 1},
		{800, 0, NONE, 1, OK, 0, 0},
	};

	(void)state;
	run_table(1, 100, t, N(t));
}

static void test_pending_content(void **state)
{
	struct mc_alert a = {.name = "p", .failures = 1, .repeat = 0};
	struct store_alert prev = {.key = "route/r1/p", .since = NAN,
				   .last_notified = NAN};
	struct store_alert s1, s2, s3;
	struct alert_result res = {.kind = ALERT_ROUTE, .subject = "r1",
				   .severity = 2, .state = "bounced"};
	struct mc_err err;

	(void)state;
	assert_int_equal(alert_next(&a, &res, &prev, 10, &s1, &err), FIRE);
	assert_non_null(strstr(s1.pending_delivery, "\"status\":\"firing\""));
	assert_true(s1.since == 10);
	assert_int_equal(alert_delivery_failed(&s1, "HTTP 500"), 0);
	assert_string_equal(s1.last_error, "HTTP 500");
	assert_true(isnan(s1.last_notified));
	/* still bad: the same pending event is kept, untouched */
	assert_int_equal(alert_next(&a, &res, &s1, 20, &s2, &err), NONE);
	assert_string_equal(s2.pending_delivery, s1.pending_delivery);
	assert_string_equal(s2.last_error, "HTTP 500");
	alert_delivered(&s2, 20);
	assert_null(s2.pending_delivery);
	assert_null(s2.last_error);
	assert_true(s2.last_notified == 20);
	/* resolved: started_at is when it fired */
	res.severity = 0;
	res.state = "delivered";
	assert_int_equal(alert_next(&a, &res, &s2, 30, &s3, &err), RES);
	assert_non_null(strstr(s3.pending_delivery, "\"status\":\"resolved\""));
	assert_non_null(strstr(s3.pending_delivery,
			       "\"started_at\":\"1970-01-01T00:00:10Z\""));
	assert_true(s3.since == 30);
	store_alert_clear(&s1);
	store_alert_clear(&s2);
	store_alert_clear(&s3);
}

static void test_keys(void **state)
{
	char *k1 = alert_key(ALERT_ROUTE, "corp-to-gmail", "pager");
	char *k2 = alert_key(ALERT_CHECK, "example.net", "chat");
	char *d1 = alert_dedup_key(ALERT_ROUTE, "corp-to-gmail");
	char *d2 = alert_dedup_key(ALERT_ROUTE, "corp-to-gmail");
	char *d3 = alert_dedup_key(ALERT_CHECK, "corp-to-gmail");

	(void)state;
	assert_string_equal(k1, "route/corp-to-gmail/pager");
	assert_string_equal(k2, "check/example.net/chat");
	assert_string_equal(d1, "mailcanary/route/corp-to-gmail");
	assert_string_equal(d1, d2);
	assert_string_not_equal(d1, d3);
	free(k1);
	free(k2);
	free(d1);
	free(d2);
	free(d3);
}

static void test_event_json(void **state)
{
	struct alert_result res = {.kind = ALERT_ROUTE, .subject = "r1",
				   .severity = 2, .state = "bounced",
				   .component = "relay",
				   .summary = "550 5.1.1 user unknown",
				   .evidence_json = "{\"dsn_status\":\"5.1.1\"}",
				   .probe_id = "ABC"};
	struct mc_err err;
	json_error_t jerr;
	char *s = alert_event_json(&res, ALERT_NOTIFY_FIRING, 1764588063, &err);
	json_t *d;
	const char *key;
	json_t *v;
	static const char *const order[] = {
		"status", "route", "severity", "state", "component", "summary",
		"evidence", "probe_id", "started_at", "dedup_key"};
	size_t i = 0;

	(void)state;
	assert_non_null(s);
	d = json_loads(s, 0, &jerr);
	assert_non_null(d);
	json_object_foreach(d, key, v) {
		assert_true(i < N(order));
		assert_string_equal(key, order[i++]);
	}
	assert_int_equal(i, N(order));
	assert_string_equal(json_string_value(json_object_get(d, "status")), "firing");
	assert_int_equal(json_integer_value(json_object_get(d, "severity")), 2);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(d, "evidence"), "dsn_status")), "5.1.1");
	assert_string_equal(json_string_value(json_object_get(d, "started_at")),
			    "2025-12-01T11:21:03Z");
	assert_string_equal(json_string_value(json_object_get(d, "dedup_key")),
			    "mailcanary/route/r1");
	json_decref(d);
	free(s);

	/* a check; unknown fields are null, evidence {} */
	res = (struct alert_result){.kind = ALERT_CHECK, .subject = "example.net",
				    .severity = 0};
	s = alert_event_json(&res, ALERT_NOTIFY_RESOLVED, 0, &err);
	assert_non_null(s);
	assert_string_equal(s, "{\"status\":\"resolved\",\"check\":\"example.net\","
			       "\"severity\":0,\"state\":null,\"component\":null,"
			       "\"summary\":null,\"evidence\":{},\"probe_id\":null,"
			       "\"started_at\":\"1970-01-01T00:00:00Z\","
			       "\"dedup_key\":\"mailcanary/check/example.net\"}");
	free(s);

	/* evidence must be an object */
	res.evidence_json = "[1]";
	assert_null(alert_event_json(&res, ALERT_NOTIFY_FIRING, 0, &err));
	assert_non_null(strstr(err.msg, "evidence is not a JSON object"));
	res.evidence_json = "{";
	assert_null(alert_event_json(&res, ALERT_NOTIFY_FIRING, 0, &err));
}

static void test_bad_evidence_in_next(void **state)
{
	struct mc_alert a = {.name = "p", .failures = 1};
	struct store_alert prev = {.key = "route/r1/p", .since = NAN,
				   .last_notified = NAN};
	struct store_alert next;
	struct alert_result res = {.kind = ALERT_ROUTE, .subject = "r1",
				   .severity = 2, .evidence_json = "nope"};
	struct mc_err err;

	(void)state;
	assert_int_equal(alert_next(&a, &res, &prev, 1, &next, &err), -1);
	assert_null(next.key);
	assert_null(next.pending_delivery);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fire_and_resolve),
		cmocka_unit_test(test_warning_is_bad),
		cmocka_unit_test(test_failures_three_and_flapping),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_pending_retried),
		cmocka_unit_test(test_pending_content),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_event_json),
		cmocka_unit_test(test_bad_evidence_in_next),
	};

	return cmocka_run_group_tests_name("alert", tests, NULL, NULL);
}
