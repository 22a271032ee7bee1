/* Test helpers for test_probe_submit.c (and test_imap.c): throwaway certificates made with
 * OpenSSL at test time, and a scripted fake SMTP server on 127.0.0.1 (an
 * ephemeral port, one connection) running in a thread. Every wait in it is
 * bounded (FAKE_WAIT_S). Header-only on purpose, like dns_fake.h; include
 * it after cmocka.h, whose assertions it uses. */
#ifndef MC_TEST_SMTP_FAKE_H
#define MC_TEST_SMTP_FAKE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define FAKE_WAIT_S 5
#define FAKE_MAX_COMMANDS 100
#define FAKE_MSG_MAX 65536

/* ---- certificates ---- */

struct fake_cert {
	EVP_PKEY *key;
	X509 *cert;
};

static void fake_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* An EC P-256 certificate for cn: a CA when san is NULL, else a server
 * certificate with that subjectAltName, signed by ca (NULL: self-signed). */
static struct fake_cert fake_cert_new(const char *cn, const char *san,
				      const struct fake_cert *ca)
{
	struct fake_cert c;
	X509_NAME *name;
	static long serial = 1;

	c.key = EVP_EC_gen("P-256");
	assert_non_null(c.key);
	c.cert = X509_new();
	assert_non_null(c.cert);
	X509_set_version(c.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c.cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c.cert), 86400);
	X509_set_pubkey(c.cert, c.key);
	name = X509_get_subject_name(c.cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c.cert, ca ? X509_get_subject_name(ca->cert) : name);
	if (!san) {
		fake_add_ext(c.cert, ca ? ca->cert : c.cert,
			     NID_basic_constraints, "critical,CA:TRUE");
		fake_add_ext(c.cert, ca ? ca->cert : c.cert, NID_key_usage,
			     "critical,keyCertSign,cRLSign");
		fake_add_ext(c.cert, ca ? ca->cert : c.cert,
			     NID_subject_key_identifier, "hash");
	} else {
		fake_add_ext(c.cert, ca ? ca->cert : c.cert,
			     NID_basic_constraints, "CA:FALSE");
		fake_add_ext(c.cert, ca ? ca->cert : c.cert, NID_ext_key_usage,
			     "serverAuth");
		fake_add_ext(c.cert, ca ? ca->cert : c.cert,
			     NID_subject_alt_name, san);
		if (ca)
			fake_add_ext(c.cert, ca->cert,
				     NID_authority_key_identifier, "keyid");
	}
	assert_true(X509_sign(c.cert, ca ? ca->key : c.key, EVP_sha256()) > 0);
	return c;
}

static void fake_cert_free(struct fake_cert *c)
{
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
}

/* Writes c's certificate as PEM to a new temporary file; returns its
 * name (the caller unlinks and frees it). */
static char *fake_cert_file(const struct fake_cert *c)
{
	char *path = strdup("/tmp/mc-test-ca-XXXXXX");
	int fd;
	FILE *f;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, c->cert), 1);
	fclose(f);
	return path;
}

static SSL_CTX *fake_server_ctx(const struct fake_cert *leaf)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, leaf->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, leaf->key), 1);
	return ctx;
}

/* The certificates the tests share: a CA (in ca_file) and its leaf for
 * 127.0.0.1 and localhost (good), a leaf from a CA nobody trusts
 * (unknown), and one of ours for another name only (wrong_ip). */
struct fake_world {
	struct fake_cert ca, leaf, other_ca, other_leaf, wrong_ip_leaf;
	char *ca_file;
	SSL_CTX *good, *unknown, *wrong_ip;
};

static struct fake_world *fake_world_new(void)
{
	struct fake_world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->ca = fake_cert_new("mailcanary test CA", NULL, NULL);
	w->leaf = fake_cert_new("127.0.0.1", "IP:127.0.0.1,DNS:localhost",
				&w->ca);
	w->other_ca = fake_cert_new("someone else's CA", NULL, NULL);
	w->other_leaf = fake_cert_new("127.0.0.1", "IP:127.0.0.1",
				      &w->other_ca);
	w->wrong_ip_leaf = fake_cert_new("other.example", "DNS:other.example",
					 &w->ca);
	w->ca_file = fake_cert_file(&w->ca);
	w->good = fake_server_ctx(&w->leaf);
	w->unknown = fake_server_ctx(&w->other_leaf);
	w->wrong_ip = fake_server_ctx(&w->wrong_ip_leaf);
	return w;
}

