/* Submission of one probe through its relay with libesmtp, and the
 * judgement of what the relay said (DESIGN.md "Probe message and states").
 *
 * libesmtp runs the SMTP dialogue; we watch it. Its protocol monitor hands
 * us every line it reads and, before they go out, every command it writes;
 * from those we pair each reply with its command, stamp the stages with
 * mc_now_mono(), and close the tunnel's gate when libesmtp is about to do
 * something we must not let through. libesmtp 1.1.0 quirks handled here:
 *
 *  - connect() is blocking with no deadline, and there is no implicit TLS
 *    (SMTPS, port 465): every connection goes through probe_tunnel.c,
 *    which connects with a deadline, does implicit TLS itself, and
 *    enforces the per-stage inactivity limit on both directions.
 *  - After an AUTH failure (535) it tries the next mechanism and then sends
 *    MAIL FROM anyway ("the MTA is required to accept mail for its own
 *    domain"); it does the same when the relay offers no AUTH at all. With
 *    relay->user set we close the gate on that MAIL FROM, so an
 *    unauthenticated probe never reaches the relay.
 *  - Its own certificate-name check compares against the host it was told
 *    to connect to, which is our tunnel's 127.0.0.1, and knows no IP SANs.
 *    OpenSSL checks relay->host during the handshake (probe_tls.c), so we
 *    answer its SMTP_EV_WRONG_PEER_CERTIFICATE with ok.
 *  - smtp_set_timeout() takes milliseconds (its documentation says seconds)
 *    and enforces RFC 5321's minutes-long minimums unless
 *    Timeout_OVERRIDE_RFC2822_MINIMUM is or-ed in. We set every timeout a
 *    second above relay->timeout so the tunnel, which can tell a stall from
 *    a hang-up, always fires first.
 *  - It writes with write(), so a relay that hangs up raises SIGPIPE in the
 *    calling thread; we block it around the session and discard it.
 *  - It monitors neither the message body nor the AUTH exchange separately;
 *    the AUTH PLAIN line and SASL responses (which carry the password) pass
 *    through the monitor: we look at nothing but the command verb.
 *  - When libesmtp has to create the SSL_CTX itself, smtp_destroy_session()
 *    frees its process-wide one; we always supply ours. It also looks for a
 *    client certificate under ~/.config/libesmtp/private/<host>.pem. */
#include "probe/probe.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <auth-client.h>
#include <libesmtp.h>

#include "mc_time.h"
#include "probe/probe_internal.h"

#define SUBMIT_RBUF 16384          /* reply bytes awaiting a final line */
#define SUBMIT_FIFO 32             /* commands awaiting replies */
#define SUBMIT_STAGES 8            /* hard cap = timeout x this */

enum cmd {
	CMD_NONE = 0,
	CMD_GREETING,
	CMD_EHLO,
	CMD_HELO,
	CMD_STARTTLS,
	CMD_AUTH,
	CMD_AUTHDATA,                  /* a SASL response line */
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_EOD,                       /* the message and its final "." */
	CMD_RSET,
	CMD_QUIT,
};

struct submit {
	const struct mc_route *route;
	const struct mc_relay *relay;
	struct mc_probe_result *res;
	struct probe_tunnel tn;
	struct probe_tls tls;
	double t0;
	char where[300];               /* "relay NAME (host:port)" */

	/* reply framing */
	char rbuf[SUBMIT_RBUF];
	size_t rlen;
	int greeting_seen;
	enum cmd fifo[SUBMIT_FIFO];
	unsigned fifo_head, fifo_len;
	/* command framing: the verb of a line, which may be split across
	 * writes; SASL response lines are not collected at all */
	int wline, wmid, wsasl;
	char wverb[12];
	size_t wverb_len;
	int expect_sasl;

	const char *stage;
	int after_tls, tls_ok, starttls_sent, starttls_accepted;
	int starttls_missing;
	int auth_tried, authenticated, have_auth_reply;
	struct probe_reply auth_reply;
	int have_fail;
	enum cmd fail_kind;
	struct probe_reply fail;
	int have_eod;
	struct probe_reply eod;
	int tls_refused;               /* an event said no */
	char tls_refused_why[160];

	int gated;
	enum mc_component gate_comp;
	char gate_why[MC_ERR_MSG_MAX];
};

