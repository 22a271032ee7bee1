/* The shared DNS answer cache (dns_cache.h): a chained hash table of
 * converted answers (struct mc_dns_result copies) keyed by (lower-cased
 * name, type), with an LRU list for eviction when the entry or byte bound
 * is reached, and the wire-format TTL reader. Hand-written: Debian 12's
 * c-ares 1.18 has no query cache (ares_qcache came in 1.23). Ownership:
 * the cache owns its entries; dns_cache_get() hands out copies, so a
 * channel's callback may keep and free its result as before. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dns_cache.h"
#include "mc_time.h"

#define HEADER_LEN 12
#define RR_FIXED 10            /* TYPE, CLASS, TTL, RDLENGTH */
#define TYPE_SOA 6
#define SOA_FIXED 20           /* SERIAL .. MINIMUM */
#define NAME_WIRE_MAX 255      /* RFC 1035 §3.1 */
#define CACHE_FIRST_BUCKETS 64

struct entry {
	char *key;                  /* lower-cased name */
	int type;
	unsigned hash;
	double expires;
	size_t bytes;
	struct mc_dns_result *res;
	struct entry *hnext;        /* bucket chain */
	struct entry *prev, *next;  /* LRU: head = most recently used */
};

struct mc_dns_cache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t n_buckets;           /* a power of two */
	size_t max_buckets;         /* n_buckets doubles up to this */
	struct entry *lru_head, *lru_tail;
	size_t max_entries, max_bytes;
	unsigned max_ttl;
	double (*now)(void *arg);
	void *now_arg;
	struct mc_dns_cache_stats st;
};

/* ---- the wire: TTLs ---- */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* RFC 2181 §8: a TTL with the top bit set is taken as zero. */
static uint32_t ttl_value(const unsigned char *p)
{
	uint32_t t = get32(p);

	return t & 0x80000000u ? 0 : t;
}

/* Steps over a (possibly compressed) name at *off without following
 * pointers. Returns -1 when it runs past n or is not a valid name. */
static int skip_name(const unsigned char *m, size_t n, size_t *off)
{
	size_t o = *off, len = 0;

	for (;;) {
		unsigned b;

		if (o >= n)
			return -1;
		b = m[o];
		if ((b & 0xC0) == 0xC0) {
			if (n - o < 2)
				return -1;
			*off = o + 2;
			return 0;
		}
		if (b & 0xC0)           /* 0x40/0x80: no such label types */
			return -1;
		if (b == 0) {
			*off = o + 1;
			return 0;
		}
		len += b + 1u;
		if (len > NAME_WIRE_MAX || n - o - 1 < b)
			return -1;
		o += b + 1u;
	}
}

/* Reads the RR at *off: its type, TTL and rdata span. */
static int read_rr(const unsigned char *m, size_t n, size_t *off,
		   unsigned *type, uint32_t *ttl, size_t *rdata, size_t *rdlen)
{
	size_t o = *off;

	if (skip_name(m, n, &o) || n - o < RR_FIXED)
		return -1;
	*type = get16(m + o);
	*ttl = ttl_value(m + o + 4);
	*rdlen = get16(m + o + 8);
	o += RR_FIXED;
	if (n - o < *rdlen)
		return -1;
	*rdata = o;
	*off = o + *rdlen;
	return 0;
}

int dns_cache_ttl(enum mc_dns_status status, const unsigned char *abuf,
		  size_t alen, unsigned *ttl)
{
	unsigned qd, an, ns, rcode;
	uint32_t best = UINT32_MAX, soa = UINT32_MAX;
	size_t off = HEADER_LEN;

	if (!abuf || alen < HEADER_LEN)
		return -1;
	if (!(abuf[2] & 0x80) || (abuf[2] & 0x02))   /* not QR, or TC */
		return -1;
	rcode = abuf[3] & 0x0F;
	qd = get16(abuf + 4);
	an = get16(abuf + 6);
	ns = get16(abuf + 8);
	switch (status) {
	case MC_DNS_OK:
		if (rcode != 0 || an == 0)
			return -1;
		break;
	case MC_DNS_NODATA:
		if (rcode != 0)
			return -1;
		break;
	case MC_DNS_NXDOMAIN:
		if (rcode != 3)
			return -1;
		break;
	default:
		return -1;
	}
	/* Our queries carry one question; c-ares checked it is ours. */
	if (qd != 1 || skip_name(abuf, alen, &off) || alen - off < 4)
		return -1;
	off += 4;
	/* Counts are bounded by the message: every RR takes >= 11 bytes,
	 * and read_rr() fails at the end of the data. */
	for (unsigned i = 0; i < an; i++) {
		unsigned type;
		uint32_t t;
		size_t rd, rdlen;

		if (read_rr(abuf, alen, &off, &type, &t, &rd, &rdlen))
			return -1;
		if (t < best)
			best = t;
	}
	if (status != MC_DNS_OK) {
		/* RFC 2308 §5: the negative answer lives as long as the
		 * SOA's TTL and its MINIMUM field allow. */
		for (unsigned i = 0; i < ns; i++) {
			unsigned type;
			uint32_t t, min;
			size_t rd, rdlen, p;

			if (read_rr(abuf, alen, &off, &type, &t, &rd, &rdlen))
				return -1;
			if (type != TYPE_SOA)
				continue;
			p = rd;
			if (skip_name(abuf, rd + rdlen, &p) ||
			    skip_name(abuf, rd + rdlen, &p) ||
			    rd + rdlen - p != SOA_FIXED)
				return -1;
			min = ttl_value(abuf + p + 16);
			if (t < soa)
				soa = t;
			if (min < soa)
				soa = min;
		}
		if (soa == UINT32_MAX)
			return -1;      /* no SOA: RFC 2308 §5, do not cache */
		if (soa < best)
			best = soa;
	}
	*ttl = best == UINT32_MAX ? 0 : best;
	return 0;
}

