/* OpenSSL on first use: defines every SSL_*, ERR_*, EVP_*, X509_* ... function
 * mailcanary calls (TLS to the relay in probe/, DKIM signature checks in
 * checks/dkim*.c, message ids in probe/probe_message.c) and forwards it to
 * libssl.so.3 or libcrypto.so.3, loaded by lazy.h's helper on the first
 * call. Why, and why hand-written: lazy.h. Add a function here (and to
 * SSL_FNS or CRYPTO_FNS, by the library that exports it) when a caller
 * starts using one; the link fails until you do.
 *
 * Two tables, two loads: a DKIM check needs libcrypto only and does not map
 * libssl. Loading libssl.so.3 (RTLD_LOCAL) maps its own dependency
 * libcrypto.so.3, and a later load of libcrypto by name, or of libcurl or
 * libesmtp (which link both), finds that same object: the process always
 * has one OpenSSL.
 *
 * OpenSSL's macros (SSL_CTX_set_min_proto_version, SSL_set_tlsext_host_name,
 * SSL_set_mode, SSL_CTX_set_app_data, SSL_get_cipher_name, ...) expand to
 * calls of SSL_CTX_ctrl, SSL_ctrl, the ex_data functions or
 * SSL_CIPHER_get_name, which are here. A few functions nobody calls yet are
 * here too (SSL_shutdown, SSL_get_verify_result, SSL_set1_host,
 * SSL_get1_peer_certificate (= SSL_get_peer_certificate), SSL_get0_param,
 * SSL_CTX_set_options, SSL_set_connect_state, SSL_do_handshake, X509_free,
 * ERR_peek_error): the usual next steps of a TLS client, cheap to resolve. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>

#include "lazy.h"

#define SSL_SONAME "libssl.so.3"
#define CRYPTO_SONAME "libcrypto.so.3"

#define SSL_FNS(X) \
	X(SSL_CIPHER_get_name) X(SSL_CTX_ctrl) X(SSL_CTX_free) \
	X(SSL_CTX_get0_param) X(SSL_CTX_get_ex_data) \
	X(SSL_CTX_load_verify_locations) X(SSL_CTX_new) \
	X(SSL_CTX_set_default_verify_paths) X(SSL_CTX_set_ex_data) \
	X(SSL_CTX_set_options) X(SSL_CTX_set_verify) X(SSL_connect) \
	X(SSL_ctrl) X(SSL_do_handshake) X(SSL_free) X(SSL_get0_param) \
	X(SSL_get1_peer_certificate) X(SSL_get_SSL_CTX) \
	X(SSL_get_current_cipher) X(SSL_get_error) \
	X(SSL_get_ex_data_X509_STORE_CTX_idx) X(SSL_get_verify_result) \
	X(SSL_get_version) X(SSL_new) X(SSL_pending) X(SSL_read) \
	X(SSL_set1_host) X(SSL_set_connect_state) X(SSL_set_fd) \
	X(SSL_shutdown) X(SSL_write) X(TLS_client_method)

#define CRYPTO_FNS(X) \
	X(ERR_clear_error) X(ERR_error_string_n) X(ERR_get_error) \
	X(ERR_peek_error) X(ERR_peek_last_error) X(EVP_Digest) \
	X(EVP_DigestVerify) X(EVP_DigestVerifyInit) X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) X(EVP_PKEY_free) X(EVP_PKEY_get_base_id) \
	X(EVP_PKEY_get_bits) X(EVP_PKEY_new_raw_public_key) X(EVP_sha1) \
	X(EVP_sha256) X(RAND_bytes) X(X509_STORE_CTX_get_error) \
	X(X509_STORE_CTX_get_error_depth) X(X509_STORE_CTX_get_ex_data) \
	X(X509_VERIFY_PARAM_set1_host) X(X509_VERIFY_PARAM_set1_ip_asc) \
	X(X509_VERIFY_PARAM_set_hostflags) X(X509_free) \
	X(X509_verify_cert_error_string) X(d2i_PUBKEY) X(d2i_PublicKey)

LAZY_LIB(ssl, SSL_SONAME, SSL_FNS)
LAZY_LIB(crypto, CRYPTO_SONAME, CRYPTO_FNS)
#define SSL_REAL(f) LAZY_CALL(ssl, f)
#define CRYPTO_REAL(f) LAZY_CALL(crypto, f)

/* ---- libssl ---- */

const char *SSL_CIPHER_get_name(const SSL_CIPHER *c)
{
	return SSL_REAL(SSL_CIPHER_get_name)(c);
}

