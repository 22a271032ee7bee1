/* Internals of probe submission shared by probe_submit.c, probe_session.c
 * and probe_tunnel.c: the loopback tunnel
 * that carries libesmtp's connection to the relay. Not for other modules. */
#ifndef MC_PROBE_INTERNAL_H
#define MC_PROBE_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>

#include <auth-client.h>
#include <libesmtp.h>

#include "config/config.h"
#include "mc_err.h"
#include "mc_tls.h"
#include "probe/probe.h"

/* ---- TLS: common/mc_tls.h (struct mc_tls, shared with receiver/imap.c) ---- */

/* ---- EHLO keyword mask (probe_reply.c; pure) ----
 *
 * libesmtp 1.1 sends the message with BDAT when the relay offers CHUNKING
 * (RFC 3030), and cmd_bdat() switches its protocol monitor off for the
 * rest of the session: we would see neither the RCPT it pipelines, nor
 * the chunks' replies, nor the final 250 with the queue ID. So the tunnel
 * renames the keyword in every "250-CHUNKING" / "250 CHUNKING" line it
 * hands libesmtp to "X-NOBDAT" (same length: framing is untouched), and
 * libesmtp uses DATA, which every relay must support (RFC 5321 §4.5.1). */

#define PROBE_MASK_HEAD 12         /* "250-CHUNKING" */

struct probe_ehlo_mask {
	size_t col;                    /* of the current line, so far */
	char head[PROBE_MASK_HEAD];    /* its first bytes, held back */
	int masked;                    /* times the keyword was renamed */
};

/* Copies in[0..n) to out, renaming the keyword as above, across calls.
 * The first PROBE_MASK_HEAD bytes of a line are held back until the line
 * has that many or ends, so out may get up to n + PROBE_MASK_HEAD bytes
 * (or fewer than n). Returns the number written. */
size_t probe_ehlo_mask(struct probe_ehlo_mask *m, const char *in, size_t n,
		       char *out);

/* ---- tunnel (probe_tunnel.c) ----
 *
 * libesmtp 1.1 connects with a blocking connect() (no deadline), has no
 * implicit TLS, and its STARTTLS can deadlock (see probe_submit.c). So we
 * connect to the relay ourselves, bounded, establish TLS ourselves
 * (implicit, or after our own EHLO/STARTTLS), and hand libesmtp a listener
 * on 127.0.0.1 whose one connection a thread relays byte for byte,
 * decrypting on the way. The thread also enforces the inactivity limit (a
 * relay that stalls, or trickles, cannot hold us longer than the timeout
 * per stage and a hard cap overall) and the gate: once closed, nothing
 * more goes to the relay. */

