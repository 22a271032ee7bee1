/* Probes in the store: recorded pending before they are sent, updated
 * while outstanding, finished once (with the counters, the delivery
 * histogram and the route's state in the same transaction), and their
 * events and hops. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

void store_probe_init(struct store_probe *p, const char *id)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->state = PROBE_PENDING;
	p->severity = MC_SEV_OK;
	p->found_at = NAN;
	p->total_seconds = NAN;
	p->greylist_delay = NAN;
	p->dsn_hard = -1;
}

int store_probe_insert_pending(struct mc_store *st, const char *id,
			       const char *route, double sent_at,
			       struct mc_err *err)
{
	int rc;

	if (!id || !*id || !route || !*route || isnan(sent_at))
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: recording a probe needs an id, a route "
				  "and a send time", st->path);
	if (store_tx_begin(st, err))
		return -1;
	rc = store_exec(st, err, "recording a pending probe",
			"INSERT INTO probes (id, route, sent_at, state, final,"
			" updated_at) VALUES (?, ?, ?, 'pending', 0, ?)",
			"ttdd", id, route, sent_at, sent_at);
	if (rc < 0 && (sqlite3_extended_errcode(st->db) ==
		       SQLITE_CONSTRAINT_PRIMARYKEY))
		mc_err_set(err, -1, MC_COMP_STORE,
			   "%s: probe %s is already recorded", st->path, id);
	if (rc >= 0)
		rc = store_exec(st, err, "recording the route's last send",
				"INSERT INTO route_state (route, last_sent_at)"
				" VALUES (?, ?) ON CONFLICT (route) DO UPDATE SET"
				" last_sent_at = MAX(COALESCE(last_sent_at,"
				" excluded.last_sent_at), excluded.last_sent_at)",
				"td", route, sent_at);
	if (rc < 0) {
		store_tx_end(st, 0, NULL);
		return -1;
	}
	return store_tx_end(st, 1, err);
}

/* Looks up an outstanding probe; fills route (new string) and sent_at. */
static int find_outstanding(struct mc_store *st, const char *id,
			    char **route, double *sent_at, struct mc_err *err)
{
	sqlite3_stmt *s;
	int rc, oom = 0;

	*route = NULL;
	if (!id)
		return mc_err_set(err, -1, MC_COMP_STORE, "%s: no probe id",
				  st->path);
	if (store_prepare(st, err, "looking up a probe",
			  "SELECT route, sent_at, final, state FROM probes"
			  " WHERE id = ?", &s, "t", id))
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		rc = mc_err_set(err, -1, MC_COMP_STORE,
				"%s: no probe %s is recorded", st->path, id);
	} else if (rc != SQLITE_ROW) {
		rc = store_fail(st, err, "looking up a probe");
	} else if (sqlite3_column_int(s, 2)) {
		rc = mc_err_set(err, -1, MC_COMP_STORE,
				"%s: probe %s is already finished (%s)",
				st->path, id,
				(const char *)sqlite3_column_text(s, 3));
	} else {
		*route = store_col_strdup(s, 0, &oom);
		*sent_at = sqlite3_column_double(s, 1);
		rc = oom || !*route ? mc_err_set(err, -1, MC_COMP_STORE,
						 "out of memory") : 0;
	}
	sqlite3_finalize(s);
	return rc;
}

static int write_probe(struct mc_store *st, const struct store_probe *p,
		       int final, double now, struct mc_err *err)
{
	return store_exec(
		st, err, "updating a probe",
		"UPDATE probes SET state = ?, final = ?, severity = ?,"
		" found_at = ?, folder = ?, total_seconds = ?, smtp_code = ?,"
		" smtp_enhanced = ?, smtp_text = ?, queue_id = ?,"
		" error_component = ?, error_message = ?, greylisted = ?,"
		" greylist_delay = ?, dsn_status = ?, dsn_reason = ?,"
		" dsn_hard = ?, updated_at = ? WHERE id = ?",
		"tiidtdntttttidttndt", probe_state_name(p->state), final,
		(int)p->severity, p->found_at, p->folder, p->total_seconds,
		p->smtp_code > 0 ? p->smtp_code : -1, p->smtp_enhanced, p->smtp_text, p->queue_id,
		p->error_component, p->error_message, p->greylisted ? 1 : 0,
		p->greylist_delay, p->dsn_status, p->dsn_reason, p->dsn_hard,
		now, p->id);
}

