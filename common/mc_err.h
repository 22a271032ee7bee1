/* Error reporting shared by every module: a result code plus a one-line
 * message for humans that names what failed and where. The caller owns the
 * struct; callees only fill it. Nothing here prints or exits. */
#ifndef MC_ERR_H
#define MC_ERR_H

#include <stddef.h>

/* Which piece of the mail path an error belongs to. The names are the
 * "component" strings of DESIGN.md's alert event. */
enum mc_component {
	MC_COMP_NONE = 0,
	MC_COMP_USAGE,
	MC_COMP_CONFIG,
	MC_COMP_RELAY,
	MC_COMP_TLS,
	MC_COMP_AUTH,
	MC_COMP_MAILBOX,
	MC_COMP_DNS,
	MC_COMP_MX,
	MC_COMP_GREYLISTING,
	MC_COMP_BLOCKLIST,
	MC_COMP_DKIM,
	MC_COMP_SPF,
	MC_COMP_DMARC,
	MC_COMP_STORE,
	MC_COMP_INTERNAL,
};

#define MC_ERR_MSG_MAX 256

struct mc_err {
	int code;                 /* 0 = no error; otherwise module-defined, < 0 */
	enum mc_component component;
	char msg[MC_ERR_MSG_MAX];
};

/* Sets code, component and a printf-style message; returns code so callers
 * can write `return mc_err_set(err, -1, ...)`. err may be NULL. */
int mc_err_set(struct mc_err *err, int code, enum mc_component comp,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefixes the existing message with "prefix: " (e.g. a route name). */
void mc_err_prefix(struct mc_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void mc_err_clear(struct mc_err *err);

/* Replaces each occurrence of secret (when 4 bytes or longer) in the
 * NUL-terminated s with "****", in place: for messages that quote what a
 * server said, which might echo a password back. */
void mc_scrub(char *s, const char *secret);

/* "relay", "tls", ...; "" for MC_COMP_NONE. Static storage. */
const char *mc_component_name(enum mc_component comp);

#endif