struct probe_tunnel {
	int listen_fd, local_fd, remote_fd;
	int wake[2];               /* a byte here ends the thread */
	unsigned short port;       /* the listener's */
	SSL *ssl;                  /* implicit TLS to the relay, or NULL */
	double timeout;            /* seconds without traffic: stalled */
	double hard_deadline;      /* mc_now_mono() cap for the whole run */
	atomic_int gate;           /* non-zero: forward nothing more */
	char *prefix;              /* for libesmtp first (a replayed greeting) */
	size_t prefix_len;
	pthread_t thread;
	int started;
	/* written by the thread, read after probe_tunnel_stop() */
	int stalled;               /* inactivity limit or hard cap hit */
	int remote_closed;         /* the relay closed (or reset) */
	int accepted;              /* libesmtp's connection arrived */
	struct probe_ehlo_mask mask; /* relay -> libesmtp */
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
int probe_tunnel_handshake(struct probe_tunnel *tn, struct mc_tls *tls,
			   const struct mc_relay *relay, double deadline,
			   struct mc_err *err);

/* Plain I/O with the relay before the thread runs (the STARTTLS
 * prologue). probe_tunnel_write() sends all of p[0..n); 0 or -1.
 * probe_tunnel_read_reply() reads until buf[0..*have) starts with a
 * complete SMTP reply and returns its length, or -1 (timeout: tn->stalled;
 * hang-up: tn->remote_closed; either way tn->why says) or -2 (not SMTP,
 * or longer than size). Bytes after the reply stay in buf. */
int probe_tunnel_write(struct probe_tunnel *tn, const char *p, size_t n,
		       double deadline);
long probe_tunnel_read_reply(struct probe_tunnel *tn, char *buf, size_t size,
			     size_t *have, double deadline);

/* Opens the loopback listener (tn->port) and starts the relaying thread
 * with SIGPIPE blocked in it; prefix[0..n) (may be NULL) is handed to
 * libesmtp before anything from the relay. Returns 0 or -1 (component
 * internal). */
int probe_tunnel_start(struct probe_tunnel *tn, const char *prefix, size_t n,
		       struct mc_err *err);

/* Closes the gate: the thread forwards nothing more to the relay and
 * hangs up both sides. Safe from any thread; takes effect for any byte
 * written to the tunnel after it returns. */
void probe_tunnel_gate(struct probe_tunnel *tn);

/* Ends the thread (if started), joins it and closes everything; the
 * thread's observations (stalled, remote_closed, ...) stay. Idempotent. */
void probe_tunnel_stop(struct probe_tunnel *tn);

/* ---- one submission (probe_submit.c drives, probe_session.c watches) ---- */

#define PROBE_RBUF 16384           /* reply bytes awaiting a final line */
#define PROBE_FIFO 32              /* commands awaiting replies */

enum probe_cmd {
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

struct probe_sub {
	const struct mc_route *route;
	const struct mc_relay *relay;
	struct mc_probe_result *res;
	struct probe_tunnel tn;
	struct mc_tls tls;
	double t0;
	char where[300];               /* "relay NAME (host:port)" */

	/* reply framing (libesmtp's reads) */
	char rbuf[PROBE_RBUF];
	size_t rlen;
	int greeting_seen;
	enum probe_cmd fifo[PROBE_FIFO];
	unsigned fifo_head, fifo_len;
	/* command framing: the verb of a line, which may be split across
	 * writes; SASL response lines are not collected at all */
	int wline, wmid, wsasl;
	char wverb[12];
	size_t wverb_len;
	int expect_sasl;

	const char *stage;             /* of the last command sent */
	int after_tls, tls_ok, starttls_accepted, starttls_missing;
	int auth_tried, authenticated, have_auth_reply;
	struct probe_reply auth_reply;
	int have_fail;
	enum probe_cmd fail_kind;
	struct probe_reply fail;
	int have_eod;
	struct probe_reply eod;
	int broken;                    /* the prologue ended it: why */
	enum mc_component broken_comp;
	char broken_why[200];

	int gated;
	enum mc_component gate_comp;
	char gate_why[MC_ERR_MSG_MAX];
};

double probe_sub_since(const struct probe_sub *s);
const char *probe_stage_of(enum probe_cmd c, int after_tls);
const char *probe_cmd_name(enum probe_cmd c);

/* Records r as the failure that decides the verdict, unless an earlier
 * one already does (a failed EHLO gives way to what follows). */
void probe_sub_note_fail(struct probe_sub *s, enum probe_cmd kind,
			 const struct probe_reply *r);

/* The stage the dialogue is in: that of the oldest command still waiting
 * for its reply (with PIPELINING, RCPT before DATA), else of the last
 * command sent. */
const char *probe_sub_stage(const struct probe_sub *s);

/* A libesmtp session that sends msg for s->route through the tunnel
 * (127.0.0.1:s->tn.port), watched by the monitor and event callbacks
 * into s. *actx gets the AUTH context to free after the session, if any.
 * NULL with err filled on failure. */
smtp_session_t probe_session_new(struct probe_sub *s, const char *msg,
				 const char *id, auth_context_t *actx,
				 struct mc_err *err);

#endif