static void fake_world_free(struct fake_world *w)
{
	SSL_CTX_free(w->good);
	SSL_CTX_free(w->unknown);
	SSL_CTX_free(w->wrong_ip);
	fake_cert_free(&w->ca);
	fake_cert_free(&w->leaf);
	fake_cert_free(&w->other_ca);
	fake_cert_free(&w->other_leaf);
	fake_cert_free(&w->wrong_ip_leaf);
	unlink(w->ca_file);
	free(w->ca_file);
	free(w);
}

/* ---- the server ---- */

enum fake_tls { FAKE_TLS_NONE, FAKE_TLS_STARTTLS, FAKE_TLS_IMPLICIT };

struct fake;

struct fake_opts {
	enum fake_tls tls;
	SSL_CTX *ctx;                /* server side, when tls */
	int offer_auth;              /* EHLO lists AUTH PLAIN LOGIN */
	int offer_chunking;          /* EHLO lists CHUNKING: 1 in the
				      * middle, 2 as the last line */
	int auth_ok;                 /* 235, else 535 5.7.8 */
	const char *greeting;        /* NULL: "220 fake.test ESMTP" */
	int close_after_greeting;
	const char *stall_at;        /* stop answering at this verb; "" =
				      * before the greeting */
	const char *ehlo_reply;      /* NULL: the capabilities above */
	int starttls_inject;         /* plaintext right after the 220 */
	const char *mail_reply;      /* NULL: 250 2.1.0 Ok */
	const char *rcpt_reply;      /* NULL: 250 2.1.5 Ok */
	const char *data_reply;      /* NULL: 354 ... */
	const char *eod_reply;       /* NULL: 250 2.0.0 Ok: queued as ... */
	/* Another protocol in place of SMTP (test_imap.c's IMAP server):
	 * runs on the accepted connection instead of the SMTP script; the
	 * certificates, line I/O and TLS helpers here serve it too. */
	void (*session)(struct fake *f, void *arg);
	void *session_arg;
};

struct fake {
	struct fake_opts o;
	int lfd, fd, stop_pipe[2];
	unsigned short port;
	pthread_t thread;
	SSL *ssl;
	char in[4096];
	size_t in_len;
	/* What the client did; read after fake_stop(). */
	int saw_ehlo, saw_starttls, tls_up, saw_auth, saw_mail, saw_rcpt;
	int saw_data, saw_bdat, saw_quit, connected, rcpt_ok;
	char mail_line[512], rcpt_line[512], sni[256];
	char log[16384];             /* every line the client sent */
	size_t log_len;
	char *message;               /* DATA content, dot-unstuffed */
	size_t message_len;
};

static void fake_log(struct fake *f, const char *line)
{
	size_t n = strlen(line);

	if (f->log_len + n + 2 < sizeof(f->log)) {
		memcpy(f->log + f->log_len, line, n);
		f->log_len += n;
		f->log[f->log_len++] = '\n';
		f->log[f->log_len] = '\0';
	}
}

