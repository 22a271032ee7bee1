/* Shared between alert/hooks.c and alert/hooks_exec.c; not for other
 * modules. */
#ifndef MC_ALERT_HOOKS_INTERNAL_H
#define MC_ALERT_HOOKS_INTERNAL_H

#include <jansson.h>

#include "config/config.h"
#include "mc_err.h"

/* Runs a->argv with event_json on stdin and the MAILCANARY_* variables
 * taken from ev; 0 when it exits 0 within a->timeout. */
int hooks_exec(const struct mc_alert *a, json_t *ev, const char *event_json,
	       struct mc_err *err);

#endif
