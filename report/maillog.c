/* The maillog analysis: per-queue-id state with a capped LRU table, the
 * pflogsumm-compatible counts, searches and --trace's id closure.
 *
 * What is counted (pflogsumm 1.1.5's definitions, so totals cross-check):
 *  - messages: Postfix smtpd/postscreen "QID: client=" and pickup
 *    "QID: uid=|sender=" lines (pflogsumm "received"); Sendmail: the first
 *    from= line of each queue id.
 *  - by_status: delivery-attempt lines by status= (stat=); "sent" lines
 *    whose reply says "forwarded as" count as "forwarded" (pflogsumm does
 *    not call them delivered); "rejected": smtpd reject lines and cleanup
 *    header/body rejects; "expired": qmgr status=expired.
 *  - deferred_messages: queue ids with at least one deferral, counted when
 *    the queue id is finalised (removed, evicted, or at the end). */
#include <stdlib.h>
#include <string.h>

#include "mc_time.h"
#include "report/maillog_int.h"

static uint32_t hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

static struct ml_str unangle(struct ml_str s)
{
	if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>') {
		s.p++;
		s.n -= 2;
	}
	return s;
}

/* --- count tables ------------------------------------------------------ */

static void sanitize(char *s, size_t n)
{
	/* keys are JSON object keys: keep them ASCII-printable */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
}

void ml_counts_add(struct ml_counts *c, const char *p, size_t n)
{
	size_t i;

	if (c->cap == 0) {
		c->ent = calloc(64, sizeof(*c->ent));
		if (!c->ent) {
			c->other++;
			return;
		}
		c->cap = 64;
	}
	i = hash_bytes(p, n) & (c->cap - 1);
	while (c->ent[i].key) {
		if (strlen(c->ent[i].key) == n && memcmp(c->ent[i].key, p, n) == 0) {
			c->ent[i].n++;
			return;
		}
		/* keys never contain bytes the sanitizer replaces twice */
		i = (i + 1) & (c->cap - 1);
	}
	if (c->used >= MAILLOG_KEYS_MAX) {
		c->other++;
		return;
	}
	if ((c->used + 1) * 2 > c->cap) {
		struct ml_counts g = {calloc(c->cap * 2, sizeof(*c->ent)), c->cap * 2, 0, c->other};

		if (!g.ent) {
			c->other++;
			return;
		}
		for (size_t k = 0; k < c->cap; k++) {
			size_t j;

			if (!c->ent[k].key)
				continue;
			j = hash_bytes(c->ent[k].key, strlen(c->ent[k].key)) & (g.cap - 1);
			while (g.ent[j].key)
				j = (j + 1) & (g.cap - 1);
			g.ent[j] = c->ent[k];
			g.used++;
		}
		free(c->ent);
		*c = g;
		ml_counts_add(c, p, n);
		return;
	}
	c->ent[i].key = malloc(n + 1);
	if (!c->ent[i].key) {
		c->other++;
		return;
	}
	memcpy(c->ent[i].key, p, n);
	c->ent[i].key[n] = '\0';
	c->ent[i].n = 1;
	c->used++;
}

void ml_counts_free(struct ml_counts *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->ent[i].key);
	free(c->ent);
	memset(c, 0, sizeof(*c));
}

static int cmp_count(const void *a, const void *b)
{
	const struct ml_count_ent *x = *(const struct ml_count_ent *const *)a;
	const struct ml_count_ent *y = *(const struct ml_count_ent *const *)b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

const struct ml_count_ent **ml_counts_sorted(const struct ml_counts *c, size_t *n)
{
	const struct ml_count_ent **v = calloc(c->used + 1, sizeof(*v));
	size_t k = 0;

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < c->cap; i++)
		if (c->ent[i].key)
			v[k++] = &c->ent[i];
	qsort(v, k, sizeof(*v), cmp_count);
	*n = k;
	return v;
}

