/* receiver/imap: opening a session against a scripted fake IMAP server on
 * 127.0.0.1 (one connection, in a thread; certificates and line I/O from
 * smtp_fake.h): STARTTLS and implicit TLS, LOGIN quoting, AUTHENTICATE
 * PLAIN with and without SASL-IR, PREAUTH, and every way it must fail (no
 * STARTTLS, STARTTLS refused or followed by injected bytes, unknown CA,
 * wrong IP SAN, login refused, LOGINDISABLED, BYE, not IMAP, stalls,
 * nobody listening); after login, BYE, hang-up and oversized responses.
 * The pure helpers it uses are tested in test_imap_parse.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "smtp_fake.h"

#include "mc_time.h"
#include "receiver/imap.h"

#define PASSWORD "s3cret-pa55word"

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

/* ---- the fake IMAP server ---- */

struct imap_opts {
	enum fake_tls tls;
	SSL_CTX *ctx;
	const char *greeting;       /* NULL: "* OK fake IMAP ready" */
	const char *caps;           /* before TLS; NULL: "IMAP4rev1 STARTTLS
				     * LOGINDISABLED" */
	const char *caps_tls;       /* after TLS; NULL: "IMAP4rev1 IDLE" */
	int login_ok;
	int starttls_no;            /* STARTTLS answered NO */
	int starttls_inject;        /* plaintext right after its OK */
	const char *stall_at;       /* stop answering at this verb; "" =
				     * before the greeting */
	int close_after_greeting;
	int burst;                  /* NOOP: this many untagged responses
				     * in one write before the OK */
	const char *bye_at;         /* "* BYE" and hang up at this verb */
	const char *huge_at;        /* a line longer than IMAP_MAX_LINE */
	int caps_no;                /* CAPABILITY answered NO */
	int challenge;              /* AUTHENTICATE keeps asking "+" */
};

struct ifake {
	struct fake *f;             /* socket, TLS, line buffer, log */
	struct imap_opts io;
	int saw_login, saw_auth, saw_starttls, saw_logout, saw_capability;
	int caps_after_tls;         /* CAPABILITY asked after the handshake */
};

