/* Submission of one probe through its relay, and the judgement of what the
 * relay said (DESIGN.md "Probe message and states").
 *
 * libesmtp (probe_session.c) runs the SMTP dialogue from EHLO to QUIT; we
 * own the connection (probe_tunnel.c) and TLS (common/mc_tls.c). Why not let
 * libesmtp 1.1.0 do those:
 *
 *  - connect() is blocking with no deadline: a black-holed relay would
 *    hold us for the kernel's SYN retries (minutes). We connect with one.
 *  - There is no implicit TLS (SMTPS, port 465) at all.
 *  - Its STARTTLS deadlocks on TLS 1.3: after the handshake the relay's
 *    NewSessionTicket records make the socket readable, do_session()'s
 *    poll() returns READ and WRITE together, and it handles READ first:
 *    rsp_ehlo() blocks in SSL_read() for a reply to the EHLO it has
 *    buffered but not yet sent, until the timeout. The faster the relay
 *    (a local Postfix), the likelier; our tests hit it every other run.
 *    So we do the plaintext prologue ourselves (greeting, EHLO, STARTTLS,
 *    handshake; RFC 3207 §4) and replay the relay's greeting to libesmtp
 *    inside the tunnel, which then speaks to it in clear on loopback while
 *    the tunnel encrypts. libesmtp never sees TLS.
 *  - Its certificate-name check would compare against the host it was
 *    given (the tunnel's 127.0.0.1), knows no IP SANs, and it looks for
 *    client certificates under ~/.config/libesmtp; OpenSSL's own checks
 *    against relay->host (common/mc_tls.c) replace all that.
 *  - With CHUNKING offered it sends BDAT, which switches its protocol
 *    monitor off for good; the tunnel masks the keyword (probe_internal.h)
 *    so it uses DATA.
 *  - It writes with write(): a relay that hangs up raises SIGPIPE in the
 *    calling thread; we block it around the submission and discard it. */
#include "probe/probe.h"

#include <openssl/err.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>

#include "mc_time.h"
#include "probe/probe_internal.h"

#define SUBMIT_STAGES 8            /* hard cap = timeout x this */
#define PROLOGUE_BUF 8192          /* greeting and EHLO replies */

/* Replaces every occurrence of the password in s (NUL-terminated) with
 * "****". Passwords shorter than 4 characters are left alone rather than
 * mangling every message they occur in. */
static void set_stage(struct mc_probe_result *res, const char *stage)
{
	snprintf(res->stage, sizeof(res->stage), "%s", stage);
}