/* ---- results ---- */

static size_t result_bytes(const struct mc_dns_result *r)
{
	size_t b = sizeof(*r) + strlen(r->name) + 1 +
		(r->canonical ? strlen(r->canonical) + 1 : 0) +
		r->n_rr * sizeof(*r->rr);

	for (size_t i = 0; i < r->n_rr; i++)
		b += (r->rr[i].name ? strlen(r->rr[i].name) + 1 : 0) +
		     (r->rr[i].txt ? r->rr[i].txt_len + 1 : 0);
	return b;
}

/* Copies the n bytes at src (a NUL after them) to *at; returns the copy
 * and moves *at past it. */
static char *put_bytes(char **at, const char *src, size_t n)
{
	char *d = *at;

	memcpy(d, src, n);
	d[n] = '\0';
	*at += n + 1;
	return d;
}

/* A deep copy of r named name, in one allocation (packed): a cached
 * answer is copied for every asker, and one malloc() per string was a
 * tenth of an `spf --batch` question. NULL when out of memory. */
static struct mc_dns_result *result_copy(const struct mc_dns_result *r,
					 const char *name)
{
	size_t nlen = strlen(name);
	size_t size = result_bytes(r) - strlen(r->name) + nlen;
	struct mc_dns_result *c = malloc(size);
	char *at;

	if (!c)
		return NULL;
	*c = *r;
	c->packed = 1;
	c->rr = r->n_rr ? (struct mc_dns_rr *)(c + 1) : NULL;
	at = (char *)(c + 1) + r->n_rr * sizeof(*c->rr);
	c->name = put_bytes(&at, name, nlen);
	if (r->canonical)
		c->canonical = put_bytes(&at, r->canonical,
					 strlen(r->canonical));
	for (size_t i = 0; i < r->n_rr; i++) {
		const struct mc_dns_rr *s = &r->rr[i];
		struct mc_dns_rr *d = &c->rr[i];

		*d = *s;
		if (s->name)
			d->name = put_bytes(&at, s->name, strlen(s->name));
		if (s->txt)
			d->txt = put_bytes(&at, s->txt, s->txt_len);
	}
	return c;
}

/* ---- the table ---- */

static double default_now(void *arg)
{
	(void)arg;
	return mc_now_coarse();     /* TTLs are whole seconds */
}

struct mc_dns_cache *dns_cache_new(const struct mc_dns_cache_opts *opts)
{
	struct mc_dns_cache *c = calloc(1, sizeof(*c));
	size_t want;

	if (!c)
		return NULL;
	c->max_entries = opts && opts->max_entries ? opts->max_entries :
		MC_DNS_CACHE_MAX_ENTRIES;
	c->max_bytes = opts && opts->max_bytes ? opts->max_bytes :
		MC_DNS_CACHE_MAX_BYTES;
	c->max_ttl = opts && opts->max_ttl ? opts->max_ttl :
		MC_DNS_CACHE_MAX_TTL;
	c->now = opts && opts->now ? opts->now : default_now;
	c->now_arg = opts ? opts->now_arg : NULL;
	/* About one entry per bucket when full; at most 64 Ki buckets. The
	 * table starts small and doubles with the entries (grow()): a batch
	 * that keeps a few hundred answers used to touch, and fault in, a
	 * page of a 256 KB table for nearly every answer it stored. */
	want = c->max_entries < 65536 ? c->max_entries : 65536;
	c->max_buckets = CACHE_FIRST_BUCKETS;
	while (c->max_buckets < want)
		c->max_buckets <<= 1;
	c->n_buckets = CACHE_FIRST_BUCKETS;
	c->buckets = calloc(c->n_buckets, sizeof(*c->buckets));
	if (!c->buckets || pthread_mutex_init(&c->lock, NULL)) {
		free(c->buckets);
		free(c);
		return NULL;
	}
	return c;
}

static void entry_free(struct entry *e)
{
	dns_result_free(e->res);
	free(e->key);
	free(e);
}