static void ifake_sendf(struct fake *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void ifake_sendf(struct fake *f, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fake_send(f, buf);
}

static void ifake_answer_login(struct ifake *x, struct fake *f,
			       const char *tag)
{
	if (x->io.login_ok)
		ifake_sendf(f, "%s OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] "
			    "Logged in\r\n", tag);
	else
		ifake_sendf(f, "%s NO [AUTHENTICATIONFAILED] Authentication "
			    "failed.\r\n", tag);
}

static void ifake_session(struct fake *f, void *arg)
{
	struct ifake *x = arg;
	const struct imap_opts *o = &x->io;
	char line[2048];

	if (o->tls == FAKE_TLS_IMPLICIT && fake_tls_accept(f) < 0)
		return;
	if (o->stall_at && !*o->stall_at) {
		fake_drain(f);
		return;
	}
	fake_send(f, o->greeting ? o->greeting : "* OK fake IMAP ready\r\n");
	if (o->close_after_greeting)
		return;
	for (int i = 0; i < FAKE_MAX_COMMANDS; i++) {
		char tag[64] = "", verb[64] = "";
		const char *sp;

		if (fake_line(f, line, sizeof(line)) < 0)
			return;
		fake_log(f, line);
		sscanf(line, "%63s %63s", tag, verb);
		if (o->stall_at && strcasecmp(verb, o->stall_at) == 0) {
			fake_drain(f);
			return;
		}
		if (o->bye_at && strcasecmp(verb, o->bye_at) == 0) {
			fake_send(f, "* BYE shutting down\r\n");
			return;
		}
		if (o->huge_at && strcasecmp(verb, o->huge_at) == 0) {
			char *big = malloc(IMAP_MAX_LINE + 16);

			assert_non_null(big);
			memset(big, 'x', IMAP_MAX_LINE + 13);
			memcpy(big, "* OK ", 5);
			strcpy(big + IMAP_MAX_LINE + 13, "\r\n");
			fake_send(f, big);
			free(big);
			fake_drain(f);
			return;
		}
		if (o->caps_no && strcasecmp(verb, "CAPABILITY") == 0) {
			ifake_sendf(f, "%s NO not today\r\n", tag);
			continue;
		}
		if (o->challenge && strcasecmp(verb, "AUTHENTICATE") == 0) {
			for (int k = 0; k < 2; k++) {
				fake_send(f, "+ more\r\n");
				if (fake_line(f, line, sizeof(line)) < 0)
					return;
				fake_log(f, line);
			}
			fake_drain(f);
			return;
		}
		if (strcasecmp(verb, "CAPABILITY") == 0) {
			x->saw_capability++;
			x->caps_after_tls |= f->tls_up;
			ifake_sendf(f, "* CAPABILITY %s\r\n%s OK done\r\n",
				    f->tls_up || o->tls == FAKE_TLS_NONE
				    ? (o->caps_tls ? o->caps_tls : "IMAP4rev1 IDLE")
				    : (o->caps ? o->caps
					       : "IMAP4rev1 STARTTLS LOGINDISABLED"),
				    tag);
		} else if (strcasecmp(verb, "STARTTLS") == 0) {
			x->saw_starttls = 1;
			if (o->starttls_no) {
				ifake_sendf(f, "%s NO not now\r\n", tag);
				continue;
			}
			ifake_sendf(f, "%s OK Begin TLS negotiation now.\r\n%s",
				    tag, o->starttls_inject
				    ? "* OK injected\r\n" : "");
			if (fake_tls_accept(f) < 0)
				return;
		} else if (strcasecmp(verb, "LOGIN") == 0) {
			x->saw_login = 1;
			ifake_answer_login(x, f, tag);
		} else if (strcasecmp(verb, "AUTHENTICATE") == 0) {
			x->saw_auth = 1;
			sp = strchr(line, ' ');
			sp = sp ? strchr(sp + 1, ' ') : NULL;   /* mechanism */
			if (sp && !strchr(sp + 1, ' ')) {
				/* no initial response: ask for it */
				fake_send(f, "+ \r\n");
				if (fake_line(f, line, sizeof(line)) < 0)
					return;
				fake_log(f, line);
			}
			ifake_answer_login(x, f, tag);
		} else if (strcasecmp(verb, "NOOP") == 0) {
			char *burst = calloc(1, 64 * (size_t)o->burst + 64);
			size_t n = 0;

			assert_non_null(burst);
			for (int j = 0; j < o->burst; j++)
				n += (size_t)sprintf(burst + n, "* %d EXISTS\r\n",
						     j + 1);
			sprintf(burst + n, "%s OK NOOP completed\r\n", tag);
			fake_send(f, burst);
			free(burst);
		} else if (strcasecmp(verb, "LOGOUT") == 0) {
			x->saw_logout = 1;
			ifake_sendf(f, "* BYE bye\r\n%s OK done\r\n", tag);
			return;
		} else {
			ifake_sendf(f, "%s BAD unknown command\r\n", tag);
		}
	}
}

static struct ifake *ifake_start(const struct imap_opts *o)
{
	struct ifake *x = calloc(1, sizeof(*x));
	struct fake_opts fo = {.tls = o->tls, .ctx = o->ctx,
			       .session = ifake_session, .session_arg = x};

	assert_non_null(x);
	x->io = *o;
	x->f = fake_start(&fo);
	return x;
}

/* Stops the thread (it may be done) and keeps the observations. */
static void ifake_stop(struct ifake *x)
{
	fake_stop(x->f);
}

static void ifake_free(struct ifake *x)
{
	fake_free(x->f);
	free(x);
}

/* ---- the client side ---- */

static struct mc_mailbox mailbox(unsigned short port, enum mc_tls_mode tls)
{
	return (struct mc_mailbox){
		.name = "box", .host = "127.0.0.1", .port = port, .tls = tls,
		.ca_file = W->ca_file, .tls_verify = 1,
		.user = "canary@example.com", .password = PASSWORD,
		.folder = "INBOX", .timeout = 5,
	};
}

/* Opens a session to a fake with options o and mailbox mb (its port set
 * here); expects success when ok. Closes the session (LOGOUT) and stops
 * the fake; returns the fake for inspection (caller frees). */
static struct ifake *session(const struct imap_opts *o, struct mc_mailbox *mb,
			     int ok, struct mc_err *err)
{
	struct ifake *x = ifake_start(o);
	struct mc_imap *s;

	mb->port = x->f->port;
	memset(err, 0, sizeof(*err));
	s = imap_connect(mb, err);
	if (ok) {
		if (!s)
			fail_msg("imap_connect: %s", err->msg);
		assert_ptr_equal(imap_mailbox(s), mb);
		assert_true(imap_fd(s) >= 0);
		assert_int_equal(imap_run(s, "NOOP", mc_now_mono() + 5, NULL,
					  NULL, err), 0);
	} else {
		assert_null(s);
		assert_int_equal(err->code, -1);
		/* the password never appears in a message */
		assert_null(strstr(err->msg, PASSWORD));
		assert_non_null(strstr(err->msg, "mailbox \"box\""));
	}
	imap_close(s);
	ifake_stop(x);
	return x;
}

static void test_starttls_login(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .login_ok = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);
	struct mc_err err;
	struct ifake *x;

	(void)state;
	mb.user = "we\"ird\\user";
	x = session(&o, &mb, 1, &err);
	/* LOGINDISABLED before TLS is no obstacle: we log in after it, and
	 * ask for the capabilities again there (RFC 3501 §6.2.1). */
	assert_true(x->saw_starttls);
	assert_true(x->caps_after_tls);
	assert_true(x->f->tls_up);
	assert_non_null(strstr(x->f->log,
			       "LOGIN \"we\\\"ird\\\\user\" \"" PASSWORD "\""));
	assert_true(strstr(x->f->log, "STARTTLS") < strstr(x->f->log, "LOGIN"));
	assert_non_null(strstr(x->f->log, "LOGOUT"));
	/* the IP literal gets no SNI (RFC 6066 §3) */
	assert_string_equal(x->f->sni, "");
	ifake_free(x);
}