static int fail(struct probe_sub *s, struct mc_err *err,
		enum probe_submit_outcome o, enum mc_component comp,
		const char *stage, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int fail(struct probe_sub *s, struct mc_err *err,
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

/* 1 if the raw EHLO reply p[0..n) lists keyword kw (RFC 5321 §4.1.1.1:
 * one "250-KEYWORD params" per line). */
static int ehlo_offers(const char *p, size_t n, const char *kw)
{
	size_t kl = strlen(kw);

	for (size_t pos = 0; pos < n;) {
		const char *line = p + pos;
		const char *nl = memchr(line, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - line) : n - pos;

		pos += len + 1;
		if (len < 4 + kl || strncasecmp(line + 4, kw, kl) != 0)
			continue;
		if (len == 4 + kl || line[4 + kl] == ' ' ||
		    line[4 + kl] == '\r')
			return 1;
	}
	return 0;
}

/* One command and its reply in the STARTTLS prologue. Returns the reply
 * length in buf (0 < len <= *have) or -1 when the dialogue ended (the
 * tunnel's flags say how). */
static long prologue_step(struct probe_sub *s, const char *cmd, char *buf,
			  size_t size, size_t *have, struct probe_reply *r)
{
	double deadline = mc_now_mono() + s->relay->timeout;
	long len;

	if (cmd && probe_tunnel_write(&s->tn, cmd, strlen(cmd), deadline) < 0)
		return -1;
	len = probe_tunnel_read_reply(&s->tn, buf, size, have, deadline);
	if (len == -2) {
		s->broken = 1;
		s->broken_comp = MC_COMP_RELAY;
		snprintf(s->broken_why, sizeof(s->broken_why),
			 "the reply to %.8s is not SMTP (or too long)",
			 cmd ? cmd : "connect");
		return -1;
	}
	if (len > 0)
		probe_reply_parse(buf, (size_t)len, r);
	return len;
}

static void consume(char *buf, size_t *have, long len)
{
	memmove(buf, buf + len, *have - (size_t)len);
	*have -= (size_t)len;
}

/* RFC 3207 in clear: greeting, EHLO, STARTTLS, then the handshake. On
 * success the greeting is in greeting[0..*glen) for libesmtp and the
 * tunnel speaks TLS. Returns -1 when the verdict is already known (the
 * failure is recorded in s); nothing but EHLO, STARTTLS and QUIT is ever
 * sent in clear. */
static int starttls_prologue(struct probe_sub *s, char *greeting,
			     size_t *glen, struct mc_err *err)
{
	char *buf = calloc(1, PROLOGUE_BUF);
	char cmd[320];
	struct probe_reply r;
	struct utsname un;
	size_t have = 0;
	long len;
	int rc = -1;

	if (!buf)
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
	s->stage = "greeting";
	len = prologue_step(s, NULL, buf, PROLOGUE_BUF, &have, &r);
	if (len < 0)
		goto out;
	s->greeting_seen = 1;
	if (r.code != 220) {
		probe_sub_note_fail(s, CMD_GREETING, &r);
		goto quit;
	}
	s->res->t.greeting = probe_sub_since(s);
	memcpy(greeting, buf, (size_t)len);
	*glen = (size_t)len;
	consume(buf, &have, len);

	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", s->relay->helo ? s->relay->helo
		 : uname(&un) == 0 ? un.nodename : "localhost");
	len = prologue_step(s, cmd, buf, PROLOGUE_BUF, &have, &r);
	if (len < 0)
		goto out;
	if (r.code / 100 != 2) {
		probe_sub_note_fail(s, CMD_EHLO, &r);
		goto quit;
	}
	if (!ehlo_offers(buf, (size_t)len, "STARTTLS")) {
		s->starttls_missing = 1;
		goto quit;
	}
	consume(buf, &have, len);

	s->stage = "tls";
	len = prologue_step(s, "STARTTLS\r\n", buf, PROLOGUE_BUF, &have, &r);
	if (len < 0)
		goto out;
	if (r.code != 220) {
		probe_sub_note_fail(s, CMD_STARTTLS, &r);
		goto quit;
	}
	if ((size_t)len != have) {
		/* Bytes sent along with the 220 would be read as if they
		 * came over TLS: the STARTTLS injection of CVE-2011-0411. */
		s->broken = 1;
		s->broken_comp = MC_COMP_TLS;
		snprintf(s->broken_why, sizeof(s->broken_why),
			 "the relay sent data after its STARTTLS reply; "
			 "refusing it");
		goto out;
	}
	s->starttls_accepted = 1;
	if (probe_tunnel_handshake(&s->tn, &s->tls, s->relay,
				   mc_now_mono() + s->relay->timeout, err) == 0) {
		rc = 0;
	} else {
		s->broken = 1;
		s->broken_comp = MC_COMP_TLS;
		snprintf(s->broken_why, sizeof(s->broken_why), "%s", err->msg);
	}
	mc_err_clear(err);
	goto out;
quit:
	probe_tunnel_write(&s->tn, "QUIT\r\n", 6, mc_now_mono() + 1);
out:
	free(buf);
	return rc;
}

/* The verdict, from what the monitor, the prologue and the tunnel saw. */
static int judge(struct probe_sub *s, struct mc_err *err)
{
	struct mc_probe_result *res = s->res;
	const char *stage = probe_sub_stage(s);
	char why[200];

	/* RFC 2920 §3.1 lets a relay answer 354 to a pipelined DATA after
	 * every RCPT failed (libesmtp then sends an empty message), and some
	 * answer its "." with 250: that queued nothing. */
	if (s->have_eod && s->eod.code / 100 == 2 && res->t.envelope >= 0) {
		res->outcome = PROBE_SUBMIT_QUEUED;
		res->component = MC_COMP_NONE;
		set_stage(res, "data");
		res->reply = s->eod;
		probe_reply_queue_id(s->eod.text, res->queue_id,
				     sizeof(res->queue_id));
		mc_err_clear(err);
		return 0;
	}
	if (s->gated) {
		if (s->gate_comp == MC_COMP_AUTH && s->have_auth_reply)
			res->reply = s->auth_reply;
		return fail(s, err, PROBE_SUBMIT_ERROR, s->gate_comp,
			    s->gate_comp == MC_COMP_AUTH ? "auth" : "tls",
			    "%s", s->gate_why);
	}
	if (s->starttls_missing)
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			    "%s does not offer STARTTLS (tls = starttls); "
			    "nothing was sent in clear", s->where);
	if (s->have_fail && s->fail_kind == CMD_STARTTLS) {
		res->reply = s->fail;
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			    "%s refused STARTTLS: %d %s %s", s->where,
			    s->fail.code, s->fail.enhanced, s->fail.text);
	}
	if (s->broken)
		return fail(s, err, PROBE_SUBMIT_ERROR, s->broken_comp,
			    s->broken_comp == MC_COMP_TLS ? "tls" : stage,
			    "%s: %s", s->where, s->broken_why);
	if (s->relay->user && !s->authenticated && s->have_auth_reply) {
		res->reply = s->auth_reply;
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_AUTH, "auth",
			    "%s refused AUTH for %s: %d %s %s", s->where,
			    s->relay->user, s->auth_reply.code,
			    s->auth_reply.enhanced, s->auth_reply.text);
	}
	if (s->have_fail) {
		const struct probe_reply *r = &s->fail;
		const char *st = probe_stage_of(s->fail_kind, s->after_tls);
		const char *what = probe_cmd_name(s->fail_kind);

		res->reply = *r;
		if (r->code / 100 == 5)
			return fail(s, err, PROBE_SUBMIT_REJECTED, MC_COMP_RELAY,
				    st, "%s rejected %s: %d %s %s", s->where,
				    what, r->code, r->enhanced, r->text);
		if (r->code / 100 == 4 && probe_reply_is_greylisting(r))
			return fail(s, err, PROBE_SUBMIT_GREYLISTED,
				    MC_COMP_GREYLISTING, st,
				    "%s greylisted %s: %d %s %s", s->where,
				    what, r->code, r->enhanced, r->text);
		if (r->code / 100 == 4)
			return fail(s, err, PROBE_SUBMIT_DEFERRED, MC_COMP_RELAY,
				    st, "%s deferred %s: %d %s %s", s->where,
				    what, r->code, r->enhanced, r->text);
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, st,
			    "%s answered %s with an unexpected %d %s",
			    s->where, what, r->code, r->text);
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
			    "%s: libesmtp never reached the tunnel: %s",
			    s->where, smtp_strerror(smtp_errno(), why,
						    sizeof(why)));
	return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, stage,
		    "%s: the session ended at stage %s: %s", s->where, stage,
		    smtp_strerror(smtp_errno(), why, sizeof(why)));
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