static double since(const struct submit *s)
{
	return mc_now_mono() - s->t0;
}

static const char *stage_of(enum cmd c, int after_tls)
{
	switch (c) {
	case CMD_GREETING:
		return "greeting";
	case CMD_EHLO:
	case CMD_HELO:
		return after_tls ? "tls" : "greeting";
	case CMD_STARTTLS:
		return "tls";
	case CMD_AUTH:
	case CMD_AUTHDATA:
		return "auth";
	case CMD_MAIL:
		return "mail";
	case CMD_RCPT:
		return "rcpt";
	case CMD_DATA:
	case CMD_EOD:
	case CMD_RSET:
		return "data";
	case CMD_QUIT:
		return "quit";
	case CMD_NONE:
		break;
	}
	return "greeting";
}

static const char *cmd_name(enum cmd c)
{
	static const char *const names[] = {
		[CMD_NONE] = "a command", [CMD_GREETING] = "the connection",
		[CMD_EHLO] = "EHLO", [CMD_HELO] = "HELO",
		[CMD_STARTTLS] = "STARTTLS", [CMD_AUTH] = "AUTH",
		[CMD_AUTHDATA] = "AUTH", [CMD_MAIL] = "MAIL FROM",
		[CMD_RCPT] = "RCPT TO", [CMD_DATA] = "DATA",
		[CMD_EOD] = "the message", [CMD_RSET] = "RSET",
		[CMD_QUIT] = "QUIT",
	};

	return names[c];
}

static void fifo_push(struct submit *s, enum cmd c)
{
	if (s->fifo_len < SUBMIT_FIFO) {
		s->fifo[(s->fifo_head + s->fifo_len) % SUBMIT_FIFO] = c;
		s->fifo_len++;
	}
}

static enum cmd fifo_pop(struct submit *s)
{
	enum cmd c;

	if (!s->fifo_len)
		return CMD_NONE;
	c = s->fifo[s->fifo_head];
	s->fifo_head = (s->fifo_head + 1) % SUBMIT_FIFO;
	s->fifo_len--;
	return c;
}

