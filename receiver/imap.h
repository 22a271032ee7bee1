/* One authenticated IMAP connection, opened by this module itself: TCP,
 * implicit TLS or required STARTTLS with certificate verification
 * (common/mc_tls.h, as for the relay), LOGIN or AUTHENTICATE PLAIN. Then
 * commands and responses go over it as they come (IDLE, untagged
 * responses). This module frames and sends; it does not decide what to
 * wait for (that is watch.c). Why by hand: imap.c. */
#ifndef MC_IMAP_H
#define MC_IMAP_H

#include "config/config.h"
#include "imap_parse.h"
#include "mc_err.h"

struct mc_imap;

/* Connects and logs in to mb's server, blocking for at most mb->timeout
 * in all. Errors read "mailbox "NAME": HOST:PORT: why" and name the
 * component: mailbox (connect/protocol), tls, auth. mb is borrowed for
 * the session's life; the password never appears in a message.
 * Returns a new session the caller frees with imap_close(), or NULL. */
struct mc_imap *imap_connect(const struct mc_mailbox *mb, struct mc_err *err);

/* Sends LOGOUT (best effort) and frees everything. Accepts NULL. */
void imap_close(struct mc_imap *s);

/* The socket, for poll(). */
int imap_fd(const struct mc_imap *s);

/* Sends "<tag> <command>\r\n" with a fresh tag, copied to tag (>= 16 bytes)
 * when tag is not NULL. command must not contain CR or LF. Returns 0/-1. */
int imap_command(struct mc_imap *s, char *tag, const char *command,
		 struct mc_err *err);

/* Sends a raw line (for IDLE's "DONE"); CRLF is added. */
int imap_send_line(struct mc_imap *s, const char *line, struct mc_err *err);

/* Reads the next response without blocking; call it until it returns 0
 * before poll()ing the socket (TLS may hold buffered bytes). Returns 1 and fills r (valid
 * until the next call), 0 if no complete response is buffered yet, -1 on
 * a closed connection or a protocol violation (err filled). */
int imap_next(struct mc_imap *s, struct imap_resp *r, struct mc_err *err);

/* Runs one command to its tagged completion, blocking at most until
 * deadline (monotonic seconds). Untagged responses on the way are passed
 * to cb (may be NULL). Returns 0 on OK, -1 otherwise (err filled). */
int imap_run(struct mc_imap *s, const char *command, double deadline,
	     void (*cb)(void *arg, const struct imap_resp *r), void *arg,
	     struct mc_err *err);

/* The mailbox this session belongs to (borrowed). */
const struct mc_mailbox *imap_mailbox(const struct mc_imap *s);

#endif