static void test_starttls_by_name(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .login_ok = 1,
			      .greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);
	struct mc_err err;
	struct ifake *x;

	(void)state;
	mb.host = "localhost";
	x = session(&o, &mb, 1, &err);
	assert_string_equal(x->f->sni, "localhost");
	/* the greeting's capabilities spared a CAPABILITY before TLS */
	assert_true(strstr(x->f->log, "STARTTLS") < strstr(x->f->log, "CAPABILITY"));
	ifake_free(x);
}

static void test_implicit_tls(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct mc_err err;
	struct ifake *x;

	(void)state;
	x = session(&o, &mb, 1, &err);
	assert_true(x->f->tls_up);
	assert_false(x->saw_starttls);
	assert_true(x->saw_login);
	ifake_free(x);
}

static void test_cleartext_when_configured(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_NONE, .login_ok = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_NONE);
	struct mc_err err;
	struct ifake *x;

	(void)state;
	x = session(&o, &mb, 1, &err);
	assert_false(x->f->tls_up);
	assert_true(x->saw_login);
	ifake_free(x);
}

static void count_exists(void *arg, const struct imap_resp *r)
{
	if (strcmp(r->keyword, "EXISTS") == 0)
		(*(int *)arg)++;
}

/* Responses TLS has decrypted and buffered must come out of imap_next()
 * before anyone polls the socket, or the wait would sleep on them. */
static void test_tls_buffered_responses(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1, .burst = 2000};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct ifake *x = ifake_start(&o);
	struct mc_err err = {0};
	struct mc_imap *s;
	struct imap_resp r;
	char tag[16];
	int count = 0, rc, done = 0;

	(void)state;
	mb.port = x->f->port;
	s = imap_connect(&mb, &err);
	assert_non_null(s);
	/* by hand, as watch.c does: drain imap_next, then poll */
	assert_int_equal(imap_command(s, tag, "NOOP", &err), 0);
	for (int round = 0; round < 10000 && !done; round++) {
		while ((rc = imap_next(s, &r, &err)) == 1) {
			if (r.type == IMAP_RESP_TAGGED) {
				assert_string_equal(r.tag, tag);
				done = 1;
				break;
			}
			count_exists(&count, &r);
		}
		assert_true(rc >= 0);
		if (!done) {
			struct pollfd p = {.fd = imap_fd(s), .events = POLLIN};
			assert_int_equal(poll(&p, 1, FAKE_WAIT_S * 1000), 1);
		}
	}
	assert_true(done);
	assert_int_equal(count, 2000);
	assert_int_equal(imap_send_line(s, "DONE", &err), 0);
	assert_int_equal(imap_send_line(s, "bad\r\nline", &err), -1);
	imap_close(s);
	ifake_stop(x);
	ifake_free(x);
}