/* The route's current state follows its newest judged probe only. */
static int judge_route(struct mc_store *st, const char *route,
		       double sent_at, const struct store_probe *p,
		       double now, struct mc_err *err)
{
	const char *state = probe_state_name(p->state);
	double delivery = store_state_found(p->state) ? p->total_seconds : NAN;

	if (store_exec(st, err, "updating the route's state",
		       "INSERT OR IGNORE INTO route_state (route) VALUES (?)",
		       "t", route) < 0)
		return -1;
	return store_exec(
		st, err, "updating the route's state",
		"UPDATE route_state SET"
		" since = CASE WHEN last_state IS ?1 THEN since ELSE ?2 END,"
		" last_state = ?1, last_severity = ?3,"
		" last_delivery_seconds = COALESCE(?4, last_delivery_seconds),"
		" last_success_at = CASE WHEN ?3 = 0 THEN ?2"
		"  ELSE last_success_at END,"
		" last_error = CASE WHEN ?3 = 0 THEN NULL ELSE ?5 END,"
		" judged_sent_at = ?6"
		" WHERE route = ?7 AND (judged_sent_at IS NULL"
		"  OR judged_sent_at <= ?6)",
		"tdidtdt", state, now, (int)p->severity, delivery,
		p->error_message, sent_at, route) < 0 ? -1 : 0;
}

int store_probe_update(struct mc_store *st, const struct store_probe *p,
		       double now, struct mc_err *err)
{
	char *route = NULL;
	double sent_at;
	int ok;

	if (store_tx_begin(st, err))
		return -1;
	ok = find_outstanding(st, p->id, &route, &sent_at, err) == 0 &&
	     write_probe(st, p, 0, now, err) >= 0 &&
	     (p->state == PROBE_PENDING ||
	      judge_route(st, route, sent_at, p, now, err) == 0);
	free(route);
	if (store_tx_end(st, ok, err) || !ok)
		return -1;
	return 0;
}

static int count_delivery(struct mc_store *st, const char *route, double t,
			  struct mc_err *err)
{
	size_t i;

	for (i = 0; i < STORE_N_DELIVERY_BUCKETS; i++)
		if (t <= store_delivery_buckets[i])
			break;
	/* Above the last bound only _count and _sum (the +Inf bucket) grow. */
	if (i < STORE_N_DELIVERY_BUCKETS &&
	    store_exec(st, err, "counting a delivery",
		       "INSERT INTO delivery_hist (route, le, count)"
		       " VALUES (?, ?, 1) ON CONFLICT (route, le)"
		       " DO UPDATE SET count = count + 1",
		       "td", route, store_delivery_buckets[i]) < 0)
		return -1;
	if (store_exec(st, err, "counting a delivery",
		       "INSERT OR IGNORE INTO route_state (route) VALUES (?)",
		       "t", route) < 0 ||
	    store_exec(st, err, "counting a delivery",
		       "UPDATE route_state SET delivery_count ="
		       " delivery_count + 1, delivery_sum = delivery_sum + ?"
		       " WHERE route = ?", "dt", t, route) < 0)
		return -1;
	return 0;
}

int store_probe_finish(struct mc_store *st, const struct store_probe *p,
		       double now, struct mc_err *err)
{
	char *route = NULL;
	double sent_at;
	int ok;

	if (p->state == PROBE_PENDING)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: probe %s: pending is not a final state",
				  st->path, p->id ? p->id : "?");
	if (store_tx_begin(st, err))
		return -1;
	ok = find_outstanding(st, p->id, &route, &sent_at, err) == 0 &&
	     write_probe(st, p, 1, now, err) >= 0 &&
	     store_exec(st, err, "counting a probe",
			"INSERT INTO counters (route, state, count)"
			" VALUES (?, ?, 1) ON CONFLICT (route, state)"
			" DO UPDATE SET count = count + 1",
			"tt", route, probe_state_name(p->state)) >= 0 &&
	     (!store_state_found(p->state) || isnan(p->total_seconds) ||
	      p->total_seconds < 0 ||
	      count_delivery(st, route, p->total_seconds, err) == 0) &&
	     judge_route(st, route, sent_at, p, now, err) == 0;
	free(route);
	if (store_tx_end(st, ok, err) || !ok)
		return -1;
	return 0;
}

