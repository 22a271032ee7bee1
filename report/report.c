/* report: computes the statistics of a period from the store's probes,
 * hops and alert state (see report.h for the definitions). Output lives in
 * report_text.c, report_json.c and report_html.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report.h"
#include "report/report_firings.h"
#include "mc_num.h"

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v[0..n) in place and fills d. */
static void dist_of(double *v, size_t n, struct report_dist *d)
{
	double sum = 0;

	*d = (struct report_dist){.n = n, .p50 = NAN, .p95 = NAN, .max = NAN,
				  .avg = NAN};
	if (!n)
		return;
	qsort(v, n, sizeof(*v), dbl_cmp);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	/* nearest rank: ceil(p/100 * n), 1-based */
	d->p50 = v[(size_t)ceil(0.50 * (double)n) - 1];
	d->p95 = v[(size_t)ceil(0.95 * (double)n) - 1];
	d->max = v[n - 1];
	d->avg = sum / (double)n;
}

static int found_state(enum mc_probe_state s)
{
	return s == PROBE_DELIVERED || s == PROBE_SLOW || s == PROBE_JUNK ||
	       s == PROBE_GREYLISTED;
}

static void count(struct report_counts *c, const struct store_report_probe *p)
{
	if (!p->final) {
		c->state[PROBE_PENDING]++;
		return;
	}
	c->state[p->state]++;
	c->final++;
}

/* Delivery times of the probes for which keep() holds. Returns the sample
 * (new, may be NULL when n is 0) and its size in *n; -1 out of memory. */
static int sample(const struct store_report_probe *p, size_t np,
		  int (*keep)(const struct store_report_probe *, const void *),
		  const void *arg, int greylist, double **out, size_t *n)
{
	double *v = NULL;
	size_t len = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < np; i++) {
		double x = greylist ? p[i].greylist_delay : p[i].total_seconds;
		int ok = greylist ? p[i].final && p[i].greylisted && !isnan(x)
				  : p[i].final && found_state(p[i].state) &&
					    !isnan(x);

		if (!ok || (keep && !keep(&p[i], arg)))
			continue;
		if (!v && !(v = malloc(np * sizeof(*v))))
			return -1;
		v[len++] = x;
	}
	*out = v;
	*n = len;
	return 0;
}

static int dist_where(const struct store_report_probe *p, size_t np,
		      int (*keep)(const struct store_report_probe *,
				  const void *),
		      const void *arg, int greylist, struct report_dist *d)
{
	double *v;
	size_t n;

	if (sample(p, np, keep, arg, greylist, &v, &n))
		return -1;
	dist_of(v, n, d);
	free(v);
	return 0;
}

static int same_route(const struct store_report_probe *p, const void *arg)
{
	return strcmp(p->route, (const char *)arg) == 0;
}

static const char *domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}

/* Fills a section: route name's, or every probe's when all. */
static int section_fill(struct report_section *s, const char *name,
			const char *domain, const char *sender, int all,
			const struct store_report_probe *p, size_t np,
			const struct store_report_hop *h, size_t nh)
{
	int maxhop = 0;

	if (!(s->name = strdup(name)) ||
	    (domain && !(s->domain = strdup(domain))) ||
	    (sender && !(s->sender = strdup(sender))))
		return -1;
	for (size_t i = 0; i < np; i++) {
		if (!all && strcmp(p[i].route, name) != 0)
			continue;
		count(&s->c, &p[i]);
		if (p[i].final && p[i].greylisted)
			s->greylisted++;
	}
	if (dist_where(p, np, all ? NULL : same_route, name, 0, &s->delivery) ||
	    dist_where(p, np, all ? NULL : same_route, name, 1,
		       &s->greylist_delay))
		return -1;
	for (size_t i = 0; i < nh; i++)
		if ((all || strcmp(h[i].route, name) == 0) && h[i].n > maxhop)
			maxhop = h[i].n;
	if (maxhop <= 0)
		return 0;
	if (!(s->hops = calloc((size_t)maxhop, sizeof(*s->hops))))
		return -1;
	double *v = malloc((nh ? nh : 1) * sizeof(*v));
	if (!v)
		return -1;
	for (int k = 1; k <= maxhop; k++) {
		size_t len = 0;

		for (size_t i = 0; i < nh; i++)
			if (h[i].n == k && (all || strcmp(h[i].route, name) == 0))
				v[len++] = h[i].delay;
		s->hops[k - 1].hop = k;
		dist_of(v, len, &s->hops[k - 1].delay);
	}
	s->n_hops = (size_t)maxhop;
	free(v);
	return 0;
}