/* Counts with a sanitized copy of the key (bounded). */
static void count_key(struct ml_counts *c, const char *p, size_t n)
{
	char tmp[ML_FROM_MAX + 1];

	if (n > ML_FROM_MAX)
		n = ML_FROM_MAX;
	if (n)
		memcpy(tmp, p, n);
	sanitize(tmp, n);
	ml_counts_add(c, tmp, n);
}

/* --- queue id table ---------------------------------------------------- */

static void lru_unlink(struct maillog *m, uint32_t i)
{
	struct ml_queue *e = &m->q[i];

	if (e->lprev != ML_NIL)
		m->q[e->lprev].lnext = e->lnext;
	else
		m->lru_head = e->lnext;
	if (e->lnext != ML_NIL)
		m->q[e->lnext].lprev = e->lprev;
	else
		m->lru_tail = e->lprev;
	e->lprev = e->lnext = ML_NIL;
}

static void lru_push(struct maillog *m, uint32_t i)
{
	struct ml_queue *e = &m->q[i];

	e->lprev = ML_NIL;
	e->lnext = m->lru_head;
	if (m->lru_head != ML_NIL)
		m->q[m->lru_head].lprev = i;
	m->lru_head = i;
	if (m->lru_tail == ML_NIL)
		m->lru_tail = i;
}

static uint32_t *chain_of(struct maillog *m, const char *qid, size_t n)
{
	return &m->bucket[hash_bytes(qid, n) & (m->nbucket - 1)];
}

/* The queue id is done: count what is counted at the end, free it. */
static void queue_drop(struct maillog *m, uint32_t i)
{
	struct ml_queue *e = &m->q[i];
	uint32_t *pp = chain_of(m, e->qid, e->qn);

	while (*pp != i)
		pp = &m->q[*pp].hnext;
	*pp = e->hnext;
	lru_unlink(m, i);
	if (e->flags & QF_DEFERRED)
		m->deferred_messages++;
	free(e->from);
	free(e->msgid);
	memset(e, 0, sizeof(*e));
	e->hnext = m->qfree;
	m->qfree = i;
	m->qlive--;
}

static uint32_t queue_find(struct maillog *m, struct ml_str qid)
{
	uint32_t i;

	if (!m->bucket || qid.n > ML_QID_MAX)
		return ML_NIL;
	for (i = *chain_of(m, qid.p, qid.n); i != ML_NIL; i = m->q[i].hnext)
		if (m->q[i].qn == qid.n && memcmp(m->q[i].qid, qid.p, qid.n) == 0)
			return i;
	return ML_NIL;
}

/* Doubles the hash buckets once the live entries outnumber them, so the
 * table stays small (cache-friendly) while few queue ids are live. */
static void queue_grow(struct maillog *m)
{
	uint32_t nb = m->nbucket * 2, *b;

	if (m->qlive < m->nbucket || nb > (UINT32_MAX / 2))
		return;
	b = malloc(nb * sizeof(*b));
	if (!b)
		return;       /* longer chains, still correct */
	memset(b, 0xff, nb * sizeof(*b));
	free(m->bucket);
	m->bucket = b;
	m->nbucket = nb;
	for (size_t i = 0; i < m->qlen; i++) {
		uint32_t *chain;

		if (m->q[i].qn == 0)
			continue;      /* on the free list */
		chain = chain_of(m, m->q[i].qid, m->q[i].qn);
		m->q[i].hnext = *chain;
		*chain = (uint32_t)i;
	}
}

/* Finds or creates the state of a queue id, most recently used first. */
static struct ml_queue *queue_get(struct maillog *m, struct ml_str qid)
{
	uint32_t i = queue_find(m, qid), *chain;

