/* What `status`, the alert module and the metrics read back: DNS check
 * results and their current state, each route's state, alert state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* Grows *arr (of elem-sized items) by one zeroed item; NULL on ENOMEM. */
/* ---- checks ---- */

int store_check_result_add(struct mc_store *st, const char *check, double at,
			   int severity, const char *summary,
			   const char *json, struct mc_err *err)
{
	if (!check || !*check)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: a check result needs a check name",
				  st->path);
	if (severity < MC_SEV_OK || severity > MC_SEV_UNKNOWN)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: check %s: severity %d is not 0..3",
				  st->path, check, severity);
	if (store_exec(st, err, "recording a check result",
		       "INSERT INTO check_results (check_name, at, severity,"
		       " summary, json) VALUES (?, ?, ?, ?, ?)",
		       "tditt", check, at, severity, summary, json) < 0) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_CHECK)
			mc_err_set(err, -1, MC_COMP_STORE,
				   "%s: check %s: result is not valid JSON",
				   st->path, check);
		return -1;
	}
	return 0;
}

void store_check_states_free(struct store_check_state *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		free(c[i].check);
		free(c[i].summary);
		free(c[i].json);
	}
	free(c);
}

int store_check_states(struct mc_store *st, struct store_check_state **out,
		       size_t *n, struct mc_err *err)
{
	static const char *what = "reading check states";
	void *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	/* The newest result per check; since = the oldest kept result after
	 * the newest one with another severity. */
	if (store_prepare(
		    st, err, what,
		    "SELECT c.check_name, c.severity, c.at, c.summary, c.json,"
		    " (SELECT MIN(x.at) FROM check_results x"
		    "  WHERE x.check_name = c.check_name AND x.at > COALESCE("
		    "  (SELECT MAX(y.at) FROM check_results y"
		    "   WHERE y.check_name = c.check_name"
		    "   AND y.severity != c.severity), -1e300))"
		    " FROM check_results c WHERE c.rowid = ("
		    "  SELECT z.rowid FROM check_results z"
		    "  WHERE z.check_name = c.check_name"
		    "  ORDER BY z.at DESC, z.rowid DESC LIMIT 1)"
		    " ORDER BY c.check_name",
		    &s, ""))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_check_state *c =
			store_grow(&arr, &len, &cap, sizeof(*c));

		if (!c) {
			oom = 1;
			break;
		}
		c->check = store_col_strdup(s, 0, &oom);
		c->severity = sqlite3_column_int(s, 1);
		c->at = sqlite3_column_double(s, 2);
		c->summary = store_col_strdup(s, 3, &oom);
		c->json = store_col_strdup(s, 4, &oom);
		c->since = store_col_double(s, 5);
		if (isnan(c->since))
			c->since = c->at;
		if (oom)
			break;
	}
	if (store_end_rows(st, s, rc, oom, what, err)) {
		store_check_states_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}

/* ---- routes ---- */

void store_route_states_free(struct store_route_state *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++) {
		free(r[i].route);
		free(r[i].last_error);
	}
	free(r);
}

int store_route_states(struct mc_store *st, struct store_route_state **out,
		       size_t *n, struct mc_err *err)
{
	static const char *what = "reading route states";
	void *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if (store_prepare(st, err, what,
			  "SELECT route, last_sent_at, last_state, last_severity,"
			  " since, last_delivery_seconds, last_success_at,"
			  " last_error, delivery_count, delivery_sum,"
			  " judged_sent_at"
			  " FROM route_state ORDER BY route", &s, ""))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_route_state *r =
			store_grow(&arr, &len, &cap, sizeof(*r));
		const char *state;

		if (!r) {
			oom = 1;
			break;
		}
		r->route = store_col_strdup(s, 0, &oom);
		r->last_sent_at = store_col_double(s, 1);
		state = (const char *)sqlite3_column_text(s, 2);
		r->judged = state && probe_state_parse(state, &r->state) == 0;
		if (!r->judged)
			r->state = PROBE_PENDING;
		if (!r->judged)
			r->severity = MC_SEV_OK;
		else if (sqlite3_column_type(s, 3) == SQLITE_NULL)
			r->severity = probe_state_severity(r->state, 0, 0);
		else
			r->severity = (enum mc_severity)sqlite3_column_int(s, 3);
		r->since = store_col_double(s, 4);
		r->last_delivery_seconds = store_col_double(s, 5);
		r->last_success_at = store_col_double(s, 6);
		r->last_error = store_col_strdup(s, 7, &oom);
		r->delivery_count = sqlite3_column_int64(s, 8);
		r->delivery_sum = sqlite3_column_double(s, 9);
		r->judged_sent_at = store_col_double(s, 10);
		if (oom)
			break;
	}
	if (store_end_rows(st, s, rc, oom, what, err)) {
		store_route_states_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}

/* ---- alerts ---- */

void store_alert_clear(struct store_alert *a)
{
	if (!a)
		return;
	free(a->key);
	free(a->last_error);
	free(a->pending_delivery);
	memset(a, 0, sizeof(*a));
}

void store_alerts_free(struct store_alert *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		store_alert_clear(&a[i]);
	free(a);
}

#define ALERT_COLUMNS \
	"key, status, since, last_notified, consecutive_failures," \
	" last_error, pending_delivery"

static void alert_row(sqlite3_stmt *s, struct store_alert *a, int *oom)
{
	const char *status = (const char *)sqlite3_column_text(s, 1);

	a->key = store_col_strdup(s, 0, oom);
	a->status = status && strcmp(status, "firing") == 0
			    ? STORE_ALERT_FIRING : STORE_ALERT_OK;
	a->since = store_col_double(s, 2);
	a->last_notified = store_col_double(s, 3);
	a->consecutive_failures = sqlite3_column_int(s, 4);
	a->last_error = store_col_strdup(s, 5, oom);
	a->pending_delivery = store_col_strdup(s, 6, oom);
}

