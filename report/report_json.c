/* report: the JSON document (shape in report.h). */
#include <math.h>
#include <string.h>

#include "mc_time.h"
#include "report/report.h"

static json_t *t_json(double t)
{
	char buf[MC_RFC3339_MAX];

	return isnan(t) ? json_null() : json_string(mc_time_rfc3339(t, 0, buf));
}

static json_t *n_json(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *s_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *dist_json(const struct report_dist *d)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o}", "n", (json_int_t)d->n,
			 "p50", n_json(d->p50), "p95", n_json(d->p95), "max",
			 n_json(d->max), "avg", n_json(d->avg));
}

static json_t *counts_json(const struct report_counts *c, int percent)
{
	json_t *o = json_object();

	for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++) {
		json_t *v = percent ? (c->final ? json_real(100.0 *
						(double)c->state[s] /
						(double)c->final)
						: json_null())
				    : json_integer(c->state[s]);
		json_object_set_new(o, probe_state_name(s), v);
	}
	return o;
}

static json_t *section_json(const struct report_section *s)
{
	json_t *hops = json_array();

	for (size_t i = 0; i < s->n_hops; i++)
		json_array_append_new(hops, json_pack("{s:i, s:o}", "hop",
						      s->hops[i].hop, "delay",
						      dist_json(&s->hops[i].delay)));
	return json_pack(
		"{s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:{s:I, s:o, s:o},"
		" s:o}",
		"name", s->name, "domain", s_json(s->domain), "sender",
		s_json(s->sender), "total",
		(json_int_t)s->c.final, "outstanding",
		(json_int_t)s->c.state[PROBE_PENDING], "counts",
		counts_json(&s->c, 0), "percent", counts_json(&s->c, 1),
		"delivery", dist_json(&s->delivery), "greylisting", "count",
		(json_int_t)s->greylisted, "percent",
		s->c.final ? json_real(100.0 * (double)s->greylisted /
				       (double)s->c.final)
			   : json_null(),
		"delay", dist_json(&s->greylist_delay), "hops", hops);
}

static json_t *breakdown_json(const struct report_breakdown *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->n; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:I, s:I, s:o, s:o}", "key",
				     b->b[i].key, "total",
				     (json_int_t)b->b[i].c.final, "outstanding",
				     (json_int_t)b->b[i].c.state[PROBE_PENDING],
				     "counts", counts_json(&b->b[i].c, 0),
				     "delivery", dist_json(&b->b[i].delivery)));
	return a;
}

/* The hops and events of probe id, as arrays. */
static json_t *hops_json(const struct report *r, const char *id)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_detail_hops; i++) {
		const struct store_report_hop_row *h = &r->detail_hops[i];

		if (strcmp(h->probe_id, id) == 0)
			json_array_append_new(
				a, json_pack("{s:i, s:o, s:o, s:o, s:o, s:o,"
					     " s:o, s:o}", "n", h->n, "from",
					     s_json(h->from_host), "by",
					     s_json(h->by_host), "with",
					     s_json(h->with), "ip", s_json(h->ip),
					     "tls", s_json(h->tls), "at",
					     t_json(h->at), "delay_seconds",
					     n_json(h->delay)));
	}
	return a;
}

static json_t *events_json(const struct report *r, const char *id)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->n_detail_events; i++) {
		const struct store_report_event *e = &r->detail_events[i];
		json_t *detail;

		if (strcmp(e->probe_id, id))
			continue;
		/* stored as JSON text (checked by the store) */
		detail = e->detail ? json_loads(e->detail, JSON_DECODE_ANY, NULL)
				   : NULL;
		json_array_append_new(
			a, json_pack("{s:o, s:s, s:o}", "at", t_json(e->at),
				     "type", e->type ? e->type : "?", "detail",
				     detail ? detail : json_null()));
	}
	return a;
}