static void section_clear(struct report_section *s)
{
	free(s->name);
	free(s->domain);
	free(s->sender);
	free(s->hops);
}

/* ---- breakdowns ---- */

static struct report_bucket *bucket_get(struct report_breakdown *b,
					const char *key, int order)
{
	struct report_bucket *m;

	for (size_t i = 0; i < b->n; i++)
		if (b->b[i].order == order && strcmp(b->b[i].key, key) == 0)
			return &b->b[i];
	if (!(m = realloc(b->b, (b->n + 1) * sizeof(*m))))
		return NULL;
	b->b = m;
	m = &b->b[b->n];
	memset(m, 0, sizeof(*m));
	if (!(m->key = strdup(key)))
		return NULL;
	m->order = order;
	b->n++;
	return m;
}

static int bucket_cmp(const void *a, const void *b)
{
	const struct report_bucket *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void breakdown_clear(struct report_breakdown *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->b[i].key);
	free(b->b);
}

/* The keys of probe p in each breakdown. */
struct keys {
	char month[8], date[16], mday[4], hour[4];
	const char *wday, *domain, *sender, *code;
	int wday_order;
	char code_buf[16];
};

static void keys_of(const struct store_report_probe *p,
		    const struct report_section *route, struct keys *k)
{
	static const char *const wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri",
					 "Sat", "Sun"};
	time_t t = (time_t)mc_floor(p->sent_at);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(k->month, sizeof(k->month), "%Y-%m", &tm);
	strftime(k->date, sizeof(k->date), "%Y-%m-%d", &tm);
	snprintf(k->mday, sizeof(k->mday), "%02d", tm.tm_mday);
	snprintf(k->hour, sizeof(k->hour), "%02d", tm.tm_hour);
	k->wday_order = (tm.tm_wday + 6) % 7;
	k->wday = wd[k->wday_order];
	k->domain = route && route->domain ? route->domain : "(unknown)";
	k->sender = route && route->sender ? route->sender : "(unknown)";
	/* the DSN's status is the verdict; else the submission's reply */
	k->code = NULL;
	if (p->dsn_status && *p->dsn_status)
		k->code = p->dsn_status;
	else if (p->smtp_enhanced && *p->smtp_enhanced)
		k->code = p->smtp_enhanced;
	else if (p->smtp_code > 0) {
		snprintf(k->code_buf, sizeof(k->code_buf), "%d", p->smtp_code);
		k->code = k->code_buf;
	}
}

static int breakdown_add(struct report_breakdown *b, const char *key,
			 int order, const struct store_report_probe *p)
{
	struct report_bucket *bk = bucket_get(b, key, order);

	if (!bk)
		return -1;
	count(&bk->c, p);
	return 0;
}

static const struct report_section *route_of(const struct report *r,
					    const char *route)
{
	for (size_t i = 0; i < r->n_routes; i++)
		if (strcmp(r->routes[i].name, route) == 0)
			return &r->routes[i];
	return NULL;
}

static const char *key_pick(const struct keys *k, int which)
{
	switch (which) {
	case 0: return k->month;
	case 1: return k->date;
	case 2: return k->mday;
	case 3: return k->wday;
	case 4: return k->hour;
	case 5: return k->domain;
	case 6: return k->sender;
	default: return k->code;
	}
}

/* A bucket's delivery dist: from the probes with its key (keys[i] are
 * probe i's). */
struct key_arg {
	int which;
	const char *key;
	const struct store_report_probe *base;
	const struct keys *keys;
};

static int has_key(const struct store_report_probe *p, const void *arg)
{
	const struct key_arg *a = arg;
	const char *got = key_pick(&a->keys[p - a->base], a->which);

	return got && strcmp(got, a->key) == 0;
}

