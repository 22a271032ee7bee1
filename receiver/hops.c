/* Received chain -> hop list: finding and unfolding the Received fields of
 * a header block (RFC 5322 §2.2.3), ordering them oldest first, and the
 * delay arithmetic described in hops.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mc_num.h"
#include "mc_time.h"
#include "receiver/hops.h"

struct hops {
	struct hop *v;
	size_t n, cap;
	int truncated;
	double submitted_at;
	double total;
	struct hops_mailbox mb;
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* One field value being unfolded, bounded by RECEIVED_MAX_INPUT. */
struct unfold {
	char buf[RECEIVED_MAX_INPUT];
	size_t n;
};

static void unfold_add(struct unfold *u, const char *p, size_t n)
{
	/* the line break goes; a CR left before it goes too */
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > sizeof(u->buf) - u->n)
		n = sizeof(u->buf) - u->n;
	memcpy(u->buf + u->n, p, n);
	u->n += n;
}

static int hops_add(struct hops *h, const struct unfold *u)
{
	if (h->n == HOPS_MAX) {
		h->truncated = 1;
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct hop *v;

		if (cap > HOPS_MAX)
			cap = HOPS_MAX;
		v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	received_parse(u->buf, u->n, &h->v[h->n].r);
	h->v[h->n].delay = NAN;
	h->v[h->n].skew = 0;
	h->n++;
	return 0;
}

/* If the line p[0..n) starts a Received field, the offset of its value. */
static int received_name(const char *p, size_t n, size_t *value)
{
	static const char name[] = "received";
	size_t i;

	if (n < sizeof(name) - 1)
		return 0;
	for (i = 0; i < sizeof(name) - 1; i++)
		if (lower((unsigned char)p[i]) != name[i])
			return 0;
	/* RFC 5322 §4.5.1 (obs-optional): white space before the colon */
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || p[i] != ':')
		return 0;
	*value = i + 1;
	return 1;
}

static int scan(struct hops *h, const char *hdr, size_t len)
{
	struct unfold *u = malloc(sizeof(*u));
	size_t i = 0;
	int in_field = 0, rc = 0;

	if (!u)
		return -1;
	/* an mbox "From " line is not part of the header */
	if (len >= 5 && memcmp(hdr, "From ", 5) == 0) {
		const char *nl = memchr(hdr, '\n', len);

		i = nl ? (size_t)(nl - hdr) + 1 : len;
	}
	while (i < len) {
		const char *nl = memchr(hdr + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - hdr) : len, v;
		size_t next = nl ? end + 1 : len;

		/* RFC 5322 §2.1: an empty line ends the header */
		if (end == i || (end == i + 1 && hdr[i] == '\r'))
			break;
		if (hdr[i] == ' ' || hdr[i] == '\t') {
			if (in_field)
				unfold_add(u, hdr + i, end - i);
			i = next;
			continue;
		}
		if (in_field && (rc = hops_add(h, u)) < 0)
			goto out;
		in_field = received_name(hdr + i, end - i, &v);
		if (in_field) {
			u->n = 0;
			unfold_add(u, hdr + i + v, end - i - v);
		}
		i = next;
	}
	if (in_field)
		rc = hops_add(h, u);
out:
	free(u);
	return rc;
}

/* The sequence of points being walked: the newest known time so far, the
 * oldest, how many were known, and whether the newest had whole-second
 * resolution. */
struct walk {
	double prev, first;
	int known;
	int prev_whole;
};

/* The next point of the sequence: its delay from the previous known one.
 * whole: t has whole-second resolution. A whole-second stamp after an
 * exact time is compared at the coarser resolution (the exact time cut to
 * its second), so truncation alone never makes a delay negative and every
 * negative delay is real skew (see hops.h). */
static void point(struct walk *w, double t, int whole, double *delay,
		  int *skew)
{
	*delay = NAN;
	*skew = 0;
	if (isnan(t))
		return;
	if (w->known++ > 0) {
		double prev = whole && !w->prev_whole ? mc_floor(w->prev) : w->prev;
		*delay = t - prev;
		*skew = *delay < 0;
	} else {
		w->first = t;
	}
	w->prev = t;
	w->prev_whole = whole;
}

