/* Internals shared by report/maillog*.c: the analysis state. Not for other
 * modules (they use report/maillog.h). */
#ifndef MC_MAILLOG_INT_H
#define MC_MAILLOG_INT_H

#include <stdint.h>

#include "report/maillog.h"

#define ML_QID_MAX 24
#define ML_FROM_MAX 320
#define ML_MSGID_MAX 256
#define ML_NIL UINT32_MAX

/* A counted key -> number table with at most MAILLOG_KEYS_MAX keys; the
 * rest is counted under "(other)". */
struct ml_count_ent {
	char *key;
	unsigned long long n;
};
struct ml_counts {
	struct ml_count_ent *ent;  /* open addressing, cap slots */
	size_t cap, used;
	unsigned long long other;
};

/* Per-queue-id state: one live message on one MTA instance. */
enum { QF_DEFERRED = 1, QF_SENDER = 2, QF_PROBE = 4, QF_MSG = 8 };
struct ml_queue {
	char qid[ML_QID_MAX + 1];
	unsigned char qn, flags;
	char *from;                  /* owned, or NULL */
	char *msgid;                 /* owned, without <>, or NULL */
	uint32_t hnext, lprev, lnext;
};

struct ml_trace_line {
	double t;
	size_t seq;
	char *text;                  /* owned */
	char qid[ML_QID_MAX + 1];
};

struct maillog {
	struct maillog_opts o;
	struct maillog_clock clock;

	/* queue ids: entries, a hash of chains, an LRU list */
	struct ml_queue *q;
	size_t qcap, qlen, qmax;
	uint32_t *bucket, nbucket, qfree, lru_head, lru_tail;
	size_t qlive;

	/* statistics */
	unsigned long long lines, malformed, messages, probes, evicted,
		deferred_messages, matches_total;
	unsigned long long by_status[ML_ST_COUNT], by_reason[ML_RE_COUNT];
	unsigned long long by_hour[24], by_dow[7], by_mday[32];
	struct ml_counts by_host, by_sender, by_code, by_month;
	json_t *matches;

	/* --trace: ids of the message (queue ids and Message-IDs) */
	int trace_phase;             /* 0 off, 1 collecting ids, 2 output */
	int trace_rounds, trace_grew;
	char *trace_ids[MAILLOG_TRACE_IDS_MAX];
	size_t ntrace_ids;
	struct ml_trace_line *tl;
	size_t ntl, tl_dropped;
	int finished;
};

void ml_counts_add(struct ml_counts *c, const char *p, size_t n);
void ml_counts_free(struct ml_counts *c);
/* Sorted by count, largest first: a new array of pointers into c. */
const struct ml_count_ent **ml_counts_sorted(const struct ml_counts *c, size_t *n);

/* A JSON string from log bytes: invalid UTF-8 and control bytes become '?'. */
json_t *ml_json_str(const char *p, size_t n);

/* Parses the timestamp at the start of a line into l (t, date fields,
 * wday). Returns the bytes consumed, including the space after it, or -1. */
long ml_parse_stamp(const char *p, size_t n, struct maillog_clock *ck,
		    struct maillog_line *l);

/* Finalises every live queue id (maillog_to_json/print_text call it). */
void ml_finish(struct maillog *m);

#endif