static int fake_send(struct fake *f, const char *s)
{
	size_t n = strlen(s);

	if (f->ssl)
		return SSL_write(f->ssl, s, (int)n) == (int)n ? 0 : -1;
	return send(f->fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* One line without its CRLF into out; -1 at EOF, error or timeout. */
static int fake_line(struct fake *f, char *out, size_t size)
{
	for (int rounds = 0; rounds < 10000; rounds++) {
		char *nl = memchr(f->in, '\n', f->in_len);
		long n;

		if (nl) {
			size_t len = (size_t)(nl - f->in);
			size_t keep = len;

			if (keep && f->in[keep - 1] == '\r')
				keep--;
			if (keep >= size)
				keep = size - 1;
			memcpy(out, f->in, keep);
			out[keep] = '\0';
			memmove(f->in, nl + 1, f->in_len - len - 1);
			f->in_len -= len + 1;
			return 0;
		}
		if (f->in_len == sizeof(f->in))
			return -1;
		if (f->ssl)
			n = SSL_read(f->ssl, f->in + f->in_len,
				     (int)(sizeof(f->in) - f->in_len));
		else
			n = recv(f->fd, f->in + f->in_len,
				 sizeof(f->in) - f->in_len, 0);
		if (n <= 0)
			return -1;
		f->in_len += (size_t)n;
	}
	return -1;
}

/* Reads and logs until the client hangs up (or FAKE_WAIT_S passes). */
static void fake_drain(struct fake *f)
{
	char line[1024];

	for (int i = 0; i < FAKE_MAX_COMMANDS && fake_line(f, line, sizeof(line)) == 0; i++)
		fake_log(f, line);
}

static int fake_tls_accept(struct fake *f)
{
	const char *sni;

	f->ssl = SSL_new(f->o.ctx);
	assert_non_null(f->ssl);
	SSL_set_fd(f->ssl, f->fd);
	if (SSL_accept(f->ssl) != 1) {
		ERR_clear_error();
		SSL_free(f->ssl);
		f->ssl = NULL;
		return -1;
	}
	sni = SSL_get_servername(f->ssl, TLSEXT_NAMETYPE_host_name);
	if (sni)
		snprintf(f->sni, sizeof(f->sni), "%s", sni);
	f->tls_up = 1;
	return 0;
}

static int fake_is(const char *line, const char *verb)
{
	return strncasecmp(line, verb, strlen(verb)) == 0;
}

static void fake_data(struct fake *f)
{
	char line[1024];

	f->message = calloc(1, FAKE_MSG_MAX);
	assert_non_null(f->message);
	for (int i = 0; i < 10000 && fake_line(f, line, sizeof(line)) == 0; i++) {
		const char *l = line;
		size_t n;

		if (strcmp(line, ".") == 0)
			return;
		if (l[0] == '.')
			l++;
		n = strlen(l);
		if (f->message_len + n + 3 < FAKE_MSG_MAX) {
			memcpy(f->message + f->message_len, l, n);
			memcpy(f->message + f->message_len + n, "\r\n", 2);
			f->message_len += n + 2;
		}
	}
}

static void fake_session(struct fake *f)
{
	const struct fake_opts *o = &f->o;
	char line[1024];

	if (o->tls == FAKE_TLS_IMPLICIT && fake_tls_accept(f) < 0)
		return;
	if (o->stall_at && !*o->stall_at) {
		fake_drain(f);
		return;
	}
	if (fake_send(f, o->greeting ? o->greeting : "220 fake.test ESMTP\r\n"))
		return;
	if (o->close_after_greeting)
		return;
	for (int i = 0; i < FAKE_MAX_COMMANDS; i++) {
		if (fake_line(f, line, sizeof(line)) < 0)
			return;
		fake_log(f, line);
		if (o->stall_at && fake_is(line, o->stall_at)) {
			fake_drain(f);
			return;
		}
		if (fake_is(line, "EHLO")) {
			char caps[512];

			f->saw_ehlo++;
			if (o->ehlo_reply) {
				fake_send(f, o->ehlo_reply);
				continue;
			}
			snprintf(caps, sizeof(caps),
				 "250-fake.test\r\n%s%s%s250-PIPELINING\r\n"
				 "250-DSN\r\n250-8BITMIME\r\n"
				 "250%sENHANCEDSTATUSCODES\r\n%s",
				 o->tls == FAKE_TLS_STARTTLS && !f->tls_up
					 ? "250-STARTTLS\r\n" : "",
				 o->offer_auth ? "250-AUTH PLAIN LOGIN\r\n" : "",
				 o->offer_chunking == 1 ? "250-CHUNKING\r\n" : "",
				 o->offer_chunking == 2 ? "-" : " ",
				 o->offer_chunking == 2 ? "250 CHUNKING\r\n" : "");
			fake_send(f, caps);
		} else if (fake_is(line, "HELO")) {
			fake_send(f, "250 fake.test\r\n");
		} else if (fake_is(line, "STARTTLS")) {
			f->saw_starttls = 1;
			fake_send(f, o->starttls_inject
				  ? "220 2.0.0 Ready to start TLS\r\n"
				    "250-injected in clear\r\n"
				  : "220 2.0.0 Ready to start TLS\r\n");
			if (fake_tls_accept(f) < 0)
				return;
		} else if (fake_is(line, "AUTH LOGIN")) {
			f->saw_auth++;
			fake_send(f, "334 VXNlcm5hbWU6\r\n");
			if (fake_line(f, line, sizeof(line)) < 0)
				return;
			fake_log(f, line);
			fake_send(f, "334 UGFzc3dvcmQ6\r\n");
			if (fake_line(f, line, sizeof(line)) < 0)
				return;
			fake_log(f, line);
			fake_send(f, o->auth_ok ? "235 2.7.0 Authentication successful\r\n"
						: "535 5.7.8 Error: authentication failed\r\n");
		} else if (fake_is(line, "AUTH")) {
			f->saw_auth++;
			fake_send(f, o->auth_ok ? "235 2.7.0 Authentication successful\r\n"
						: "535 5.7.8 Error: authentication failed\r\n");
		} else if (fake_is(line, "MAIL FROM:")) {
			f->saw_mail = 1;
			snprintf(f->mail_line, sizeof(f->mail_line), "%s", line);
			fake_send(f, o->mail_reply ? o->mail_reply : "250 2.1.0 Ok\r\n");
		} else if (fake_is(line, "RCPT TO:")) {
			f->saw_rcpt = 1;
			snprintf(f->rcpt_line, sizeof(f->rcpt_line), "%s", line);
			fake_send(f, o->rcpt_reply ? o->rcpt_reply : "250 2.1.5 Ok\r\n");
			f->rcpt_ok = !o->rcpt_reply || o->rcpt_reply[0] == '2';
		} else if (fake_is(line, "DATA")) {
			f->saw_data = 1;
			if (!f->rcpt_ok) {
				/* What Postfix says to a pipelined DATA. */
				fake_send(f, "554 5.5.1 Error: no valid recipients\r\n");
				continue;
			}
			if (o->data_reply) {
				fake_send(f, o->data_reply);
				continue;
			}
			fake_send(f, "354 End data with <CR><LF>.<CR><LF>\r\n");
			fake_data(f);
			fake_send(f, o->eod_reply ? o->eod_reply
				  : "250 2.0.0 Ok: queued as 4FAKEQ1D\r\n");
		} else if (fake_is(line, "BDAT ")) {
			/* RFC 3030: "BDAT size [LAST]", then size bytes. */
			long n = strtol(line + 5, NULL, 10);
			int last = strstr(line, "LAST") != NULL;
			char chunk[512];

			f->saw_bdat = 1;
			while (n > 0) {
				long want = n < (long)sizeof(chunk) ? n : (long)sizeof(chunk);
				long got;

				if (f->in_len) {
					got = want < (long)f->in_len ? want : (long)f->in_len;
					memmove(f->in, f->in + got, f->in_len - (size_t)got);
					f->in_len -= (size_t)got;
				} else if (f->ssl) {
					got = SSL_read(f->ssl, chunk, (int)want);
				} else {
					got = recv(f->fd, chunk, (size_t)want, 0);
				}
				if (got <= 0)
					return;
				n -= got;
			}
			fake_send(f, last ? "250 2.0.0 Ok: queued as 4FAKEQ1D\r\n"
					  : "250 2.0.0 Ok: chunk received\r\n");
		} else if (fake_is(line, "RSET")) {
			fake_send(f, "250 2.0.0 Ok\r\n");
		} else if (fake_is(line, "QUIT")) {
			f->saw_quit = 1;
			fake_send(f, "221 2.0.0 Bye\r\n");
			return;
		} else {
			fake_send(f, "502 5.5.2 Error: command not recognized\r\n");
		}
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct pollfd p[2] = {
		{.fd = f->stop_pipe[0], .events = POLLIN},
		{.fd = f->lfd, .events = POLLIN},
	};
	struct timeval tv = {FAKE_WAIT_S, 0};
	sigset_t pipe_set;

	/* The client may hang up while we write. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
	if (poll(p, 2, FAKE_WAIT_S * 1000) <= 0 || p[0].revents)
		return NULL;
	f->fd = accept(f->lfd, NULL, NULL);
	if (f->fd < 0)
		return NULL;
	f->connected = 1;
	setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(f->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (f->o.session)
		f->o.session(f, f->o.session_arg);
	else
		fake_session(f);
	if (f->ssl) {
		SSL_shutdown(f->ssl);
		SSL_free(f->ssl);
		f->ssl = NULL;
	}
	ERR_clear_error();
	close(f->fd);
	f->fd = -1;
	return NULL;
}

static struct fake *fake_start(const struct fake_opts *o)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	assert_non_null(f);
	f->o = *o;
	f->fd = -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &al), 0);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pipe(f->stop_pipe), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	return f;
}

/* Stops the thread (it may already be done) and keeps the observations. */
static void fake_stop(struct fake *f)
{
	assert_int_equal(write(f->stop_pipe[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	close(f->stop_pipe[0]);
	close(f->stop_pipe[1]);
}

static void fake_free(struct fake *f)
{
	free(f->message);
	free(f);
}

#endif