void store_outstanding_free(struct store_outstanding *o, size_t n)
{
	if (!o)
		return;
	for (size_t i = 0; i < n; i++) {
		free(o[i].id);
		free(o[i].route);
	}
	free(o);
}

int store_probe_outstanding(struct mc_store *st, const char *route,
			    struct store_outstanding **out, size_t *n,
			    struct mc_err *err)
{
	struct store_outstanding *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if (store_prepare(st, err, "listing outstanding probes",
			  "SELECT id, route, sent_at, state FROM probes"
			  " WHERE final = 0 AND (?1 IS NULL OR route = ?1)"
			  " ORDER BY sent_at, id", &s, "t", route))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 8;
			void *m = realloc(arr, nc * sizeof(*arr));

			if (!m) {
				oom = 1;
				break;
			}
			arr = m;
			cap = nc;
		}
		struct store_outstanding *o = &arr[len++];
		memset(o, 0, sizeof(*o));
		o->id = store_col_strdup(s, 0, &oom);
		o->route = store_col_strdup(s, 1, &oom);
		o->sent_at = sqlite3_column_double(s, 2);
		if (probe_state_parse((const char *)sqlite3_column_text(s, 3),
				      &o->state))
			o->state = PROBE_PENDING;
		if (oom)
			break;
	}
	if (oom)
		rc = mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	else if (rc != SQLITE_DONE)
		rc = store_fail(st, err, "listing outstanding probes");
	else
		rc = 0;
	sqlite3_finalize(s);
	if (rc) {
		store_outstanding_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}

static int fk_fail(struct mc_store *st, struct mc_err *err,
		   const char *what, const char *id)
{
	int ec = sqlite3_extended_errcode(st->db);

	if (ec == SQLITE_CONSTRAINT_FOREIGNKEY)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: %s: no probe %s is recorded", st->path,
				  what, id);
	if (ec == SQLITE_CONSTRAINT_CHECK)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: %s for probe %s: detail is not valid "
				  "JSON", st->path, what, id);
	return -1;
}

int store_event_add(struct mc_store *st, const char *probe_id, double at,
		    const char *type, const char *detail_json,
		    struct mc_err *err)
{
	if (!probe_id || !type)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: an event needs a probe id and a type",
				  st->path);
	if (store_exec(st, err, "adding an event",
		       "INSERT INTO probe_events (probe_id, at, type, detail)"
		       " VALUES (?, ?, ?, ?)", "tdtt", probe_id, at, type,
		       detail_json) < 0) {
		fk_fail(st, err, "adding an event", probe_id);
		return -1;
	}
	return 0;
}

int store_hops_add(struct mc_store *st, const char *probe_id,
		   const struct store_hop *hops, size_t n, struct mc_err *err)
{
	int ok;

	if (!probe_id)
		return mc_err_set(err, -1, MC_COMP_STORE, "%s: no probe id",
				  st->path);
	if (store_tx_begin(st, err))
		return -1;
	ok = store_exec(st, err, "replacing hops",
			"DELETE FROM hops WHERE probe_id = ?", "t",
			probe_id) >= 0;
	for (size_t i = 0; ok && i < n; i++) {
		const struct store_hop *h = &hops[i];

		ok = store_exec(st, err, "adding a hop",
				"INSERT INTO hops (probe_id, n, from_host, by_host,"
				" \"with\", ip, tls, at, delay)"
				" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
				"titttttdd", probe_id, (int)i + 1,
				h->from_host, h->by_host, h->with, h->ip,
				h->tls, h->at, h->delay) >= 0;
		if (!ok)
			fk_fail(st, err, "adding a hop", probe_id);
	}
	if (store_tx_end(st, ok, err) || !ok)
		return -1;
	return 0;
}