void dns_cache_free(struct mc_dns_cache *c)
{
	if (!c)
		return;
	for (struct entry *e = c->lru_head, *next; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* DNS names compare case-insensitively in ASCII only (RFC 4343), not by
 * the locale. */
static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int name_eq(const char *a, const char *b)
{
	for (; *a && ascii_lower((unsigned char)*a) ==
		   ascii_lower((unsigned char)*b); a++, b++)
		;
	return !*a && !*b;
}

/* FNV-1a over the lower-cased name, then the type. */
static unsigned key_hash(const char *name, int type)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= (uint32_t)ascii_lower(*p);
		h *= 16777619u;
	}
	h ^= (uint32_t)type;
	h *= 16777619u;
	return h;
}

static struct entry **find_slot(struct mc_dns_cache *c, const char *name,
				int type, unsigned hash)
{
	struct entry **pp = &c->buckets[hash & (c->n_buckets - 1)];

	for (; *pp; pp = &(*pp)->hnext)
		if ((*pp)->hash == hash && (*pp)->type == type &&
		    name_eq((*pp)->key, name))
			return pp;
	return pp;
}

static void lru_unlink(struct mc_dns_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct mc_dns_cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->lru_head;
	if (c->lru_head)
		c->lru_head->prev = e;
	c->lru_head = e;
	if (!c->lru_tail)
		c->lru_tail = e;
}

/* Doubles the table once it holds more entries than buckets (and may
 * still grow). Out of memory keeps the table as it is: longer chains, no
 * error. */
static void grow(struct mc_dns_cache *c)
{
	size_t n = c->n_buckets * 2;
	struct entry **b;

	if (c->st.entries < c->n_buckets || n > c->max_buckets ||
	    !(b = calloc(n, sizeof(*b))))
		return;
	for (size_t i = 0; i < c->n_buckets; i++) {
		for (struct entry *e = c->buckets[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
}

/* Unlinks and frees the entry *pp points at. */
static void remove_at(struct mc_dns_cache *c, struct entry **pp)
{
	struct entry *e = *pp;

	*pp = e->hnext;
	lru_unlink(c, e);
	c->st.entries--;
	c->st.bytes -= e->bytes;
	entry_free(e);
}

static void remove_entry(struct mc_dns_cache *c, struct entry *e)
{
	struct entry **pp = find_slot(c, e->key, e->type, e->hash);

	if (*pp == e)
		remove_at(c, pp);
}

struct mc_dns_result *dns_cache_get(struct mc_dns_cache *c, const char *name,
				    enum mc_dns_type type)
{
	unsigned hash = key_hash(name, (int)type);
	struct mc_dns_result *copy = NULL;
	struct entry **pp, *e;

	pthread_mutex_lock(&c->lock);
	pp = find_slot(c, name, (int)type, hash);
	e = *pp;
	if (e && e->expires <= c->now(c->now_arg)) {
		remove_at(c, pp);
		e = NULL;
	}
	if (e) {
		lru_unlink(c, e);
		lru_push(c, e);
		copy = result_copy(e->res, name);
	}
	if (copy)
		c->st.hits++;
	else
		c->st.misses++;
	pthread_mutex_unlock(&c->lock);
	return copy;
}

int dns_cache_has(struct mc_dns_cache *c, const char *name,
		  enum mc_dns_type type)
{
	struct entry *e;
	int live;

	pthread_mutex_lock(&c->lock);
	e = *find_slot(c, name, (int)type, key_hash(name, (int)type));
	live = e && e->expires > c->now(c->now_arg);
	pthread_mutex_unlock(&c->lock);
	return live;
}

int dns_cache_put(struct mc_dns_cache *c, const struct mc_dns_result *res,
		  const unsigned char *abuf, size_t alen)
{
	struct entry *e, **pp;
	unsigned ttl;
	char *p;

	if (dns_cache_ttl(res->status, abuf, alen, &ttl) || ttl == 0)
		return 0;
	if (ttl > c->max_ttl)
		ttl = c->max_ttl;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->key = strdup(res->name);
	e->res = result_copy(res, res->name);
	if (!e->key || !e->res) {
		entry_free(e);
		return -1;
	}
	for (p = e->key; *p; p++)
		*p = (char)ascii_lower((unsigned char)*p);
	e->type = (int)res->type;
	e->hash = key_hash(e->key, e->type);
	e->bytes = sizeof(*e) + strlen(e->key) + 1 + result_bytes(e->res);
	if (e->bytes > c->max_bytes) {
		entry_free(e);
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	e->expires = c->now(c->now_arg) + ttl;
	pp = find_slot(c, e->key, e->type, e->hash);
	if (*pp)                /* asked twice at once: the newer answer */
		remove_at(c, pp);
	/* Room first: the least recently used go. */
	while (c->lru_tail && (c->st.entries + 1 > c->max_entries ||
			       c->st.bytes + e->bytes > c->max_bytes)) {
		remove_entry(c, c->lru_tail);
		c->st.evictions++;
	}
	grow(c);
	pp = find_slot(c, e->key, e->type, e->hash);
	e->hnext = *pp;
	*pp = e;
	lru_push(c, e);
	c->st.entries++;
	c->st.bytes += e->bytes;
	c->st.stores++;
	pthread_mutex_unlock(&c->lock);
	return 1;
}

void dns_cache_stats(struct mc_dns_cache *c, struct mc_dns_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	pthread_mutex_unlock(&c->lock);
}