static void test_authenticate_plain(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1,
			      .caps_tls = "IMAP4rev1 AUTH=PLAIN SASL-IR"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct mc_err err;
	struct ifake *x;

	(void)state;
	/* a password a quoted string cannot carry */
	mb.user = "u";
	mb.password = "p\xc3\xa4ss";
	x = session(&o, &mb, 1, &err);
	assert_false(x->saw_login);
	/* base64("\0u\0p\xc3\xa4ss") inline: SASL-IR */
	assert_non_null(strstr(x->f->log, "AUTHENTICATE PLAIN AHUAcMOkc3M="));
	ifake_free(x);
}

static void test_authenticate_plain_continuation(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1,
			      .caps_tls = "IMAP4rev1 AUTH=PLAIN LOGINDISABLED"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct mc_err err;
	struct ifake *x;

	(void)state;
	mb.user = "u";
	mb.password = "pw";
	/* LOGINDISABLED: PLAIN even for quotable credentials */
	x = session(&o, &mb, 1, &err);
	assert_false(x->saw_login);
	assert_non_null(strstr(x->f->log, "AUTHENTICATE PLAIN\nAHUAcHc=\n"));
	ifake_free(x);
}

static void test_authenticate_plain_refused(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .caps_tls = "IMAP4rev1 AUTH=PLAIN"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct mc_err err;

	(void)state;
	mb.password = "\xc3\xa4" PASSWORD;
	ifake_free(session(&o, &mb, 0, &err));
	assert_int_equal(err.component, MC_COMP_AUTH);
	assert_non_null(strstr(err.msg, "(wrong user or password?)"));
}

static void test_preauth(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .greeting = "* PREAUTH welcome back\r\n"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct mc_err err;
	struct ifake *x;

	(void)state;
	x = session(&o, &mb, 1, &err);
	assert_false(x->saw_login);
	assert_false(x->saw_auth);
	ifake_free(x);
}

/* Each failure: component and a piece of the message. */
static void expect_fail(const struct imap_opts *o, struct mc_mailbox *mb,
			enum mc_component comp, const char *part,
			struct ifake **keep)
{
	struct mc_err err;
	struct ifake *x = session(o, mb, 0, &err);

	if (!strstr(err.msg, part))
		fail_msg("\"%s\" is not in \"%s\"", part, err.msg);
	assert_int_equal(err.component, comp);
	assert_non_null(strstr(err.msg, "127.0.0.1:"));
	if (keep)
		*keep = x;
	else
		ifake_free(x);
}

static void test_no_starttls(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .login_ok = 1, .caps = "IMAP4rev1 LOGIN"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);
	struct ifake *x;

	(void)state;
	expect_fail(&o, &mb, MC_COMP_TLS,
		    "server does not offer STARTTLS; refusing to log in in clear",
		    &x);
	assert_false(x->saw_login);
	assert_null(strstr(x->f->log, PASSWORD));
	ifake_free(x);
}

static void test_starttls_refused(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .starttls_no = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_TLS, "STARTTLS refused: not now", NULL);
}

static void test_starttls_injection(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .starttls_inject = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_TLS, "sent data after its STARTTLS", NULL);
}

static void test_preauth_with_starttls(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .greeting = "* PREAUTH hi\r\n"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_TLS, "PREAUTH", NULL);
}

static void test_unknown_ca(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->unknown,
			      .login_ok = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct ifake *x;

	(void)state;
	expect_fail(&o, &mb, MC_COMP_TLS, "certificate verification failed",
		    &x);
	assert_false(x->saw_login);
	ifake_free(x);
}

static void test_unknown_ca_unverified(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->unknown,
			      .login_ok = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);
	struct mc_err err;

	(void)state;
	mb.tls_verify = 0;
	ifake_free(session(&o, &mb, 1, &err));
}

