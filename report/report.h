/* Delivery statistics over the probe history in the store, for `report`:
 * per route and overall, the counts of each final state, delivery-time and
 * per-hop-delay percentiles, breakdowns by date, day of month, weekday,
 * hour (UTC), month, destination domain, sender and SMTP/DSN code, greylisting, incidents
 * (runs of non-OK probes), alert firings (from the alert history), alerts
 * firing now, and the newest probes.
 * Rendered as text, one JSON document or one self-contained HTML page.
 * Reads the store; never writes it, never sends, never judges a probe.
 *
 * Definitions (the contract is silent; these are ours):
 *   - the period is [since, until) on the probes' sent_at;
 *   - counts and percentages are of final probes (outstanding ones --
 *     pending or deferred without a verdict yet -- are counted apart);
 *   - delivery time is total_seconds of found probes (delivered, slow,
 *     junk, greylisted);
 *   - percentiles are nearest-rank: the value at rank ceil(p/100 * n) of
 *     the sorted sample (no interpolation: every value is one measured);
 *   - an incident is a run of consecutive final probes of one route with
 *     a severity other than OK: it starts at the first one's sent_at and
 *     ends at the sent_at of the next OK probe (ongoing when none);
 *   - an alert firing is what the alert module did about it: from its
 *     "firing" transition to its "resolved" one (store alert history),
 *     with the reminders and the hooks' delivery outcomes counted. A
 *     firing is listed when it overlaps the period. */
#ifndef MC_REPORT_H
#define MC_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "mc_err.h"
#include "store/store.h"

/* Indexed by enum mc_probe_state; [PROBE_PENDING] counts outstanding. */
#define REPORT_N_STATES (PROBE_ERROR + 1)
/* How many of the newest probes the status view shows. */
#define REPORT_RECENT_MAX 100

/* A sample's statistics; every value NAN when n == 0. */
struct report_dist {
	size_t n;
	double p50, p95, max, avg;
};

struct report_counts {
	long long state[REPORT_N_STATES];
	long long final;           /* sum of the final states */
};

/* One bucket of a breakdown: key "2026-11-24", "Mon", "13", "example.com",
 * "5.1.1". */
struct report_bucket {
	char *key;
	int order;                 /* buckets are sorted by (order, key) */
	struct report_counts c;
	struct report_dist delivery;
};

struct report_breakdown {
	struct report_bucket *b;
	size_t n;
};

struct report_hop_stat {
	int hop;                   /* 1 = oldest */
	struct report_dist delay;
};

/* A route, or everything (name "all", domain NULL). */
struct report_section {
	char *name;
	char *domain;              /* of the route's `to`; NULL: unknown */
	char *sender;              /* the route's `from`; NULL: unknown */
	struct report_counts c;
	struct report_dist delivery;
	long long greylisted;      /* final probes that met greylisting */
	struct report_dist greylist_delay;
	struct report_hop_stat *hops;
	size_t n_hops;
};

struct report_incident {
	char *route;
	double start, end;         /* end NAN: ongoing */
	long long probes;
	enum mc_probe_state worst_state;
	int worst_severity;
	char *error;               /* first error message seen; may be NULL */
};

struct report_alert {
	char *key;
	double since;
	int consecutive_failures;
	char *last_error;          /* may be NULL */
};

struct report_firing {
	char *kind;                /* "route" or "check" */
	char *subject;             /* its name */
	char *alert;               /* the [alert] section */
	double start, end;         /* end NAN: still firing */
	int severity;              /* worst seen while firing */
	char *summary;             /* the firing result's; may be NULL */
	int repeats;               /* reminders */
	int delivered, failed;     /* delivery attempts by outcome */
};

struct report {
	double since, until, generated_at;
	struct report_section overall;
	struct report_section *routes;
	size_t n_routes;
	struct report_breakdown by_month, by_date, by_day_of_month, by_weekday,
		by_hour, by_domain, by_sender, by_code;
	struct report_incident *incidents;
	size_t n_incidents;
	struct report_firing *firings; /* of the period, by start */
	size_t n_firings;
	struct report_alert *alerts;   /* firing now */
	size_t n_alerts;
	struct store_report_probe *probes; /* the period's, oldest first */
	size_t n_probes;
	/* hops and events of the newest REPORT_RECENT_MAX probes, by probe */
	struct store_report_hop_row *detail_hops;
	size_t n_detail_hops;
	struct store_report_event *detail_events;
	size_t n_detail_events;
};

/* A configured route: name and the `to` address (for its domain). */
struct report_route_cfg {
	const char *name;
	const char *to;
	const char *from;
};

/* Reads the period [since, until) from st and computes the report. routes
 * (borrowed) are listed in their order, even without probes; routes with
 * probes in the store but not in routes follow, by name. now stamps the
 * report. Returns a new report freed with report_free(), or NULL with err
 * filled. */
struct report *report_load(struct mc_store *st,
			   const struct report_route_cfg *routes,
			   size_t n_routes, double since, double until,
			   double now, struct mc_err *err);
void report_free(struct report *r);

/* The JSON document (a new reference; NULL when out of memory):
 *   {"since": T, "until": T, "generated_at": T,
 *    "overall": SECTION, "routes": [SECTION...],
 *    "breakdowns": {"date"|"day_of_month"|"weekday"|"hour"|"domain"|"code":
 *        [{"key": S, "total": N, "counts": COUNTS, "delivery": DIST}...]},
 *    "incidents": [{"route", "start", "end" (null: ongoing), "probes",
 *        "worst_state", "worst_severity", "error"}...],
 *    "alerts_firing": [{"key", "since", "consecutive_failures",
 *        "last_error"}...],
 *    "recent": [{"id", "route", "state", "final", "sent_at", "found_at",
 *        "total_seconds", "error"}...]   (newest first, at most 100)}
 *   SECTION = {"name", "domain", "total" (final probes), "outstanding",
 *        "counts": COUNTS, "percent": {STATE: %...}, "delivery": DIST,
 *        "greylisting": {"count", "percent", "delay": DIST},
 *        "hops": [{"hop", "delay": DIST}...]}
 *   COUNTS = {"delivered": N, ..., "error": N} (every final state)
 *   DIST = {"n", "p50", "p95", "max", "avg"} (seconds; null when n = 0)
 * T is RFC 3339 UTC. */
json_t *report_json(const struct report *r);

/* Aligned text tables on out. Returns 0, or -1 when out fails. */
int report_text(const struct report *r, FILE *out);

/* One self-contained HTML page (inline CSS and SVG, no external resource,
 * every store text escaped) on out. Returns 0, or -1 when out fails. */
int report_html(const struct report *r, FILE *out);

/* Escapes s for HTML text and attribute values (& < > " ') onto out. */
void report_html_escape(FILE *out, const char *s);

#endif