	if (i != ML_NIL) {
		lru_unlink(m, i);
		lru_push(m, i);
		return &m->q[i];
	}
	if (!m->bucket || qid.n == 0 || qid.n > ML_QID_MAX)
		return NULL;
	if (m->qlive >= m->qmax) {
		queue_drop(m, m->lru_tail);   /* evicted: finalised */
		m->evicted++;
	}
	if (m->qfree != ML_NIL) {
		i = m->qfree;
		m->qfree = m->q[i].hnext;
	} else {
		if (m->qlen == m->qcap) {
			size_t ncap = m->qcap ? m->qcap * 2 : 256;
			struct ml_queue *nq;

			if (ncap > m->qmax)
				ncap = m->qmax;
			nq = realloc(m->q, ncap * sizeof(*nq));
			if (!nq)
				return NULL;
			m->q = nq;
			m->qcap = ncap;
		}
		i = (uint32_t)m->qlen++;
	}
	memset(&m->q[i], 0, sizeof(m->q[i]));
	memcpy(m->q[i].qid, qid.p, qid.n);
	m->q[i].qn = (unsigned char)qid.n;
	chain = chain_of(m, qid.p, qid.n);
	m->q[i].hnext = *chain;
	*chain = i;
	m->q[i].lprev = m->q[i].lnext = ML_NIL;
	lru_push(m, i);
	m->qlive++;
	queue_grow(m);
	return &m->q[i];
}

static char *dup_bounded(struct ml_str s, size_t max)
{
	char *r;

	if (s.n > max)
		s.n = max;
	r = malloc(s.n + 1);
	if (r) {
		if (s.n)
			memcpy(r, s.p, s.n);
		r[s.n] = '\0';
	}
	return r;
}

/* --- lifecycle --------------------------------------------------------- */

static int queue_init(struct maillog *m)
{
	m->qmax = m->o.queue_max ? m->o.queue_max : MAILLOG_QUEUE_MAX;
	if (m->qmax > UINT32_MAX / 4)
		m->qmax = UINT32_MAX / 4;
	m->nbucket = 1024;   /* grows with the live entries (queue_grow) */
	m->bucket = malloc(m->nbucket * sizeof(*m->bucket));
	if (!m->bucket)
		return -1;
	memset(m->bucket, 0xff, m->nbucket * sizeof(*m->bucket));
	m->qfree = m->lru_head = m->lru_tail = ML_NIL;
	return 0;
}

static void queue_fini(struct maillog *m)
{
	for (size_t i = 0; i < m->qlen; i++) {
		free(m->q[i].from);
		free(m->q[i].msgid);
	}
	free(m->q);
	free(m->bucket);
	m->q = NULL;
	m->bucket = NULL;
	m->qlen = m->qcap = m->qlive = 0;
}

static void stats_reset(struct maillog *m)
{
	queue_fini(m);
	ml_counts_free(&m->by_host);
	ml_counts_free(&m->by_sender);
	ml_counts_free(&m->by_code);
	ml_counts_free(&m->by_month);
	json_decref(m->matches);
	m->matches = json_array();
	m->lines = m->malformed = m->messages = m->probes = m->evicted = 0;
	m->deferred_messages = m->matches_total = 0;
	memset(m->by_status, 0, sizeof(m->by_status));
	memset(m->by_reason, 0, sizeof(m->by_reason));
	memset(m->by_hour, 0, sizeof(m->by_hour));
	memset(m->by_dow, 0, sizeof(m->by_dow));
	memset(m->by_mday, 0, sizeof(m->by_mday));
}

struct maillog *maillog_new(const struct maillog_opts *opts)
{
	struct maillog *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->o = *opts;
	if (!m->o.matches_max)
		m->o.matches_max = MAILLOG_MATCHES_MAX;
	maillog_clock_init(&m->clock, m->o.now, m->o.year);
	m->matches = json_array();
	if (!m->matches || queue_init(m) < 0) {
		maillog_free(m);
		return NULL;
	}
	if (m->o.trace && m->o.trace[0]) {
		struct ml_str id = unangle((struct ml_str){m->o.trace, strlen(m->o.trace)});

		m->trace_phase = 1;
		m->trace_ids[0] = dup_bounded(id, ML_MSGID_MAX);
		if (!m->trace_ids[0]) {
			maillog_free(m);
			return NULL;
		}
		m->ntrace_ids = 1;
	}
	return m;
}

