/* The libesmtp session of a submission and what we learn by watching it.
 * libesmtp runs the SMTP dialogue through the tunnel; its protocol monitor
 * hands us every line it reads and, before they go out, every command it
 * writes. From those we pair each reply with its command (a FIFO, since
 * with PIPELINING replies trail their commands), stamp the stages with
 * mc_now_mono(), remember the reply that decides the verdict, and close
 * the tunnel's gate when libesmtp is about to send what it must not:
 *
 *  - After an AUTH failure (535) libesmtp 1.1 tries the next mechanism and
 *    then sends MAIL FROM anyway ("the MTA is required to accept mail for
 *    its own domain"); it does the same when the relay offers no AUTH at
 *    all. With relay->user set we close the gate on that MAIL FROM, so an
 *    unauthenticated probe never reaches the relay.
 *  - Nothing goes out before TLS is up when TLS was asked for (belt and
 *    braces: the tunnel is TLS from its first byte in those modes).
 *
 * The monitor also sees the AUTH PLAIN line and SASL responses, which
 * carry the password: of those we look at nothing but the command verb.
 * libesmtp does not monitor the message itself. */
#include "probe/probe_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mc_time.h"

double probe_sub_since(const struct probe_sub *s)
{
	return mc_now_mono() - s->t0;
}

const char *probe_stage_of(enum probe_cmd c, int after_tls)
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

const char *probe_cmd_name(enum probe_cmd c)
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

	if ((unsigned)c >= sizeof(names) / sizeof(names[0]))
		return "a command";
	return names[c];
}

const char *probe_sub_stage(const struct probe_sub *s)
{
	if (!s->greeting_seen && s->res->t.greeting < 0)
		return s->res->t.connected < 0 ? "connect" : "greeting";
	for (unsigned i = 0; i < s->fifo_len; i++) {
		enum probe_cmd c = s->fifo[(s->fifo_head + i) % PROBE_FIFO];

		if (c != CMD_QUIT && c != CMD_RSET)
			return probe_stage_of(c, s->after_tls);
	}
	return s->stage;
}

static void fifo_push(struct probe_sub *s, enum probe_cmd c)
{
	if (s->fifo_len < PROBE_FIFO) {
		s->fifo[(s->fifo_head + s->fifo_len) % PROBE_FIFO] = c;
		s->fifo_len++;
	}
}

static enum probe_cmd fifo_pop(struct probe_sub *s)
{
	enum probe_cmd c;

	if (!s->fifo_len)
		return CMD_NONE;
	c = s->fifo[s->fifo_head];
	s->fifo_head = (s->fifo_head + 1) % PROBE_FIFO;
	s->fifo_len--;
	return c;
}