static void recompute(struct hops *h)
{
	struct walk w = {NAN, NAN, 0, 0};
	double d;
	int skew;

	point(&w, h->submitted_at, 0, &d, &skew);
	for (size_t i = 0; i < h->n; i++)
		point(&w, h->v[i].r.at, h->v[i].r.at_frac == 0, &h->v[i].delay,
		      &h->v[i].skew);
	point(&w, h->mb.internaldate, 1, &h->mb.delay, &h->mb.skew);
	point(&w, h->mb.noticed_at, 0, &h->mb.noticed_delay,
	      &h->mb.noticed_skew);
	h->total = w.known >= 2 ? w.prev - w.first : NAN;
}

struct hops *hops_from_header(const char *hdr, size_t len, struct mc_err *err)
{
	struct hops *h;

	if (!hdr && len > 0) {
		mc_err_set(err, -1, MC_COMP_INTERNAL, "hops: no header bytes");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		goto nomem;
	h->submitted_at = h->mb.internaldate = h->mb.noticed_at = NAN;
	if (len > HOPS_MAX_INPUT)
		len = HOPS_MAX_INPUT;
	if (len > 0 && scan(h, hdr, len) < 0)
		goto nomem;
	/* header order is newest first; hop 1 is the bottom field */
	for (size_t i = 0; i < h->n / 2; i++) {
		struct hop tmp = h->v[i];

		h->v[i] = h->v[h->n - 1 - i];
		h->v[h->n - 1 - i] = tmp;
	}
	recompute(h);
	return h;
nomem:
	hops_free(h);
	mc_err_set(err, -1, MC_COMP_INTERNAL, "hops: out of memory");
	return NULL;
}

size_t hops_count(const struct hops *h)
{
	return h ? h->n : 0;
}

const struct hop *hops_get(const struct hops *h, size_t i)
{
	return h && i < h->n ? &h->v[i] : NULL;
}

int hops_truncated(const struct hops *h)
{
	return h ? h->truncated : 0;
}

void hops_set_endpoints(struct hops *h, double submitted_at,
			double internaldate, double noticed_at)
{
	if (!h)
		return;
	h->submitted_at = submitted_at;
	h->mb.internaldate = internaldate;
	h->mb.noticed_at = noticed_at;
	recompute(h);
}

const struct hops_mailbox *hops_mailbox(const struct hops *h)
{
	return h ? &h->mb : NULL;
}

double hops_total(const struct hops *h)
{
	return h ? h->total : NAN;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* RFC 3339 UTC, with digits fractional digits; null when unknown. */
static json_t *time_or_null(double t, int digits)
{
	char buf[MC_RFC3339_MAX];

	return isfinite(t) ? json_string(mc_time_rfc3339(t, digits, buf))
			   : json_null();
}

/* Digits worth showing for an exact time (submission, noticed). */
#define EXACT_DIGITS 3

static int set(json_t *o, const char *key, json_t *v)
{
	return !v || json_object_set_new(o, key, v);
}

json_t *hops_to_json(const struct hops *h)
{
	json_t *a = json_array();

	if (!a || !h)
		return a;
	for (size_t i = 0; i < h->n; i++) {
		json_t *o = received_to_json(&h->v[i].r);

		if (!o || set(o, "delay_seconds", num_or_null(h->v[i].delay)) ||
		    set(o, "skew", json_boolean(h->v[i].skew)) ||
		    json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *hops_mailbox_to_json(const struct hops *h)
{
	json_t *o = json_object();
	const struct hops_mailbox *mb = hops_mailbox(h);
	int bad = 0;

	if (!o || !mb)
		return o;
	bad |= set(o, "internaldate", time_or_null(mb->internaldate, 0));
	bad |= set(o, "delay_seconds", num_or_null(mb->delay));
	bad |= set(o, "skew", json_boolean(mb->skew));
	bad |= set(o, "noticed_at", time_or_null(mb->noticed_at, EXACT_DIGITS));
	bad |= set(o, "noticed_delay_seconds", num_or_null(mb->noticed_delay));
	bad |= set(o, "noticed_skew", json_boolean(mb->noticed_skew));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *hops_doc_to_json(const struct hops *h)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	bad |= set(o, "hops", hops_to_json(h));
	bad |= set(o, "total_seconds", num_or_null(hops_total(h)));
	if (h && !isnan(h->submitted_at))
		bad |= set(o, "submitted_at",
			   time_or_null(h->submitted_at, EXACT_DIGITS));
	if (h && (!isnan(h->mb.internaldate) || !isnan(h->mb.noticed_at)))
		bad |= set(o, "mailbox", hops_mailbox_to_json(h));
	if (h && h->truncated)
		bad |= set(o, "truncated", json_true());
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void hops_free(struct hops *h)
{
	if (!h)
		return;
	free(h->v);
	free(h);
}
