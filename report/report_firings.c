/* Alert firings from the store's alert history (report_firings.h). */
#include "report/report_firings.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Splits "route/NAME/ALERT" (NAME may hold '/'): new strings in x. */
static int split_key(const char *key, struct report_firing *x)
{
	const char *a = strchr(key, '/'), *b = strrchr(key, '/');

	if (!a || a == b) {
		x->kind = strdup("?");
		x->subject = strdup(key);
		x->alert = strdup("?");
	} else {
		x->kind = strndup(key, (size_t)(a - key));
		x->subject = strndup(a + 1, (size_t)(b - a - 1));
		x->alert = strdup(b + 1);
	}
	return x->kind && x->subject && x->alert ? 0 : -1;
}

static void firing_clear(struct report_firing *x)
{
	free(x->kind);
	free(x->subject);
	free(x->alert);
	free(x->summary);
}

static int by_start(const void *a, const void *b)
{
	const struct report_firing *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->subject, y->subject);
}

/* Opens a firing at event e; NULL when out of memory. */
static struct report_firing *open_firing(struct report *r,
					 const struct store_alert_event_row *e)
{
	struct report_firing *x =
		realloc(r->firings, (r->n_firings + 1) * sizeof(*x));

	if (!x)
		return NULL;
	r->firings = x;
	x = &r->firings[r->n_firings++];
	*x = (struct report_firing){.start = e->at, .end = NAN,
				    .severity = e->severity};
	if (split_key(e->key, x) ||
	    (e->detail && !(x->summary = strdup(e->detail))))
		return NULL;
	return x;
}

/* Drops the last firing when it does not overlap the period; returns 1
 * when it is kept. */
static int keep_if_in_period(struct report *r)
{
	struct report_firing *x = &r->firings[r->n_firings - 1];

	if (x->start >= r->until || (!isnan(x->end) && x->end < r->since)) {
		firing_clear(x);
		r->n_firings--;
		return 0;
	}
	return 1;
}

/* Events come by key, then time. `cur` is the key's open firing (always
 * the last of r->firings); `last` the key's newest firing kept, which
 * also gets the delivery outcome of its "resolved" notification. */
int report_firings_fill(struct report *r, struct mc_store *st,
			struct mc_err *err)
{
	struct store_alert_event_row *ev;
	struct report_firing *cur = NULL, *last = NULL;
	size_t n;
	int rc = 0;

	if (store_alert_events(st, r->until, &ev, &n, err))
		return -1;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct store_alert_event_row *e = &ev[i];

		if (i && strcmp(ev[i - 1].key, e->key)) {
			if (cur)
				keep_if_in_period(r);
			cur = last = NULL;
		}
		switch (e->kind) {
		case STORE_AEV_FIRING:
			if (cur)        /* no "resolved" recorded: close it */
				keep_if_in_period(r);
			last = cur = open_firing(r, e);
			rc = cur ? 0 : -1;
			break;
		case STORE_AEV_REPEAT:
			if (cur) {
				cur->repeats++;
				if (e->severity > cur->severity)
					cur->severity = e->severity;
			}
			break;
		case STORE_AEV_DELIVERED:
			if (last)
				last->delivered++;
			break;
		case STORE_AEV_DELIVERY_FAILED:
			if (last)
				last->failed++;
			break;
		case STORE_AEV_RESOLVED:
			if (cur) {
				cur->end = e->at;
				last = keep_if_in_period(r) ? cur : NULL;
			}
			cur = NULL;
			break;
		}
	}
	if (cur && !rc)
		keep_if_in_period(r);
	store_alert_events_free(ev, n);
	if (rc)
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "report: out of memory");
	if (r->n_firings > 1)
		qsort(r->firings, r->n_firings, sizeof(*r->firings), by_start);
	return 0;
}

void report_firings_clear(struct report *r)
{
	for (size_t i = 0; i < r->n_firings; i++)
		firing_clear(&r->firings[i]);
	free(r->firings);
	r->firings = NULL;
	r->n_firings = 0;
}