static void test_wrong_ip_san(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->wrong_ip,
			      .login_ok = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_TLS, "IP address mismatch", NULL);
}

static void test_bad_ca_file(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct mc_err err;
	struct ifake *x = ifake_start(&o);

	(void)state;
	mb.port = x->f->port;
	mb.ca_file = "/nonexistent/ca.pem";
	assert_null(imap_connect(&mb, &err));
	assert_int_equal(err.component, MC_COMP_TLS);
	assert_non_null(strstr(err.msg, "mailbox \"box\": 127.0.0.1:"));
	assert_non_null(strstr(err.msg, ": cannot load ca_file /nonexistent/ca.pem"));
	ifake_stop(x);
	ifake_free(x);
}

static void test_login_refused(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_AUTH,
		    "login failed: [AUTHENTICATIONFAILED] Authentication "
		    "failed. (wrong user or password?)", NULL);
}

static void test_logindisabled_without_plain(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1,
			      .caps_tls = "IMAP4rev1 LOGINDISABLED"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_AUTH, "LOGINDISABLED", NULL);
}

static void test_logindisabled_in_clear(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_NONE, .login_ok = 1,
			      .caps_tls = "IMAP4rev1 LOGINDISABLED"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_NONE);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_TLS, "refuses LOGIN in clear", NULL);
}

static void test_unquotable_without_plain(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);

	(void)state;
	mb.password = "line\nbreak-password";
	expect_fail(&o, &mb, MC_COMP_AUTH, "no AUTH=PLAIN", NULL);
}

static void test_greeting_bye(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .greeting = "* BYE too many connections\r\n"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_MAILBOX,
		    "server said BYE: too many connections", NULL);
}

static void test_not_imap(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_NONE,
			      .greeting = "+ what\x01 is this\r\n"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_MAILBOX,
		    "not an IMAP greeting: + what. is this", NULL);
}

static void test_smtp_server(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_NONE,
			      .greeting = "220 mx.example ESMTP\r\n"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_MAILBOX,
		    "not an IMAP greeting: 220 mx.example ESMTP", NULL);
}

static void test_capability_refused(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .caps_no = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_MAILBOX, "CAPABILITY: not today", NULL);
}

static void test_endless_challenge(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .challenge = 1,
			      .caps_tls = "IMAP4rev1 AUTH=PLAIN SASL-IR"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct ifake *x;

	(void)state;
	mb.password = "p\xc3\xa4" PASSWORD;
	expect_fail(&o, &mb, MC_COMP_AUTH, "unexpected challenge", &x);
	/* each challenge was cancelled (RFC 3501 §6.2.2) */
	assert_non_null(strstr(x->f->log, "\n*\n*\n"));
	ifake_free(x);
}

/* After login: a BYE ends imap_run; the hang-up after it ends
 * imap_next; a command after that fails at once. */
static void test_bye_after_login(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1, .bye_at = "NOOP"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct ifake *x = ifake_start(&o);
	struct mc_err err = {0};
	struct imap_resp r;
	struct mc_imap *s;
	int rc = 0;

	(void)state;
	mb.port = x->f->port;
	s = imap_connect(&mb, &err);
	assert_non_null(s);
	assert_int_equal(imap_run(s, "NOOP", mc_now_mono() + 5, NULL, NULL,
				  &err), -1);
	assert_int_equal(err.component, MC_COMP_MAILBOX);
	assert_non_null(strstr(err.msg, "server said BYE: shutting down"));
	for (int i = 0; i < 1000 && (rc = imap_next(s, &r, &err)) == 0; i++) {
		struct pollfd p = {.fd = imap_fd(s), .events = POLLIN};
		poll(&p, 1, FAKE_WAIT_S * 1000);
	}
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "connection closed by server"));
	assert_int_equal(imap_command(s, NULL, "NOOP", &err), -1);
	assert_non_null(strstr(err.msg, "send failed"));
	imap_close(s);
	ifake_stop(x);
	ifake_free(x);
}

