/* alert/hooks: every delivery type against a tiny HTTP receiver thread on
 * 127.0.0.1 (method, path, headers and body asserted), failures (HTTP
 * 500, a receiver that stalls past the timeout, a closed port, a
 * failing or hanging command), secrets kept out of errors, and
 * hooks_process(): a failed delivery stays pending in the store and is
 * delivered on the next tick. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert/alert.h"
#include "alert/hooks.h"
#include "store/store.h"

#define RX_MAX 4
#define RX_IO_MS 10000   /* bound on every receiver wait */

struct rx_request {
	char method[16];
	char path[512];
	char headers[4096];
	char body[65536];
};

struct receiver {
	int fd, port;
	int status;                /* answer; 0 = stall until the client quits */
	const char *answer;        /* body of the answer */
	int expect;                /* connections to serve */
	int n;
	struct rx_request req[RX_MAX];
	pthread_t th;
};

static char tmpdir[] = "/tmp/mc-test-hooks-XXXXXX";

static int wait_in(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, RX_IO_MS) == 1;
}

static void serve_one(struct receiver *rx, int c)
{
	struct rx_request *rq = &rx->req[rx->n];
	char buf[80000], *end = NULL, *cl;
	size_t len = 0, want = 0;
	char out[512];
	ssize_t r;

	while (len < sizeof(buf) - 1 && wait_in(c)) {
		r = read(c, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			cl = strcasestr(buf, "\r\nContent-Length:");
			want = (size_t)(end - buf) + 4 +
			       (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && len >= want)
			break;
	}
	buf[len] = '\0';
	if (end) {
		*end = '\0';
		sscanf(buf, "%15s %511s", rq->method, rq->path);
		snprintf(rq->headers, sizeof(rq->headers), "%s", buf);
		snprintf(rq->body, sizeof(rq->body), "%s", end + 4);
	}
	rx->n++;
	if (rx->status == 0) {
		/* stall: say nothing until the client gives up */
		while (wait_in(c) && read(c, buf, sizeof(buf)) > 0)
			;
		return;
	}
	snprintf(out, sizeof(out),
		 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 rx->status, strlen(rx->answer), rx->answer);
	if (write(c, out, strlen(out)) < 0)
		return;
}

static void *rx_main(void *arg)
{
	struct receiver *rx = arg;

	while (rx->n < rx->expect && rx->n < RX_MAX && wait_in(rx->fd)) {
		int c = accept(rx->fd, NULL, NULL);

		if (c < 0)
			break;
		serve_one(rx, c);
		close(c);
	}
	return NULL;
}

static struct receiver *rx_start(int status, const char *answer, int expect)
{
	/* a pool, so that a stopped receiver's requests stay readable */
	static struct receiver pool[8];
	static unsigned next;
	struct receiver *rx = &pool[next++ % 8];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	memset(rx, 0, sizeof(*rx));
	rx->status = status;
	rx->answer = answer ? answer : "{}";
	rx->expect = expect;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(rx->fd >= 0);
	assert_int_equal(bind(rx->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(rx->fd, 8), 0);
	assert_int_equal(getsockname(rx->fd, (struct sockaddr *)&sa, &sl), 0);
	rx->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&rx->th, NULL, rx_main, rx), 0);
	return rx;
}

static void rx_stop(struct receiver *rx)
{
	pthread_join(rx->th, NULL);
	close(rx->fd);
}

static char *url_of(const struct receiver *rx, const char *path)
{
	char *s;

	assert_true(asprintf(&s, "http://127.0.0.1:%d%s", rx->port, path) > 0);
	return s;
}

static char *event(enum alert_notify status)
{
	struct alert_result res = {.kind = ALERT_ROUTE, .subject = "r1",
				   .severity = 2, .state = "bounced",
				   .component = "relay",
				   .summary = "550 5.1.1 user unknown",
				   .evidence_json = "{\"dsn_status\":\"5.1.1\"}",
				   .probe_id = "PROBE1"};
	struct mc_err err;
	char *s;

	if (status == ALERT_NOTIFY_RESOLVED) {
		res.severity = 0;
		res.state = "delivered";
		res.summary = "delivered in 2 s";
	}
	s = alert_event_json(&res, status, 1764588063, &err);
	assert_non_null(s);
	return s;
}

