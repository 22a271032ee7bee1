/* The verifying OpenSSL client context and handshake for relays and
 * mailboxes (see mc_tls.h). Moved out of probe/ when the IMAP side stopped
 * using libcurl, so both check certificates the same way. */
#include "mc_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mc_time.h"

static int tls_is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* Records the first verification failure on the mc_tls the context
 * points at; the verdict itself stays OpenSSL's. */
static int tls_verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
		SSL_get_ex_data_X509_STORE_CTX_idx());
	struct mc_tls *tls;

	if (ok || !ssl)
		return ok;
	tls = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (tls && !tls->verify_error) {
		tls->verify_error = X509_STORE_CTX_get_error(x);
		tls->verify_depth = X509_STORE_CTX_get_error_depth(x);
	}
	return ok;
}

int mc_tls_init(struct mc_tls *tls, const char *host, const char *ca_file,
		int verify, const char *what, struct mc_err *err)
{
	X509_VERIFY_PARAM *param;
	char why[160];

	memset(tls, 0, sizeof(*tls));
	tls->verify = verify;
	if (!tls_is_address(host))
		snprintf(tls->sni, sizeof(tls->sni), "%s", host);
	tls->ctx = SSL_CTX_new(TLS_client_method());
	if (!tls->ctx)
		goto fail;
	SSL_CTX_set_app_data(tls->ctx, tls);
	/* RFC 8996 retired TLS 1.0 and 1.1; RFC 8314 §4.1 asks for 1.2+. */
	if (!SSL_CTX_set_min_proto_version(tls->ctx, TLS1_2_VERSION))
		goto fail;
	if (!tls->verify) {
		SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	if (ca_file && *ca_file) {
		if (SSL_CTX_load_verify_locations(tls->ctx, ca_file,
						  NULL) != 1) {
			ERR_error_string_n(ERR_get_error(), why, sizeof(why));
			ERR_clear_error();
			mc_err_set(err, -1, MC_COMP_TLS,
				   "%s: cannot load ca_file %s: %s", what,
				   ca_file, why);
			mc_tls_fini(tls);
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(tls->ctx) != 1) {
		goto fail;
	}
	SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER, tls_verify_cb);
	param = SSL_CTX_get0_param(tls->ctx);
	if (tls_is_address(host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1)
			goto fail;
	} else {
		X509_VERIFY_PARAM_set_hostflags(param,
			X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
			goto fail;
	}
	return 0;
fail:
	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	ERR_clear_error();
	mc_err_set(err, -1, MC_COMP_TLS, "%s: cannot set up TLS for %s: %s",
		   what, host, why);
	mc_tls_fini(tls);
	return -1;
}

void mc_tls_fini(struct mc_tls *tls)
{
	if (tls->ctx)
		SSL_CTX_free(tls->ctx);
	tls->ctx = NULL;
}

SSL *mc_tls_handshake(struct mc_tls *tls, int fd, double deadline,
		      int *timed_out, char *why, size_t why_size)
{
	SSL *ssl = SSL_new(tls->ctx);

	*timed_out = 0;
	if (!ssl || SSL_set_fd(ssl, fd) != 1)
		goto fail;
	if (tls->sni[0])
		SSL_set_tlsext_host_name(ssl, tls->sni);
	/* Bounded by the clock; the count only guards against a poll()
	 * that keeps returning at once without progress. */
	for (int round = 0; round < 100000; round++) {
		int rc = SSL_connect(ssl), e, ms, n;
		struct pollfd p = {.fd = fd};

		if (rc == 1)
			return ssl;
		e = SSL_get_error(ssl, rc);
		if (e == SSL_ERROR_WANT_READ)
			p.events = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			p.events = POLLOUT;
		else
			goto fail;
		ms = mc_ms_until(deadline);
		if (ms == 0)
			break;
		n = poll(&p, 1, ms);
		if (n < 0 && errno != EINTR)
			goto fail;
	}
	ERR_clear_error();
	SSL_free(ssl);
	*timed_out = 1;
	snprintf(why, why_size, "handshake: no answer in time");
	return NULL;
fail:
	mc_tls_why(tls, why, why_size);
	SSL_free(ssl);
	return NULL;
}

void mc_tls_why(struct mc_tls *tls, char *out, size_t size)
{
	unsigned long e;

	if (tls->verify_error) {
		snprintf(out, size,
			 "certificate verification failed: %s (depth %d)",
			 X509_verify_cert_error_string(tls->verify_error),
			 tls->verify_depth);
		ERR_clear_error();
		return;
	}
	e = ERR_peek_last_error();
	if (e) {
		char buf[160];

		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(out, size, "handshake failed: %s", buf);
		ERR_clear_error();
		return;
	}
	snprintf(out, size, "handshake failed");
}

void mc_tls_describe(SSL *ssl, char version[16], char cipher[64])
{
	const char *c = SSL_get_cipher_name(ssl);

	snprintf(version, 16, "%s", SSL_get_version(ssl));
	snprintf(cipher, 64, "%s", c ? c : "");
}

void mc_tls_sigpipe_block(struct mc_sigpipe *sp)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	sp->had_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &sp->old_mask);
}

void mc_tls_sigpipe_restore(struct mc_sigpipe *sp)
{
	sigset_t pipe_set, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (!sp->had_pending) {
		struct timespec zero = {0, 0};

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &sp->old_mask, NULL);
}
