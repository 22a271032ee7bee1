/* The alert lifecycle of one (subject, [alert] section) pair -- subject a
 * route or a check -- as a pure state machine (DESIGN.md "alert/"): from
 * the newest result, the stored state (store_alert) and the time, it
 * computes the new stored state and whether a notification (firing or
 * resolved) is due, as the event JSON of DESIGN.md. It never delivers,
 * reads the clock or touches the store: alert/hooks.h delivers, the
 * caller (run, `alert test`) loads and saves the store_alert.
 *
 * Rules:
 *  - a result with severity >= 1 (WARNING, CRITICAL, UNKNOWN) is bad; a
 *    slow or junked probe is a delivery problem worth a page when the
 *    operator wants it, and `failures` filters the flapping;
 *  - OK -> firing after `failures` consecutive bad results;
 *  - while firing, a new "firing" notification every `repeat` seconds
 *    after the last delivered one (0: never), carrying the newest result;
 *  - firing -> OK on the first OK result, with a "resolved" notification;
 *  - a notification is kept in pending_delivery until delivered: the caller
 *    tries it every tick (alert_delivered()/alert_delivery_failed()); a
 *    newer notification of the same pair replaces an undelivered one (the
 *    newest tells the current truth); nothing is dropped silently.
 */
#ifndef MC_ALERT_H
#define MC_ALERT_H

#include "config/config.h"
#include "mc_err.h"
#include "store/store.h"

enum alert_subject {
	ALERT_ROUTE = 0,
	ALERT_CHECK,
};

/* The newest result of a route or check. Strings borrowed; any but
 * subject may be NULL (JSON null; evidence: {}). */
struct alert_result {
	enum alert_subject kind;
	const char *subject;        /* route or check name */
	int severity;               /* 0 OK .. 3 UNKNOWN */
	const char *state;          /* "bounced", "lost", ... or a check's */
	const char *component;      /* mc_component_name(): "relay", ... */
	const char *summary;        /* one line a human reads on a phone */
	const char *evidence_json;  /* a JSON object, or NULL */
	const char *probe_id;
};

enum alert_notify {
	ALERT_NOTIFY_NONE = 0,
	ALERT_NOTIFY_FIRING,
	ALERT_NOTIFY_RESOLVED,
};

/* "route/NAME/ALERT" or "check/NAME/ALERT": the store key of the pair.
 * Returns a new string the caller frees (NULL when out of memory). */
char *alert_key(enum alert_subject kind, const char *subject,
		const char *alert_name);

/* "mailcanary/route/NAME" or "mailcanary/check/NAME": stable for the
 * subject across ticks, restarts and alert sections, so a paging service
 * sees one incident per route or check. New string, caller frees. */
char *alert_dedup_key(enum alert_subject kind, const char *subject);

/* The event JSON (compact) for res with status firing or resolved,
 * started_at the time the alert fired. New string, caller frees; NULL
 * with err set when evidence_json is not a JSON object or memory runs
 * out. */
char *alert_event_json(const struct alert_result *res,
		       enum alert_notify status, double started_at,
		       struct mc_err *err);

/* One step: prev (as store_alert_get() gave it; borrowed) + res + now ->
 * *next (new strings; free with store_alert_clear()). next->key is
 * copied from prev. When a notification becomes due it is built and put
 * in next->pending_delivery (replacing an older pending one) and the
 * return value says which; otherwise next->pending_delivery keeps prev's.
 * Returns ALERT_NOTIFY_* (>= 0), or -1 with err set. */
int alert_next(const struct mc_alert *alert, const struct alert_result *res,
	       const struct store_alert *prev, double now,
	       struct store_alert *next, struct mc_err *err);

/* After delivering a->pending_delivery: clears it, sets last_notified
 * to now and last_error to NULL. */
void alert_delivered(struct store_alert *a, double now);

/* After a failed delivery: keeps pending_delivery, records why in
 * last_error (copied; must hold no secret). Returns -1 when out of
 * memory (the old last_error is kept). */
int alert_delivery_failed(struct store_alert *a, const char *why);

#endif
