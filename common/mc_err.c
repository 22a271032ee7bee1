#include "mc_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mc_err_set(struct mc_err *err, int code, enum mc_component comp,
	       const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->component = comp;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void mc_err_prefix(struct mc_err *err, const char *fmt, ...)
{
	char prefix[MC_ERR_MSG_MAX];
	char old[MC_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void mc_err_clear(struct mc_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->component = MC_COMP_NONE;
	err->msg[0] = '\0';
}

void mc_scrub(char *s, const char *secret)
{
	size_t pl = secret ? strlen(secret) : 0;
	char *p;

	if (pl < 4 || !s)
		return;
	for (int i = 0; i < 16 && (p = strstr(s, secret)); i++) {
		memcpy(p, "****", 4);
		memmove(p + 4, p + pl, strlen(p + pl) + 1);
	}
}

const char *mc_component_name(enum mc_component comp)
{
	static const char *const names[] = {
		[MC_COMP_NONE] = "",
		[MC_COMP_USAGE] = "usage",
		[MC_COMP_CONFIG] = "config",
		[MC_COMP_RELAY] = "relay",
		[MC_COMP_TLS] = "tls",
		[MC_COMP_AUTH] = "auth",
		[MC_COMP_MAILBOX] = "mailbox",
		[MC_COMP_DNS] = "dns",
		[MC_COMP_MX] = "mx",
		[MC_COMP_GREYLISTING] = "greylisting",
		[MC_COMP_BLOCKLIST] = "blocklist",
		[MC_COMP_DKIM] = "dkim",
		[MC_COMP_SPF] = "spf",
		[MC_COMP_DMARC] = "dmarc",
		[MC_COMP_STORE] = "store",
		[MC_COMP_INTERNAL] = "internal",
	};

	if ((unsigned)comp >= sizeof(names) / sizeof(names[0]))
		return "internal";
	return names[comp];
}
