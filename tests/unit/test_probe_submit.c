/* probe/probe_submit: submission against a fake SMTP server on 127.0.0.1
 * (smtp_fake.h): queued in clear, over STARTTLS and implicit TLS, with
 * AUTH; every way it must fail (no STARTTLS, unknown CA, wrong IP SAN,
 * AUTH refused or not offered, greylisting, rejection, deferral, a relay
 * that hangs up, stalls, is not listening or does not answer SYNs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "smtp_fake.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>

#include "mc_time.h"
#include "probe/probe.h"

#define ID "abcdefghijklmnopqrstuvwxya"
#define PASSWORD "s3cret-pa55word"
/* base64("\0probe@example.net\0" PASSWORD) and base64(PASSWORD) */
#define PLAIN_B64 "AHByb2JlQGV4YW1wbGUubmV0AHMzY3JldC1wYTU1d29yZA=="
#define PASS_B64 "czNjcmV0LXBhNTV3b3Jk"

static struct fake_world *W;

static int setup(void **state)
{
	(void)state;
	W = fake_world_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_world_free(W);
	return 0;
}

struct run;
static void with_auth(struct run *r);

struct run {
	struct mc_relay relay;
	struct mc_route route;
	struct mc_probe_result res;
	struct mc_err err;
	char *msg;
	int rc;
	double elapsed;
};

static void run_init(struct run *r, unsigned short port, enum mc_tls_mode tls)
{
	struct mc_err err = {0};

	memset(r, 0, sizeof(*r));
	r->relay = (struct mc_relay){.name = "test", .host = "127.0.0.1",
				     .port = port, .tls = tls,
				     .ca_file = W->ca_file, .tls_verify = 1,
				     .helo = "probe.test", .timeout = 5};
	r->route = (struct mc_route){.name = "test-route", .relay = &r->relay,
				     .from = "probe@example.net",
				     .to = "canary@example.com"};
	r->msg = probe_message_new(&r->route, ID, NULL, 1795519263, &err);
	assert_non_null(r->msg);
}

static void run_submit(struct run *r)
{
	double t = mc_now_mono();

	r->rc = probe_submit(&r->route, r->msg, ID, &r->res, &r->err);
	r->elapsed = mc_now_mono() - t;
	free(r->msg);
	r->msg = NULL;
}

/* Submits through a fake server with options o; stops the server. */
static struct fake *submit_to(struct run *r, const struct fake_opts *o,
			      enum mc_tls_mode tls,
			      void (*tweak)(struct run *))
{
	struct fake *f = fake_start(o);

	run_init(r, f->port, tls);
	if (tweak)
		tweak(r);
	run_submit(r);
	fake_stop(f);
	return f;
}

static void assert_error(const struct run *r, enum probe_submit_outcome o,
			 enum mc_component comp, const char *stage)
{
	if (r->res.outcome != o || r->res.component != comp ||
	    strcmp(r->res.stage, stage) != 0)
		fail_msg("got %s/%s/%s, want %s/%s/%s: %s",
			 probe_submit_outcome_name(r->res.outcome),
			 mc_component_name(r->res.component), r->res.stage,
			 probe_submit_outcome_name(o), mc_component_name(comp),
			 stage, r->err.msg);
	assert_int_equal(r->rc, -1);
	assert_int_equal(r->err.code, -1);
	assert_int_equal(r->err.component, comp);
}

static void assert_names_relay(const struct run *r)
{
	char hp[64];

	snprintf(hp, sizeof(hp), "127.0.0.1:%d", r->relay.port);
	if (!strstr(r->err.msg, hp) || !strstr(r->err.msg, "relay test"))
		fail_msg("message does not name the relay: %s", r->err.msg);
}

static void assert_no_secret(const struct run *r)
{
	assert_null(strstr(r->err.msg, PASSWORD));
	assert_null(strstr(r->err.msg, PASS_B64));
	assert_null(strstr(r->err.msg, PLAIN_B64));
	assert_null(strstr(r->res.reply.text, PASSWORD));
}