static void gate(struct submit *s, enum mc_component comp, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* Stops everything from here on reaching the relay, and says why. */
static void gate(struct submit *s, enum mc_component comp, const char *fmt,
		 ...)
{
	va_list ap;

	if (s->gated)
		return;
	probe_tunnel_gate(&s->tn);
	s->gated = 1;
	s->gate_comp = comp;
	va_start(ap, fmt);
	vsnprintf(s->gate_why, sizeof(s->gate_why), fmt, ap);
	va_end(ap);
}

static void note_fail(struct submit *s, enum cmd kind,
		      const struct probe_reply *r)
{
	/* A failed EHLO that HELO then got past is no failure. */
	if (s->have_fail && s->fail_kind != CMD_EHLO)
		return;
	s->have_fail = 1;
	s->fail_kind = kind;
	s->fail = *r;
}

static void on_reply(struct submit *s, const struct probe_reply *r)
{
	enum cmd kind;
	int ok = r->code / 100 == 2;

	if (!s->greeting_seen) {
		s->greeting_seen = 1;
		kind = CMD_GREETING;
	} else {
		kind = fifo_pop(s);
	}
	switch (kind) {
	case CMD_GREETING:
		if (ok)
			s->res->t.greeting = since(s);
		else
			note_fail(s, kind, r);
		break;
	case CMD_EHLO:
	case CMD_HELO:
		if (ok && kind == CMD_HELO && s->have_fail &&
		    s->fail_kind == CMD_EHLO)
			s->have_fail = 0;
		if (!ok)
			note_fail(s, kind, r);
		break;
	case CMD_STARTTLS:
		if (ok)
			s->starttls_accepted = 1;
		else
			note_fail(s, kind, r);
		break;
	case CMD_AUTH:
	case CMD_AUTHDATA:
		if (r->code == 334) {
			s->expect_sasl = 1;
		} else if (ok) {
			s->authenticated = 1;
			s->res->t.auth = since(s);
		} else {
			s->have_auth_reply = 1;
			s->auth_reply = *r;
		}
		break;
	case CMD_MAIL:
		if (!ok)
			note_fail(s, kind, r);
		break;
	case CMD_RCPT:
		if (ok)
			s->res->t.envelope = since(s);
		else
			note_fail(s, kind, r);
		break;
	case CMD_DATA:
		if (r->code == 354) {
			s->res->t.data = since(s);
			/* libesmtp does not monitor the message; its final
			 * reply is the next one. */
			fifo_push(s, CMD_EOD);
		} else {
			note_fail(s, kind, r);
		}
		break;
	case CMD_EOD:
		s->have_eod = 1;
		s->eod = *r;
		if (ok)
			s->res->t.queued = since(s);
		else
			note_fail(s, kind, r);
		break;
	case CMD_NONE:
	case CMD_RSET:
	case CMD_QUIT:
		break;
	}
}

static void on_read(struct submit *s, const char *buf, size_t n)
{
	if (n > sizeof(s->rbuf) - s->rlen) {
		/* No reply is this long (libesmtp gives up at 4 KiB); keep
		 * the newest bytes and resynchronise on a line start. */
		s->rlen = 0;
		if (n > sizeof(s->rbuf))
			buf += n - sizeof(s->rbuf), n = sizeof(s->rbuf);
	}
	memcpy(s->rbuf + s->rlen, buf, n);
	s->rlen += n;
	for (int i = 0; i < SUBMIT_FIFO * 4 && s->rlen; i++) {
		struct probe_reply r;
		long used = probe_reply_parse(s->rbuf, s->rlen, &r);

		if (used == 0)
			break;
		if (used < 0) {
			const char *nl = memchr(s->rbuf, '\n', s->rlen);

			used = nl ? nl - s->rbuf + 1 : (long)s->rlen;
		} else {
			on_reply(s, &r);
		}
		memmove(s->rbuf, s->rbuf + used, s->rlen - (size_t)used);
		s->rlen -= (size_t)used;
	}
}

/* Called with the verb of each command line before libesmtp sends it.
 * The line itself may carry credentials (AUTH PLAIN ...): only the verb
 * is ever looked at. */
static void on_command(struct submit *s, const char *verb)
{
	const struct mc_relay *relay = s->relay;
	enum cmd c = CMD_NONE;

	if (!strcasecmp(verb, "EHLO"))
		c = CMD_EHLO;
	else if (!strcasecmp(verb, "HELO"))
		c = CMD_HELO;
	else if (!strcasecmp(verb, "STARTTLS"))
		c = CMD_STARTTLS;
	else if (!strcasecmp(verb, "AUTH"))
		c = CMD_AUTH;
	else if (!strncasecmp(verb, "MAIL", 4))
		c = CMD_MAIL;
	else if (!strncasecmp(verb, "RCPT", 4))
		c = CMD_RCPT;
	else if (!strcasecmp(verb, "DATA"))
		c = CMD_DATA;
	else if (!strcasecmp(verb, "RSET"))
		c = CMD_RSET;
	else if (!strcasecmp(verb, "QUIT"))
		c = CMD_QUIT;
	fifo_push(s, c);
	if (c != CMD_QUIT && c != CMD_RSET)
		s->stage = stage_of(c, s->after_tls);
	if (c == CMD_STARTTLS)
		s->starttls_sent = 1;
	if (c == CMD_AUTH)
		s->auth_tried = 1;
	/* Belt and braces over Starttls_REQUIRED: nothing that matters goes
	 * out before TLS is up when TLS was asked for. */
	if ((c == CMD_AUTH || c == CMD_MAIL) && relay->tls != MC_TLS_NONE &&
	    !s->tls_ok) {
		gate(s, MC_COMP_TLS, "%s: TLS is not up before %s; nothing "
		     "was sent in clear", s->where, cmd_name(c));
		return;
	}
	if (c == CMD_MAIL && relay->user && !s->authenticated) {
		if (s->have_auth_reply)
			gate(s, MC_COMP_AUTH, "%s refused AUTH for %s: %d%s%s %s",
			     s->where, relay->user, s->auth_reply.code,
			     s->auth_reply.enhanced[0] ? " " : "",
			     s->auth_reply.enhanced, s->auth_reply.text);
		else if (s->auth_tried)
			gate(s, MC_COMP_AUTH, "%s: AUTH for %s did not succeed",
			     s->where, relay->user);
		else
			gate(s, MC_COMP_AUTH, "%s offers no AUTH mechanism "
			     "we can use (user %s is configured); not sending "
			     "unauthenticated", s->where, relay->user);
	}
}

static void on_write(struct submit *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n') {
			if (s->wline && s->wsasl) {
				fifo_push(s, CMD_AUTHDATA);
			} else if (s->wline) {
				s->wverb[s->wverb_len] = '\0';
				on_command(s, s->wverb);
			}
			memset(s->wverb, 0, sizeof(s->wverb));
			s->wverb_len = 0;
			s->wline = s->wmid = s->wsasl = 0;
			continue;
		}
		if (!s->wline) {
			/* A line written after a 334 is a SASL response. */
			s->wline = 1;
			s->wsasl = s->expect_sasl;
			s->expect_sasl = 0;
		}
		/* The verb ends at the first space or ':', so of a line
		 * carrying credentials (AUTH PLAIN ...) only "AUTH" is kept. */
		if (s->wsasl || s->wmid || c == ' ' || c == ':' || c == '\r' ||
		    s->wverb_len >= sizeof(s->wverb) - 1)
			s->wmid = 1;
		else
			s->wverb[s->wverb_len++] = c;
	}
}