long SSL_CTX_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg)
{
	return SSL_REAL(SSL_CTX_ctrl)(ctx, cmd, larg, parg);
}

void SSL_CTX_free(SSL_CTX *ctx)
{
	SSL_REAL(SSL_CTX_free)(ctx);
}

X509_VERIFY_PARAM *SSL_CTX_get0_param(SSL_CTX *ctx)
{
	return SSL_REAL(SSL_CTX_get0_param)(ctx);
}

void *SSL_CTX_get_ex_data(const SSL_CTX *ssl, int idx)
{
	return SSL_REAL(SSL_CTX_get_ex_data)(ssl, idx);
}

int SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *CAfile,
				  const char *CApath)
{
	return SSL_REAL(SSL_CTX_load_verify_locations)(ctx, CAfile, CApath);
}

SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
{
	return SSL_REAL(SSL_CTX_new)(meth);
}

int SSL_CTX_set_default_verify_paths(SSL_CTX *ctx)
{
	return SSL_REAL(SSL_CTX_set_default_verify_paths)(ctx);
}

int SSL_CTX_set_ex_data(SSL_CTX *ssl, int idx, void *data)
{
	return SSL_REAL(SSL_CTX_set_ex_data)(ssl, idx, data);
}

uint64_t SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op)
{
	return SSL_REAL(SSL_CTX_set_options)(ctx, op);
}

void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb callback)
{
	SSL_REAL(SSL_CTX_set_verify)(ctx, mode, callback);
}

int SSL_connect(SSL *ssl)
{
	return SSL_REAL(SSL_connect)(ssl);
}

long SSL_ctrl(SSL *ssl, int cmd, long larg, void *parg)
{
	return SSL_REAL(SSL_ctrl)(ssl, cmd, larg, parg);
}

int SSL_do_handshake(SSL *s)
{
	return SSL_REAL(SSL_do_handshake)(s);
}

void SSL_free(SSL *ssl)
{
	SSL_REAL(SSL_free)(ssl);
}

X509_VERIFY_PARAM *SSL_get0_param(SSL *ssl)
{
	return SSL_REAL(SSL_get0_param)(ssl);
}

X509 *SSL_get1_peer_certificate(const SSL *s)
{
	return SSL_REAL(SSL_get1_peer_certificate)(s);
}

SSL_CTX *SSL_get_SSL_CTX(const SSL *ssl)
{
	return SSL_REAL(SSL_get_SSL_CTX)(ssl);
}

const SSL_CIPHER *SSL_get_current_cipher(const SSL *s)
{
	return SSL_REAL(SSL_get_current_cipher)(s);
}

int SSL_get_error(const SSL *s, int ret_code)
{
	return SSL_REAL(SSL_get_error)(s, ret_code);
}

int SSL_get_ex_data_X509_STORE_CTX_idx(void)
{
	return SSL_REAL(SSL_get_ex_data_X509_STORE_CTX_idx)();
}

long SSL_get_verify_result(const SSL *ssl)
{
	return SSL_REAL(SSL_get_verify_result)(ssl);
}

const char *SSL_get_version(const SSL *s)
{
	return SSL_REAL(SSL_get_version)(s);
}

SSL *SSL_new(SSL_CTX *ctx)
{
	return SSL_REAL(SSL_new)(ctx);
}

int SSL_pending(const SSL *s)
{
	return SSL_REAL(SSL_pending)(s);
}

int SSL_read(SSL *ssl, void *buf, int num)
{
	return SSL_REAL(SSL_read)(ssl, buf, num);
}

int SSL_set1_host(SSL *s, const char *hostname)
{
	return SSL_REAL(SSL_set1_host)(s, hostname);
}

void SSL_set_connect_state(SSL *s)
{
	SSL_REAL(SSL_set_connect_state)(s);
}

int SSL_set_fd(SSL *s, int fd)
{
	return SSL_REAL(SSL_set_fd)(s, fd);
}

int SSL_shutdown(SSL *s)
{
	return SSL_REAL(SSL_shutdown)(s);
}

int SSL_write(SSL *ssl, const void *buf, int num)
{
	return SSL_REAL(SSL_write)(ssl, buf, num);
}

const SSL_METHOD *TLS_client_method(void)
{
	return SSL_REAL(TLS_client_method)();
}

/* ---- libcrypto ---- */

void ERR_clear_error(void)
{
	CRYPTO_REAL(ERR_clear_error)();
}

void ERR_error_string_n(unsigned long e, char *buf, size_t len)
{
	CRYPTO_REAL(ERR_error_string_n)(e, buf, len);
}