static void assert_queued(const struct run *r)
{
	if (r->rc != 0 || r->res.outcome != PROBE_SUBMIT_QUEUED)
		fail_msg("not queued: %s/%s/%s: %s",
			 probe_submit_outcome_name(r->res.outcome),
			 mc_component_name(r->res.component), r->res.stage,
			 r->err.msg);
	assert_int_equal(r->err.code, 0);
	assert_int_equal(r->res.component, MC_COMP_NONE);
	assert_string_equal(r->res.stage, "data");
	assert_int_equal(r->res.reply.code, 250);
	assert_string_equal(r->res.reply.enhanced, "2.0.0");
	assert_string_equal(r->res.queue_id, "4FAKEQ1D");
	{
		char peer[64];

		snprintf(peer, sizeof(peer), "127.0.0.1:%d", r->relay.port);
		assert_string_equal(r->res.peer, peer);
	}
}

static void test_queued_in_clear(void **state)
{
	struct fake_opts o = {0};
	struct run r;
	struct fake *f;
	double now = mc_now_real();

	(void)state;
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_queued(&r);
	assert_true(fabs(r.res.sent_at - now) < 5);
	/* Every stage reached is stamped, in order; TLS and AUTH were not. */
	assert_true(r.res.t.connected >= 0);
	assert_true(r.res.t.greeting >= r.res.t.connected);
	assert_true(r.res.t.envelope >= r.res.t.greeting);
	assert_true(r.res.t.data >= r.res.t.envelope);
	assert_true(r.res.t.queued >= r.res.t.data);
	assert_true(r.res.t.tls == -1 && r.res.t.auth == -1);
	assert_string_equal(r.res.tls_version, "");
	/* Envelope with DSN parameters; the message as built. */
	assert_string_equal(f->mail_line,
			    "MAIL FROM:<probe@example.net> RET=HDRS ENVID=" ID);
	assert_string_equal(f->rcpt_line,
			    "RCPT TO:<canary@example.com> NOTIFY=FAILURE,DELAY");
	assert_non_null(strstr(f->log, "EHLO probe.test"));
	assert_true(f->saw_quit);
	assert_non_null(f->message);
	assert_non_null(strstr(f->message, "\r\nX-Mailcanary-Probe: " ID "\r\n"));
	assert_non_null(strstr(f->message, "Message-ID: <" ID "@example.net>\r\n"));
	assert_null(strstr(strstr(f->message, "Message-ID") + 1, "Message-ID"));
	fake_free(f);
}

static void test_queued_starttls_auth(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .offer_auth = 1, .auth_ok = 1};
	struct run r;
	struct fake *f;

	(void)state;
	f = fake_start(&o);
	run_init(&r, f->port, MC_TLS_STARTTLS);
	r.relay.user = "probe@example.net";
	r.relay.password = PASSWORD;
	run_submit(&r);
	fake_stop(f);
	assert_queued(&r);
	assert_true(f->tls_up);
	assert_int_equal(f->saw_ehlo, 2);
	assert_int_equal(f->saw_auth, 1);
	assert_true(r.res.t.tls >= r.res.t.greeting);
	assert_true(r.res.t.auth >= r.res.t.tls);
	assert_true(r.res.t.envelope >= r.res.t.auth);
	assert_string_equal(r.res.tls_version, "TLSv1.3");
	assert_true(strlen(r.res.tls_cipher) > 0);
	/* AUTH PLAIN came after STARTTLS, with the right credentials. */
	assert_true(strstr(f->log, "STARTTLS") < strstr(f->log, "AUTH PLAIN"));
	assert_non_null(strstr(f->log, "AUTH PLAIN " PLAIN_B64));
	fake_free(f);
}

