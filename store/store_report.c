/* What `report` reads back: the probes of a time window with what is known
 * of them, and their hop delays. Read-only queries; the statistics are the
 * report module's. */
#include <math.h>
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
		free(p[i].smtp_text);
		free(p[i].queue_id);
		free(p[i].folder);
		free(p[i].dsn_status);
		free(p[i].dsn_reason);
		free(p[i].error_component);
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
			  " dsn_status, error_message, greylisted, greylist_delay,"
			  " smtp_text, queue_id, folder, dsn_reason,"
			  " error_component FROM probes WHERE sent_at >= ? AND sent_at < ?"
			  " ORDER BY sent_at, id", &s, "dd", since, until))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_report_probe *p =
			store_grow((void **)&arr, &len, &cap, sizeof(*arr));

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
		p->smtp_text = store_col_strdup(s, 14, &oom);
		p->queue_id = store_col_strdup(s, 15, &oom);
		p->folder = store_col_strdup(s, 16, &oom);
		p->dsn_reason = store_col_strdup(s, 17, &oom);
		p->error_component = store_col_strdup(s, 18, &oom);
		if (oom)
			break;
	}
	rc = store_end_rows(st, s, rc, oom, what, err);
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
			store_grow((void **)&arr, &len, &cap, sizeof(*arr));

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
	rc = store_end_rows(st, s, rc, oom, what, err);
	if (rc) {
		store_report_hops_free(arr, len);
		return -1;
	}
	*out = arr;
	*n = len;
	return 0;
}

void store_report_details_free(struct store_report_hop_row *h, size_t nh,
			       struct store_report_event *e, size_t ne)
{
	for (size_t i = 0; h && i < nh; i++) {
		free(h[i].probe_id);
		free(h[i].from_host);
		free(h[i].by_host);
		free(h[i].with);
		free(h[i].ip);
		free(h[i].tls);
	}
	free(h);
	for (size_t i = 0; e && i < ne; i++) {
		free(e[i].probe_id);
		free(e[i].type);
		free(e[i].detail);
	}
	free(e);
}

/* The newest `limit` probes of the window, as an SQL subquery. */
#define NEWEST_IDS \
	"(SELECT id FROM probes WHERE sent_at >= ? AND sent_at < ?" \
	" ORDER BY sent_at DESC, id DESC LIMIT ?)"

static int read_detail_hops(struct mc_store *st, double since, double until,
			    int limit, struct store_report_hop_row **out,
			    size_t *n, struct mc_err *err)
{
	static const char *what = "reading hops for a report";
	struct store_report_hop_row *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	if (store_prepare(st, err, what,
			  "SELECT probe_id, n, from_host, by_host, \"with\", ip,"
			  " tls, at, delay FROM hops WHERE probe_id IN "
			  NEWEST_IDS " ORDER BY probe_id, n", &s, "ddi", since,
			  until, limit))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_report_hop_row *h =
			store_grow((void **)&arr, &len, &cap, sizeof(*arr));

		if (!h) {
			oom = 1;
			break;
		}
		h->probe_id = store_col_strdup(s, 0, &oom);
		h->n = sqlite3_column_int(s, 1);
		h->from_host = store_col_strdup(s, 2, &oom);
		h->by_host = store_col_strdup(s, 3, &oom);
		h->with = store_col_strdup(s, 4, &oom);
		h->ip = store_col_strdup(s, 5, &oom);
		h->tls = store_col_strdup(s, 6, &oom);
		h->at = store_col_double(s, 7);
		h->delay = store_col_double(s, 8);
		if (oom)
			break;
	}
	*out = arr;
	*n = len;
	return store_end_rows(st, s, rc, oom, what, err);
}

static int read_detail_events(struct mc_store *st, double since,
			      double until, int limit,
			      struct store_report_event **out, size_t *n,
			      struct mc_err *err)
{
	static const char *what = "reading probe events for a report";
	struct store_report_event *arr = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, oom = 0;

	if (store_prepare(st, err, what,
			  "SELECT probe_id, at, type, detail FROM probe_events"
			  " WHERE probe_id IN " NEWEST_IDS
			  " ORDER BY probe_id, at, rowid", &s, "ddi", since,
			  until, limit))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_report_event *e =
			store_grow((void **)&arr, &len, &cap, sizeof(*arr));

		if (!e) {
			oom = 1;
			break;
		}
		e->probe_id = store_col_strdup(s, 0, &oom);
		e->at = store_col_double(s, 1);
		e->type = store_col_strdup(s, 2, &oom);
		e->detail = store_col_strdup(s, 3, &oom);
		if (oom)
			break;
	}
	*out = arr;
	*n = len;
	return store_end_rows(st, s, rc, oom, what, err);
}

int store_report_details(struct mc_store *st, double since, double until,
			 int limit, struct store_report_hop_row **hops,
			 size_t *n_hops, struct store_report_event **events,
			 size_t *n_events, struct mc_err *err)
{
	*hops = NULL;
	*events = NULL;
	*n_hops = *n_events = 0;
	if (read_detail_hops(st, since, until, limit, hops, n_hops, err) ||
	    read_detail_events(st, since, until, limit, events, n_events,
			       err)) {
		store_report_details_free(*hops, *n_hops, *events, *n_events);
		*hops = NULL;
		*events = NULL;
		*n_hops = *n_events = 0;
		return -1;
	}
	return 0;
}