unsigned long ERR_get_error(void)
{
	return CRYPTO_REAL(ERR_get_error)();
}

unsigned long ERR_peek_error(void)
{
	return CRYPTO_REAL(ERR_peek_error)();
}

unsigned long ERR_peek_last_error(void)
{
	return CRYPTO_REAL(ERR_peek_last_error)();
}

int EVP_Digest(const void *data, size_t count, unsigned char *md,
	       unsigned int *size, const EVP_MD *type, ENGINE *impl)
{
	return CRYPTO_REAL(EVP_Digest)(data, count, md, size, type, impl);
}

int EVP_DigestVerify(EVP_MD_CTX *ctx, const unsigned char *sigret,
		     size_t siglen, const unsigned char *tbs, size_t tbslen)
{
	return CRYPTO_REAL(EVP_DigestVerify)(ctx, sigret, siglen, tbs, tbslen);
}

int EVP_DigestVerifyInit(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx,
			 const EVP_MD *type, ENGINE *e, EVP_PKEY *pkey)
{
	return CRYPTO_REAL(EVP_DigestVerifyInit)(ctx, pctx, type, e, pkey);
}

void EVP_MD_CTX_free(EVP_MD_CTX *ctx)
{
	CRYPTO_REAL(EVP_MD_CTX_free)(ctx);
}

EVP_MD_CTX *EVP_MD_CTX_new(void)
{
	return CRYPTO_REAL(EVP_MD_CTX_new)();
}

void EVP_PKEY_free(EVP_PKEY *pkey)
{
	CRYPTO_REAL(EVP_PKEY_free)(pkey);
}

int EVP_PKEY_get_base_id(const EVP_PKEY *pkey)
{
	return CRYPTO_REAL(EVP_PKEY_get_base_id)(pkey);
}

int EVP_PKEY_get_bits(const EVP_PKEY *pkey)
{
	return CRYPTO_REAL(EVP_PKEY_get_bits)(pkey);
}

EVP_PKEY *EVP_PKEY_new_raw_public_key(int type, ENGINE *e,
				      const unsigned char *pub, size_t len)
{
	return CRYPTO_REAL(EVP_PKEY_new_raw_public_key)(type, e, pub, len);
}

const EVP_MD *EVP_sha1(void)
{
	return CRYPTO_REAL(EVP_sha1)();
}

const EVP_MD *EVP_sha256(void)
{
	return CRYPTO_REAL(EVP_sha256)();
}

int RAND_bytes(unsigned char *buf, int num)
{
	return CRYPTO_REAL(RAND_bytes)(buf, num);
}

int X509_STORE_CTX_get_error(const X509_STORE_CTX *ctx)
{
	return CRYPTO_REAL(X509_STORE_CTX_get_error)(ctx);
}

int X509_STORE_CTX_get_error_depth(const X509_STORE_CTX *ctx)
{
	return CRYPTO_REAL(X509_STORE_CTX_get_error_depth)(ctx);
}

void *X509_STORE_CTX_get_ex_data(const X509_STORE_CTX *ctx, int idx)
{
	return CRYPTO_REAL(X509_STORE_CTX_get_ex_data)(ctx, idx);
}

int X509_VERIFY_PARAM_set1_host(X509_VERIFY_PARAM *param, const char *name,
				size_t namelen)
{
	return CRYPTO_REAL(X509_VERIFY_PARAM_set1_host)(param, name, namelen);
}

int X509_VERIFY_PARAM_set1_ip_asc(X509_VERIFY_PARAM *param, const char *ipasc)
{
	return CRYPTO_REAL(X509_VERIFY_PARAM_set1_ip_asc)(param, ipasc);
}

void X509_VERIFY_PARAM_set_hostflags(X509_VERIFY_PARAM *param,
				     unsigned int flags)
{
	CRYPTO_REAL(X509_VERIFY_PARAM_set_hostflags)(param, flags);
}

void X509_free(X509 *a)
{
	CRYPTO_REAL(X509_free)(a);
}

const char *X509_verify_cert_error_string(long n)
{
	return CRYPTO_REAL(X509_verify_cert_error_string)(n);
}

EVP_PKEY *d2i_PUBKEY(EVP_PKEY **a, const unsigned char **pp, long length)
{
	return CRYPTO_REAL(d2i_PUBKEY)(a, pp, length);
}

EVP_PKEY *d2i_PublicKey(int type, EVP_PKEY **a, const unsigned char **pp,
			long length)
{
	return CRYPTO_REAL(d2i_PublicKey)(type, a, pp, length);
}
