/* The alert state machine and its event JSON (see alert.h). Pure: no
 * clock, no I/O. */
#include "alert/alert.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_time.h"

static const char *subject_word(enum alert_subject kind)
{
	return kind == ALERT_CHECK ? "check" : "route";
}

char *alert_key(enum alert_subject kind, const char *subject,
		const char *alert_name)
{
	char *s;

	if (asprintf(&s, "%s/%s/%s", subject_word(kind), subject,
		     alert_name) < 0)
		return NULL;
	return s;
}

char *alert_dedup_key(enum alert_subject kind, const char *subject)
{
	char *s;

	if (asprintf(&s, "mailcanary/%s/%s", subject_word(kind), subject) < 0)
		return NULL;
	return s;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

char *alert_event_json(const struct alert_result *res,
		       enum alert_notify status, double started_at,
		       struct mc_err *err)
{
	char ts[MC_RFC3339_MAX], *dedup = NULL, *out = NULL;
	json_t *doc = NULL, *evidence;
	json_error_t jerr;

	if (res->evidence_json) {
		evidence = json_loads(res->evidence_json, JSON_REJECT_DUPLICATES,
				      &jerr);
		if (!evidence || !json_is_object(evidence)) {
			json_decref(evidence);
			mc_err_set(err, -1, MC_COMP_INTERNAL,
				   "alert event for %s \"%s\": evidence is not a JSON object",
				   subject_word(res->kind), res->subject);
			return NULL;
		}
	} else {
		evidence = json_object();
	}
	dedup = alert_dedup_key(res->kind, res->subject);
	if (!isfinite(started_at))
		started_at = 0;
	doc = json_object();
	if (!doc || !evidence || !dedup ||
	    json_object_set_new(doc, "status",
				json_string(status == ALERT_NOTIFY_RESOLVED
						    ? "resolved" : "firing")) ||
	    json_object_set_new(doc, subject_word(res->kind),
				json_string(res->subject)) ||
	    json_object_set_new(doc, "severity",
				json_integer(res->severity)) ||
	    json_object_set_new(doc, "state", str_or_null(res->state)) ||
	    json_object_set_new(doc, "component",
				str_or_null(res->component)) ||
	    json_object_set_new(doc, "summary", str_or_null(res->summary)) ||
	    json_object_set(doc, "evidence", evidence) ||
	    json_object_set_new(doc, "probe_id", str_or_null(res->probe_id)) ||
	    json_object_set_new(doc, "started_at",
				json_string(mc_time_rfc3339(started_at, 0, ts))) ||
	    json_object_set_new(doc, "dedup_key", json_string(dedup)) ||
	    !(out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert event for %s \"%s\": out of memory (or a string is not UTF-8)",
			   subject_word(res->kind), res->subject);
	json_decref(evidence);
	json_decref(doc);
	free(dedup);
	return out;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = 1;
	return d;
}

int alert_next(const struct mc_alert *alert, const struct alert_result *res,
	       const struct store_alert *prev, double now,
	       struct store_alert *next, struct mc_err *err)
{
	enum alert_notify notify = ALERT_NOTIFY_NONE;
	double started_at = now;
	int oom = 0, bad = res->severity >= 1;
	char *event;

	memset(next, 0, sizeof(*next));
	next->key = dup_or_null(prev->key, &oom);
	next->status = prev->status;
	next->since = prev->since;
	next->last_notified = prev->last_notified;
	next->last_error = dup_or_null(prev->last_error, &oom);
	next->pending_delivery = dup_or_null(prev->pending_delivery, &oom);
	if (oom)
		goto oom;
	if (bad) {
		next->consecutive_failures = prev->consecutive_failures < 1000000
			? prev->consecutive_failures + 1 : 1000000;
		if (prev->status != STORE_ALERT_FIRING) {
			if (next->consecutive_failures >= alert->failures) {
				next->status = STORE_ALERT_FIRING;
				next->since = now;
				notify = ALERT_NOTIFY_FIRING;
			}
		} else if (!prev->pending_delivery && alert->repeat > 0 &&
			   (!isfinite(prev->last_notified) ||
			    now - prev->last_notified >= alert->repeat)) {
			/* a reminder, with the newest result */
			notify = ALERT_NOTIFY_FIRING;
			started_at = isfinite(prev->since) ? prev->since : now;
		}
	} else {
		next->consecutive_failures = 0;
		if (prev->status == STORE_ALERT_FIRING) {
			next->status = STORE_ALERT_OK;
			started_at = isfinite(prev->since) ? prev->since : now;
			next->since = now;
			notify = ALERT_NOTIFY_RESOLVED;
		}
	}
	if (!isfinite(next->since))
		next->since = now;
	if (notify == ALERT_NOTIFY_NONE)
		return 0;
	event = alert_event_json(res, notify, started_at, err);
	if (!event) {
		store_alert_clear(next);
		return -1;
	}
	free(next->pending_delivery);
	next->pending_delivery = event;
	return (int)notify;
oom:
	store_alert_clear(next);
	return mc_err_set(err, -1, MC_COMP_INTERNAL, "alert: out of memory");
}

void alert_delivered(struct store_alert *a, double now)
{
	free(a->pending_delivery);
	a->pending_delivery = NULL;
	free(a->last_error);
	a->last_error = NULL;
	a->last_notified = now;
}

int alert_delivery_failed(struct store_alert *a, const char *why)
{
	char *s = strdup(why ? why : "delivery failed");

	if (!s)
		return -1;
	free(a->last_error);
	a->last_error = s;
	return 0;
}