void maillog_free(struct maillog *m)
{
	if (!m)
		return;
	queue_fini(m);
	ml_counts_free(&m->by_host);
	ml_counts_free(&m->by_sender);
	ml_counts_free(&m->by_code);
	ml_counts_free(&m->by_month);
	json_decref(m->matches);
	for (size_t i = 0; i < m->ntrace_ids; i++)
		free(m->trace_ids[i]);
	for (size_t i = 0; i < m->ntl; i++)
		free(m->tl[i].text);
	free(m->tl);
	free(m);
}

void ml_finish(struct maillog *m)
{
	if (m->finished)
		return;
	m->finished = 1;
	while (m->lru_tail != ML_NIL)
		queue_drop(m, m->lru_tail);
}

/* --- trace ids --------------------------------------------------------- */

static int trace_has(const struct maillog *m, struct ml_str s)
{
	if (!s.n)
		return 0;
	for (size_t i = 0; i < m->ntrace_ids; i++)
		if (strlen(m->trace_ids[i]) == s.n && memcmp(m->trace_ids[i], s.p, s.n) == 0)
			return 1;
	return 0;
}

static void trace_add(struct maillog *m, struct ml_str s)
{
	if (!s.n || trace_has(m, s) || m->ntrace_ids >= MAILLOG_TRACE_IDS_MAX)
		return;
	m->trace_ids[m->ntrace_ids] = dup_bounded(s, ML_MSGID_MAX);
	if (m->trace_ids[m->ntrace_ids]) {
		m->ntrace_ids++;
		m->trace_grew = 1;
	}
}

/* Phase 1: a line of a traced queue id or Message-ID adds its queue id,
 * Message-ID and the queue ids it hands the message on to. */
static void trace_collect(struct maillog *m, const struct maillog_line *l)
{
	struct ml_str mid = unangle(l->msgid);

	if (!l->qid.n || (l->qid.n == 7 && memcmp(l->qid.p, "NOQUEUE", 7) == 0))
		return;
	if (!trace_has(m, l->qid) && !trace_has(m, mid)) {
		/* a bare probe ID names the message whose Message-ID carries it */
		char pid[27];

		if (!mid.n || !maillog_probe_id(mid.p, mid.n, pid) ||
		    !trace_has(m, (struct ml_str){pid, 26}))
			return;
	}
	trace_add(m, l->qid);
	trace_add(m, mid);
	trace_add(m, l->newqid);
}

int maillog_pass_done(struct maillog *m)
{
	if (m->trace_phase != 1)
		return 0;
	m->trace_rounds++;
	if (m->trace_grew && m->trace_rounds < 3) {
		m->trace_grew = 0;
		stats_reset(m);
		queue_init(m);
		maillog_clock_init(&m->clock, m->o.now, m->o.year);
		return 1;
	}
	m->trace_phase = 2;
	stats_reset(m);
	queue_init(m);
	maillog_clock_init(&m->clock, m->o.now, m->o.year);
	return 1;
}

static void trace_keep(struct maillog *m, const struct maillog_line *l,
		       const char *p, size_t n)
{
	struct ml_trace_line *t;

	if (m->ntl >= MAILLOG_TRACE_LINES_MAX) {
		m->tl_dropped++;
		return;
	}
	if (m->ntl % 64 == 0) {
		t = realloc(m->tl, (m->ntl + 64) * sizeof(*t));
		if (!t)
			return;
		m->tl = t;
	}
	t = &m->tl[m->ntl];
	t->t = l->t;
	t->seq = m->ntl;
	t->text = dup_bounded((struct ml_str){p, n}, MAILLOG_LINE_MAX);
	memcpy(t->qid, l->qid.p, l->qid.n);
	t->qid[l->qid.n] = '\0';
	if (t->text)
		m->ntl++;
}

/* --- matches ----------------------------------------------------------- */