static void monitor_cb(const char *buf, int len, int writing, void *arg)
{
	struct submit *s = arg;

	if (getenv("MC_DEBUG"))
		fprintf(stderr, "[%d %.3f] %.*s", writing, since(s), len, buf);
	if (len <= 0)
		return;
	if (writing == SMTP_CB_READING)
		on_read(s, buf, (size_t)len);
	else if (writing == SMTP_CB_WRITING)
		on_write(s, buf, (size_t)len);
}

static void event_cb(smtp_session_t session, int event, void *arg, ...)
{
	struct submit *s = arg;
	va_list ap;
	int *ok;

	(void)session;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_STARTTLS_OK: {
		SSL *ssl = va_arg(ap, SSL *);

		s->tls_ok = 1;
		s->after_tls = 1;
		s->res->t.tls = since(s);
		probe_tls_describe(ssl, s->res->tls_version,
				   s->res->tls_cipher);
		break;
	}
	case SMTP_EV_EXTNA_STARTTLS:
		s->starttls_missing = 1;
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long result = va_arg(ap, long);

		/* Only reached with SSL_VERIFY_NONE (tls_verify = no):
		 * with verification on, the handshake has already failed. */
		ok = va_arg(ap, int *);
		*ok = !s->tls.verify;
		if (!*ok) {
			s->tls_refused = 1;
			snprintf(s->tls_refused_why, sizeof(s->tls_refused_why),
				 "certificate verification failed: %s",
				 X509_verify_cert_error_string(result));
		}
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = !s->tls.verify;
		if (!*ok) {
			s->tls_refused = 1;
			snprintf(s->tls_refused_why, sizeof(s->tls_refused_why),
				 "the relay sent no certificate");
		}
		break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		/* libesmtp matched the name against 127.0.0.1 (the tunnel);
		 * OpenSSL has matched relay->host already. */
		ok = va_arg(ap, int *);
		*ok = 1;
		break;
	case SMTP_EV_WEAK_CIPHER:
		(void)va_arg(ap, int);
		ok = va_arg(ap, int *);
		*ok = 0;
		s->tls_refused = 1;
		snprintf(s->tls_refused_why, sizeof(s->tls_refused_why),
			 "the negotiated cipher is too weak");
		break;
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
		ok = va_arg(ap, int *);
		*ok = 0;
		/* fall through */
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		s->tls_refused = 1;
		snprintf(s->tls_refused_why, sizeof(s->tls_refused_why),
			 "libesmtp found an unusable client certificate or CA "
			 "list under ~/.config/libesmtp");
		break;
	default:
		/* SMTP_EV_EXTNA_DSN and SMTP_EV_SYNTAXWARNING pass an int *
		 * quit_now that we leave at 0: a relay without DSN still gets
		 * the probe (bounces then carry no ENVID), and a malformed
		 * enhanced code is no reason to stop. */
		break;
	}
	va_end(ap);
}

static int auth_interact(auth_client_request_t req, char **result, int fields,
			 void *arg)
{
	static char empty[1];
	struct submit *s = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = s->relay->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = s->relay->password ? s->relay->password
						       : empty;
		else if (req[i].flags & AUTH_REALM)
			result[i] = empty;
		else
			return 0;
	}
	return 1;
}

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