static json_t *body_json(const struct rx_request *rq)
{
	json_error_t e;
	json_t *d = json_loads(rq->body, 0, &e);

	if (!d)
		fail_msg("body is not JSON: %s", rq->body);
	return d;
}

static const char *jstr(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(o, path));
}

static void assert_header(const struct rx_request *rq, const char *h)
{
	if (!strcasestr(rq->headers, h))
		fail_msg("header '%s' missing in:\n%s", h, rq->headers);
}

static void test_webhook(void **state)
{
	struct receiver *rx = rx_start(200, NULL, 1);
	struct mc_alert a = {.name = "wh", .type = MC_ALERT_WEBHOOK,
			     .timeout = 10};
	char *ev = event(ALERT_NOTIFY_FIRING);
	struct mc_err err;

	(void)state;
	a.url = url_of(rx, "/hook?x=1");
	if (hooks_deliver(&a, ev, 1764588100, &err))
		fail_msg("%s", err.msg);
	rx_stop(rx);
	/* the event JSON, byte for byte */
	assert_string_equal(rx->req[0].method, "POST");
	assert_string_equal(rx->req[0].path, "/hook?x=1");
	assert_string_equal(rx->req[0].body, ev);
	assert_header(&rx->req[0], "\r\nContent-Type: application/json");
	assert_header(&rx->req[0], "\r\nUser-Agent: mailcanary/");
	free(a.url);
	free(ev);
}

static void test_alertmanager(void **state)
{
	struct receiver *rx = rx_start(200, NULL, 2);
	struct mc_alert a = {.name = "am", .type = MC_ALERT_ALERTMANAGER,
			     .timeout = 10, .repeat = 600};
	char *f = event(ALERT_NOTIFY_FIRING), *r = event(ALERT_NOTIFY_RESOLVED);
	struct mc_err err;
	json_t *d, *al;

	(void)state;
	a.url = url_of(rx, "/");
	assert_int_equal(hooks_deliver(&a, f, 1764588100, &err), 0);
	assert_int_equal(hooks_deliver(&a, r, 1764588200, &err), 0);
	rx_stop(rx);
	assert_string_equal(rx->req[0].path, "/api/v2/alerts");
	d = body_json(&rx->req[0]);
	assert_true(json_is_array(d) && json_array_size(d) == 1);
	al = json_array_get(d, 0);
	assert_int_equal(json_object_size(json_object_get(al, "labels")), 3);
	assert_string_equal(jstr(al, "labels.alertname"), "MailcanaryRoute");
	assert_string_equal(jstr(al, "labels.route"), "r1");
	assert_string_equal(jstr(al, "labels.severity"), "critical");
	assert_string_equal(jstr(al, "annotations.component"), "relay");
	assert_string_equal(jstr(al, "annotations.summary"), "550 5.1.1 user unknown");
	assert_non_null(strstr(jstr(al, "annotations.description"), "PROBE1"));
	assert_string_equal(jstr(al, "startsAt"), "2025-12-01T11:21:03Z");
	/* firing: lapses after 3 x repeat unless reminded */
	assert_string_equal(jstr(al, "endsAt"), "2025-12-01T11:51:40Z");
	assert_non_null(jstr(al, "generatorURL"));
	json_decref(d);
	/* resolved: both severities' label sets end now */
	d = body_json(&rx->req[1]);
	assert_int_equal(json_array_size(d), 2);
	for (size_t i = 0; i < 2; i++) {
		al = json_array_get(d, i);
		assert_string_equal(jstr(al, "endsAt"), "2025-12-01T11:23:20Z");
		assert_string_equal(jstr(al, "labels.route"), "r1");
		assert_string_equal(jstr(al, "labels.alertname"), "MailcanaryRoute");
		assert_int_equal(json_object_size(json_object_get(al, "labels")), 3);
	}
	assert_string_equal(jstr(json_array_get(d, 0), "labels.severity"), "critical");
	assert_string_equal(jstr(json_array_get(d, 1), "labels.severity"), "warning");
	json_decref(d);
	free(a.url);

	/* a check, a warning, repeat 0: no endsAt while firing */
	{
		struct alert_result res = {.kind = ALERT_CHECK,
					   .subject = "example.net",
					   .severity = 1, .summary = "spf softfail"};
		char *ev = alert_event_json(&res, ALERT_NOTIFY_FIRING, 0, &err);

		rx = rx_start(200, NULL, 1);
		a.url = url_of(rx, "/am");
		a.repeat = 0;
		assert_int_equal(hooks_deliver(&a, ev, 1, &err), 0);
		rx_stop(rx);
		assert_string_equal(rx->req[0].path, "/am/api/v2/alerts");
		d = body_json(&rx->req[0]);
		al = json_array_get(d, 0);
		assert_string_equal(jstr(al, "labels.alertname"), "MailcanaryCheck");
		assert_string_equal(jstr(al, "labels.check"), "example.net");
		assert_string_equal(jstr(al, "labels.severity"), "warning");
		assert_null(json_object_get(json_object_get(al, "annotations"), "component"));
		assert_null(json_object_get(al, "endsAt"));
		assert_int_equal(json_array_size(d), 1);
		json_decref(d);
		free(ev);
		free(a.url);
	}
	free(f);
	free(r);
}

