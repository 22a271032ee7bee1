/* report: aligned text tables, in the manner of `status`. */
#include <math.h>
#include <string.h>

#include "mc_time.h"
#include "report/report.h"

/* Seconds as "0.80s", or "-" when unknown; buf holds 32. */
static const char *secs(double v, char *buf)
{
	if (isnan(v))
		return "-";
	snprintf(buf, 32, "%.2fs", v);
	return buf;
}

static const char *when(double t, char *buf)
{
	return isnan(t) ? "-" : mc_time_rfc3339(t, 0, buf);
}

static double pct(long long n, long long of)
{
	return of ? 100.0 * (double)n / (double)of : 0;
}

static int name_width(const struct report *r, int w)
{
	for (size_t i = 0; i < r->n_routes; i++) {
		int n = (int)strlen(r->routes[i].name);

		if (n > w)
			w = n;
	}
	return w;
}

static void states_header(FILE *out, const char *first, int w)
{
	fprintf(out, "%-*s  %6s", w, first, "TOTAL");
	for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++)
		fprintf(out, "  %-14s", probe_state_name(s));
	fprintf(out, "  %s\n", "OUTSTANDING");
}

static void states_row(FILE *out, const char *name, int w,
		       const struct report_counts *c)
{
	char cell[32];

	fprintf(out, "%-*s  %6lld", w, name, c->final);
	for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++) {
		snprintf(cell, sizeof(cell), "%lld (%.1f%%)", c->state[s],
			 pct(c->state[s], c->final));
		fprintf(out, "  %-14s", cell);
	}
	fprintf(out, "  %lld\n", c->state[PROBE_PENDING]);
}

static void timing_row(FILE *out, int w, const struct report_section *s)
{
	char a[32], b[32], c[32], d[32], e[32];

	fprintf(out, "%-*s  %6zu  %-9s  %-9s  %-9s  %10lld (%.1f%%)  %-9s  %s\n",
		w, s->name, s->delivery.n, secs(s->delivery.p50, a),
		secs(s->delivery.p95, b), secs(s->delivery.max, c),
		s->greylisted, pct(s->greylisted, s->c.final),
		secs(s->greylist_delay.avg, d), secs(s->greylist_delay.max, e));
}

static void breakdown(FILE *out, const char *title,
		      const struct report_breakdown *b)
{
	int w = (int)strlen(title);
	char p50[32], p95[32];

	if (!b->n)
		return;
	for (size_t i = 0; i < b->n; i++)
		if ((int)strlen(b->b[i].key) > w)
			w = (int)strlen(b->b[i].key);
	fprintf(out, "\n");
	states_header(out, title, w);
	for (size_t i = 0; i < b->n; i++)
		states_row(out, b->b[i].key, w, &b->b[i].c);
	fprintf(out, "%-*s  %-9s  %s\n", w, "", "P50", "P95");
	for (size_t i = 0; i < b->n; i++)
		fprintf(out, "%-*s  %-9s  %s\n", w, b->b[i].key,
			secs(b->b[i].delivery.p50, p50),
			secs(b->b[i].delivery.p95, p95));
}