static void test_queued_implicit_tls(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_IMPLICIT, NULL);
	assert_queued(&r);
	assert_true(f->tls_up);
	assert_false(f->saw_starttls);
	assert_string_equal(r.res.tls_version, "TLSv1.3");
	assert_true(r.res.t.tls >= r.res.t.connected);
	assert_true(r.res.t.greeting >= r.res.t.tls);
	fake_free(f);
}

/* Relays that offer CHUNKING (Postfix does) still get DATA: libesmtp's
 * BDAT would blind its protocol monitor. */
static void test_chunking_masked(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .offer_auth = 1, .auth_ok = 1,
			      .offer_chunking = 1};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, with_auth);
	assert_queued(&r);
	assert_true(r.res.t.envelope >= 0 && r.res.t.data >= 0);
	assert_true(f->saw_data);
	assert_false(f->saw_bdat);
	fake_free(f);

	/* CHUNKING as the last EHLO line, in clear. */
	memset(&o, 0, sizeof(o));
	o.offer_chunking = 2;
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_queued(&r);
	assert_false(f->saw_bdat);
	assert_non_null(f->message);
	fake_free(f);
}

static void use_localhost(struct run *r)
{
	r->relay.host = "localhost";
}

/* A host name: verified against the DNS SAN, and sent as SNI. */
static void test_starttls_by_name_sends_sni(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good};
	struct run r;
	struct fake *f;
	struct addrinfo hints = {.ai_family = AF_INET}, *ai = NULL;

	(void)state;
	if (getaddrinfo("localhost", NULL, &hints, &ai) != 0) {
		skip();
		return;
	}
	freeaddrinfo(ai);
	f = submit_to(&r, &o, MC_TLS_STARTTLS, use_localhost);
	assert_queued(&r);
	assert_string_equal(f->sni, "localhost");
	fake_free(f);
}

static void test_no_starttls_sends_nothing(void **state)
{
	struct fake_opts o = {.offer_auth = 1, .auth_ok = 1};
	struct run r;
	struct fake *f;

	(void)state;
	f = fake_start(&o);
	run_init(&r, f->port, MC_TLS_STARTTLS);
	r.relay.user = "probe@example.net";
	r.relay.password = PASSWORD;
	run_submit(&r);
	fake_stop(f);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls");
	assert_names_relay(&r);
	assert_non_null(strstr(r.err.msg, "STARTTLS"));
	assert_false(f->saw_mail);
	assert_false(f->saw_auth);
	assert_false(f->saw_rcpt);
	assert_null(strstr(f->log, "MAIL"));
	assert_null(strstr(f->log, "AUTH"));
	assert_no_secret(&r);
	fake_free(f);
}

static void test_unknown_ca_refused(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->unknown};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, NULL);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls");
	assert_names_relay(&r);
	if (!strstr(r.err.msg, "unable to get local issuer certificate"))
		fail_msg("no X509 reason: %s", r.err.msg);
	assert_false(f->saw_mail);
	assert_false(f->tls_up);
	fake_free(f);

	/* The same with implicit TLS. */
	o.tls = FAKE_TLS_IMPLICIT;
	f = submit_to(&r, &o, MC_TLS_IMPLICIT, NULL);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls");
	assert_names_relay(&r);
	assert_non_null(strstr(r.err.msg, "unable to get local issuer certificate"));
	assert_false(f->saw_ehlo);
	fake_free(f);
}

static void no_verify(struct run *r)
{
	r->relay.tls_verify = 0;
	r->relay.ca_file = NULL;
}

static void test_unknown_ca_accepted_without_verify(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->unknown};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, no_verify);
	assert_queued(&r);
	assert_true(f->tls_up);
	fake_free(f);
}

static void test_wrong_ip_san_refused(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->wrong_ip};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, NULL);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls");
	if (!strstr(r.err.msg, "IP address mismatch"))
		fail_msg("no X509 reason: %s", r.err.msg);
	assert_false(f->saw_mail);
	fake_free(f);
}

static void bad_ca_file(struct run *r)
{
	r->relay.ca_file = "/nonexistent/ca.pem";
}