static void test_pagerduty(void **state)
{
	struct receiver *rx = rx_start(202, "{\"status\":\"success\"}", 2);
	struct mc_alert a = {.name = "pd", .type = MC_ALERT_PAGERDUTY,
			     .timeout = 10, .secret = "R0UTINGKEY"};
	char *f = event(ALERT_NOTIFY_FIRING), *r = event(ALERT_NOTIFY_RESOLVED);
	struct mc_err err;
	json_t *d;

	(void)state;
	a.url = url_of(rx, "/v2/enqueue");
	assert_int_equal(hooks_deliver(&a, f, 1, &err), 0);
	assert_int_equal(hooks_deliver(&a, r, 2, &err), 0);
	rx_stop(rx);
	assert_string_equal(rx->req[0].path, "/v2/enqueue");
	d = body_json(&rx->req[0]);
	assert_string_equal(jstr(d, "routing_key"), "R0UTINGKEY");
	assert_string_equal(jstr(d, "event_action"), "trigger");
	assert_string_equal(jstr(d, "dedup_key"), "mailcanary/route/r1");
	assert_non_null(strstr(jstr(d, "payload.summary"), "550 5.1.1 user unknown"));
	assert_non_null(jstr(d, "payload.source"));
	assert_string_equal(jstr(d, "payload.severity"), "critical");
	assert_string_equal(jstr(d, "payload.component"), "relay");
	assert_string_equal(jstr(d, "payload.custom_details.probe_id"), "PROBE1");
	assert_string_equal(jstr(d, "payload.custom_details.evidence.dsn_status"), "5.1.1");
	json_decref(d);
	d = body_json(&rx->req[1]);
	assert_string_equal(jstr(d, "event_action"), "resolve");
	assert_string_equal(jstr(d, "dedup_key"), "mailcanary/route/r1");
	assert_null(json_object_get(d, "payload"));
	json_decref(d);
	free(a.url);
	free(f);
	free(r);
}

static void test_opsgenie(void **state)
{
	struct receiver *rx = rx_start(202, NULL, 2);
	struct mc_alert a = {.name = "og", .type = MC_ALERT_OPSGENIE,
			     .timeout = 10, .secret = "GENIE-SECRET"};
	char *f = event(ALERT_NOTIFY_FIRING), *r = event(ALERT_NOTIFY_RESOLVED);
	struct mc_err err;
	json_t *d;

	(void)state;
	a.url = url_of(rx, "");
	assert_int_equal(hooks_deliver(&a, f, 1, &err), 0);
	assert_int_equal(hooks_deliver(&a, r, 2, &err), 0);
	rx_stop(rx);
	assert_string_equal(rx->req[0].path, "/v2/alerts");
	assert_header(&rx->req[0], "\r\nAuthorization: GenieKey GENIE-SECRET");
	d = body_json(&rx->req[0]);
	assert_string_equal(jstr(d, "alias"), "mailcanary/route/r1");
	assert_string_equal(jstr(d, "message"), "550 5.1.1 user unknown");
	assert_string_equal(jstr(d, "priority"), "P1");
	assert_string_equal(jstr(d, "details.probe_id"), "PROBE1");
	json_decref(d);
	assert_string_equal(rx->req[1].path,
			    "/v2/alerts/mailcanary%2Froute%2Fr1/close?identifierType=alias");

	/* a long summary is cut to Opsgenie's 130 characters, never inside
	 * a UTF-8 sequence */
	{
		char summary[400] = "x";
		struct alert_result res = {.kind = ALERT_ROUTE, .subject = "r1",
					   .severity = 1, .summary = summary};
		char *ev;

		for (int i = 0; i < 100; i++)
			strcat(summary, "\xc3\xa9");   /* é */
		ev = alert_event_json(&res, ALERT_NOTIFY_FIRING, 1, &err);
		assert_non_null(ev);
		struct receiver *rx2 = rx_start(202, NULL, 1);
		char *url2 = url_of(rx2, "/");
		struct mc_alert a2 = a;

		a2.url = url2;
		if (hooks_deliver(&a2, ev, 1, &err))
			fail_msg("%s", err.msg);
		rx_stop(rx2);
		free(url2);
		d = body_json(&rx2->req[0]);
		assert_int_equal(strlen(jstr(d, "message")), 129);
		assert_string_equal(jstr(d, "priority"), "P3");
		json_decref(d);
		free(ev);
	}
	assert_header(&rx->req[1], "\r\nAuthorization: GenieKey GENIE-SECRET");
	d = body_json(&rx->req[1]);
	assert_string_equal(jstr(d, "source"), "mailcanary");
	json_decref(d);
	free(a.url);
	free(f);
	free(r);
}