static void gate(struct probe_sub *s, enum mc_component comp, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* Stops everything from here on reaching the relay, and says why. */
static void gate(struct probe_sub *s, enum mc_component comp, const char *fmt,
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

void probe_sub_note_fail(struct probe_sub *s, enum probe_cmd kind,
			 const struct probe_reply *r)
{
	if (s->have_fail && s->fail_kind != CMD_EHLO)
		return;
	s->have_fail = 1;
	s->fail_kind = kind;
	s->fail = *r;
}

static void on_reply(struct probe_sub *s, const struct probe_reply *r)
{
	struct mc_probe_result *res = s->res;
	enum probe_cmd kind;
	int ok = r->code / 100 == 2;

	if (!s->greeting_seen) {
		s->greeting_seen = 1;
		kind = CMD_GREETING;
	} else {
		kind = fifo_pop(s);
	}
	switch (kind) {
	case CMD_GREETING:
		/* After our STARTTLS this is the greeting we replayed. */
		if (ok && res->t.greeting < 0)
			res->t.greeting = probe_sub_since(s);
		if (!ok)
			probe_sub_note_fail(s, kind, r);
		break;
	case CMD_EHLO:
	case CMD_HELO:
		/* A failed EHLO that HELO then got past is no failure. */
		if (ok && kind == CMD_HELO && s->have_fail &&
		    s->fail_kind == CMD_EHLO)
			s->have_fail = 0;
		if (!ok)
			probe_sub_note_fail(s, kind, r);
		break;
	case CMD_STARTTLS:
		if (!ok)
			probe_sub_note_fail(s, kind, r);
		break;
	case CMD_AUTH:
	case CMD_AUTHDATA:
		if (r->code == 334) {
			s->expect_sasl = 1;
		} else if (ok) {
			s->authenticated = 1;
			res->t.auth = probe_sub_since(s);
		} else {
			s->have_auth_reply = 1;
			s->auth_reply = *r;
		}
		break;
	case CMD_MAIL:
		if (!ok)
			probe_sub_note_fail(s, kind, r);
		break;
	case CMD_RCPT:
		if (ok)
			res->t.envelope = probe_sub_since(s);
		else
			probe_sub_note_fail(s, kind, r);
		break;
	case CMD_DATA:
		if (r->code == 354) {
			res->t.data = probe_sub_since(s);
			/* libesmtp does not monitor the message; the next
			 * reply is the one to it. */
			fifo_push(s, CMD_EOD);
		} else {
			probe_sub_note_fail(s, kind, r);
		}
		break;
	case CMD_EOD:
		s->have_eod = 1;
		s->eod = *r;
		if (ok)
			res->t.queued = probe_sub_since(s);
		else
			probe_sub_note_fail(s, kind, r);
		break;
	case CMD_NONE:
	case CMD_RSET:
	case CMD_QUIT:
		break;
	}
}

static void on_read(struct probe_sub *s, const char *buf, size_t n)
{
	if (n > sizeof(s->rbuf) - s->rlen) {
		/* No reply is this long (libesmtp gives up at 4 KiB); keep
		 * the newest bytes and resynchronise on a line start. */
		s->rlen = 0;
		if (n > sizeof(s->rbuf)) {
			buf += n - sizeof(s->rbuf);
			n = sizeof(s->rbuf);
		}
	}
	memcpy(s->rbuf + s->rlen, buf, n);
	s->rlen += n;
	for (int i = 0; i < PROBE_FIFO * 4 && s->rlen; i++) {
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

/* Called with the verb of each command line before libesmtp sends it. */
static void on_command(struct probe_sub *s, const char *verb)
{
	const struct mc_relay *relay = s->relay;
	enum probe_cmd c = CMD_NONE;

	if (!strcasecmp(verb, "EHLO"))
		c = CMD_EHLO;
	else if (!strcasecmp(verb, "HELO"))
		c = CMD_HELO;
	else if (!strcasecmp(verb, "STARTTLS"))
		c = CMD_STARTTLS;
	else if (!strcasecmp(verb, "AUTH"))
		c = CMD_AUTH;
	else if (!strcasecmp(verb, "MAIL"))
		c = CMD_MAIL;
	else if (!strcasecmp(verb, "RCPT"))
		c = CMD_RCPT;
	else if (!strcasecmp(verb, "DATA"))
		c = CMD_DATA;
	else if (!strcasecmp(verb, "RSET"))
		c = CMD_RSET;
	else if (!strcasecmp(verb, "QUIT"))
		c = CMD_QUIT;
	fifo_push(s, c);
	if (c != CMD_QUIT && c != CMD_RSET)
		s->stage = probe_stage_of(c, s->after_tls);
	if (c == CMD_AUTH)
		s->auth_tried = 1;
	if ((c == CMD_AUTH || c == CMD_MAIL) && relay->tls != MC_TLS_NONE &&
	    !s->tls_ok) {
		gate(s, MC_COMP_TLS, "%s: TLS is not up before %s; nothing "
		     "was sent in clear", s->where, probe_cmd_name(c));
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

static void on_write(struct probe_sub *s, const char *buf, size_t n)
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
	struct probe_sub *s = arg;

	if (len <= 0)
		return;
	if (writing == SMTP_CB_READING)
		on_read(s, buf, (size_t)len);
	else if (writing == SMTP_CB_WRITING)
		on_write(s, buf, (size_t)len);
}

static void event_cb(smtp_session_t session, int event, void *arg, ...)
{
	va_list ap;
	int *flag;

	(void)session;
	(void)arg;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_EXTNA_DSN:
	case SMTP_EV_SYNTAXWARNING:
		/* quit_now stays 0: a relay without DSN still gets the probe
		 * (its bounces then carry no ENVID, the Message-ID remains),
		 * and a malformed enhanced code is no reason to stop. */
		flag = va_arg(ap, int *);
		if (flag)
			*flag = 0;
		break;
	default:
		/* Connect, per-command status and message events: the
		 * monitor has seen the same replies, with their raw text.
		 * libesmtp's own STARTTLS is off, so no TLS events come. */
		break;
	}
	va_end(ap);
}

static int auth_interact(auth_client_request_t req, char **result, int fields,
			 void *arg)
{
	static char empty[1];
	struct probe_sub *s = arg;

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

smtp_session_t probe_session_new(struct probe_sub *s, const char *msg,
				 const char *id, auth_context_t *actx,
				 struct mc_err *err)
{
	static const int timeouts[] = {Timeout_GREETING, Timeout_ENVELOPE,
				       Timeout_DATA, Timeout_TRANSFER,
				       Timeout_DATA2};
	const struct mc_relay *relay = s->relay;
	smtp_session_t session = smtp_create_session();
	smtp_message_t message = NULL;
	smtp_recipient_t rcpt = NULL;
	/* Milliseconds, whatever libesmtp's documentation says; a second
	 * above ours so that the tunnel, which can tell a stall from a
	 * hang-up, always fires first. OVERRIDE lifts RFC 5321's minutes. */
	long ms = (long)((relay->timeout + 1.0) * 1000.0);
	char server[32], why[128];
	int ok;

	if (!session)
		goto fail;
	snprintf(server, sizeof(server), "127.0.0.1:%u", s->tn.port);
	ok = smtp_set_server(session, server) &&
	     (!relay->helo || smtp_set_hostname(session, relay->helo)) &&
	     smtp_set_eventcb(session, event_cb, s) &&
	     smtp_set_monitorcb(session, monitor_cb, s, 0) &&
	     /* TLS, when wanted, is the tunnel's (probe_submit.c). */
	     smtp_starttls_enable(session, Starttls_DISABLED);
	for (size_t i = 0; ok && i < sizeof(timeouts) / sizeof(timeouts[0]); i++)
		ok = smtp_set_timeout(session, timeouts[i] |
				      Timeout_OVERRIDE_RFC2822_MINIMUM, ms) > 0;
	if (ok && relay->user) {
		pthread_once(&auth_once, auth_init);
		*actx = auth_create_context();
		/* PLAIN-flagged mechanisms (PLAIN, LOGIN) are off unless
		 * asked for; they are what submission relays offer, and the
		 * connection is TLS unless tls = none says otherwise. */
		ok = *actx &&
		     auth_set_mechanism_flags(*actx, AUTH_PLUGIN_PLAIN, 0) &&
		     auth_set_interact_cb(*actx, auth_interact, s) &&
		     smtp_auth_set_context(session, *actx);
	}
	if (ok)
		message = smtp_add_message(session);
	ok = ok && message && smtp_set_reverse_path(message, s->route->from) &&
	     smtp_set_message_str(message, (void *)msg) &&
	     smtp_dsn_set_ret(message, Ret_HDRS) &&
	     smtp_dsn_set_envid(message, id);
	if (ok)
		rcpt = smtp_add_recipient(message, s->route->to);
	if (rcpt && smtp_dsn_set_notify(rcpt, (enum notify_flags)(
						     Notify_FAILURE | Notify_DELAY)))
		return session;
fail:
	mc_err_set(err, -1, MC_COMP_INTERNAL,
		   "%s: cannot set up the libesmtp session: %s", s->where,
		   smtp_strerror(smtp_errno(), why, sizeof(why)));
	if (session)
		smtp_destroy_session(session);
	return NULL;
}
