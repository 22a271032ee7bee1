/* What `report` reads back: the probes of a time window with what is known
 * of them, and their hop delays. Read-only queries; the statistics are the
 * report module's. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

void store_report_probes_free(struct store_report_probe *p, size_t n)
{
	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		free(p[i].id);
		free(p[i].route);
		free(p[i].smtp_enhanced);
		free(p[i].dsn_status);
		free(p[i].error_message);
	}
	free(p);
}

void store_report_hops_free(struct store_report_hop *h, size_t n)
{
	if (!h)
		return;
	for (size_t i = 0; i < n; i++)
		free(h[i].route);
	free(h);
}

/* Makes room for one more zeroed element; NULL when out of memory. */
static void *grow(void **arr, size_t *len, size_t *cap, size_t elem)
{
	if (*len == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *m = realloc(*arr, nc * elem);

		if (!m)
			return NULL;
		*arr = m;
		*cap = nc;
	}
	void *item = (char *)*arr + (*len)++ * elem;
	memset(item, 0, elem);
	return item;
}

int store_report_probes(struct mc_store *st, double since, double until,
			struct store_report_probe **out, size_t *n,
			struct mc_err *err)
{
	static const char *what = "reading probes for a report";
	struct store_report_probe *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if (store_prepare(st, err, what,
			  "SELECT id, route, sent_at, found_at, state, final,"
			  " severity, total_seconds, smtp_code, smtp_enhanced,"
			  " dsn_status, error_message, greylisted, greylist_delay"
			  " FROM probes WHERE sent_at >= ? AND sent_at < ?"
			  " ORDER BY sent_at, id", &s, "dd", since, until))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_report_probe *p =
			grow((void **)&arr, &len, &cap, sizeof(*arr));

		if (!p) {
			oom = 1;
			break;
		}
		p->id = store_col_strdup(s, 0, &oom);
		p->route = store_col_strdup(s, 1, &oom);
		p->sent_at = sqlite3_column_double(s, 2);
		p->found_at = store_col_double(s, 3);
		if (probe_state_parse((const char *)sqlite3_column_text(s, 4),
				      &p->state))
			p->state = PROBE_PENDING;
		p->final = sqlite3_column_int(s, 5);
		p->severity = sqlite3_column_type(s, 6) == SQLITE_NULL
				      ? -1 : sqlite3_column_int(s, 6);
		p->total_seconds = store_col_double(s, 7);
		p->smtp_code = sqlite3_column_int(s, 8);
		p->smtp_enhanced = store_col_strdup(s, 9, &oom);
		p->dsn_status = store_col_strdup(s, 10, &oom);
		p->error_message = store_col_strdup(s, 11, &oom);
		p->greylisted = sqlite3_column_int(s, 12);
		p->greylist_delay = store_col_double(s, 13);
		if (oom)
			break;
	}
	sqlite3_finalize(s);
	if (oom)
		rc = mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	else if (rc != SQLITE_DONE)
		rc = store_fail(st, err, what);
	else
		rc = 0;
	if (rc) {
		store_report_probes_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}

int store_report_hops(struct mc_store *st, double since, double until,
		      struct store_report_hop **out, size_t *n,
		      struct mc_err *err)
{
	static const char *what = "reading hops for a report";
	struct store_report_hop *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if (store_prepare(st, err, what,
			  "SELECT p.route, h.n, h.delay FROM hops h"
			  " JOIN probes p ON p.id = h.probe_id"
			  " WHERE p.sent_at >= ? AND p.sent_at < ?"
			  " AND h.delay IS NOT NULL"
			  " ORDER BY p.route, h.n, h.delay", &s, "dd", since,
			  until))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_report_hop *h =
			grow((void **)&arr, &len, &cap, sizeof(*arr));