int store_alert_get(struct mc_store *st, const char *key,
		    struct store_alert *out, struct mc_err *err)
{
	static const char *what = "reading alert state";
	sqlite3_stmt *s;
	int rc, oom = 0;

	memset(out, 0, sizeof(*out));
	if (!key)
		return mc_err_set(err, -1, MC_COMP_STORE, "%s: no alert key",
				  st->path);
	if (store_prepare(st, err, what,
			  "SELECT " ALERT_COLUMNS " FROM alert_state WHERE key = ?",
			  &s, "t", key))
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		alert_row(s, out, &oom);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		out->key = strdup(key);
		oom = !out->key;
		out->status = STORE_ALERT_OK;
		out->since = NAN;
		out->last_notified = NAN;
		rc = 0;
	} else {
		rc = store_fail(st, err, what);
	}
	sqlite3_finalize(s);
	if (oom) {
		store_alert_clear(out);
		return mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	}
	return rc;
}

int store_alert_put(struct mc_store *st, const struct store_alert *a,
		    struct mc_err *err)
{
	if (!a->key || !*a->key)
		return mc_err_set(err, -1, MC_COMP_STORE, "%s: no alert key",
				  st->path);
	if (store_exec(st, err, "writing alert state",
		       "INSERT OR REPLACE INTO alert_state (" ALERT_COLUMNS ")"
		       " VALUES (?, ?, ?, ?, ?, ?, ?)", "ttdditt", a->key,
		       a->status == STORE_ALERT_FIRING ? "firing" : "ok",
		       a->since, a->last_notified, a->consecutive_failures,
		       a->last_error, a->pending_delivery) < 0) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_CHECK)
			mc_err_set(err, -1, MC_COMP_STORE,
				   "%s: alert %s: pending delivery is not "
				   "valid JSON", st->path, a->key);
		return -1;
	}
	return 0;
}

int store_alert_list(struct mc_store *st, struct store_alert **out,
		     size_t *n, struct mc_err *err)
{
	static const char *what = "listing alert states";
	void *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if (store_prepare(st, err, what,
			  "SELECT " ALERT_COLUMNS " FROM alert_state ORDER BY key",
			  &s, ""))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_alert *a = store_grow(&arr, &len, &cap, sizeof(*a));

		if (!a) {
			oom = 1;
			break;
		}
		alert_row(s, a, &oom);
		if (oom)
			break;
	}
	if (store_end_rows(st, s, rc, oom, what, err)) {
		store_alerts_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}

/* ---- alert history ---- */

static const char *const aev_names[] = {
	[STORE_AEV_FIRING] = "firing",
	[STORE_AEV_REPEAT] = "repeat",
	[STORE_AEV_RESOLVED] = "resolved",
	[STORE_AEV_DELIVERED] = "delivered",
	[STORE_AEV_DELIVERY_FAILED] = "delivery_failed",
};

const char *store_alert_event_name(enum store_alert_event_kind k)
{
	return (unsigned)k < sizeof(aev_names) / sizeof(aev_names[0])
		       ? aev_names[k] : "unknown";
}

int store_alert_record(struct mc_store *st, const struct store_alert *a,
		       const struct store_alert_event *ev, size_t n_ev,
		       struct mc_err *err)
{
	int ok;

	if (store_tx_begin(st, err))
		return -1;
	ok = store_alert_put(st, a, err) == 0;
	for (size_t i = 0; ok && i < n_ev; i++)
		ok = store_exec(st, err, "recording alert history",
				"INSERT INTO alert_events (key, at, event,"
				" severity, detail) VALUES (?, ?, ?, ?, ?)",
				"tdtnt", ev[i].key ? ev[i].key : a->key,
				ev[i].at, store_alert_event_name(ev[i].kind),
				ev[i].severity, ev[i].detail) >= 0;
	if (store_tx_end(st, ok, ok ? err : NULL))
		return -1;
	return ok ? 0 : -1;
}

void store_alert_events_free(struct store_alert_event_row *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].key);
		free(e[i].detail);
	}
	free(e);
}

int store_alert_events(struct mc_store *st, double until,
		       struct store_alert_event_row **out, size_t *n,
		       struct mc_err *err)
{
	static const char *what = "reading alert history";
	void *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if (store_prepare(st, err, what,
			  "SELECT key, at, event, severity, detail"
			  " FROM alert_events WHERE at < ?"
			  " ORDER BY key, at, rowid", &s, "d", until))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_alert_event_row *e =
			store_grow(&arr, &len, &cap, sizeof(*e));
		const char *kind = (const char *)sqlite3_column_text(s, 2);

		if (!e) {
			oom = 1;
			break;
		}
		e->key = store_col_strdup(s, 0, &oom);
		e->at = store_col_double(s, 1);
		e->kind = STORE_AEV_DELIVERY_FAILED;
		for (size_t k = 0; kind && k < sizeof(aev_names) /
						      sizeof(aev_names[0]); k++)
			if (strcmp(kind, aev_names[k]) == 0)
				e->kind = (enum store_alert_event_kind)k;
		e->severity = sqlite3_column_type(s, 3) == SQLITE_NULL
				      ? -1 : sqlite3_column_int(s, 3);
		e->detail = store_col_strdup(s, 4, &oom);
		if (oom)
			break;
	}
	if (store_end_rows(st, s, rc, oom, what, err)) {
		store_alert_events_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}