/* Connects and, as relay->tls says, establishes TLS. Returns 0 when
 * libesmtp should run, with greeting[0..*glen) to replay to it (STARTTLS),
 * or -1 when the verdict is known (judge() finds it in s, or err says). */
static int submit_connect(struct probe_sub *s, char *greeting, size_t *glen,
			  struct mc_err *err)
{
	const struct mc_relay *relay = s->relay;
	struct mc_probe_result *res = s->res;
	char what[200];

	snprintf(what, sizeof(what), "relay %s", relay->name ? relay->name : "?");
	if (relay->tls != MC_TLS_NONE &&
	    mc_tls_init(&s->tls, relay->host, relay->ca_file, relay->tls_verify,
			what, err) < 0)
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS, "tls",
			    "%s", err->msg);
	if (probe_tunnel_connect(&s->tn, relay, s->t0 + relay->timeout,
				 res->peer, sizeof(res->peer), err) < 0) {
		mc_err_prefix(err, "%s", s->where);
		return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_RELAY, "connect",
			    "%s", err->msg);
	}
	res->t.connected = probe_sub_since(s);
	s->stage = "greeting";
	if (relay->tls == MC_TLS_STARTTLS) {
		if (starttls_prologue(s, greeting, glen, err) < 0)
			return -1;
		s->after_tls = 1;
	} else if (relay->tls == MC_TLS_IMPLICIT) {
		s->stage = "tls";
		if (probe_tunnel_handshake(&s->tn, &s->tls, relay,
					   mc_now_mono() + relay->timeout,
					   err) < 0) {
			mc_err_prefix(err, "%s", s->where);
			return fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_TLS,
				    "tls", "%s", err->msg);
		}
		s->stage = "greeting";
	}
	if (s->tn.ssl) {
		SSL_set_mode(s->tn.ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
			     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		s->tls_ok = 1;
		res->t.tls = probe_sub_since(s);
		mc_tls_describe(s->tn.ssl, res->tls_version,
				   res->tls_cipher);
	}
	return 0;
}

int probe_submit(const struct mc_route *route, const char *msg,
		 const char *id, struct mc_probe_result *res,
		 struct mc_err *err_out)
{
	struct mc_err err_local = {0}, *err = &err_local;
	struct probe_sub *s;
	const struct mc_relay *relay;
	smtp_session_t session = NULL;
	auth_context_t actx = NULL;
	struct mc_sigpipe pipe;
	char greeting[PROLOGUE_BUF];
	size_t glen = 0;
	int rc = -1;

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
	mc_tls_sigpipe_block(&pipe);
	ERR_clear_error();

	if (submit_connect(s, greeting, &glen, err) < 0) {
		if (!err->code)
			rc = judge(s, err);
		goto out;
	}
	if (probe_tunnel_start(&s->tn, greeting, glen, err) < 0) {
		fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_INTERNAL, s->stage,
		     "%s", err->msg);
		goto out;
	}
	session = probe_session_new(s, msg, id, &actx, err);
	if (!session) {
		fail(s, err, PROBE_SUBMIT_ERROR, MC_COMP_INTERNAL, s->stage,
		     "%s", err->msg);
		goto out;
	}
	smtp_start_session(session);
	/* libesmtp has closed its end; the thread follows. */
	probe_tunnel_stop(&s->tn);
	rc = judge(s, err);
out:
	if (session)
		smtp_destroy_session(session);
	if (actx)
		auth_destroy_context(actx);
	probe_tunnel_stop(&s->tn);
	mc_tls_fini(&s->tls);
	ERR_clear_error();
	mc_tls_sigpipe_restore(&pipe);
	if (relay->password) {
		mc_scrub(err->msg, relay->password);
		mc_scrub(res->reply.text, relay->password);
	}
	free(s);
	if (err_out)
		*err_out = *err;
	return rc;
}