static void auth_init(void)
{
	auth_client_init();
}

/* Replaces every occurrence of the password in s (NUL-terminated, size
 * bytes) with "****". Passwords shorter than 4 characters are left to
 * chance rather than mangling every message they occur in. */
static void scrub(char *s, size_t size, const char *pw)
{
	size_t pl = pw ? strlen(pw) : 0;
	char *p;

	if (pl < 4)
		return;
	for (int i = 0; i < 16 && (p = strstr(s, pw)); i++) {
		size_t tail = strlen(p + pl);

		memcpy(p, "****", 4);
		memmove(p + 4, p + pl, tail + 1);
		(void)size;
	}
}

static void set_reply(struct mc_probe_result *res, const struct probe_reply *r)
{
	res->reply = *r;
}

static void set_stage(struct mc_probe_result *res, const char *stage)
{
	snprintf(res->stage, sizeof(res->stage), "%s", stage);
}

static int fail(struct submit *s, struct mc_err *err,
		enum probe_submit_outcome o, enum mc_component comp,
		const char *stage, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int fail(struct submit *s, struct mc_err *err,
		enum probe_submit_outcome o, enum mc_component comp,
		const char *stage, const char *fmt, ...)
{
	char msg[MC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->res->outcome = o;
	s->res->component = comp;
	set_stage(s->res, stage);
	mc_err_set(err, -1, comp, "%s", msg);
	return -1;
}

/* The verdict, from what the monitor, the events and the tunnel saw. */
static int judge(struct submit *s, struct mc_err *err)
{
	struct mc_probe_result *res = s->res;
	const char *stage = s->stage;
	char why[200];

	/* RFC 2920 §3.1 lets a relay answer 354 to a pipelined DATA after
	 * every RCPT failed (libesmtp then sends an empty message), and some
	 * answer its "." with 250: that queued nothing. */
	if (s->have_eod && s->eod.code / 100 == 2 && res->t.envelope >= 0) {
		res->outcome = PROBE_SUBMIT_QUEUED;
		res->component = MC_COMP_NONE;
		set_stage(res, "data");
		set_reply(res, &s->eod);
		probe_reply_queue_id(s->eod.text, res->queue_id,
				     sizeof(res->queue_id));
		mc_err_clear(err);
		return 0;
	}
	if (s->gated) {
		if (s->gate_comp == MC_COMP_AUTH && s->have_auth_reply)
			set_reply(res, &s->auth_reply);
		return fail(s, err, PROBE_SUBMIT_ERROR, s->gate_comp,
			    s->gate_comp == MC_COMP_AUTH ? "auth" : "tls",
			    "%s", s->gate_why);
	}
	if (s->starttls_missing)
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			    "%s does not offer STARTTLS (tls = starttls); "
			    "nothing was sent in clear", s->where);
	if (s->tls_refused)
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			    "%s: TLS %s", s->where, s->tls_refused_why);
	if (s->have_fail && s->fail_kind == CMD_STARTTLS) {
		set_reply(res, &s->fail);
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			    "%s refused STARTTLS: %d %s %s", s->where,
			    s->fail.code, s->fail.enhanced, s->fail.text);
	}
	if (s->starttls_accepted && !s->tls_ok) {
		probe_tls_why(&s->tls, why, sizeof(why));
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			    "%s: TLS %s", s->where, why);
	}
	if (s->relay->user && !s->authenticated && s->have_auth_reply) {
		set_reply(res, &s->auth_reply);
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_AUTH, "auth",
			    "%s refused AUTH for %s: %d %s %s", s->where,
			    s->relay->user, s->auth_reply.code,
			    s->auth_reply.enhanced, s->auth_reply.text);
	}
	if (s->have_fail) {
		const struct probe_reply *r = &s->fail;
		const char *st = stage_of(s->fail_kind, s->after_tls);

		set_reply(res, r);
		if (r->code / 100 == 5)
			return fail(s, err, PROBE_SUBMIT_REJECTED, MC_COMP_RELAY,
				    st, "%s rejected %s: %d %s %s", s->where,
				    cmd_name(s->fail_kind), r->code,
				    r->enhanced, r->text);
		if (r->code / 100 == 4 && probe_reply_is_greylisting(r))
			return fail(s, err, PROBE_SUBMIT_GREYLISTED,
				    MC_COMP_GREYLISTING, st,
				    "%s greylisted %s: %d %s %s", s->where,
				    cmd_name(s->fail_kind), r->code,
				    r->enhanced, r->text);
		if (r->code / 100 == 4)
			return fail(s, err, PROBE_SUBMIT_DEFERRED, MC_COMP_RELAY,
				    st, "%s deferred %s: %d %s %s", s->where,
				    cmd_name(s->fail_kind), r->code,
				    r->enhanced, r->text);
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, st,
			    "%s answered %s with an unexpected %d %s",
			    s->where, cmd_name(s->fail_kind), r->code,
			    r->text);
	}
	if (s->tn.stalled)
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, stage,
			    "%s: no reply within %.3gs (stage %s)", s->where,
			    s->relay->timeout, stage);
	if (s->tn.remote_closed)
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, stage,
			    "%s closed the connection (stage %s)", s->where,
			    stage);
	if (!s->tn.accepted)
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_INTERNAL, stage,
			    "%s: libesmtp never connected to the tunnel: %s",
			    s->where, smtp_strerror(smtp_errno(), why,
						    sizeof(why)));
	return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, stage,
		    "%s: session ended at stage %s: %s", s->where, stage,
		    smtp_strerror(smtp_errno(), why, sizeof(why)));
}

