/* libesmtp on first use: defines every smtp_* and auth_* function the probe
 * calls (probe/probe_session.c, probe/probe_submit.c) and forwards it to
 * libesmtp.so.6, loaded by lazy.h's helper on the first call. Why, and why
 * hand-written: lazy.h. Add a function here (and to ESMTP_FNS) when a
 * caller starts using one; the link fails until you do.
 *
 * _smtp_message_str_cb is libesmtp's own message reader that the
 * smtp_set_message_str() macro hands back to libesmtp; the address it gets
 * is this forwarder's, which is as good. libesmtp.h needs size_t from
 * <stddef.h> first. */
#include <stddef.h>

#include <auth-client.h>
#include <libesmtp.h>
#include <pthread.h>

#include "lazy.h"

#define ESMTP_SONAME "libesmtp.so.6"

#define ESMTP_FNS(X) \
	X(auth_client_init) X(auth_create_context) X(auth_destroy_context) \
	X(auth_set_interact_cb) X(auth_set_mechanism_flags) \
	X(smtp_create_session) X(smtp_destroy_session) X(smtp_add_message) \
	X(smtp_add_recipient) X(smtp_auth_set_context) X(smtp_dsn_set_envid) \
	X(smtp_dsn_set_notify) X(smtp_dsn_set_ret) X(smtp_errno) \
	X(smtp_strerror) X(smtp_set_eventcb) X(smtp_set_hostname) \
	X(smtp_set_messagecb) X(smtp_set_monitorcb) X(smtp_set_reverse_path) \
	X(smtp_set_server) X(smtp_set_timeout) X(smtp_starttls_enable) \
	X(smtp_start_session) X(_smtp_message_str_cb)

LAZY_LIB(esmtp, ESMTP_SONAME, ESMTP_FNS)
#define REAL(f) LAZY_CALL(esmtp, f)

void auth_client_init(void)
{
	REAL(auth_client_init)();
}

auth_context_t auth_create_context(void)
{
	return REAL(auth_create_context)();
}

int auth_destroy_context(auth_context_t context)
{
	return REAL(auth_destroy_context)(context);
}

int auth_set_interact_cb(auth_context_t context, auth_interact_t interact,
			 void *arg)
{
	return REAL(auth_set_interact_cb)(context, interact, arg);
}

int auth_set_mechanism_flags(auth_context_t context, unsigned set,
			     unsigned clear)
{
	return REAL(auth_set_mechanism_flags)(context, set, clear);
}

smtp_session_t smtp_create_session(void)
{
	return REAL(smtp_create_session)();
}

int smtp_destroy_session(smtp_session_t session)
{
	return REAL(smtp_destroy_session)(session);
}

smtp_message_t smtp_add_message(smtp_session_t session)
{
	return REAL(smtp_add_message)(session);
}

smtp_recipient_t smtp_add_recipient(smtp_message_t message,
				    const char *mailbox)
{
	return REAL(smtp_add_recipient)(message, mailbox);
}

int smtp_auth_set_context(smtp_session_t session, auth_context_t context)
{
	return REAL(smtp_auth_set_context)(session, context);
}

int smtp_dsn_set_envid(smtp_message_t message, const char *envid)
{
	return REAL(smtp_dsn_set_envid)(message, envid);
}

int smtp_dsn_set_notify(smtp_recipient_t recipient, enum notify_flags flags)
{
	return REAL(smtp_dsn_set_notify)(recipient, flags);
}

int smtp_dsn_set_ret(smtp_message_t message, enum ret_flags flags)
{
	return REAL(smtp_dsn_set_ret)(message, flags);
}

int smtp_errno(void)
{
	return REAL(smtp_errno)();
}

char *smtp_strerror(int error, char buf[], size_t buflen)
{
	return REAL(smtp_strerror)(error, buf, buflen);
}

int smtp_set_eventcb(smtp_session_t session, smtp_eventcb_t cb, void *arg)
{
	return REAL(smtp_set_eventcb)(session, cb, arg);
}

int smtp_set_hostname(smtp_session_t session, const char *hostname)
{
	return REAL(smtp_set_hostname)(session, hostname);
}

int smtp_set_messagecb(smtp_message_t message, smtp_messagecb_t cb,
		       void *arg)
{
	return REAL(smtp_set_messagecb)(message, cb, arg);
}

int smtp_set_monitorcb(smtp_session_t session, smtp_monitorcb_t cb, void *arg,
		       int headers)
{
	return REAL(smtp_set_monitorcb)(session, cb, arg, headers);
}

int smtp_set_reverse_path(smtp_message_t message, const char *mailbox)
{
	return REAL(smtp_set_reverse_path)(message, mailbox);
}

int smtp_set_server(smtp_session_t session, const char *hostport)
{
	return REAL(smtp_set_server)(session, hostport);
}

long smtp_set_timeout(smtp_session_t session, int which, long value)
{
	return REAL(smtp_set_timeout)(session, which, value);
}

int smtp_starttls_enable(smtp_session_t session, enum starttls_option how)
{
	return REAL(smtp_starttls_enable)(session, how);
}

int smtp_start_session(smtp_session_t session)
{
	return REAL(smtp_start_session)(session);
}

const char *_smtp_message_str_cb(void **ctx, int *len, void *arg)
{
	return REAL(_smtp_message_str_cb)(ctx, len, arg);
}
