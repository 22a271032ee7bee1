/* The OpenSSL client side shared by the relay (probe/) and the mailboxes
 * (receiver/imap.c): a verifying context (TLS 1.2+, the configured CA file
 * or the system store, the host name or IP SAN), a handshake bounded in
 * time on a non-blocking socket, and reasons a human can act on when it
 * fails. No protocol here (SMTP's or IMAP's STARTTLS is the caller's). */
#ifndef MC_TLS_H
#define MC_TLS_H

#include <openssl/ssl.h>
#include <signal.h>
#include <stddef.h>

#include "mc_err.h"

struct mc_tls {
	SSL_CTX *ctx;
	int verify;                /* tls_verify of the relay or mailbox */
	char sni[256];             /* host, "" when it is an address
				    * (RFC 6066 §3: no SNI for literals) */
	/* First certificate problem the verify callback saw (read after
	 * the handshake has ended). */
	int verify_error;          /* X509_V_* or 0 */
	int verify_depth;
};

/* Makes a client context for host: TLS 1.2 or later; unless verify is 0,
 * SSL_VERIFY_PEER against ca_file (NULL or "": the system store) and host
 * (X509_VERIFY_PARAM: DNS name, or IP SAN when host is an address). what
 * ("relay loop", "mailbox \"m\"") starts the error message. Returns 0 or
 * -1 (component tls). tls stays at a fixed address until mc_tls_fini():
 * the context points at it. */
int mc_tls_init(struct mc_tls *tls, const char *host, const char *ca_file,
		int verify, const char *what, struct mc_err *err);
/* Frees the context; accepts a zeroed or finished tls. */
void mc_tls_fini(struct mc_tls *tls);

/* The client handshake on the connected non-blocking socket fd, polled
 * until deadline (mc_now_mono()). Returns a new SSL the caller frees with
 * SSL_free(), or NULL with why[0..why_size) saying what failed (as
 * mc_tls_why()) and *timed_out set when the deadline passed. SIGPIPE is
 * the caller's concern (mc_tls_sigpipe_block()). */
SSL *mc_tls_handshake(struct mc_tls *tls, int fd, double deadline,
		      int *timed_out, char *why, size_t why_size);

/* Why a handshake failed, for a human: the X509 reason if verification
 * failed, else OpenSSL's last error in this thread's queue (which it
 * clears), else "handshake failed". */
void mc_tls_why(struct mc_tls *tls, char *out, size_t size);

/* "TLSv1.3" and the cipher name of an established connection. */
void mc_tls_describe(SSL *ssl, char version[16], char cipher[64]);

/* OpenSSL writes to the socket with write(): a peer that has hung up
 * raises SIGPIPE, which would end the process. Between _block() and
 * _restore() it is blocked in this thread, and one raised meanwhile is
 * discarded (unless it was already pending before). */
struct mc_sigpipe {
	sigset_t old_mask;
	int had_pending;
};
void mc_tls_sigpipe_block(struct mc_sigpipe *sp);
void mc_tls_sigpipe_restore(struct mc_sigpipe *sp);

#endif