static void test_slack(void **state)
{
	struct receiver *rx = rx_start(200, NULL, 2);
	struct mc_alert a = {.name = "sl", .type = MC_ALERT_SLACK, .timeout = 10};
	char *f = event(ALERT_NOTIFY_FIRING), *r = event(ALERT_NOTIFY_RESOLVED);
	struct mc_err err;
	json_t *d;

	(void)state;
	a.url = url_of(rx, "/services/T/B/SECRETPATH");
	assert_int_equal(hooks_deliver(&a, f, 1, &err), 0);
	assert_int_equal(hooks_deliver(&a, r, 2, &err), 0);
	rx_stop(rx);
	d = body_json(&rx->req[0]);
	assert_int_equal(json_object_size(d), 1);
	assert_string_equal(jstr(d, "text"),
			    "[FIRING] mailcanary route \"r1\": CRITICAL bounced (relay): 550 5.1.1 user unknown");
	json_decref(d);
	d = body_json(&rx->req[1]);
	assert_non_null(strstr(jstr(d, "text"), "[RESOLVED]"));
	json_decref(d);
	free(a.url);
	free(f);
	free(r);
}

static void test_http_failures(void **state)
{
	struct receiver *rx;
	struct mc_alert a = {.name = "pd", .type = MC_ALERT_PAGERDUTY,
			     .timeout = 10, .secret = "R0UTINGKEY"};
	char *f = event(ALERT_NOTIFY_FIRING);
	struct mc_err err;

	(void)state;
	/* a 500 whose body echoes the key: the error shows neither it nor
	 * the URL */
	rx = rx_start(500, "{\"message\":\"bad key R0UTINGKEY\"}", 1);
	a.url = url_of(rx, "/v2/enqueue/SECRETPATH");
	assert_int_equal(hooks_deliver(&a, f, 1, &err), -1);
	rx_stop(rx);
	assert_non_null(strstr(err.msg, "alert \"pd\" (pagerduty): the receiver answered HTTP 500"));
	assert_non_null(strstr(err.msg, "bad key"));
	assert_null(strstr(err.msg, "R0UTINGKEY"));
	assert_null(strstr(err.msg, "SECRETPATH"));
	free(a.url);

	/* a receiver that never answers: the timeout ends it */
	rx = rx_start(0, NULL, 1);
	a.url = url_of(rx, "/v2/enqueue");
	a.timeout = 1;
	assert_int_equal(hooks_deliver(&a, f, 1, &err), -1);
	rx_stop(rx);
	assert_non_null(strstr(err.msg, "alert \"pd\" (pagerduty): "));
	assert_non_null(strcasestr(err.msg, "timed out"));
	free(a.url);

	/* nobody listening */
	rx = rx_start(200, NULL, 0);
	a.url = url_of(rx, "/");
	rx_stop(rx);   /* closes the port */
	assert_int_equal(hooks_deliver(&a, f, 1, &err), -1);
	assert_non_null(strstr(err.msg, "alert \"pd\" (pagerduty): "));
	free(a.url);

	/* an event that is not JSON */
	a.url = "http://127.0.0.1:9/";
	assert_int_equal(hooks_deliver(&a, "nope", 1, &err), -1);
	assert_non_null(strstr(err.msg, "the event is not a JSON object"));
	free(f);
}

