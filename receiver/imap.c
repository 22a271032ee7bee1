/* One authenticated IMAP connection, opened by hand: TCP (common/mc_net),
 * implicit TLS or required STARTTLS with the relay side's certificate
 * checks (common/mc_tls), then LOGIN or AUTHENTICATE PLAIN. Why not
 * libcurl any more: it only opened the connection (CONNECT_ONLY; IDLE and
 * untagged responses were ours already), and loading it maps its whole
 * dependency tree (~28 objects, ~4 MB of a tick's peak RSS) into every
 * tick. */
#include "imap.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_buf.h"
#include "mc_net.h"
#include "mc_time.h"
#include "mc_tls.h"

#define IMAP_CAPS_MAX 2048          /* capability list kept for login */
#define IMAP_IO_ROUNDS 100000       /* poll rounds of one wait; the clock
				     * ends it first */

struct mc_imap {
	int fd;
	SSL *ssl;                  /* NULL until TLS is up (or tls none) */
	struct mc_tls tls;         /* its context; outlives ssl */
	int want_write;            /* SSL_read asked for POLLOUT */
	const struct mc_mailbox *mb;
	struct mc_buf in;
	size_t consumed;           /* bytes of the last response handed out */
	unsigned tag_seq;
	int closed;
	int strict;                /* an unreadable response is an error
				    * (the greeting), not skipped */
	char where[400];           /* mailbox "NAME": HOST:PORT */
	char caps[IMAP_CAPS_MAX];  /* the latest capability list */
	int have_caps;
};

int imap_fd(const struct mc_imap *s)
{
	return s->fd;
}

const struct mc_mailbox *imap_mailbox(const struct mc_imap *s)
{
	return s->mb;
}

/* ---- bytes ---- */

/* One write attempt: bytes written, 0 if the socket is full, -1 if the
 * connection is gone. */
static long write_some(struct mc_imap *s, const char *p, size_t n)
{
	if (s->ssl) {
		int w = SSL_write(s->ssl, p, (int)n), e;

		if (w > 0)
			return w;
		e = SSL_get_error(s->ssl, w);
		ERR_clear_error();
		return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ
			? 0 : -1;
	} else {
		long w = send(s->fd, p, n, MSG_NOSIGNAL);

		if (w >= 0)
			return w;
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
}

/* Writes all of p, waiting (bounded) for the socket when it is full. An
 * SSL_write that wanted to wait is retried with the same bytes, as
 * OpenSSL requires. */
static int send_all(struct mc_imap *s, const char *p, size_t n,
		    struct mc_err *err)
{
	double deadline = mc_now_mono() + s->mb->timeout;
	struct mc_sigpipe sp;
	int rc = 0;

	mc_tls_sigpipe_block(&sp);
	for (int round = 0; n > 0; round++) {
		long w = s->closed ? -1 : write_some(s, p, n);
		struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
		int ms;

		if (w < 0) {
			s->closed = 1;
			rc = mc_err_set(err, -1, MC_COMP_MAILBOX,
					"%s: send failed: connection closed",
					s->where);
			break;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		ms = mc_ms_until(deadline);
		if (ms == 0 || round >= IMAP_IO_ROUNDS) {
			rc = mc_err_set(err, -1, MC_COMP_MAILBOX,
					"%s: send timed out", s->where);
			break;
		}
		poll(&pfd, 1, ms);
	}
	mc_tls_sigpipe_restore(&sp);
	return rc;
}

/* Reads what the connection has without blocking, into s->in. Returns
 * 1 (got bytes), 0 (nothing now), -1 (closed: s->closed set) or -2 (more
 * than a response may hold: err filled). */
static int fill(struct mc_imap *s, struct mc_err *err)
{
	char chunk[16384];
	long got;

	s->want_write = 0;
	if (s->ssl) {
		int r = SSL_read(s->ssl, chunk, sizeof(chunk)), e;

		if (r <= 0) {
			e = SSL_get_error(s->ssl, r);
			ERR_clear_error();
			if (e == SSL_ERROR_WANT_READ)
				return 0;
			if (e == SSL_ERROR_WANT_WRITE) {
				s->want_write = 1;
				return 0;
			}
			s->closed = 1;
			return -1;
		}
		got = r;
	} else {
		got = recv(s->fd, chunk, sizeof(chunk), 0);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (got <= 0) {
			s->closed = 1;
			return -1;
		}
	}
	if (mc_buf_append(&s->in, chunk, (size_t)got))
		return mc_err_set(err, -2, MC_COMP_MAILBOX,
				  "%s: response too large", s->where);
	return 1;
}

int imap_send_line(struct mc_imap *s, const char *line, struct mc_err *err)
{
	char buf[IMAP_MAX_LINE];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line), rc;

	if (n < 0 || (size_t)n >= sizeof(buf) || strpbrk(line, "\r\n"))
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "bad IMAP line");
	rc = send_all(s, buf, (size_t)n, err);
	explicit_bzero(buf, sizeof(buf));   /* may have held credentials */
	return rc;
}