static void test_unreadable_ca_file(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, bad_ca_file);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls");
	assert_non_null(strstr(r.err.msg, "/nonexistent/ca.pem"));
	assert_false(f->connected);
	fake_free(f);
}

static void with_auth(struct run *r)
{
	r->relay.user = "probe@example.net";
	r->relay.password = PASSWORD;
}

static void test_auth_refused(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .offer_auth = 1, .auth_ok = 0};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, with_auth);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_AUTH, "auth");
	assert_names_relay(&r);
	assert_int_equal(r.res.reply.code, 535);
	assert_string_equal(r.res.reply.enhanced, "5.7.8");
	assert_non_null(strstr(r.err.msg, "535"));
	assert_non_null(strstr(r.err.msg, "probe@example.net"));
	/* libesmtp tries PLAIN then LOGIN, then would send MAIL FROM
	 * unauthenticated: the gate stops it. */
	assert_true(f->saw_auth >= 1);
	assert_false(f->saw_mail);
	assert_null(strstr(f->log, "MAIL"));
	assert_no_secret(&r);
	fake_free(f);
}

static void test_auth_not_offered(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, with_auth);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_AUTH, "auth");
	assert_non_null(strstr(r.err.msg, "no AUTH"));
	assert_false(f->saw_mail);
	assert_no_secret(&r);
	fake_free(f);
}

static void test_greylisted_at_rcpt(void **state)
{
	struct fake_opts o = {.rcpt_reply = "451 4.7.1 <canary@example.com>: "
					    "Recipient address rejected: "
					    "Greylisted, come back later\r\n"};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_error(&r, PROBE_SUBMIT_GREYLISTED, MC_COMP_GREYLISTING, "rcpt");
	assert_int_equal(r.res.reply.code, 451);
	assert_string_equal(r.res.reply.enhanced, "4.7.1");
	assert_non_null(strstr(r.res.reply.text, "Greylisted"));
	assert_true(r.res.t.envelope == -1 && r.res.t.queued == -1);
	assert_names_relay(&r);
	fake_free(f);

	/* A bare 450 4.7.1 is greylisting evidence too. */
	o.rcpt_reply = "450 4.7.1 Service unavailable\r\n";
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_error(&r, PROBE_SUBMIT_GREYLISTED, MC_COMP_GREYLISTING, "rcpt");
	fake_free(f);
}

static void test_rejected_at_rcpt(void **state)
{
	struct fake_opts o = {.rcpt_reply = "550 5.1.1 <canary@example.com>: "
					    "Recipient address rejected: User "
					    "unknown in virtual mailbox table\r\n"};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_error(&r, PROBE_SUBMIT_REJECTED, MC_COMP_RELAY, "rcpt");
	assert_int_equal(r.res.reply.code, 550);
	assert_string_equal(r.res.reply.enhanced, "5.1.1");
	assert_non_null(strstr(r.err.msg, "RCPT TO"));
	assert_non_null(strstr(r.err.msg, "550 5.1.1"));
	assert_names_relay(&r);
	fake_free(f);
}

static void test_deferred_and_rejected_elsewhere(void **state)
{
	struct fake_opts o = {.mail_reply = "451 4.3.0 Temporary lookup "
					    "failure, try again later\r\n"};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_error(&r, PROBE_SUBMIT_DEFERRED, MC_COMP_RELAY, "mail");
	assert_string_equal(r.res.reply.enhanced, "4.3.0");
	assert_false(f->saw_rcpt);
	fake_free(f);

	memset(&o, 0, sizeof(o));
	o.eod_reply = "552 5.3.4 Message size exceeds fixed limit\r\n";
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_error(&r, PROBE_SUBMIT_REJECTED, MC_COMP_RELAY, "data");
	assert_int_equal(r.res.reply.code, 552);
	assert_true(r.res.t.data >= 0 && r.res.t.queued == -1);
	fake_free(f);

	memset(&o, 0, sizeof(o));
	o.greeting = "554 5.7.1 No SMTP service here\r\n";
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_error(&r, PROBE_SUBMIT_REJECTED, MC_COMP_RELAY, "greeting");
	assert_int_equal(r.res.reply.code, 554);
	assert_false(f->saw_mail);
	fake_free(f);

	memset(&o, 0, sizeof(o));
	o.greeting = "421 4.3.2 Too many connections\r\n";
	f = submit_to(&r, &o, MC_TLS_NONE, NULL);
	assert_error(&r, PROBE_SUBMIT_DEFERRED, MC_COMP_RELAY, "greeting");
	fake_free(f);
}

