/* The Received chain of a message as an ordered list of hops, oldest first
 * (the bottom Received field is hop 1), with the delay of each hop and of
 * the last steps into the mailbox. Takes header bytes, returns structures:
 * no I/O, no clock (endpoints are handed in), no judging of probes.
 *
 * Delays are differences between consecutive known points of
 *   submitted_at -> hop 1 -> ... -> hop N -> internaldate -> noticed_at
 * each point measured from the nearest older point that has a time (a hop
 * whose date could not be read gets no delay and is skipped over). Clocks
 * of different hosts disagree: a negative delay is kept as it is (not
 * clamped) and flagged as skew.
 *
 * Resolution: Received dates and IMAP INTERNALDATE have whole seconds
 * (truncated), while submitted_at and noticed_at are exact. A whole-second
 * stamp that follows an exact time is measured from that time cut to its
 * second, so truncation alone never yields a negative delay and any
 * negative delay is skew; the delays then add up to the total within one
 * second. An exact time after a whole-second stamp (noticed after
 * INTERNALDATE) may be overstated by up to 1 s. */
#ifndef MC_HOPS_H
#define MC_HOPS_H

#include <jansson.h>
#include <stddef.h>

#include "mc_err.h"
#include "receiver/received.h"

/* Header bytes scanned (a whole message may be given: scanning stops at
 * the blank line that ends the header block). */
#define HOPS_MAX_INPUT (1024u * 1024)
/* Received fields kept. Past this (a mail loop, or padding) the topmost,
 * newest fields are kept -- those nearest the mailbox, written by hosts
 * we trust most -- and hops_truncated() says so. */
#define HOPS_MAX 64

struct hop {
	struct received r;
	double delay;          /* seconds since the previous known point, or
				  NAN when this hop or every older one has
				  no time */
	int skew;              /* delay is negative beyond the resolution */
};

/* The last steps, from the newest hop with a time into the mailbox. */
struct hops_mailbox {
	double internaldate;   /* IMAP INTERNALDATE (epoch s), or NAN */
	double delay;          /* internaldate - previous known point, or NAN */
	int skew;
	double noticed_at;     /* when mailcanary saw it (epoch s), or NAN */
	double noticed_delay;  /* noticed_at - previous known point, or NAN */
	int noticed_skew;
};

struct hops;

/* Builds the hop list from a header block (or a whole message) hdr[0..len),
 * bytes borrowed for the call. Finds every Received field (name matched
 * case-insensitively), unfolds it and parses it; an unrecognised field is
 * kept as an unparsed hop, never an error. A block without Received
 * fields gives an empty list. Returns a new list the caller frees with
 * hops_free(), or NULL with err set (out of memory; hdr NULL with len > 0). */
struct hops *hops_from_header(const char *hdr, size_t len, struct mc_err *err);

size_t hops_count(const struct hops *h);

/* Hop i (0 = hop 1, the oldest), borrowed from h; NULL if i is past the end. */
const struct hop *hops_get(const struct hops *h, size_t i);

/* 1 if more than HOPS_MAX Received fields were found (the oldest dropped). */
int hops_truncated(const struct hops *h);

/* Sets the points around the chain (epoch seconds; any may be NAN) and
 * recomputes every delay: submitted_at (when the probe was handed to the
 * relay), internaldate (the mailbox's INTERNALDATE), noticed_at (when the
 * watcher saw it). */
void hops_set_endpoints(struct hops *h, double submitted_at,
			double internaldate, double noticed_at);

/* The steps into the mailbox, borrowed from h. */
const struct hops_mailbox *hops_mailbox(const struct hops *h);

/* The last known point of the sequence minus the first (endpoints
 * included), i.e. the sum of the delays; NAN with fewer than two known
 * points. Recomputed by hops_set_endpoints(). */
double hops_total(const struct hops *h);

/* The hops as a new JSON array the caller owns (NULL on ENOMEM): per hop
 * received_to_json()'s keys (from, helo, ip, by, with, id, for, tls,
 * cipher, auth, note, at, zone_assumed when true, raw when unparsed)
 * plus "delay_seconds" (number or null) and "skew" (bool) -- the shape of
 * the probe JSON's "hops" array (DESIGN.md). */
json_t *hops_to_json(const struct hops *h);

/* The mailbox steps as a new JSON object the caller owns (NULL on ENOMEM);
 * noticed_delay_seconds is the probe JSON's detect_lag_seconds when the
 * INTERNALDATE is known:
 * {"internaldate": RFC 3339 or null, "delay_seconds": internaldate minus
 *  the newest hop (or submission) or null, "skew": bool,
 *  "noticed_at": RFC 3339 or null, "noticed_delay_seconds": noticed_at
 *  minus internaldate (or the newest known point) or null,
 *  "noticed_skew": bool} */
json_t *hops_mailbox_to_json(const struct hops *h);

/* The `hops --json` document, new, caller owns (NULL on ENOMEM):
 * {"hops":[...],"total_seconds":N or null}, plus "submitted_at" (RFC 3339)
 * when set, "mailbox":{...} when internaldate or noticed_at is set, and
 * "truncated":true when fields were dropped. */
json_t *hops_doc_to_json(const struct hops *h);

void hops_free(struct hops *h);

#endif