/* A pending notification survives a failed tick in the store and goes
 * out on the next one. */
static void test_process_pending(void **state)
{
	struct receiver *rx = rx_start(500, NULL, 1);
	struct mc_alert a = {.name = "wh", .type = MC_ALERT_WEBHOOK,
			     .timeout = 10, .failures = 1, .repeat = 0};
	struct alert_result res = {.kind = ALERT_ROUTE, .subject = "r1",
				   .severity = 2, .state = "lost",
				   .component = "mailbox", .summary = "lost"};
	struct store_alert sa;
	struct mc_store *st;
	struct mc_err err;
	char dir[600];
	json_t *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state", tmpdir);
	st = store_open(dir, &err);
	assert_non_null(st);
	a.url = url_of(rx, "/h");
	assert_int_equal(hooks_process(st, &a, &res, 100, &err), 1);
	rx_stop(rx);
	assert_non_null(strstr(err.msg, "HTTP 500"));
	assert_int_equal(store_alert_get(st, "route/r1/wh", &sa, &err), 1);
	assert_int_equal(sa.status, STORE_ALERT_FIRING);
	assert_non_null(sa.pending_delivery);
	assert_non_null(strstr(sa.last_error, "HTTP 500"));
	assert_true(isnan(sa.last_notified));
	store_alert_clear(&sa);
	free(a.url);

	/* next tick: the receiver is back, the same event goes out */
	rx = rx_start(200, NULL, 1);
	a.url = url_of(rx, "/h");
	assert_int_equal(hooks_process(st, &a, &res, 200, &err), 0);
	rx_stop(rx);
	d = body_json(&rx->req[0]);
	assert_string_equal(jstr(d, "status"), "firing");
	assert_string_equal(jstr(d, "started_at"), "1970-01-01T00:01:40Z");
	json_decref(d);
	assert_int_equal(store_alert_get(st, "route/r1/wh", &sa, &err), 1);
	assert_null(sa.pending_delivery);
	assert_null(sa.last_error);
	assert_true(sa.last_notified == 200);
	assert_int_equal(sa.consecutive_failures, 2);
	store_alert_clear(&sa);

	/* still bad, repeat 0: nothing is sent (no receiver at all) */
	assert_int_equal(hooks_process(st, &a, &res, 300, &err), 0);
	free(a.url);

	/* resolved */
	rx = rx_start(200, NULL, 1);
	a.url = url_of(rx, "/h");
	res.severity = 0;
	assert_int_equal(hooks_process(st, &a, &res, 400, &err), 0);
	rx_stop(rx);
	d = body_json(&rx->req[0]);
	assert_string_equal(jstr(d, "status"), "resolved");
	json_decref(d);
	assert_int_equal(store_alert_get(st, "route/r1/wh", &sa, &err), 1);
	assert_int_equal(sa.status, STORE_ALERT_OK);
	assert_null(sa.pending_delivery);
	store_alert_clear(&sa);
	free(a.url);

	/* every transition and delivery outcome is in the history */
	struct store_alert_event_row *ev;
	size_t n;
	static const enum store_alert_event_kind want[] = {
		STORE_AEV_FIRING, STORE_AEV_DELIVERY_FAILED,
		STORE_AEV_DELIVERED, STORE_AEV_RESOLVED, STORE_AEV_DELIVERED};
	static const double at[] = {100, 100, 200, 400, 400};
	assert_int_equal(store_alert_events(st, 1000, &ev, &n, &err), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(ev[i].key, "route/r1/wh");
		assert_int_equal(ev[i].kind, want[i]);
		assert_true(ev[i].at == at[i]);
	}
	assert_int_equal(ev[0].severity, 2);
	assert_string_equal(ev[0].detail, "lost");
	assert_non_null(strstr(ev[1].detail, "HTTP 500"));
	assert_string_equal(ev[2].detail, "webhook");
	store_alert_events_free(ev, n);
	store_close(st);
}