/* Our own STARTTLS prologue: what the relay says before TLS. */
static void test_starttls_prologue_failures(void **state)
{
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .greeting = "554 5.7.1 Go away\r\n"};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, NULL);
	assert_error(&r, PROBE_SUBMIT_REJECTED, MC_COMP_RELAY, "greeting");
	assert_string_equal(r.res.reply.enhanced, "5.7.1");
	assert_null(strstr(f->log, "EHLO"));
	fake_free(f);

	o.greeting = NULL;
	o.ehlo_reply = "421 4.3.2 Shutting down\r\n";
	f = submit_to(&r, &o, MC_TLS_STARTTLS, NULL);
	assert_error(&r, PROBE_SUBMIT_DEFERRED, MC_COMP_RELAY, "greeting");
	assert_int_equal(r.res.reply.code, 421);
	assert_false(f->saw_starttls);
	fake_free(f);

	/* CVE-2011-0411: bytes after the 220 must not count as TLS. */
	o.ehlo_reply = NULL;
	o.starttls_inject = 1;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, NULL);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls");
	assert_non_null(strstr(r.err.msg, "after its STARTTLS reply"));
	assert_false(f->saw_mail);
	fake_free(f);

	/* Not SMTP at all. */
	memset(&o, 0, sizeof(o));
	o.greeting = "HTTP/1.1 400 Bad Request\r\n\r\n";
	f = submit_to(&r, &o, MC_TLS_STARTTLS, NULL);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "greeting");
	assert_non_null(strstr(r.err.msg, "not SMTP"));
	fake_free(f);
}

struct parallel {
	struct fake *f;
	struct run r;
};

static void *parallel_one(void *arg)
{
	struct parallel *p = arg;

	run_submit(&p->r);
	return NULL;
}

/* Submissions from several threads at once (the run tick's pool). */
static void test_parallel_submissions(void **state)
{
	enum { N = 6 };
	struct fake_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .offer_auth = 1, .auth_ok = 1};
	struct fake_opts oi = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good};
	struct parallel p[N];
	pthread_t t[N];

	(void)state;
	for (int i = 0; i < N; i++) {
		p[i].f = fake_start(i % 2 ? &oi : &o);
		run_init(&p[i].r, p[i].f->port,
			 i % 2 ? MC_TLS_IMPLICIT : MC_TLS_STARTTLS);
		if (i % 2 == 0)
			with_auth(&p[i].r);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&t[i], NULL, parallel_one, &p[i]), 0);
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		fake_stop(p[i].f);
		assert_queued(&p[i].r);
		fake_free(p[i].f);
	}
}

static void test_closed_after_greeting(void **state)
{
	struct fake_opts o = {.close_after_greeting = 1};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_STARTTLS, NULL);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "greeting");
	assert_non_null(strstr(r.err.msg, "closed the connection"));
	assert_names_relay(&r);
	assert_true(r.res.t.greeting >= 0);
	assert_true(r.elapsed < 2);
	fake_free(f);
}

static void one_second(struct run *r)
{
	r->relay.timeout = 1;
}