int report_text(const struct report *r, FILE *out)
{
	char t1[MC_RFC3339_MAX], t2[MC_RFC3339_MAX], a[32], b[32];
	int w = name_width(r, 5);

	fprintf(out, "MAILCANARY REPORT %s .. %s - %lld probe%s, %zu route%s\n",
		when(r->since, t1), when(r->until, t2), r->overall.c.final,
		r->overall.c.final == 1 ? "" : "s", r->n_routes,
		r->n_routes == 1 ? "" : "s");
	fprintf(out, "\n");
	states_header(out, "ROUTE", w);
	for (size_t i = 0; i < r->n_routes; i++)
		states_row(out, r->routes[i].name, w, &r->routes[i].c);
	states_row(out, "all", w, &r->overall.c);

	fprintf(out, "\n%-*s  %6s  %-9s  %-9s  %-9s  %-17s  %-9s  %s\n", w,
		"ROUTE", "TIMED", "P50", "P95", "MAX", "GREYLISTED",
		"GL AVG", "GL MAX");
	for (size_t i = 0; i < r->n_routes; i++)
		timing_row(out, w, &r->routes[i]);
	timing_row(out, w, &r->overall);

	if (r->overall.n_hops) {
		fprintf(out, "\n%-*s  %-4s  %6s  %-9s  %s\n", w, "ROUTE", "HOP",
			"N", "P50", "P95");
		for (size_t i = 0; i <= r->n_routes; i++) {
			const struct report_section *s =
				i < r->n_routes ? &r->routes[i] : &r->overall;

			for (size_t h = 0; h < s->n_hops; h++)
				fprintf(out, "%-*s  %-4d  %6zu  %-9s  %s\n", w,
					s->name, s->hops[h].hop,
					s->hops[h].delay.n,
					secs(s->hops[h].delay.p50, a),
					secs(s->hops[h].delay.p95, b));
		}
	}

	breakdown(out, "MONTH", &r->by_month);
	breakdown(out, "DATE", &r->by_date);
	breakdown(out, "DAY", &r->by_day_of_month);
	breakdown(out, "WEEKDAY", &r->by_weekday);
	breakdown(out, "HOUR", &r->by_hour);
	breakdown(out, "DOMAIN", &r->by_domain);
	breakdown(out, "SENDER", &r->by_sender);
	breakdown(out, "CODE", &r->by_code);

	fprintf(out, "\nINCIDENTS: %zu\n", r->n_incidents);
	if (r->n_incidents)
		fprintf(out, "%-*s  %-20s  %-20s  %6s  %-10s  %s\n", w, "ROUTE",
			"START", "END", "PROBES", "WORST", "ERROR");
	for (size_t i = 0; i < r->n_incidents; i++) {
		const struct report_incident *x = &r->incidents[i];

		fprintf(out, "%-*s  %-20s  %-20s  %6lld  %-10s  %s\n", w,
			x->route, when(x->start, t1),
			isnan(x->end) ? "ongoing" : when(x->end, t2), x->probes,
			probe_state_name(x->worst_state),
			x->error ? x->error : "-");
	}
	int fw = w < 7 ? 7 : w;    /* "SUBJECT" */

	fprintf(out, "\nALERT FIRINGS: %zu\n", r->n_firings);
	if (r->n_firings)
		fprintf(out, "%-*s  %-12s  %-20s  %-20s  %9s  %-9s  %s\n", fw,
			"SUBJECT", "ALERT", "START", "END", "DURATION",
			"SENT/FAIL", "SUMMARY");
	for (size_t i = 0; i < r->n_firings; i++) {
		const struct report_firing *x = &r->firings[i];
		char dur[32] = "-", sent[32];

		if (!isnan(x->end))
			snprintf(dur, sizeof(dur), "%.0fs", x->end - x->start);
		snprintf(sent, sizeof(sent), "%d/%d", x->delivered, x->failed);
		fprintf(out, "%-*s  %-12s  %-20s  %-20s  %9s  %-9s  %s\n", fw,
			x->subject, x->alert, when(x->start, t1),
			isnan(x->end) ? "firing" : when(x->end, t2), dur, sent,
			x->summary ? x->summary : "-");
	}
	fprintf(out, "\nALERTS FIRING: %zu\n", r->n_alerts);
	for (size_t i = 0; i < r->n_alerts; i++)
		fprintf(out, "%s  since %s  %d failures  %s\n", r->alerts[i].key,
			when(r->alerts[i].since, t1),
			r->alerts[i].consecutive_failures,
			r->alerts[i].last_error ? r->alerts[i].last_error : "-");

	fprintf(out, "\nRECENT PROBES (newest first, at most %d)\n",
		REPORT_RECENT_MAX);
	if (r->n_probes)
		fprintf(out, "%-20s  %-*s  %-11s  %-9s  %s\n", "SENT", w, "ROUTE",
			"STATE", "TOTAL", "ERROR");
	for (size_t k = 0; k < r->n_probes && k < REPORT_RECENT_MAX; k++) {
		const struct store_report_probe *p =
			&r->probes[r->n_probes - 1 - k];

		fprintf(out, "%-20s  %-*s  %-11s  %-9s  %s\n", when(p->sent_at, t1),
			w, p->route,
			p->final ? probe_state_name(p->state) : "outstanding",
			secs(p->total_seconds, a),
			p->error_message ? p->error_message : "-");
	}
	fflush(out);
	return ferror(out) ? -1 : 0;
}
