/* Prometheus text exposition from the store (see metrics.h), and its atomic
 * write for node_exporter's textfile collector. Hand-written: the format is
 * a few lines of text (no C client library is packaged for Debian), and
 * what matters -- the escaping, one HELP/TYPE per family, samples of a
 * family together, cumulative buckets -- is tested against promtool. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/metrics.h"
#include "store/metrics_internal.h"
#include "store/store_internal.h"
#include "mc_num.h"

enum {
	F_DELIVERY,
	F_STATE,
	F_SEVERITY,
	F_LAST_SUCCESS,
	F_HOP_DELAY,
	F_GREYLIST,
	F_PROBES_TOTAL,
	F_CHECK_SEVERITY,
	F_DNSBL,
	F_LAST_RUN,
	F_COUNT,
};

static const struct {
	const char *name, *type, *help;
} families[F_COUNT] = {
	[F_DELIVERY] = {"mailcanary_probe_delivery_seconds", "histogram",
			"Time from submission to the probe being noticed in "
			"its mailbox, of every found probe."},
	[F_STATE] = {"mailcanary_probe_state", "gauge",
		     "1 for the state of the route's newest judged probe, 0 "
		     "for the others."},
	[F_SEVERITY] = {"mailcanary_probe_severity", "gauge",
			"Severity of the route's newest judged probe: 0 OK, 1 "
			"WARNING, 2 CRITICAL, 3 UNKNOWN."},
	[F_LAST_SUCCESS] = {"mailcanary_probe_last_success_timestamp_seconds",
			    "gauge",
			    "When a probe of the route was last judged OK "
			    "(Unix time)."},
	[F_HOP_DELAY] = {"mailcanary_probe_hop_delay_seconds", "gauge",
			 "Delay of each Received hop (1 = oldest) of the "
			 "route's newest found probe."},
	[F_GREYLIST] = {"mailcanary_probe_greylist_delay_seconds", "gauge",
			"Greylisting delay of the route's newest found probe "
			"(0 when not greylisted)."},
	[F_PROBES_TOTAL] = {"mailcanary_probes_total", "counter",
			    "Probes that reached a final state, by state."},
	[F_CHECK_SEVERITY] = {"mailcanary_check_severity", "gauge",
			      "Severity of the newest result of a DNS check: "
			      "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."},
	[F_DNSBL] = {"mailcanary_dnsbl_listed", "gauge",
		     "Address and blocklist pairs listed in the newest result "
		     "of a DNS check."},
	[F_LAST_RUN] = {METRICS_LAST_RUN, "gauge",
			"When the last mailcanary run tick finished (Unix "
			"time)."},
};

/* The per-route queries, prepared once per render (render_stmt). */
enum { Q_HIST, Q_COUNTERS, Q_LAST_FOUND, Q_HOPS, Q_COUNT };

struct render {
	struct mc_store *st;
	struct mc_buf fam[F_COUNT];   /* each family's samples */
	sqlite3_stmt *q[Q_COUNT];     /* owned; finalized by metrics_render */
	int oom;
};

/* Query q of the render with its one text parameter bound to arg: prepared
 * on first use, then reset and reused for every route (a fresh prepare per
 * route and query was a tenth of an idle 100-route tick). The caller
 * steps it and sqlite3_reset()s it, never finalizes it. */
static sqlite3_stmt *render_stmt(struct render *r, int q, const char *what,
				 const char *sql, const char *arg,
				 struct mc_err *err)
{
	sqlite3_stmt *s = r->q[q];

	if (!s) {
		if (store_prepare(r->st, err, what, sql, &s, ""))
			return NULL;
		r->q[q] = s;
	}
	if (sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_fail(r->st, err, what);
		return NULL;
	}
	return s;
}

/* Decimal digits of v (|v| < 2^63) into buf; returns the length. */
static size_t fmt_int(long long v, char *buf)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
				     : (unsigned long long)v;
	size_t n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	buf[len] = '\0';
	return len;
}

/* Every decimal of up to 15 significant digits reads back from %.15g
 * (DBL_DIG), and %g drops trailing zeros, so 15 is tried first: a
 * fractional timestamp used to cost up to 17 printf/strtod rounds, most
 * of an idle 100-route tick. */
