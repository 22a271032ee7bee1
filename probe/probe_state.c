#include "probe_state.h"

#include <string.h>

static const char *const names[] = {
	[PROBE_PENDING] = "pending",       [PROBE_DELIVERED] = "delivered",
	[PROBE_SLOW] = "slow",             [PROBE_JUNK] = "junk",
	[PROBE_GREYLISTED] = "greylisted", [PROBE_DEFERRED] = "deferred",
	[PROBE_BOUNCED] = "bounced",       [PROBE_REJECTED] = "rejected",
	[PROBE_LOST] = "lost",             [PROBE_ERROR] = "error",
};

const char *probe_state_name(enum mc_probe_state st)
{
	if ((unsigned)st >= sizeof(names) / sizeof(names[0]))
		return "error";
	return names[st];
}

int probe_state_parse(const char *name, enum mc_probe_state *st)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i], name) == 0) {
			*st = (enum mc_probe_state)i;
			return 0;
		}
	}
	return -1;
}

enum mc_severity probe_state_severity(enum mc_probe_state st,
				      double delivery_seconds, int warn)
{
	switch (st) {
	case PROBE_DELIVERED:
		return MC_SEV_OK;
	case PROBE_GREYLISTED:
		return delivery_seconds > warn ? MC_SEV_WARNING : MC_SEV_OK;
	case PROBE_SLOW:
	case PROBE_JUNK:
	case PROBE_DEFERRED:
		return MC_SEV_WARNING;
	case PROBE_PENDING:
		return MC_SEV_UNKNOWN;
	default:
		return MC_SEV_CRITICAL;
	}
}

enum mc_probe_state probe_state_judge_found(int junk,
					    double delivery_seconds, int warn)
{
	if (junk)
		return PROBE_JUNK;
	return delivery_seconds > warn ? PROBE_SLOW : PROBE_DELIVERED;
}