static int breakdowns_fill(struct report *r)
{
	struct report_breakdown *bd[] = {&r->by_month, &r->by_date,
					 &r->by_day_of_month, &r->by_weekday,
					 &r->by_hour, &r->by_domain,
					 &r->by_sender, &r->by_code};
	enum { N_BD = sizeof(bd) / sizeof(bd[0]), WDAY = 3 };
	struct keys *keys;
	int rc = -1;

	if (!r->n_probes)
		return 0;
	if (!(keys = calloc(r->n_probes, sizeof(*keys))))
		return -1;
	for (size_t i = 0; i < r->n_probes; i++) {
		const struct store_report_probe *p = &r->probes[i];

		keys_of(p, route_of(r, p->route), &keys[i]);
		for (int w = 0; w < N_BD; w++) {
			const char *key = key_pick(&keys[i], w);

			if (key && breakdown_add(bd[w], key,
						 w == WDAY ? keys[i].wday_order : 0,
						 p))
				goto out;
		}
	}
	for (int w = 0; w < N_BD; w++) {
		if (bd[w]->n)
			qsort(bd[w]->b, bd[w]->n, sizeof(*bd[w]->b), bucket_cmp);
		for (size_t i = 0; i < bd[w]->n; i++) {
			struct key_arg a = {.which = w, .key = bd[w]->b[i].key,
					    .base = r->probes, .keys = keys};

			if (dist_where(r->probes, r->n_probes, has_key, &a, 0,
				       &bd[w]->b[i].delivery))
				goto out;
		}
	}
	rc = 0;
out:
	free(keys);
	return rc;
}

/* ---- incidents ---- */

static int incidents_fill(struct report *r)
{
	for (size_t ri = 0; ri < r->n_routes; ri++) {
		struct report_incident *cur = NULL;

		for (size_t i = 0; i < r->n_probes; i++) {
			const struct store_report_probe *p = &r->probes[i];

			if (!p->final || strcmp(p->route, r->routes[ri].name))
				continue;
			if (p->severity <= MC_SEV_OK) {
				if (cur)
					cur->end = p->sent_at;
				cur = NULL;
				continue;
			}
			if (!cur) {
				void *m = realloc(r->incidents,
						  (r->n_incidents + 1) *
							  sizeof(*cur));
				if (!m)
					return -1;
				r->incidents = m;
				cur = &r->incidents[r->n_incidents++];
				*cur = (struct report_incident){
					.start = p->sent_at, .end = NAN,
					.worst_severity = -1};
				if (!(cur->route = strdup(p->route)))
					return -1;
			}
			cur->probes++;
			if (p->severity > cur->worst_severity) {
				cur->worst_severity = p->severity;
				cur->worst_state = p->state;
			}
			if (!cur->error && p->error_message &&
			    !(cur->error = strdup(p->error_message)))
				return -1;
		}
	}
	return 0;
}

static int alerts_fill(struct report *r, struct mc_store *st,
		       struct mc_err *err)
{
	struct store_alert *a = NULL;
	size_t na = 0;
	int rc = 0;

	if (store_alert_list(st, &a, &na, err))
		return -1;
	for (size_t i = 0; i < na && !rc; i++) {
		struct report_alert *x;

		if (a[i].status != STORE_ALERT_FIRING)
			continue;
		x = realloc(r->alerts, (r->n_alerts + 1) * sizeof(*x));
		if (!x) {
			rc = -1;
			break;
		}
		r->alerts = x;
		x = &r->alerts[r->n_alerts++];
		*x = (struct report_alert){.since = a[i].since,
					   .consecutive_failures =
						   a[i].consecutive_failures};
		if (!(x->key = strdup(a[i].key)) ||
		    (a[i].last_error && !(x->last_error = strdup(a[i].last_error))))
			rc = -1;
	}
	store_alerts_free(a, na);
	if (rc)
		mc_err_set(err, -1, MC_COMP_INTERNAL, "report: out of memory");
	return rc;
}

