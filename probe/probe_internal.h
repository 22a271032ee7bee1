/* Internals of probe submission shared by probe_submit.c, probe_tls.c and
 * probe_tunnel.c: the verifying OpenSSL context and the loopback tunnel
 * that carries libesmtp's connection to the relay. Not for other modules. */
#ifndef MC_PROBE_INTERNAL_H
#define MC_PROBE_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "config/config.h"
#include "mc_err.h"

/* ---- TLS (probe_tls.c) ---- */

struct probe_tls {
	SSL_CTX *ctx;              /* ours; libesmtp takes its own reference */
	int verify;                /* relay->tls_verify */
	char sni[256];             /* relay->host, "" when it is an address */
	/* First certificate problem the verify callback saw (handshake
	 * thread, read after the handshake has ended). */
	int verify_error;          /* X509_V_* or 0 */
	int verify_depth;
};

/* Makes a client context for relay: TLS 1.2 or later; unless
 * relay->tls_verify is 0, SSL_VERIFY_PEER against relay->ca_file or the
 * system store and relay->host (X509_VERIFY_PARAM: DNS name, or IP SAN
 * when host is an address). SNI is sent for names (also on handshakes
 * libesmtp starts). Returns 0 or -1 (component tls). tls stays at a fixed
 * address until probe_tls_fini(): the context points at it. */
int probe_tls_init(struct probe_tls *tls, const struct mc_relay *relay,
		   struct mc_err *err);
void probe_tls_fini(struct probe_tls *tls);

/* Why a handshake failed, for a human: the X509 reason if verification
 * failed, else OpenSSL's last error in this thread's queue (which it
 * clears), else "handshake failed". */
void probe_tls_why(struct probe_tls *tls, char *out, size_t size);

/* "TLSv1.3" and the cipher name of an established connection. */
void probe_tls_describe(SSL *ssl, char version[16], char cipher[64]);

/* ---- tunnel (probe_tunnel.c) ----
 *
 * libesmtp 1.1 connects with a blocking connect() (no deadline) and has
 * no implicit TLS. So we connect to the relay ourselves, bounded, do the
 * TLS handshake ourselves for implicit TLS, and hand libesmtp a listener
 * on 127.0.0.1 whose one connection a thread relays byte for byte. The
 * thread also enforces the inactivity limit (a relay that stalls, or
 * trickles, cannot hold us longer than the timeout per stage and a hard
 * cap overall) and the gate: once closed, nothing more goes to the relay. */

struct probe_tunnel {
	int listen_fd, local_fd, remote_fd;
	int wake[2];               /* a byte here ends the thread */
	unsigned short port;       /* the listener's */
	SSL *ssl;                  /* implicit TLS to the relay, or NULL */
	double timeout;            /* seconds without traffic: stalled */
	double hard_deadline;      /* mc_now_mono() cap for the whole run */
	atomic_int gate;           /* non-zero: forward nothing more */
	pthread_t thread;
	int started;
	/* written by the thread, read after probe_tunnel_stop() */
	int stalled;               /* inactivity limit or hard cap hit */
	int remote_closed;         /* the relay closed (or reset) */
	int accepted;              /* libesmtp's connection arrived */
	char why[160];             /* socket/TLS error, if any */
};

/* Sets every descriptor to -1. Call before anything else. */
void probe_tunnel_init(struct probe_tunnel *tn);

/* Resolves relay->host and connects to relay->port, every address in
 * turn, giving up at deadline (mc_now_mono()). Fills peer ("ip:port").
 * Returns 0 or -1 (component relay, err names host:port and why). */
int probe_tunnel_connect(struct probe_tunnel *tn, const struct mc_relay *relay,
			 double deadline, char *peer, size_t peer_size,
			 struct mc_err *err);

/* Implicit TLS: the handshake on the connected socket with tls->ctx,
 * bounded by deadline. Returns 0 (tn->ssl set) or -1 (component tls). */
int probe_tunnel_handshake(struct probe_tunnel *tn, struct probe_tls *tls,
			   const struct mc_relay *relay, double deadline,
			   struct mc_err *err);

/* Opens the loopback listener (tn->port) and starts the relaying thread
 * with SIGPIPE blocked in it. Returns 0 or -1 (component internal). */
int probe_tunnel_start(struct probe_tunnel *tn, struct mc_err *err);

/* Closes the gate: the thread forwards nothing more to the relay and
 * hangs up both sides. Safe from any thread; takes effect for any byte
 * written to the tunnel after it returns. */
void probe_tunnel_gate(struct probe_tunnel *tn);

/* Ends the thread (if started), joins it and closes everything; the
 * thread's observations (stalled, remote_closed, ...) stay. Idempotent. */
void probe_tunnel_stop(struct probe_tunnel *tn);

#endif
