/* Waiting for probes to arrive: one IMAP connection per watched folder (a
 * route's INBOX and each of its junk folders), IDLE where the server offers
 * it (a pushed "* n EXISTS" is acted on at once) and polling with a short,
 * bounded backoff where it does not. All connections share one poll()
 * loop; no wait runs past its deadline. Knows nothing of SMTP. */
#ifndef MC_WATCH_H
#define MC_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "mc_err.h"

#define WATCH_ID_MAX 64

/* One probe being waited for. The caller owns it; the waiter fills the
 * results. */
struct mc_arrival {
	char id[WATCH_ID_MAX];
	const struct mc_mailbox *mailbox;     /* borrowed */
	const struct mc_mailbox *bounces;     /* borrowed; NULL: none */
	double deadline;                      /* monotonic seconds */
	int cancelled;                        /* set by the caller: stop */
	/* results */
	int found;
	int junk;                             /* found in a junk folder */
	char folder[256];
	uint32_t uid;
	double internaldate;                  /* epoch seconds, or NAN */
	double noticed_at;                    /* epoch seconds, realtime */
	char *header;                         /* the whole message (header
						 and body), owned */
	size_t header_len;
	int idle;                             /* noticed through IDLE push */
	double pushed_at;                     /* when the server pushed the
						 EXISTS that led to it (epoch
						 s), or NAN */
	int dsn_final;                        /* a DSN ended the wait */
	unsigned dsn_count;                   /* DSNs seen for it */
	struct mc_err err;                    /* set if a watch of its mailbox
						 failed (connect, TLS, auth) */
};

struct mc_waiter;

/* Called for each message in a bounce mailbox that names a's probe ID
 * (msg borrowed for the call). Returns 1 if it ends the wait for a (a
 * failure), 0 if not (a delay notice: the probe may still arrive). */
typedef int (*waiter_dsn_fn)(void *arg, struct mc_arrival *a,
			     const char *msg, size_t len);

/* Returns a new waiter the caller frees with waiter_free(), or NULL.
 * on_dsn may be NULL when no arrival has a bounces mailbox. */
struct mc_waiter *waiter_new(waiter_dsn_fn on_dsn, void *dsn_arg);

/* Adds a borrowed arrival (its id and mailbox set). Returns 0 or -1. */
int waiter_add(struct mc_waiter *w, struct mc_arrival *a);

/* Opens every watch (each distinct mailbox's folder and junk folders, and
 * each bounce mailbox's folder),
 * selects the folder and checks once for arrivals already there. A watch
 * that cannot be opened sets err on its arrivals. Blocks for at most the
 * mailboxes' timeouts. Returns the number of watches that failed. */
int waiter_open(struct mc_waiter *w);

/* Waits until every arrival is found, cancelled, failed or past its
 * deadline. Returns 0. */
int waiter_run(struct mc_waiter *w);

/* Closes every connection and frees the waiter (not the arrivals, but
 * their header buffers stay with them). Accepts NULL. */
void waiter_free(struct mc_waiter *w);

/* Frees the results held by an arrival (header). */
void arrival_clear(struct mc_arrival *a);

/* The value of header field name in a header block, unfolded and trimmed,
 * copied to out; returns 0, or -1 if absent or too long. */
int watch_header_field(const char *hdr, size_t n, const char *name,
		       char *out, size_t out_size);

#endif
