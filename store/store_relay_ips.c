/* The relay IPs of recent probes, read back for the DNS checks: the
 * addresses in the probes' Received chains that DNS blocklists judge
 * (store_recent_relay_ips() in store.h). Read-only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

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
			store_grow((void **)&arr, &len, &cap, sizeof(*arr));

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
	rc = store_end_rows(st, s, rc, oom, what, err);
	if (rc) {
		store_relay_ips_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}