/* ---- exec ---- */

static char *write_script(const char *name, const char *body)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, 0700);
	return path;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_exec(void **state)
{
	char out[600], body[1400];
	char *script, *argv[4];
	struct mc_alert a = {.name = "x", .type = MC_ALERT_EXEC, .timeout = 10,
			     .argv = argv};
	char *f = event(ALERT_NOTIFY_FIRING);
	struct mc_err err;
	const char *got;

	(void)state;
	snprintf(out, sizeof(out), "%s/exec.out", tmpdir);
	snprintf(body, sizeof(body),
		 "{ cat; echo; echo \"args=$1,$2\"; env | grep '^MAILCANARY_' | sort; } > '%s'\n"
		 "echo to-stdout\n",
		 out);
	script = write_script("hook.sh", body);
	argv[0] = script;
	argv[1] = "one two";       /* argv as given: no shell splitting */
	argv[2] = "$HOME";
	argv[3] = NULL;
	setenv("MAILCANARY_STALE", "from-parent", 1);
	if (hooks_deliver(&a, f, 1, &err))
		fail_msg("%s", err.msg);
	unsetenv("MAILCANARY_STALE");
	got = slurp(out);
	assert_true(strncmp(got, f, strlen(f)) == 0);
	assert_non_null(strstr(got, "\nargs=one two,$HOME\n"));
	assert_non_null(strstr(got, "\nMAILCANARY_STATUS=firing\n"));
	assert_non_null(strstr(got, "\nMAILCANARY_ROUTE=r1\n"));
	assert_non_null(strstr(got, "\nMAILCANARY_SEVERITY=2\n"));
	assert_non_null(strstr(got, "\nMAILCANARY_STATE=bounced\n"));
	assert_non_null(strstr(got, "\nMAILCANARY_COMPONENT=relay\n"));
	assert_non_null(strstr(got, "\nMAILCANARY_SUMMARY=550 5.1.1 user unknown\n"));
	assert_non_null(strstr(got, "\nMAILCANARY_DEDUP_KEY=mailcanary/route/r1\n"));
	assert_null(strstr(got, "MAILCANARY_CHECK"));
	assert_null(strstr(got, "MAILCANARY_STALE"));
	free(script);
	free(f);
}

static void test_exec_failures(void **state)
{
	char *argv[2] = {NULL, NULL};
	struct mc_alert a = {.name = "x", .type = MC_ALERT_EXEC, .timeout = 10,
			     .argv = argv};
	char *f = event(ALERT_NOTIFY_RESOLVED);
	struct mc_err err;

	(void)state;
	argv[0] = write_script("fail.sh", "cat >/dev/null; exit 3\n");
	assert_int_equal(hooks_deliver(&a, f, 1, &err), -1);
	assert_non_null(strstr(err.msg, "alert \"x\" (exec): "));
	assert_non_null(strstr(err.msg, "fail.sh exited with status 3"));
	free(argv[0]);

	/* does not read its stdin, succeeds: fine, and no SIGPIPE for us */
	argv[0] = write_script("deaf.sh", "exit 0\n");
	assert_int_equal(hooks_deliver(&a, f, 1, &err), 0);
	free(argv[0]);

	argv[0] = write_script("hang.sh", "exec sleep 30\n");
	a.timeout = 1;
	assert_int_equal(hooks_deliver(&a, f, 1, &err), -1);
	assert_non_null(strstr(err.msg, "hang.sh did not finish within 1 s; killed"));
	free(argv[0]);

	argv[0] = write_script("sig.sh", "kill -TERM $$\n");
	assert_int_equal(hooks_deliver(&a, f, 1, &err), -1);
	assert_non_null(strstr(err.msg, "was killed by signal 15"));
	free(argv[0]);

	argv[0] = "/nonexistent/page-me";
	assert_int_equal(hooks_deliver(&a, f, 1, &err), -1);
	assert_non_null(strstr(err.msg, "cannot run /nonexistent/page-me: No such file"));
	free(f);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook),
		cmocka_unit_test(test_alertmanager),
		cmocka_unit_test(test_pagerduty),
		cmocka_unit_test(test_opsgenie),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_http_failures),
		cmocka_unit_test(test_process_pending),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_failures),
	};

	return cmocka_run_group_tests_name("hooks", tests, setup, teardown);
}