		if (!h) {
			oom = 1;
			break;
		}
		h->route = store_col_strdup(s, 0, &oom);
		h->n = sqlite3_column_int(s, 1);
		h->delay = sqlite3_column_double(s, 2);
		if (oom)
			break;
	}
	sqlite3_finalize(s);
	if (oom)
		rc = mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	else if (rc != SQLITE_DONE)
		rc = store_fail(st, err, what);
	else
		rc = 0;
	if (rc) {
		store_report_hops_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}

void store_relay_ips_free(struct store_relay_ip *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].ip);
		free(v[i].probe_id);
		free(v[i].route);
	}
	free(v);
}

/* The most routes one query names; more are an error (a config has far
 * fewer routes per domain). */
#define RELAY_IPS_MAX_ROUTES 1000

/* The SQL of store_recent_relay_ips() for n_routes "?" (0: no route
 * filter). A new string, or NULL when out of memory. */
static char *relay_ips_sql(size_t n_routes)
{
	static const char head[] =
		"SELECT h.ip, p.id, p.route, MAX(p.sent_at) AS t FROM hops h"
		" JOIN probes p ON p.id = h.probe_id"
		" WHERE p.sent_at >= ? AND h.ip IS NOT NULL AND h.ip <> ''"
		" AND UPPER(COALESCE(h.\"with\", '')) NOT IN ('ESMTPA',"
		" 'ESMTPSA', 'LMTPA', 'LMTPSA', 'UTF8SMTPA', 'UTF8SMTPSA',"
		" 'UTF8LMTPA', 'UTF8LMTPSA')";
	static const char in[] = " AND p.route IN (";
	static const char tail[] = " GROUP BY h.ip ORDER BY t DESC, h.ip LIMIT ?";
	size_t size = sizeof(head) + sizeof(in) + 2 * n_routes + sizeof(tail);
	char *sql = malloc(size), *p;

	if (!sql)
		return NULL;
	p = sql + sprintf(sql, "%s", head);
	if (n_routes) {
		p += sprintf(p, "%s", in);
		for (size_t i = 0; i < n_routes; i++)
			p += sprintf(p, "%s?", i ? "," : "");
		*p++ = ')';
	}
	sprintf(p, "%s", tail);
	return sql;
}

int store_recent_relay_ips(struct mc_store *st, const char *const *routes,
			   size_t n_routes, double since, size_t max,
			   struct store_relay_ip **out, size_t *n,
			   struct mc_err *err)
{
	static const char *what = "reading the relay IPs of recent probes";
	struct store_relay_ip *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	char *sql;
	int rc, oom = 0, k = 1;

	*out = NULL;
	*n = 0;
	if ((routes && n_routes == 0) || max == 0)
		return 0;
	if (!routes)
		n_routes = 0;
	if (n_routes > RELAY_IPS_MAX_ROUTES)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "%s: %s: more than %d routes", st->path, what,
				  RELAY_IPS_MAX_ROUTES);
	if (!(sql = relay_ips_sql(n_routes)))
		return mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	/* One row per IP: SQLite takes the bare columns of an aggregate
	 * query with a single MAX() from the row holding the maximum, so
	 * probe and route are those of the newest probe showing the IP. */
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return store_fail(st, err, what);
	sqlite3_bind_double(s, k++, since);
	for (size_t i = 0; i < n_routes; i++)
		sqlite3_bind_text(s, k++, routes[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, k, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_relay_ip *r =
			grow((void **)&arr, &len, &cap, sizeof(*arr));

		if (!r) {
			oom = 1;
			break;
		}
		r->ip = store_col_strdup(s, 0, &oom);
		r->probe_id = store_col_strdup(s, 1, &oom);
		r->route = store_col_strdup(s, 2, &oom);
		r->sent_at = store_col_double(s, 3);
		if (oom)
			break;
	}
	sqlite3_finalize(s);
	if (oom)
		rc = mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	else if (rc != SQLITE_DONE)
		rc = store_fail(st, err, what);
	else
		rc = 0;
	if (rc) {
		store_relay_ips_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}