/* Sets up the libesmtp session for s; returns it or NULL (err filled). */
static smtp_session_t session_new(struct submit *s, const char *msg,
				  const char *id, auth_context_t *actx,
				  struct mc_err *err)
{
	const struct mc_relay *relay = s->relay;
	smtp_session_t session = smtp_create_session();
	smtp_message_t message;
	smtp_recipient_t rcpt;
	static const int timeouts[] = {Timeout_GREETING, Timeout_ENVELOPE,
				       Timeout_DATA, Timeout_TRANSFER,
				       Timeout_DATA2};
	long ms = (long)((relay->timeout + 1.0) * 1000.0);
	char server[32];
	int ok;

	if (!session)
		goto fail;
	snprintf(server, sizeof(server), "127.0.0.1:%u", s->tn.port);
	ok = smtp_set_server(session, server) &&
	     (!relay->helo || smtp_set_hostname(session, relay->helo)) &&
	     smtp_set_eventcb(session, event_cb, s) &&
	     smtp_set_monitorcb(session, monitor_cb, s, 0);
	for (size_t i = 0; ok && i < sizeof(timeouts) / sizeof(timeouts[0]); i++)
		ok = smtp_set_timeout(session, timeouts[i] |
				      Timeout_OVERRIDE_RFC2822_MINIMUM, ms) > 0;
	if (ok && relay->tls == MC_TLS_STARTTLS)
		ok = smtp_starttls_enable(session, Starttls_REQUIRED) &&
		     smtp_starttls_set_ctx(session, s->tls.ctx);
	else if (ok)
		ok = smtp_starttls_enable(session, Starttls_DISABLED);
	if (ok && relay->user) {
		pthread_once(&auth_once, auth_init);
		*actx = auth_create_context();
		ok = *actx &&
		     auth_set_mechanism_flags(*actx, AUTH_PLUGIN_PLAIN, 0) &&
		     auth_set_interact_cb(*actx, auth_interact, s) &&
		     smtp_auth_set_context(session, *actx);
	}
	if (!ok)
		goto fail;
	message = smtp_add_message(session);
	ok = message && smtp_set_reverse_path(message, s->route->from) &&
	     smtp_set_message_str(message, (void *)msg) &&
	     smtp_dsn_set_ret(message, Ret_HDRS) &&
	     smtp_dsn_set_envid(message, id);
	rcpt = ok ? smtp_add_recipient(message, s->route->to) : NULL;
	if (!rcpt ||
	    !smtp_dsn_set_notify(rcpt, (enum notify_flags)(Notify_FAILURE |
							   Notify_DELAY)))
		goto fail;
	return session;
fail:
	{
		char why[128];

		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "%s: cannot set up the libesmtp session: %s",
			   s->where, smtp_strerror(smtp_errno(), why,
						   sizeof(why)));
	}
	if (session)
		smtp_destroy_session(session);
	return NULL;
}