void metrics_fmt_num(double v, char buf[40])
{
	if (isnan(v)) {
		strcpy(buf, "NaN");
		return;
	}
	if (isinf(v)) {
		strcpy(buf, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == mc_floor(v) && fabs(v) < 9007199254740992.0) {
		fmt_int((long long)v, buf);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, 40, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Label values: backslash, double quote and line feed escaped (exposition
 * format 0.0.4); everything else, UTF-8 included, as it is. */
static void put_label(struct render *r, struct mc_buf *b, const char *name,
		      const char *value)
{
	r->oom |= mc_buf_puts(b, name);
	r->oom |= mc_buf_append(b, "=\"", 2);
	for (const char *p = value; *p;) {
		size_t run = strcspn(p, "\\\"\n");

		r->oom |= mc_buf_append(b, p, run);
		p += run;
		if (!*p)
			break;
		r->oom |= mc_buf_append(b, *p == '\n' ? "\\n" :
					*p == '"' ? "\\\"" : "\\\\", 2);
		p++;
	}
	r->oom |= mc_buf_append(b, "\"", 1);
}

/* One sample of family f: name+suffix{l1="v1",l2="v2"} value. Labels
 * with a NULL name are left out. */
static void sample(struct render *r, int f, const char *suffix,
		   const char *l1, const char *v1, const char *l2,
		   const char *v2, double value)
{
	struct mc_buf *b = &r->fam[f];
	char num[41];

	r->oom |= mc_buf_puts(b, families[f].name);
	r->oom |= mc_buf_puts(b, suffix);
	if (l1) {
		r->oom |= mc_buf_append(b, "{", 1);
		put_label(r, b, l1, v1);
		if (l2) {
			r->oom |= mc_buf_append(b, ",", 1);
			put_label(r, b, l2, v2);
		}
		r->oom |= mc_buf_append(b, "}", 1);
	}
	num[0] = ' ';
	metrics_fmt_num(value, num + 1);
	r->oom |= mc_buf_puts(b, num);
	r->oom |= mc_buf_append(b, "\n", 1);
}

static const enum mc_probe_state final_states[] = {
	PROBE_DELIVERED, PROBE_SLOW,     PROBE_JUNK,
	PROBE_GREYLISTED, PROBE_DEFERRED, PROBE_BOUNCED,
	PROBE_REJECTED,  PROBE_LOST,     PROBE_ERROR,
};
#define N_FINAL (sizeof(final_states) / sizeof(final_states[0]))

static int route_histogram(struct render *r, const char *route,
			   const struct store_route_state *rs,
			   struct mc_err *err)
{
	long long per[STORE_N_DELIVERY_BUCKETS] = {0}, cum = 0;
	sqlite3_stmt *s;
	char le[40];
	int rc;

	if (!(s = render_stmt(r, Q_HIST, "reading the delivery histogram",
			      "SELECT le, count FROM delivery_hist"
			      " WHERE route = ?", route, err)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		double bound = sqlite3_column_double(s, 0);

		/* A row whose bound is not one of today's counts in the
		 * first bucket above it (only a future bucket change could
		 * leave such rows). */
		for (size_t i = 0; i < STORE_N_DELIVERY_BUCKETS; i++) {
			if (bound <= store_delivery_buckets[i]) {
				per[i] += sqlite3_column_int64(s, 1);
				break;
			}
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(r->st, err, "reading the delivery histogram");
	for (size_t i = 0; i < STORE_N_DELIVERY_BUCKETS; i++) {
		cum += per[i];
		metrics_fmt_num(store_delivery_buckets[i], le);
		sample(r, F_DELIVERY, "_bucket", "route", route, "le", le,
		       (double)cum);
	}
	long long count = rs ? rs->delivery_count : 0;
	if (count < cum)   /* never less than a finite bucket */
		count = cum;
	sample(r, F_DELIVERY, "_bucket", "route", route, "le", "+Inf",
	       (double)count);
	sample(r, F_DELIVERY, "_sum", "route", route, NULL, NULL,
	       rs ? rs->delivery_sum : 0);
	sample(r, F_DELIVERY, "_count", "route", route, NULL, NULL,
	       (double)count);
	return 0;
}

static int route_counters(struct render *r, const char *route,
			  struct mc_err *err)
{
	long long counts[N_FINAL] = {0};
	sqlite3_stmt *s;
	int rc;

	if (!(s = render_stmt(r, Q_COUNTERS, "reading counters",
			      "SELECT state, count FROM counters"
			      " WHERE route = ?", route, err)))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		enum mc_probe_state st;

		if (!name || probe_state_parse(name, &st))
			continue;
		for (size_t i = 0; i < N_FINAL; i++)
			if (final_states[i] == st)
				counts[i] = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(r->st, err, "reading counters");
	for (size_t i = 0; i < N_FINAL; i++)
		sample(r, F_PROBES_TOTAL, "", "route", route, "state",
		       probe_state_name(final_states[i]), (double)counts[i]);
	return 0;
}

/* Hop delays and greylisting of the route's newest found probe. */
static int route_last_found(struct render *r, const char *route,
			    struct mc_err *err)
{
	sqlite3_stmt *s;
	char *id = NULL;
	int rc, oom = 0;

	if (!(s = render_stmt(r, Q_LAST_FOUND, "reading the newest found probe",
			      /* The (route, sent_at) index walked backwards:
			       * no IN list and no second sort key, each of
			       * which made SQLite build a temporary b-tree per
			       * route and render. */
			      "SELECT id, greylisted, greylist_delay FROM probes"
			      " WHERE route = ? AND final = 1 AND (state ="
			      " 'delivered' OR state = 'slow' OR state = 'junk'"
			      " OR state = 'greylisted') ORDER BY sent_at DESC"
			      " LIMIT 1",
			      route, err)))
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		double delay = store_col_double(s, 2);

		id = store_col_strdup(s, 0, &oom);
		if (!sqlite3_column_int(s, 1))
			sample(r, F_GREYLIST, "", "route", route, NULL, NULL, 0);
		else if (!isnan(delay))
			sample(r, F_GREYLIST, "", "route", route, NULL, NULL,
			       delay);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	if (oom)
		return mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	if (rc != SQLITE_DONE)
		return store_fail(r->st, err, "reading the newest found probe");
	if (!id)
		return 0;
	s = render_stmt(r, Q_HOPS, "reading hops",
			"SELECT n, delay FROM hops WHERE probe_id = ?"
			" AND delay IS NOT NULL ORDER BY n", id, err);
	free(id);
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char hop[24];

		snprintf(hop, sizeof(hop), "%d", sqlite3_column_int(s, 0));
		sample(r, F_HOP_DELAY, "", "route", route, "hop", hop,
		       sqlite3_column_double(s, 1));
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(r->st, err, "reading hops");
	return 0;
}

static int render_route(struct render *r, const char *route,
			const struct store_route_state *rs, struct mc_err *err)
{
	if (route_histogram(r, route, rs, err))
		return -1;
	if (rs && rs->judged) {
		for (size_t i = 0; i < N_FINAL; i++)
			sample(r, F_STATE, "", "route", route, "state",
			       probe_state_name(final_states[i]),
			       rs->state == final_states[i] ? 1 : 0);
		sample(r, F_SEVERITY, "", "route", route, NULL, NULL,
		       rs->severity);
	}
	if (rs && !isnan(rs->last_success_at))
		sample(r, F_LAST_SUCCESS, "", "route", route, NULL, NULL,
		       rs->last_success_at);
	if (route_last_found(r, route, err) || route_counters(r, route, err))
		return -1;
	return 0;
}

/* Listed (address, list) pairs in a check's JSON ("dnsbl" as in check
 * --json); -1 when the document has no dnsbl array. */
static int dnsbl_listed(const char *text)
{
	json_t *doc, *arr, *item;
	size_t i;
	int n = -1;

	if (!text || !(doc = json_loads(text, 0, NULL)))
		return -1;
	arr = json_object_get(doc, "dnsbl");
	if (json_is_array(arr)) {
		n = 0;
		json_array_foreach(arr, i, item) {
			const char *status = json_string_value(
				json_object_get(item, "status"));

			if (status && strcmp(status, "listed") == 0)
				n++;
		}
	}
	json_decref(doc);
	return n;
}

static int render_checks(struct render *r, struct mc_err *err)
{
	struct store_check_state *cs;
	size_t n;

	if (store_check_states(r->st, &cs, &n, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int listed = dnsbl_listed(cs[i].json);

		sample(r, F_CHECK_SEVERITY, "", "check", cs[i].check, NULL,
		       NULL, cs[i].severity);
		if (listed >= 0)
			sample(r, F_DNSBL, "", "check", cs[i].check, NULL, NULL,
			       listed);
	}
	store_check_states_free(cs, n);
	return 0;
}

static const struct store_route_state *
find_route(const struct store_route_state *rs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rs[i].route, name) == 0)
			return &rs[i];
	return NULL;
}

/* Room for each family's samples, from the routes' names: the buffers
 * then grow once instead of doubling about ten times each (copies and
 * fresh pages: a fifth of a 100-route render). An estimate only; a
 * short one just means more growth. */
static void reserve_families(struct render *r, const struct metrics_opts *opts,
			     const struct store_route_state *rs, size_t nrs)
{
	/* samples per route, hops counted as 4 */
	static const size_t per_route[F_COUNT] = {
		[F_DELIVERY] = STORE_N_DELIVERY_BUCKETS + 3,
		[F_STATE] = N_FINAL, [F_SEVERITY] = 1, [F_LAST_SUCCESS] = 1,
		[F_HOP_DELAY] = 4, [F_GREYLIST] = 1, [F_PROBES_TOTAL] = N_FINAL,
	};
	size_t n = opts && opts->routes ? opts->n_routes : nrs, names = 0;

	for (size_t i = 0; i < n; i++)
		names += strlen(opts && opts->routes ? opts->routes[i]
						     : rs[i].route);
	for (int f = 0; f < F_COUNT; f++) {
		/* name, suffix, labels' fixed text, value: ~40 bytes */
		size_t fixed = strlen(families[f].name) + 40;

		if (per_route[f])
			r->oom |= mc_buf_reserve(&r->fam[f], per_route[f] *
						 (n * fixed + names));
	}
}

int metrics_render(struct mc_store *st, const struct metrics_opts *opts,
		   struct mc_buf *out, struct mc_err *err)
{
	struct render r = {.st = st};
	struct store_route_state *rs = NULL;
	size_t nrs = 0;
	double last_run;
	int rc = -1, lr, own_tx;

	/* All reads in one read transaction: one snapshot for the whole
	 * file, and one WAL read lock instead of one per statement (four
	 * per route: most of an idle tick's CPU with 100 routes). */
	own_tx = sqlite3_get_autocommit(st->db);
	if (own_tx && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_fail(st, err, "starting a read transaction");
	if (store_route_states(st, &rs, &nrs, err))
		goto out;
	reserve_families(&r, opts, rs, nrs);
	if (opts && opts->routes) {
		for (size_t i = 0; i < opts->n_routes; i++)
			if (render_route(&r, opts->routes[i],
					 find_route(rs, nrs, opts->routes[i]),
					 err))
				goto out;
	} else {
		for (size_t i = 0; i < nrs; i++)
			if (render_route(&r, rs[i].route, &rs[i], err))
				goto out;
	}
	if (render_checks(&r, err))
		goto out;
	if (opts && opts->last_run > 0) {
		last_run = opts->last_run;
		lr = 0;
	} else if ((lr = store_last_run(st, &last_run, err)) < 0) {
		goto out;
	}
	if (lr == 0)
		sample(&r, F_LAST_RUN, "", NULL, NULL, NULL, NULL, last_run);
	size_t total = 0;
	for (int f = 0; f < F_COUNT; f++)
		total += r.fam[f].len + 2 * strlen(families[f].name) +
			 strlen(families[f].help) + 32;
	r.oom |= mc_buf_reserve(out, total);
	for (int f = 0; f < F_COUNT && !r.oom; f++) {
		if (!r.fam[f].len)
			continue;
		r.oom |= mc_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n",
				       families[f].name, families[f].help,
				       families[f].name, families[f].type);
		r.oom |= mc_buf_append(out, r.fam[f].data, r.fam[f].len);
	}
	if (r.oom) {
		mc_err_set(err, -1, MC_COMP_STORE, "metrics: out of memory");
		goto out;
	}
	rc = 0;
out:
	for (int q = 0; q < Q_COUNT; q++)
		sqlite3_finalize(r.q[q]);
	if (own_tx)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);  /* reads only */
	for (int f = 0; f < F_COUNT; f++)
		mc_buf_free(&r.fam[f]);
	store_route_states_free(rs, nrs);
	return rc;
}