int imap_command(struct mc_imap *s, char *tag, const char *command,
		 struct mc_err *err)
{
	char buf[IMAP_MAX_LINE];
	char t[16];
	int n, rc;

	snprintf(t, sizeof(t), "mc%u", ++s->tag_seq);
	if (tag)
		memcpy(tag, t, strlen(t) + 1);
	n = snprintf(buf, sizeof(buf), "%s %s", t, command);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "IMAP command too long");
	rc = imap_send_line(s, buf, err);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* The first bytes of the last framed response, printable, in an error. */
static int not_imap(struct mc_imap *s, struct mc_err *err)
{
	char seen[81];
	size_t i;

	for (i = 0; i < s->consumed && i + 1 < sizeof(seen); i++) {
		unsigned char ch = (unsigned char)s->in.data[i];

		if (ch == '\r' || ch == '\n')
			break;
		seen[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '.';
	}
	seen[i] = '\0';
	return mc_err_set(err, -1, MC_COMP_MAILBOX,
			  "%s: not an IMAP greeting: %s", s->where, seen);
}

int imap_next(struct mc_imap *s, struct imap_resp *r, struct mc_err *err)
{
	struct mc_sigpipe sp;
	int rc = 0;

	mc_buf_consume(&s->in, s->consumed);
	s->consumed = 0;
	/* SSL_read may answer a key update with a write. */
	if (s->ssl)
		mc_tls_sigpipe_block(&sp);
	/* Each round either hands out a response, drops an unreadable one
	 * or reads bytes (at most the buffer's limit): bounded. Reading on
	 * until the socket would block also empties what TLS holds
	 * decrypted (SSL_pending), so poll() after a 0 is safe. */
	for (;;) {
		long len = imap_resp_frame(s->in.data ? s->in.data : "", s->in.len);
		int got;

		if (len < 0) {
			rc = mc_err_set(err, -1, MC_COMP_MAILBOX,
					"%s: response too large or malformed",
					s->where);
			break;
		}
		if (len > 0) {
			s->consumed = (size_t)len;
			if (imap_resp_parse(s->in.data, (size_t)len, r) == 0) {
				rc = 1;
				break;
			}
			if (s->strict) {
				rc = not_imap(s, err);
				break;
			}
			/* An unreadable response is skipped, not fatal. */
			mc_buf_consume(&s->in, s->consumed);
			s->consumed = 0;
			continue;
		}
		if (s->closed) {
			rc = mc_err_set(err, -1, MC_COMP_MAILBOX,
					"%s: connection closed by server",
					s->where);
			break;
		}
		got = fill(s, err);
		if (got == 0)
			break;
		if (got == -2) {
			if (err)
				err->code = -1;
			rc = -1;
			break;
		}
	}
	if (s->ssl)
		mc_tls_sigpipe_restore(&sp);
	return rc;
}

/* The next response, waiting until deadline. Returns 1 (r filled) or -1:
 * timeout (naming what, which must not be secret) or closed. */
static int wait_resp(struct mc_imap *s, struct imap_resp *r, double deadline,
		     const char *what, struct mc_err *err)
{
	for (int round = 0; round < IMAP_IO_ROUNDS; round++) {
		struct pollfd pfd = {.fd = s->fd};
		int rc = imap_next(s, r, err), ms;

		if (rc != 0)
			return rc;
		ms = mc_ms_until(deadline);
		if (ms == 0)
			break;
		pfd.events = s->want_write ? POLLOUT : POLLIN;
		poll(&pfd, 1, ms);
	}
	return mc_err_set(err, -1, MC_COMP_MAILBOX,
			  "%s: no answer to %s within %.3gs", s->where, what,
			  s->mb->timeout);
}

/* Keeps a capability list r carries, if any. */
static void note_caps(struct mc_imap *s, const struct imap_resp *r)
{
	const char *p;
	size_t n;

	if (imap_capability_list(r, &p, &n)) {
		if (n >= sizeof(s->caps))
			n = sizeof(s->caps) - 1;
		memcpy(s->caps, p, n);
		s->caps[n] = '\0';
		s->have_caps = 1;
	}
}

static int has_cap(const struct mc_imap *s, const char *cap)
{
	return imap_has_capability(s->caps, strlen(s->caps), cap);
}

/* Waits for the tagged completion of tag: returns 1 with r filled, 2 when
 * a continuation request ("+") came first (if want_cont), or -1. Untagged
 * responses on the way update the capabilities and go to cb; BYE ends it. */
static int wait_tagged(struct mc_imap *s, const char *tag, double deadline,
		       const char *what, int want_cont,
		       void (*cb)(void *arg, const struct imap_resp *r),
		       void *arg, struct imap_resp *r, struct mc_err *err)
{
	/* Each round consumes one response of at least one byte from a
	 * buffer the deadline and size limit bound. */
	for (int round = 0; round < IMAP_IO_ROUNDS; round++) {
		if (wait_resp(s, r, deadline, what, err) < 0)
			return -1;
		if (r->type == IMAP_RESP_TAGGED && strcmp(r->tag, tag) == 0)
			return 1;
		if (r->type == IMAP_RESP_CONTINUE && want_cont)
			return 2;
		if (r->type == IMAP_RESP_UNTAGGED && r->status == IMAP_ST_BYE)
			return mc_err_set(err, -1, MC_COMP_MAILBOX,
					  "%s: server said BYE: %.*s", s->where,
					  (int)(r->text_len > 160 ? 160 : r->text_len),
					  r->text);
		note_caps(s, r);
		if (cb)
			cb(arg, r);
	}
	return mc_err_set(err, -1, MC_COMP_MAILBOX,
			  "%s: too many responses to %s", s->where, what);
}

int imap_run(struct mc_imap *s, const char *command, double deadline,
	     void (*cb)(void *arg, const struct imap_resp *r), void *arg,
	     struct mc_err *err)
{
	struct imap_resp r;
	char tag[16], what[32];
	int rc;

	snprintf(what, sizeof(what), "%.20s", command);
	if (imap_command(s, tag, command, err))
		return -1;
	rc = wait_tagged(s, tag, deadline, what, 0, cb, arg, &r, err);
	if (rc < 0)
		return -1;
	if (r.status == IMAP_ST_OK)
		return 0;
	return mc_err_set(err, -1, MC_COMP_MAILBOX,
			  "%s: %.20s: %.*s", s->where,
			  command, (int)(r.text_len > 160 ? 160 : r.text_len),
			  r.text);
}

/* ---- opening ---- */

static int handshake(struct mc_imap *s, double deadline, struct mc_err *err)
{
	char why[200];
	int timed_out;
	struct mc_sigpipe sp;

	mc_tls_sigpipe_block(&sp);
	s->ssl = mc_tls_handshake(&s->tls, s->fd, deadline, &timed_out, why,
				  sizeof(why));
	mc_tls_sigpipe_restore(&sp);
	if (s->ssl)
		return 0;
	if (timed_out)
		return mc_err_set(err, -1, MC_COMP_TLS,
				  "%s: TLS handshake: no answer within %.3gs",
				  s->where, s->mb->timeout);
	return mc_err_set(err, -1, MC_COMP_TLS, "%s: TLS %s", s->where, why);
}

/* RFC 3501 §7.1.1/§7.1.4/§7.1.5: "* OK" (log in), "* PREAUTH" (already
 * authenticated) or "* BYE" (go away). Returns 0 (*preauth set) or -1. */
static int read_greeting(struct mc_imap *s, double deadline, int *preauth,
			 struct mc_err *err)
{
	struct imap_resp r;
	int len, rc;

	s->strict = 1;
	rc = wait_resp(s, &r, deadline, "the greeting", err);
	s->strict = 0;
	if (rc < 0)
		return -1;
	len = (int)(r.text_len > 160 ? 160 : r.text_len);
	if (r.type == IMAP_RESP_UNTAGGED && r.status == IMAP_ST_BYE)
		return mc_err_set(err, -1, MC_COMP_MAILBOX,
				  "%s: server said BYE: %.*s", s->where, len,
				  r.text);
	if (r.type != IMAP_RESP_UNTAGGED ||
	    (r.status != IMAP_ST_OK && r.status != IMAP_ST_PREAUTH))
		return not_imap(s, err);
	*preauth = r.status == IMAP_ST_PREAUTH;
	note_caps(s, &r);
	return 0;
}

/* Asks for CAPABILITY unless a response already told. */
static int get_caps(struct mc_imap *s, double deadline, struct mc_err *err)
{
	struct imap_resp r;
	char tag[16];

	if (s->have_caps)
		return 0;
	if (imap_command(s, tag, "CAPABILITY", err) ||
	    wait_tagged(s, tag, deadline, "CAPABILITY", 0, NULL, NULL, &r,
			err) < 0)
		return -1;
	if (r.status != IMAP_ST_OK)
		return mc_err_set(err, -1, MC_COMP_MAILBOX,
				  "%s: CAPABILITY: %.*s", s->where,
				  (int)(r.text_len > 160 ? 160 : r.text_len),
				  r.text);
	s->have_caps = 1;    /* an OK without a list: none we know of */
	return 0;
}

/* RFC 3501 §6.2.1 and RFC 2595: required STARTTLS, never a fallback to
 * cleartext; what the server sent before TLS is forgotten. */
static int starttls(struct mc_imap *s, double deadline, struct mc_err *err)
{
	struct imap_resp r;
	char tag[16];

	if (get_caps(s, deadline, err))
		return -1;
	if (!has_cap(s, "STARTTLS"))
		return mc_err_set(err, -1, MC_COMP_TLS,
				  "%s: server does not offer STARTTLS; refusing "
				  "to log in in clear", s->where);
	if (imap_command(s, tag, "STARTTLS", err) ||
	    wait_tagged(s, tag, deadline, "STARTTLS", 0, NULL, NULL, &r,
			err) < 0)
		return -1;
	if (r.status != IMAP_ST_OK)
		return mc_err_set(err, -1, MC_COMP_TLS,
				  "%s: STARTTLS refused: %.*s", s->where,
				  (int)(r.text_len > 160 ? 160 : r.text_len),
				  r.text);
	if (s->in.len > s->consumed)
		/* Bytes sent along with the OK would be read as if they came
		 * over TLS: the STARTTLS injection of CVE-2011-0411. */
		return mc_err_set(err, -1, MC_COMP_TLS,
				  "%s: server sent data after its STARTTLS "
				  "answer; refusing it", s->where);
	mc_buf_consume(&s->in, s->consumed);
	s->consumed = 0;
	s->have_caps = 0;
	s->caps[0] = '\0';
	return handshake(s, deadline, err);
}

/* LOGIN with quoted strings when user and password fit in them and the
 * server allows it; else AUTHENTICATE PLAIN (RFC 4616: UTF-8, any byte
 * but NUL), with the initial response inline when SASL-IR (RFC 4959) is
 * offered. The password is never in a message: failures name the step. */
static int login(struct mc_imap *s, double deadline, struct mc_err *err)
{
	const struct mc_mailbox *mb = s->mb;
	char line[IMAP_MAX_LINE], tag[16];
	const char *pw = mb->password ? mb->password : "";
	struct imap_resp r;
	int quoted, rc, refused = 0;

	if (get_caps(s, deadline, err))
		return -1;
	quoted = imap_login_command(mb->user, pw, line, sizeof(line)) == 0;
	if (quoted && !has_cap(s, "LOGINDISABLED")) {
		rc = imap_command(s, tag, line, err);
	} else if (has_cap(s, "AUTH=PLAIN")) {
		int ir = has_cap(s, "SASL-IR");
		int n = snprintf(line, sizeof(line), "AUTHENTICATE PLAIN%s",
				 ir ? " " : "");

		if (imap_sasl_plain(mb->user, pw, line + n,
				    sizeof(line) - (size_t)n)) {
			explicit_bzero(line, sizeof(line));
			return mc_err_set(err, -1, MC_COMP_AUTH,
					  "%s: user and password too long",
					  s->where);
		}
		if (ir) {
			rc = imap_command(s, tag, line, err);
		} else {
			rc = imap_command(s, tag, "AUTHENTICATE PLAIN", err);
			if (rc == 0)
				rc = wait_tagged(s, tag, deadline,
						 "AUTHENTICATE", 1, NULL, NULL,
						 &r, err);
			if (rc == 2)
				rc = imap_send_line(s, line + n, err);
			else if (rc == 1)
				refused = 1;   /* at once, no "+" */
		}
	} else {
		explicit_bzero(line, sizeof(line));
		if (quoted && mb->tls == MC_TLS_NONE)
			return mc_err_set(err, -1, MC_COMP_TLS,
					  "%s: server refuses LOGIN in clear "
					  "(LOGINDISABLED)", s->where);
		return mc_err_set(err, -1, MC_COMP_AUTH, quoted
				  ? "%s: server refuses LOGIN (LOGINDISABLED) "
				    "and offers no AUTH=PLAIN"
				  : "%s: the user or password has characters "
				    "LOGIN cannot carry and the server offers "
				    "no AUTH=PLAIN", s->where);
	}
	explicit_bzero(line, sizeof(line));
	if (refused)
		goto done;
	if (rc)
		return -1;
	/* A second "+" is a challenge PLAIN does not have: cancel (RFC
	 * 3501 §6.2.2) and read the tagged NO. */
	for (int i = 0; i < 2; i++) {
		rc = wait_tagged(s, tag, deadline, "LOGIN", 1, NULL, NULL, &r,
				 err);
		if (rc != 2)
			break;
		if (imap_send_line(s, "*", err))
			return -1;
	}
	if (rc < 0)
		return -1;
	if (rc == 2)
		return mc_err_set(err, -1, MC_COMP_AUTH,
				  "%s: AUTHENTICATE PLAIN: unexpected challenge",
				  s->where);
done:
	if (r.status != IMAP_ST_OK)
		return mc_err_set(err, -1, MC_COMP_AUTH,
				  "%s: login failed: %.*s (wrong user or "
				  "password?)", s->where,
				  (int)(r.text_len > 120 ? 120 : r.text_len),
				  r.text);
	/* RFC 3501 §6.2.3: capabilities may change after login. */
	s->have_caps = 0;
	note_caps(s, &r);
	return 0;
}

static int open_session(struct mc_imap *s, struct mc_err *err)
{
	const struct mc_mailbox *mb = s->mb;
	double deadline = mc_now_mono() + mb->timeout;
	char peer[MC_NET_PEER_MAX], why[200];
	int preauth = 0;

	if (mb->tls != MC_TLS_NONE &&
	    mc_tls_init(&s->tls, mb->host, mb->ca_file, mb->tls_verify,
			s->where, err) < 0)
		return -1;
	s->fd = mc_net_connect(mb->host, mb->port, deadline, mb->timeout, peer,
			       sizeof(peer), why, sizeof(why));
	if (s->fd < 0)
		return mc_err_set(err, -1, MC_COMP_MAILBOX, "%s: %s", s->where,
				  why);
	if (mb->tls == MC_TLS_IMPLICIT && handshake(s, deadline, err))
		return -1;
	if (read_greeting(s, deadline, &preauth, err))
		return -1;
	if (mb->tls == MC_TLS_STARTTLS) {
		/* STARTTLS is only valid before authentication: a PREAUTH
		 * server would have us read mail in clear. */
		if (preauth)
			return mc_err_set(err, -1, MC_COMP_TLS,
					  "%s: server greeted with PREAUTH, so "
					  "STARTTLS is impossible; refusing to "
					  "read mail in clear", s->where);
		if (starttls(s, deadline, err))
			return -1;
	}
	return preauth ? 0 : login(s, deadline, err);
}

struct mc_imap *imap_connect(const struct mc_mailbox *mb, struct mc_err *err)
{
	struct mc_imap *s = calloc(1, sizeof(*s));

	if (!s) {
		mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->mb = mb;
	s->in.limit = IMAP_MAX_RESPONSE + IMAP_MAX_LINE;
	snprintf(s->where, sizeof(s->where),
		 strchr(mb->host, ':') ? "mailbox \"%s\": [%s]:%d"
				       : "mailbox \"%s\": %s:%d",
		 mb->name, mb->host, mb->port);
	ERR_clear_error();
	if (open_session(s, err) == 0)
		return s;
	/* A server may echo what we sent. */
	if (err)
		mc_scrub(err->msg, mb->password);
	s->closed = 1;
	imap_close(s);
	return NULL;
}

void imap_close(struct mc_imap *s)
{
	if (!s)
		return;
	if (!s->closed && s->fd >= 0) {
		struct mc_sigpipe sp;

		/* Best effort, one attempt: the server may be gone. */
		mc_tls_sigpipe_block(&sp);
		write_some(s, "z LOGOUT\r\n", 10);
		mc_tls_sigpipe_restore(&sp);
	}
	if (s->ssl)
		SSL_free(s->ssl);
	ERR_clear_error();
	mc_tls_fini(&s->tls);
	if (s->fd >= 0)
		close(s->fd);
	mc_buf_free(&s->in);
	free(s);
}