static void result_init(struct mc_probe_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = PROBE_SUBMIT_ERROR;
	res->component = MC_COMP_INTERNAL;
	set_stage(res, "connect");
	res->t.connected = res->t.greeting = res->t.tls = res->t.auth = -1;
	res->t.envelope = res->t.data = res->t.queued = -1;
}

int probe_submit(const struct mc_route *route, const char *msg,
		 const char *id, struct mc_probe_result *res,
		 struct mc_err *err_out)
{
	struct mc_err err_local = {0}, *err = &err_local;
	struct submit *s;
	const struct mc_relay *relay;
	smtp_session_t session = NULL;
	auth_context_t actx = NULL;
	sigset_t pipe_set, old_mask, pending;
	int had_pipe, rc = -1;

	result_init(res);
	res->sent_at = mc_now_real();
	if (!route || !route->relay || !route->relay->host || !msg || !id ||
	    route->relay->timeout <= 0 || !route->from || !route->to)
		return mc_err_set(err_out, -1, MC_COMP_INTERNAL,
				  "probe_submit: incomplete route");
	s = calloc(1, sizeof(*s));
	if (!s)
		return mc_err_set(err_out, -1, MC_COMP_INTERNAL,
				  "probe_submit: out of memory");
	relay = route->relay;
	s->route = route;
	s->relay = relay;
	s->res = res;
	s->t0 = mc_now_mono();
	s->stage = "connect";
	probe_tunnel_init(&s->tn);
	s->tn.timeout = relay->timeout;
	s->tn.hard_deadline = s->t0 + relay->timeout * SUBMIT_STAGES;
	snprintf(s->where, sizeof(s->where), strchr(relay->host, ':')
		 ? "relay %s ([%s]:%d)" : "relay %s (%s:%d)",
		 relay->name ? relay->name : "?", relay->host, relay->port);

	/* libesmtp writes with write(): a relay that hangs up must not kill
	 * us with SIGPIPE. Thread-directed, so blocking it here suffices. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	had_pipe = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);

	if (relay->tls != MC_TLS_NONE &&
	    probe_tls_init(&s->tls, relay, err) < 0) {
		fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls", "%s",
		     err->msg);
		goto out;
	}
	if (probe_tunnel_connect(&s->tn, relay, s->t0 + relay->timeout,
				 res->peer, sizeof(res->peer), err) < 0) {
		mc_err_prefix(err, "%s", s->where);
		fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "connect", "%s",
		     err->msg);
		goto out;
	}
	res->t.connected = since(s);
	s->stage = "greeting";
	if (relay->tls == MC_TLS_IMPLICIT) {
		s->stage = "tls";
		if (probe_tunnel_handshake(&s->tn, &s->tls, relay,
					   mc_now_mono() + relay->timeout,
					   err) < 0) {
			mc_err_prefix(err, "%s", s->where);
			fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			     "%s", err->msg);
			goto out;
		}
		SSL_set_mode(s->tn.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
			     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		s->tls_ok = 1;
		res->t.tls = since(s);
		probe_tls_describe(s->tn.ssl, res->tls_version,
				   res->tls_cipher);
		s->stage = "greeting";
	}
	if (probe_tunnel_start(&s->tn, err) < 0) {
		fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_INTERNAL, s->stage,
		     "%s", err->msg);
		goto out;
	}
	session = session_new(s, msg, id, &actx, err);
	if (!session) {
		fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_INTERNAL, s->stage,
		     "%s", err->msg);
		goto out;
	}
	ERR_clear_error();
	smtp_start_session(session);
	/* libesmtp has closed its end; the thread follows. */
	probe_tunnel_stop(&s->tn);
	rc = judge(s, err);
	ERR_clear_error();
out:
	if (session)
		smtp_destroy_session(session);
	if (actx)
		auth_destroy_context(actx);
	probe_tunnel_stop(&s->tn);
	probe_tls_fini(&s->tls);
	if (!had_pipe) {
		struct timespec zero = {0, 0};

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (relay->password) {
		scrub(err->msg, sizeof(err->msg), relay->password);
		scrub(res->reply.text, sizeof(res->reply.text),
		      relay->password);
	}
	free(s);
	if (err_out)
		*err_out = *err;
	return rc;
}