static void test_stall_honours_deadline(void **state)
{
	struct fake_opts o = {.stall_at = "EHLO"};
	struct run r;
	struct fake *f;

	(void)state;
	f = submit_to(&r, &o, MC_TLS_NONE, one_second);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "greeting");
	assert_non_null(strstr(r.err.msg, "no reply within 1s"));
	if (r.elapsed < 0.9 || r.elapsed > 2.5)
		fail_msg("took %.2fs with a 1s timeout", r.elapsed);
	fake_free(f);

	/* No greeting at all. */
	o.stall_at = "";
	f = submit_to(&r, &o, MC_TLS_NONE, one_second);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "greeting");
	assert_true(r.elapsed < 2.5);
	assert_true(r.res.t.greeting == -1);
	fake_free(f);

	/* Stalling at RCPT, after TLS. */
	memset(&o, 0, sizeof(o));
	o.tls = FAKE_TLS_STARTTLS;
	o.ctx = W->good;
	o.stall_at = "RCPT";
	f = submit_to(&r, &o, MC_TLS_STARTTLS, one_second);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "rcpt");
	assert_true(r.elapsed < 2.5);
	fake_free(f);
}

static void test_closed_port(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct run r;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	run_init(&r, ntohs(a.sin_port), MC_TLS_STARTTLS);
	run_submit(&r);
	assert_error(&r, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "connect");
	assert_names_relay(&r);
	assert_non_null(strstr(r.err.msg, "refused"));
	assert_true(r.elapsed < 1);
	assert_true(r.res.t.connected == -1);
}

/* A listener whose accept queue is full drops SYNs, so connect() hangs:
 * the connect deadline must end it. */
static void test_connect_deadline(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[8];
	struct run r;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
	for (int i = 0; i < 8; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(100 * 1000);
	run_init(&r, ntohs(a.sin_port), MC_TLS_NONE);
	one_second(&r);
	run_submit(&r);
	/* Connect timed out; or, where the kernel let the connection in
	 * anyway, nobody ever greets. Either way: relay, within the limit. */
	assert_int_equal(r.res.outcome, PROBE_SUBMIT_ERROR);
	assert_int_equal(r.res.component, MC_COMP_RELAY);
	if (strcmp(r.res.stage, "connect") == 0)
		assert_non_null(strstr(r.err.msg, "no answer"));
	if (r.elapsed > 2.5)
		fail_msg("took %.2fs with a 1s timeout", r.elapsed);
	for (int i = 0; i < 8; i++)
		close(fill[i]);
	close(lfd);
}

static void test_bad_arguments(void **state)
{
	struct mc_probe_result res;
	struct mc_err err = {0};
	struct mc_route route = {0};

	(void)state;
	assert_int_equal(probe_submit(&route, "x", ID, &res, &err), -1);
	assert_int_equal(res.outcome, PROBE_SUBMIT_ERROR);
	assert_int_equal(err.code, -1);
	assert_int_equal(probe_submit(&route, "x", ID, &res, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queued_in_clear),
		cmocka_unit_test(test_queued_starttls_auth),
		cmocka_unit_test(test_queued_implicit_tls),
		cmocka_unit_test(test_starttls_by_name_sends_sni),
		cmocka_unit_test(test_chunking_masked),
		cmocka_unit_test(test_no_starttls_sends_nothing),
		cmocka_unit_test(test_unknown_ca_refused),
		cmocka_unit_test(test_unknown_ca_accepted_without_verify),
		cmocka_unit_test(test_wrong_ip_san_refused),
		cmocka_unit_test(test_unreadable_ca_file),
		cmocka_unit_test(test_auth_refused),
		cmocka_unit_test(test_auth_not_offered),
		cmocka_unit_test(test_greylisted_at_rcpt),
		cmocka_unit_test(test_rejected_at_rcpt),
		cmocka_unit_test(test_deferred_and_rejected_elsewhere),
		cmocka_unit_test(test_starttls_prologue_failures),
		cmocka_unit_test(test_parallel_submissions),
		cmocka_unit_test(test_closed_after_greeting),
		cmocka_unit_test(test_stall_honours_deadline),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_connect_deadline),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("probe_submit", tests, setup,
					   teardown);
}
