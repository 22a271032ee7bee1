/* The OpenSSL client context for a relay: verification on by default,
 * against the relay's configured name or address, and reasons a human can
 * act on when it fails. The tunnel (probe_tunnel.c) uses it for implicit
 * TLS and after our own STARTTLS alike. */
#include "probe/probe_internal.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static int tls_is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* Records the first verification failure on the probe_tls the context
 * points at; the verdict itself stays OpenSSL's. */
static int tls_verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
		SSL_get_ex_data_X509_STORE_CTX_idx());
	struct probe_tls *tls;

	if (ok || !ssl)
		return ok;
	tls = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (tls && !tls->verify_error) {
		tls->verify_error = X509_STORE_CTX_get_error(x);
		tls->verify_depth = X509_STORE_CTX_get_error_depth(x);
	}
	return ok;
}

int probe_tls_init(struct probe_tls *tls, const struct mc_relay *relay,
		   struct mc_err *err)
{
	X509_VERIFY_PARAM *param;
	const char *host = relay->host;
	char why[160];

	memset(tls, 0, sizeof(*tls));
	tls->verify = relay->tls_verify;
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
	if (relay->ca_file && *relay->ca_file) {
		if (SSL_CTX_load_verify_locations(tls->ctx, relay->ca_file,
						  NULL) != 1) {
			ERR_error_string_n(ERR_get_error(), why, sizeof(why));
			ERR_clear_error();
			mc_err_set(err, -1, MC_COMP_TLS,
				   "relay %s: cannot load ca_file %s: %s",
				   relay->name, relay->ca_file, why);
			probe_tls_fini(tls);
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
	mc_err_set(err, -1, MC_COMP_TLS,
		   "relay %s: cannot set up TLS for %s: %s", relay->name,
		   host, why);
	probe_tls_fini(tls);
	return -1;
}

void probe_tls_fini(struct probe_tls *tls)
{
	if (tls->ctx)
		SSL_CTX_free(tls->ctx);
	tls->ctx = NULL;
}

void probe_tls_why(struct probe_tls *tls, char *out, size_t size)
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

void probe_tls_describe(SSL *ssl, char version[16], char cipher[64])
{
	const char *c = SSL_get_cipher_name(ssl);

	snprintf(version, 16, "%s", SSL_get_version(ssl));
	snprintf(cipher, 64, "%s", c ? c : "");
}