static void test_huge_response(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_IMPLICIT, .ctx = W->good,
			      .login_ok = 1, .huge_at = "NOOP"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);
	struct ifake *x = ifake_start(&o);
	struct mc_err err = {0};
	struct mc_imap *s;

	(void)state;
	mb.port = x->f->port;
	s = imap_connect(&mb, &err);
	assert_non_null(s);
	assert_int_equal(imap_run(s, "NOOP", mc_now_mono() + 5, NULL, NULL,
				  &err), -1);
	assert_non_null(strstr(err.msg, "response too large or malformed"));
	imap_close(s);
	ifake_stop(x);
	ifake_free(x);
}

static void test_closed_after_greeting(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .close_after_greeting = 1};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	expect_fail(&o, &mb, MC_COMP_MAILBOX, "connection closed by server",
		    NULL);
}

static void test_stall_before_greeting(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .stall_at = ""};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	mb.timeout = 0.3;
	expect_fail(&o, &mb, MC_COMP_MAILBOX, "no answer to the greeting",
		    NULL);
}

static void test_stall_in_handshake(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_NONE, .stall_at = ""};
	struct mc_mailbox mb = mailbox(0, MC_TLS_IMPLICIT);

	(void)state;
	mb.timeout = 0.3;
	expect_fail(&o, &mb, MC_COMP_TLS, "TLS handshake: no answer", NULL);
}

static void test_stall_at_login(void **state)
{
	struct imap_opts o = {.tls = FAKE_TLS_STARTTLS, .ctx = W->good,
			      .stall_at = "LOGIN"};
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);

	(void)state;
	mb.timeout = 0.5;
	expect_fail(&o, &mb, MC_COMP_MAILBOX, "no answer to LOGIN", NULL);
}

static void test_nobody_listening(void **state)
{
	struct mc_mailbox mb = mailbox(0, MC_TLS_STARTTLS);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	struct mc_err err;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	/* a port that was free a moment ago */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	mb.port = ntohs(a.sin_port);
	assert_null(imap_connect(&mb, &err));
	assert_int_equal(err.component, MC_COMP_MAILBOX);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_non_null(strstr(err.msg, "mailbox \"box\": 127.0.0.1:"));
}

static void test_unresolvable(void **state)
{
	struct mc_mailbox mb = mailbox(143, MC_TLS_STARTTLS);
	struct mc_err err;

	(void)state;
	mb.host = "nonexistent.invalid";
	assert_null(imap_connect(&mb, &err));
	assert_int_equal(err.component, MC_COMP_MAILBOX);
	assert_non_null(strstr(err.msg, "cannot resolve nonexistent.invalid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_login),
		cmocka_unit_test(test_starttls_by_name),
		cmocka_unit_test(test_implicit_tls),
		cmocka_unit_test(test_cleartext_when_configured),
		cmocka_unit_test(test_tls_buffered_responses),
		cmocka_unit_test(test_authenticate_plain),
		cmocka_unit_test(test_authenticate_plain_continuation),
		cmocka_unit_test(test_authenticate_plain_refused),
		cmocka_unit_test(test_preauth),
		cmocka_unit_test(test_no_starttls),
		cmocka_unit_test(test_starttls_refused),
		cmocka_unit_test(test_starttls_injection),
		cmocka_unit_test(test_preauth_with_starttls),
		cmocka_unit_test(test_unknown_ca),
		cmocka_unit_test(test_unknown_ca_unverified),
		cmocka_unit_test(test_wrong_ip_san),
		cmocka_unit_test(test_bad_ca_file),
		cmocka_unit_test(test_login_refused),
		cmocka_unit_test(test_logindisabled_without_plain),
		cmocka_unit_test(test_logindisabled_in_clear),
		cmocka_unit_test(test_unquotable_without_plain),
		cmocka_unit_test(test_greeting_bye),
		cmocka_unit_test(test_not_imap),
		cmocka_unit_test(test_smtp_server),
		cmocka_unit_test(test_capability_refused),
		cmocka_unit_test(test_endless_challenge),
		cmocka_unit_test(test_bye_after_login),
		cmocka_unit_test(test_huge_response),
		cmocka_unit_test(test_closed_after_greeting),
		cmocka_unit_test(test_stall_before_greeting),
		cmocka_unit_test(test_stall_in_handshake),
		cmocka_unit_test(test_stall_at_login),
		cmocka_unit_test(test_nobody_listening),
		cmocka_unit_test(test_unresolvable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
