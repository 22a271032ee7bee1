/* Delivery of alert events (alert/alert.h's event JSON) through one
 * [alert] section: exec (a command, no shell, the event on stdin),
 * webhook (the event POSTed as is), and the paging APIs with the event
 * mapped to their fields -- Prometheus Alertmanager API v2, PagerDuty
 * Events API v2, Slack incoming webhooks, Opsgenie Alert API v2. HTTP is
 * one blocking libcurl easy transfer per delivery, bounded by the
 * section's timeout, TLS verified (ca_file or the system store), http://
 * to loopback only (config checks it), no redirects. Secrets (routing
 * key, API key) go into the request only: never into argv, errors or
 * logs; neither do URLs (a Slack webhook URL is itself a secret). */
#ifndef MC_ALERT_HOOKS_H
#define MC_ALERT_HOOKS_H

#include "alert/alert.h"
#include "config/config.h"
#include "mc_err.h"
#include "store/store.h"

/* Upper bound of what is read of a receiver's answer. */
#define HOOKS_MAX_RESPONSE (64u * 1024)

/* Delivers event_json (borrowed) through a, now being the delivery time
 * (Alertmanager's endsAt of a resolved alert). Returns 0 when the
 * receiver took it (HTTP 2xx, exit status 0), else -1 with err naming
 * the alert, its type and what went wrong. */
int hooks_deliver(const struct mc_alert *a, const char *event_json,
		  double now, struct mc_err *err);

/* The per-tick step of one (result, alert) pair for `run`: reads the
 * pair's state from st, steps the state machine, delivers what is
 * pending (a new notification, or one an earlier tick could not
 * deliver), and stores the new state. A failed delivery is written to
 * stderr and kept pending for the next tick. Returns 0 when nothing was
 * pending or it was delivered, 1 when a delivery failed (kept; err says
 * why), -1 on a store or state error (err). */
int hooks_process(struct mc_store *st, const struct mc_alert *a,
		  const struct alert_result *res, double now,
		  struct mc_err *err);

/* For a subject with no new result this tick: delivers its alert's
 * pending notification, if an earlier tick could not (never steps the
 * state machine: `failures` counts results, not ticks). Returns 0
 * (nothing pending, or delivered), 1 (failed again, kept, err says why)
 * or -1 (store error). */
int hooks_retry_pending(struct mc_store *st, const struct mc_alert *a,
			enum alert_subject kind, const char *subject,
			double now, struct mc_err *err);

#endif