/* ---- assembling ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Routes with probes but not configured, sorted, unique; new array of
 * borrowed names. */
static int extra_routes(const struct report *r,
			const struct report_route_cfg *routes, size_t nr,
			const char ***out, size_t *n)
{
	const char **v = NULL;
	size_t len = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < r->n_probes; i++) {
		const char *name = r->probes[i].route;
		int known = 0;

		for (size_t j = 0; j < nr && !known; j++)
			known = strcmp(routes[j].name, name) == 0;
		for (size_t j = 0; j < len && !known; j++)
			known = strcmp(v[j], name) == 0;
		if (known)
			continue;
		if (!v && !(v = malloc(r->n_probes * sizeof(*v))))
			return -1;
		v[len++] = name;
	}
	if (len)
		qsort(v, len, sizeof(*v), name_cmp);
	*out = v;
	*n = len;
	return 0;
}

struct report *report_load(struct mc_store *st,
			   const struct report_route_cfg *routes,
			   size_t n_routes, double since, double until,
			   double now, struct mc_err *err)
{
	struct store_report_hop *hops = NULL;
	const char **extra = NULL;
	size_t nh = 0, nx = 0;
	struct report *r = calloc(1, sizeof(*r));

	if (!r) {
		mc_err_set(err, -1, MC_COMP_INTERNAL, "report: out of memory");
		return NULL;
	}
	r->since = since;
	r->until = until;
	r->generated_at = now;
	if (store_report_probes(st, since, until, &r->probes, &r->n_probes,
				err) ||
	    store_report_hops(st, since, until, &hops, &nh, err) ||
	    store_report_details(st, since, until, REPORT_RECENT_MAX,
				 &r->detail_hops, &r->n_detail_hops,
				 &r->detail_events, &r->n_detail_events, err) ||
	    alerts_fill(r, st, err) || report_firings_fill(r, st, err))
		goto fail;
	if (extra_routes(r, routes, n_routes, &extra, &nx))
		goto oom;
	if (n_routes + nx &&
	    !(r->routes = calloc(n_routes + nx, sizeof(*r->routes))))
		goto oom;
	for (size_t i = 0; i < n_routes + nx; i++) {
		const char *name = i < n_routes ? routes[i].name : extra[i - n_routes];
		const char *dom = i < n_routes ? domain_of(routes[i].to) : NULL;
		const char *from = i < n_routes ? routes[i].from : NULL;

		r->n_routes++;
		if (section_fill(&r->routes[i], name, dom, from, 0, r->probes,
				 r->n_probes, hops, nh))
			goto oom;
	}
	if (section_fill(&r->overall, "all", NULL, NULL, 1, r->probes, r->n_probes,
			 hops, nh) ||
	    breakdowns_fill(r) || incidents_fill(r))
		goto oom;
	free(extra);
	store_report_hops_free(hops, nh);
	return r;
oom:
	mc_err_set(err, -1, MC_COMP_INTERNAL, "report: out of memory");
fail:
	free(extra);
	store_report_hops_free(hops, nh);
	report_free(r);
	return NULL;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	section_clear(&r->overall);
	for (size_t i = 0; i < r->n_routes; i++)
		section_clear(&r->routes[i]);
	free(r->routes);
	breakdown_clear(&r->by_month);
	breakdown_clear(&r->by_date);
	breakdown_clear(&r->by_day_of_month);
	breakdown_clear(&r->by_weekday);
	breakdown_clear(&r->by_hour);
	breakdown_clear(&r->by_domain);
	breakdown_clear(&r->by_sender);
	breakdown_clear(&r->by_code);
	for (size_t i = 0; i < r->n_incidents; i++) {
		free(r->incidents[i].route);
		free(r->incidents[i].error);
	}
	free(r->incidents);
	report_firings_clear(r);
	for (size_t i = 0; i < r->n_alerts; i++) {
		free(r->alerts[i].key);
		free(r->alerts[i].last_error);
	}
	free(r->alerts);
	store_report_probes_free(r->probes, r->n_probes);
	store_report_details_free(r->detail_hops, r->n_detail_hops,
				  r->detail_events, r->n_detail_events);
	free(r);
}