static json_t *recent_json(const struct report *r,
			   const struct store_report_probe *p)
{
	json_t *dsn = p->dsn_status || p->dsn_reason
			      ? json_pack("{s:o, s:o}", "status",
					  s_json(p->dsn_status), "reason",
					  s_json(p->dsn_reason))
			      : json_null();

	return json_pack(
		"{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o,"
		" s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o}",
		"id", p->id, "route", p->route, "state",
		probe_state_name(p->state), "final", p->final, "sent_at",
		t_json(p->sent_at), "found_at", t_json(p->found_at),
		"total_seconds", n_json(p->total_seconds), "folder",
		s_json(p->folder), "error", s_json(p->error_message),
		"error_component", s_json(p->error_component), "smtp", "code",
		p->smtp_code ? json_integer(p->smtp_code) : json_null(),
		"enhanced", s_json(p->smtp_enhanced), "text",
		s_json(p->smtp_text), "queue_id", s_json(p->queue_id), "dsn",
		dsn, "hops", hops_json(r, p->id), "events",
		events_json(r, p->id));
}

json_t *report_json(const struct report *r)
{
	json_t *routes = json_array(), *inc = json_array(),
	       *alerts = json_array(), *recent = json_array(),
	       *firings = json_array();

	for (size_t i = 0; i < r->n_routes; i++)
		json_array_append_new(routes, section_json(&r->routes[i]));
	for (size_t i = 0; i < r->n_incidents; i++) {
		const struct report_incident *x = &r->incidents[i];

		json_array_append_new(
			inc, json_pack("{s:s, s:o, s:o, s:I, s:s, s:i, s:o}",
				       "route", x->route, "start",
				       t_json(x->start), "end", t_json(x->end),
				       "probes", (json_int_t)x->probes,
				       "worst_state",
				       probe_state_name(x->worst_state),
				       "worst_severity", x->worst_severity,
				       "error", s_json(x->error)));
	}
	for (size_t i = 0; i < r->n_firings; i++) {
		const struct report_firing *x = &r->firings[i];

		json_array_append_new(
			firings,
			json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:o,"
				  " s:i, s:i, s:i}",
				  "kind", x->kind, "subject", x->subject,
				  "alert", x->alert, "start", t_json(x->start),
				  "end", t_json(x->end), "duration_seconds",
				  n_json(x->end - x->start), "severity",
				  x->severity, "summary", s_json(x->summary),
				  "repeats", x->repeats, "delivered",
				  x->delivered, "delivery_failures",
				  x->failed));
	}
	for (size_t i = 0; i < r->n_alerts; i++)
		json_array_append_new(
			alerts,
			json_pack("{s:s, s:o, s:i, s:o}", "key", r->alerts[i].key,
				  "since", t_json(r->alerts[i].since),
				  "consecutive_failures",
				  r->alerts[i].consecutive_failures,
				  "last_error", s_json(r->alerts[i].last_error)));
	for (size_t k = 0; k < r->n_probes && k < REPORT_RECENT_MAX; k++) {
		const struct store_report_probe *p =
			&r->probes[r->n_probes - 1 - k];

		json_array_append_new(recent, recent_json(r, p));
	}
	return json_pack(
		"{s:o, s:o, s:o, s:o, s:o,"
		" s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:o}",
		"since", t_json(r->since), "until", t_json(r->until),
		"generated_at", t_json(r->generated_at), "overall",
		section_json(&r->overall), "routes", routes, "breakdowns",
		"month", breakdown_json(&r->by_month),
		"date", breakdown_json(&r->by_date), "day_of_month",
		breakdown_json(&r->by_day_of_month), "weekday",
		breakdown_json(&r->by_weekday), "hour",
		breakdown_json(&r->by_hour), "domain",
		breakdown_json(&r->by_domain), "sender",
		breakdown_json(&r->by_sender), "code",
		breakdown_json(&r->by_code), "incidents", inc,
		"alert_firings", firings, "alerts_firing", alerts, "recent", recent);
}