static int addr_eq(struct ml_str a, const char *b)
{
	size_t n = strlen(b);

	if (a.n != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int x = (unsigned char)a.p[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/* Is addr one of the recipients in s ("a", "<a>" or "<a>,<b>")? */
static int addr_in(struct ml_str s, const char *addr)
{
	size_t i = 0;

	while (i < s.n) {
		size_t j = i;
		struct ml_str one;

		while (j < s.n && s.p[j] != ',')
			j++;
		one = unangle((struct ml_str){s.p + i, j - i});
		if (addr_eq(one, addr))
			return 1;
		i = j + 1;
	}
	return 0;
}

static void set_str(json_t *o, const char *key, struct ml_str s)
{
	json_object_set_new(o, key, s.p ? ml_json_str(s.p, s.n) : json_null());
}

static void add_match(struct maillog *m, const struct maillog_line *l,
		      const struct ml_queue *q)
{
	struct ml_str from = l->from;
	char ts[MC_RFC3339_MAX], pid[27];
	json_t *o;

	if (!from.p && q && q->from)
		from = (struct ml_str){q->from, strlen(q->from)};
	if (!(m->o.status_mask & ML_STATUS_MASK(l->status)))
		return;
	if (m->o.rcpt && !addr_in(l->to, m->o.rcpt) && !addr_in(l->orig_to, m->o.rcpt))
		return;
	if (m->o.from && !addr_eq(from, m->o.from))
		return;
	m->matches_total++;
	if (json_array_size(m->matches) >= m->o.matches_max)
		return;
	o = json_object();
	if (!o)
		return;
	json_object_set_new(o, "time", json_string(mc_time_rfc3339(l->t, 0, ts)));
	set_str(o, "queue_id", l->qid);
	set_str(o, "from", from);
	set_str(o, "to", l->to);
	if (l->orig_to.p)
		set_str(o, "orig_to", l->orig_to);
	set_str(o, "relay", l->relay);
	json_object_set_new(o, "status", json_string(maillog_status_name(l->status)));
	set_str(o, "dsn", l->dsn);
	set_str(o, "reply", l->reply);
	json_object_set_new(o, "reason", maillog_reason_name(l->reason) ?
				json_string(maillog_reason_name(l->reason)) : json_null());
	set_str(o, "host", l->host);
	if (l->newqid.n)   /* the next hop's queue id ("queued as") */
		set_str(o, "queued_as", l->newqid);
	if (q && q->msgid) {
		json_object_set_new(o, "message_id", ml_json_str(q->msgid, strlen(q->msgid)));
		json_object_set_new(o, "probe_id", (q->flags & QF_PROBE) &&
			maillog_probe_id(q->msgid, strlen(q->msgid), pid) ?
			json_string(pid) : json_null());
	} else {
		json_object_set_new(o, "message_id", json_null());
		json_object_set_new(o, "probe_id", json_null());
	}
	json_array_append_new(m->matches, o);
}

/* --- per line ---------------------------------------------------------- */

static struct ml_str relay_host(struct ml_str r)
{
	const char *b = r.n ? memchr(r.p, '[', r.n) : NULL;

	if (!b)
		return r;
	if (b == r.p) {              /* "[ip]:port": the address */
		const char *e = memchr(r.p, ']', r.n);

		return (struct ml_str){r.p, e ? (size_t)(e - r.p) + 1 : r.n};
	}
	return (struct ml_str){r.p, (size_t)(b - r.p)};
}

static void note_msgid(struct maillog *m, struct ml_queue *q, struct ml_str mid)
{
	char pid[27];

	if (!q || !mid.n)
		return;
	if (!q->msgid) {
		q->msgid = dup_bounded(unangle(mid), ML_MSGID_MAX);
	}
	if (!(q->flags & QF_PROBE) && maillog_probe_id(mid.p, mid.n, pid)) {
		q->flags |= QF_PROBE;
		m->probes++;
	}
	/* the probe's ID wins over an earlier, different Message-ID */
	if ((q->flags & QF_PROBE) && q->msgid && !maillog_probe_id(q->msgid, strlen(q->msgid), pid)) {
		free(q->msgid);
		q->msgid = dup_bounded(unangle(mid), ML_MSGID_MAX);
	}
}

static void note_sender(struct maillog *m, struct ml_queue *q, struct ml_str from)
{
	if (!q)
		return;
	if (!q->from)
		q->from = dup_bounded(from, ML_FROM_MAX);
	if (!(q->flags & QF_SENDER)) {
		q->flags |= QF_SENDER;
		if (from.n)
			count_key(&m->by_sender, from.p, from.n);
		else
			ml_counts_add(&m->by_sender, "<>", 2);
	}
}

static void count_attempt(struct maillog *m, const struct maillog_line *l)
{
	m->by_status[l->status]++;
	char month[8];

	m->by_hour[l->hour]++;
	m->by_dow[l->wday]++;
	if (l->mday >= 1 && l->mday <= 31)
		m->by_mday[l->mday]++;
	if (l->year > 0 && l->year < 10000 && l->mon >= 1 && l->mon <= 12) {
		snprintf(month, sizeof(month), "%04d-%02d", l->year, l->mon);
		ml_counts_add(&m->by_month, month, 7);
	}
	if (l->reason)
		m->by_reason[l->reason]++;
}

void maillog_feed(struct maillog *m, const char *p, size_t n)
{
	struct maillog_line l;
	struct ml_queue *q = NULL;
	int noqueue, in_window, traced = 0;

	m->lines++;
	if (n > MAILLOG_LINE_MAX || maillog_parse_line(p, n, &m->clock, m->o.format, &l) < 0) {
		m->malformed++;
		return;
	}
	if (l.mta == MAILLOG_AUTO || l.kind == ML_IGNORED)
		return;
	if (m->trace_phase == 1) {
		trace_collect(m, &l);
		return;
	}
	noqueue = !l.qid.n || (l.qid.n == 7 && memcmp(l.qid.p, "NOQUEUE", 7) == 0);
	in_window = (m->o.since < 0 || l.t >= m->o.since) &&
		    (m->o.until < 0 || l.t <= m->o.until);
	if (m->trace_phase == 2) {
		traced = !noqueue && trace_has(m, l.qid);
		if (traced)
			trace_keep(m, &l, p, n);
	}
	if (l.kind == ML_OTHER)
		return;
	if (!noqueue) {
		if (l.kind == ML_REMOVED) {
			uint32_t i = queue_find(m, l.qid);

			if (i != ML_NIL)
				queue_drop(m, i);
			return;
		}
		q = queue_get(m, l.qid);
	}
	switch (l.kind) {
	case ML_CLIENT:
	case ML_PICKUP:
		if (in_window)
			m->messages++;
		break;
	case ML_MSGID:
		note_msgid(m, q, l.msgid);
		break;
	case ML_FROM:
		if (l.mta == MAILLOG_SENDMAIL && q && !(q->flags & QF_MSG)) {
			q->flags |= QF_MSG;
			if (in_window)
				m->messages++;
		}
		note_msgid(m, q, l.msgid);
		if (in_window)
			note_sender(m, q, l.from);
		else if (q && !q->from)
			q->from = dup_bounded(l.from, ML_FROM_MAX);
		break;
	case ML_DELIVERY:
	case ML_EXPIRED:
	case ML_REJECT:
		if (l.status == ML_ST_DEFERRED && q)
			q->flags |= QF_DEFERRED;
		if (!in_window)
			break;
		count_attempt(m, &l);
		if (l.kind == ML_DELIVERY) {
			struct ml_str h = relay_host(l.relay);

			if (h.n)
				count_key(&m->by_host, h.p, h.n);
			if (l.dsn.n)
				count_key(&m->by_code, l.dsn.p, l.dsn.n);
		}
		if ((m->o.search && m->trace_phase == 0) || traced)
			add_match(m, &l, q);
		break;
	case ML_NOTIFY:
		if (in_window && l.reason)
			m->by_reason[l.reason]++;
		break;
	default:
		break;
	}
}
