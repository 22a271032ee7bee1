/* Unit tests for checks/dns_cache: the TTL reader on crafted answers
 * (minimum over the answer, RFC 2308 negative TTLs with and without SOA,
 * TC, RCODE mismatch, every truncation of a message), the table (hit,
 * case-insensitive key, expiry on an injected clock, 0 TTL, the cap,
 * failures never kept, eviction by count and by bytes, threads), and a
 * channel with a cache against the fake server of dns_fake.h (hits send
 * nothing, are delivered from dns_run()/dns_process() only, count as
 * queries but not as sent, are cancelled by dns_cancel(), freed by
 * dns_free(); channels share one cache). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ares.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dns.h"
#include "checks/dns_cache.h"
#include "dns_fake.h"

/* ---- crafting answers with TTLs ---- */

/* The header and question of an answer to name/qtype with an, ns RRs. */
static void head(struct pkt *p, unsigned rcode, unsigned an, unsigned ns,
		 const char *name, unsigned qtype)
{
	start(p, 0x8180 | rcode, an, name, qtype);
	p->b[8] = (unsigned char)(ns >> 8);
	p->b[9] = (unsigned char)ns;
}

static void rr_ttl_a(struct pkt *p, unsigned long ttl, const char *ip)
{
	put16(p, 0xC00C);
	put16(p, 1);
	put16(p, 1);
	put32(p, ttl);
	put16(p, 4);
	inet_pton(AF_INET, ip, p->b + p->n);
	p->n += 4;
}

static void rr_ttl_txt(struct pkt *p, unsigned long ttl, const char *s)
{
	put16(p, 0xC00C);
	put16(p, 16);
	put16(p, 1);
	put32(p, ttl);
	put16(p, (unsigned)strlen(s) + 1);
	put8(p, (unsigned)strlen(s));
	memcpy(p->b + p->n, s, strlen(s));
	p->n += strlen(s);
}

static void rr_cname(struct pkt *p, unsigned long ttl, const char *target)
{
	size_t len_at;

	put16(p, 0xC00C);
	put16(p, 5);
	put16(p, 1);
	put32(p, ttl);
	len_at = p->n;
	put16(p, 0);
	put_name(p, target);
	p->b[len_at] = (unsigned char)((p->n - len_at - 2) >> 8);
	p->b[len_at + 1] = (unsigned char)(p->n - len_at - 2);
}

/* An SOA for the root zone (owner "."), as nsd serves the suite's zones. */
static void rr_soa(struct pkt *p, unsigned long ttl, unsigned long minimum)
{
	size_t len_at;

	put8(p, 0);
	put16(p, 6);
	put16(p, 1);
	put32(p, ttl);
	len_at = p->n;
	put16(p, 0);
	put_name(p, "ns.test");
	put_name(p, "hostmaster.test");
	put32(p, 1);
	put32(p, 3600);
	put32(p, 600);
	put32(p, 86400);
	put32(p, minimum);
	p->b[len_at] = (unsigned char)((p->n - len_at - 2) >> 8);
	p->b[len_at + 1] = (unsigned char)(p->n - len_at - 2);
}

static struct pkt *pkt_new(void)
{
	struct pkt *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	return p;
}

/* The result the channel would make of p (status as c-ares says). */
static struct mc_dns_result *conv(const char *name, enum mc_dns_type type,
				  int ares_status, const struct pkt *p)
{
	struct mc_dns_result *r = dns_result_new(name, type);

	assert_non_null(r);
	dns_answer_convert(r, ares_status, p ? p->b : NULL, p ? (int)p->n : 0);
	return r;
}

/* ---- an injectable clock ---- */

static double fake_now_value;

static double fake_now(void *arg)
{
	(void)arg;
	return fake_now_value;
}

static struct mc_dns_cache *cache_with_clock(size_t max_entries,
					     size_t max_bytes)
{
	struct mc_dns_cache_opts o = {.max_entries = max_entries,
				      .max_bytes = max_bytes,
				      .now = fake_now};
	struct mc_dns_cache *c;

	fake_now_value = 1000;
	c = dns_cache_new(&o);
	assert_non_null(c);
	return c;
}

/* ---- the TTL reader ---- */

static void test_ttl_positive(void **state)
{
	struct pkt *p = pkt_new();
	unsigned ttl = 99;

	(void)state;
	head(p, 0, 3, 0, "example.com", 1);
	rr_ttl_a(p, 300, "192.0.2.1");
	rr_ttl_a(p, 120, "192.0.2.2");
	rr_ttl_a(p, 7200, "192.0.2.3");
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), 0);
	assert_int_equal(ttl, 120);

	/* RFC 2181 §8: the top bit set means 0. */
	head(p, 0, 2, 0, "example.com", 1);
	rr_ttl_a(p, 300, "192.0.2.1");
	rr_ttl_a(p, 0x80000001ul, "192.0.2.2");
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), 0);
	assert_int_equal(ttl, 0);

	/* A CNAME on the way counts too. */
	head(p, 0, 2, 0, "example.com", 16);
	rr_cname(p, 30, "other.example");
	put16(p, 0xC00C);   /* owner: not exact, only the TTL matters here */
	put16(p, 16);
	put16(p, 1);
	put32(p, 600);
	put16(p, 2);
	put8(p, 1);
	put8(p, 'x');
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), 0);
	assert_int_equal(ttl, 30);

	/* OK needs records and RCODE 0. */
	head(p, 0, 0, 0, "example.com", 1);
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), -1);
	head(p, 3, 1, 0, "example.com", 1);
	rr_ttl_a(p, 300, "192.0.2.1");
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), -1);
	free(p);
}

static void test_ttl_negative(void **state)
{
	struct pkt *p = pkt_new();
	unsigned ttl = 0;

	(void)state;
	/* NXDOMAIN: min(SOA TTL, MINIMUM). */
	head(p, 3, 0, 1, "nx.example.com", 16);
	rr_soa(p, 3600, 60);
	assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, p->b, p->n, &ttl), 0);
	assert_int_equal(ttl, 60);
	head(p, 3, 0, 1, "nx.example.com", 16);
	rr_soa(p, 45, 600);
	assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, p->b, p->n, &ttl), 0);
	assert_int_equal(ttl, 45);
	/* NODATA the same, RCODE 0. */
	head(p, 0, 0, 1, "example.com", 16);
	rr_soa(p, 300, 200);
	assert_int_equal(dns_cache_ttl(MC_DNS_NODATA, p->b, p->n, &ttl), 0);
	assert_int_equal(ttl, 200);
	/* NODATA at the end of a CNAME: no longer than the CNAME. */
	head(p, 0, 1, 1, "alias.example.com", 16);
	rr_cname(p, 20, "target.example.com");
	rr_soa(p, 300, 200);
	assert_int_equal(dns_cache_ttl(MC_DNS_NODATA, p->b, p->n, &ttl), 0);
	assert_int_equal(ttl, 20);

	/* Without an SOA: not cached (RFC 2308 §5). */
	head(p, 3, 0, 0, "nx.example.com", 16);
	assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, p->b, p->n, &ttl), -1);
	head(p, 0, 0, 0, "example.com", 16);
	assert_int_equal(dns_cache_ttl(MC_DNS_NODATA, p->b, p->n, &ttl), -1);
	/* RCODE must match the status. */
	head(p, 0, 0, 1, "nx.example.com", 16);
	rr_soa(p, 60, 60);
	assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, p->b, p->n, &ttl), -1);
	head(p, 3, 0, 1, "nx.example.com", 16);
	rr_soa(p, 60, 60);
	assert_int_equal(dns_cache_ttl(MC_DNS_NODATA, p->b, p->n, &ttl), -1);
	/* An SOA whose rdata is not the fixed 20 bytes after two names. */
	head(p, 3, 0, 1, "nx.example.com", 16);
	rr_soa(p, 60, 60);
	p->b[p->n - 21]++;  /* RNAME's root label becomes a 1-byte label */
	assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, p->b, p->n, &ttl), -1);
	free(p);
}

static void test_ttl_never(void **state)
{
	struct pkt *p = pkt_new();
	unsigned ttl = 0;
	static const enum mc_dns_status never[] = {
		MC_DNS_TIMEOUT, MC_DNS_SERVFAIL, MC_DNS_ERROR,
	};

	(void)state;
	head(p, 0, 1, 0, "example.com", 1);
	rr_ttl_a(p, 300, "192.0.2.1");
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(dns_cache_ttl(never[i], p->b, p->n, &ttl), -1);
	/* TC set, not a response, no message at all. */
	p->b[2] |= 0x02;
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), -1);
	p->b[2] &= (unsigned char)~0x82;
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), -1);
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, NULL, 0, &ttl), -1);
	/* SERVFAIL from the wire under any status. */
	head(p, 2, 0, 1, "example.com", 1);
	rr_soa(p, 60, 60);
	assert_int_equal(dns_cache_ttl(MC_DNS_NODATA, p->b, p->n, &ttl), -1);
	assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, p->b, p->n, &ttl), -1);
	free(p);
}

/* Every prefix of a good message is refused (the counts promise more). */
static void test_ttl_truncations(void **state)
{
	struct pkt *p = pkt_new();
	unsigned ttl = 0;

	(void)state;
	head(p, 3, 1, 1, "nx.example.com", 16);
	rr_cname(p, 20, "t.example.com");
	rr_soa(p, 300, 200);
	assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, p->b, p->n, &ttl), 0);
	for (size_t n = 0; n < p->n; n++) {
		unsigned char *copy = malloc(n ? n : 1);

		memcpy(copy, p->b, n);
		assert_int_equal(dns_cache_ttl(MC_DNS_NXDOMAIN, copy, n, &ttl),
				 -1);
		free(copy);
	}
	/* A compression pointer's first byte at the very end; a label
	 * type 0x40. */
	head(p, 0, 1, 0, "example.com", 1);
	put8(p, 0xC0);
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), -1);
	head(p, 0, 1, 0, "example.com", 1);
	put8(p, 0x41);
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), -1);
	/* Two questions: not one of ours. */
	head(p, 0, 1, 0, "example.com", 1);
	p->b[5] = 2;
	rr_ttl_a(p, 300, "192.0.2.1");
	assert_int_equal(dns_cache_ttl(MC_DNS_OK, p->b, p->n, &ttl), -1);
	free(p);
}

/* ---- the table ---- */

static void test_cache_hit(void **state)
{
	struct mc_dns_cache *c = cache_with_clock(0, 0);
	struct pkt *p = pkt_new();
	struct mc_dns_result *r, *h;
	struct mc_dns_cache_stats st;

	(void)state;
	head(p, 0, 1, 0, "Example.COM", 16);
	rr_ttl_txt(p, 300, "v=spf1 -all");
	r = conv("Example.COM", MC_DNS_TXT, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_OK);
	assert_null(dns_cache_get(c, "example.com", MC_DNS_TXT));
	assert_int_equal(dns_cache_has(c, "example.com", MC_DNS_TXT), 0);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 1);
	/* dns_cache_has(): the same answer, no copy, not counted below */
	assert_int_equal(dns_cache_has(c, "EXAMPLE.com", MC_DNS_TXT), 1);
	assert_int_equal(dns_cache_has(c, "example.com", MC_DNS_A), 0);

	/* Any case; the copy carries the name as asked. */
	h = dns_cache_get(c, "EXAMPLE.com", MC_DNS_TXT);
	assert_non_null(h);
	assert_int_equal(h->status, MC_DNS_OK);
	assert_int_equal(h->type, MC_DNS_TXT);
	assert_string_equal(h->name, "EXAMPLE.com");
	assert_int_equal(h->n_rr, 1);
	assert_string_equal(h->rr[0].txt, "v=spf1 -all");
	assert_int_equal(h->rr[0].txt_len, 11);
	/* one allocation, which outlives the cache's own entry */
	assert_int_equal(h->packed, 1);
	assert_int_equal(r->packed, 0);
	assert_ptr_equal(h->rr, (struct mc_dns_rr *)(h + 1));
	assert_true(h->rr[0].txt > (char *)h->rr &&
		    h->rr[0].txt < (char *)(h->rr + 1) + 64);
	{
		struct mc_dns_cache *c2 = cache_with_clock(0, 0);
		struct mc_dns_result *h2;

		assert_int_equal(dns_cache_put(c2, r, p->b, p->n), 1);
		h2 = dns_cache_get(c2, "example.com", MC_DNS_TXT);
		dns_cache_free(c2);
		assert_non_null(h2);
		assert_string_equal(h2->rr[0].txt, "v=spf1 -all");
		dns_result_free(h2);
	}
	dns_result_free(h);
	/* Another type is another key. */
	assert_null(dns_cache_get(c, "example.com", MC_DNS_A));
	assert_null(dns_cache_get(c, "example.org", MC_DNS_TXT));

	/* Alive until the TTL ends. */
	fake_now_value += 299;
	assert_int_equal(dns_cache_has(c, "example.com", MC_DNS_TXT), 1);
	h = dns_cache_get(c, "example.com", MC_DNS_TXT);
	assert_non_null(h);
	dns_result_free(h);
	fake_now_value += 1;
	assert_int_equal(dns_cache_has(c, "example.com", MC_DNS_TXT), 0);
	assert_null(dns_cache_get(c, "example.com", MC_DNS_TXT));
	dns_cache_stats(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.stores, 1);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	dns_result_free(r);

	/* A 0 TTL is not kept; a long one is capped. */
	head(p, 0, 1, 0, "zero.example", 1);
	rr_ttl_a(p, 0, "192.0.2.1");
	r = conv("zero.example", MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 0);
	assert_null(dns_cache_get(c, "zero.example", MC_DNS_A));
	dns_result_free(r);
	head(p, 0, 1, 0, "long.example", 1);
	rr_ttl_a(p, 86400 * 7, "192.0.2.9");
	r = conv("long.example", MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 1);
	fake_now_value += MC_DNS_CACHE_MAX_TTL - 1;
	h = dns_cache_get(c, "long.example", MC_DNS_A);
	assert_non_null(h);
	assert_int_equal(h->rr[0].addr.a.s_addr, htonl(0xC0000209));
	dns_result_free(h);
	fake_now_value += 1;
	assert_null(dns_cache_get(c, "long.example", MC_DNS_A));
	dns_result_free(r);
	free(p);
	dns_cache_free(c);
}

static void test_cache_negative(void **state)
{
	struct mc_dns_cache *c = cache_with_clock(0, 0);
	struct pkt *p = pkt_new();
	struct mc_dns_result *r, *h;

	(void)state;
	/* NXDOMAIN with an SOA: kept for the negative TTL. */
	head(p, 3, 0, 1, "nx.example", 16);
	rr_soa(p, 3600, 30);
	r = conv("nx.example", MC_DNS_TXT, ARES_ENOTFOUND, p);
	assert_int_equal(r->status, MC_DNS_NXDOMAIN);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 1);
	h = dns_cache_get(c, "NX.example", MC_DNS_TXT);
	assert_non_null(h);
	assert_int_equal(h->status, MC_DNS_NXDOMAIN);
	assert_int_equal(h->n_rr, 0);
	dns_result_free(h);
	fake_now_value += 30;
	assert_null(dns_cache_get(c, "nx.example", MC_DNS_TXT));
	dns_result_free(r);

	/* NXDOMAIN without one: not kept. */
	head(p, 3, 0, 0, "nx2.example", 16);
	r = conv("nx2.example", MC_DNS_TXT, ARES_ENOTFOUND, p);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 0);
	assert_null(dns_cache_get(c, "nx2.example", MC_DNS_TXT));
	dns_result_free(r);

	/* NODATA with an SOA. */
	head(p, 0, 0, 1, "nodata.example", 16);
	rr_soa(p, 100, 100);
	r = conv("nodata.example", MC_DNS_TXT, ARES_ENODATA, p);
	assert_int_equal(r->status, MC_DNS_NODATA);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 1);
	h = dns_cache_get(c, "nodata.example", MC_DNS_TXT);
	assert_non_null(h);
	assert_int_equal(h->status, MC_DNS_NODATA);
	dns_result_free(h);
	dns_result_free(r);
	free(p);
	dns_cache_free(c);
}

/* TIMEOUT, SERVFAIL, ERROR (malformed, truncated, refused) never. */
static void test_cache_failures_never(void **state)
{
	struct mc_dns_cache *c = cache_with_clock(0, 0);
	struct pkt *p = pkt_new();
	struct mc_dns_result *r;
	static const int statuses[] = {
		ARES_ETIMEOUT, ARES_ESERVFAIL, ARES_ECONNREFUSED,
		ARES_EREFUSED, ARES_EBADRESP, ARES_ECANCELLED,
	};

	(void)state;
	head(p, 0, 1, 0, "f.example", 1);
	rr_ttl_a(p, 300, "192.0.2.1");
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		r = conv("f.example", MC_DNS_A, statuses[i], p);
		assert_int_not_equal(r->status, MC_DNS_OK);
		assert_int_equal(dns_cache_put(c, r, p->b, p->n), 0);
		dns_result_free(r);
	}
	/* SERVFAIL on the wire, with an SOA. */
	head(p, 2, 0, 1, "f.example", 1);
	rr_soa(p, 300, 300);
	r = conv("f.example", MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_SERVFAIL);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 0);
	dns_result_free(r);
	/* Truncated (TC). */
	head(p, 0, 1, 0, "f.example", 1);
	rr_ttl_a(p, 300, "192.0.2.1");
	p->b[2] |= 0x02;
	r = conv("f.example", MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 0);
	dns_result_free(r);
	/* Malformed: the rdata runs past the end. */
	head(p, 0, 1, 0, "f.example", 1);
	rr_ttl_a(p, 300, "192.0.2.1");
	p->n -= 2;
	r = conv("f.example", MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 0);
	dns_result_free(r);
	assert_null(dns_cache_get(c, "f.example", MC_DNS_A));
	free(p);
	dns_cache_free(c);
}

static void put_a(struct mc_dns_cache *c, const char *name, unsigned ttl)
{
	struct pkt *p = pkt_new();
	struct mc_dns_result *r;

	head(p, 0, 1, 0, name, 1);
	rr_ttl_a(p, ttl, "192.0.2.1");
	r = conv(name, MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(dns_cache_put(c, r, p->b, p->n), 1);
	dns_result_free(r);
	free(p);
}

static int has_a(struct mc_dns_cache *c, const char *name)
{
	struct mc_dns_result *h = dns_cache_get(c, name, MC_DNS_A);

	dns_result_free(h);
	return h != NULL;
}

static void test_cache_evict(void **state)
{
	struct mc_dns_cache *c = cache_with_clock(3, 0);
	struct mc_dns_cache_stats st;

	(void)state;
	put_a(c, "a.example", 300);
	put_a(c, "b.example", 300);
	put_a(c, "c.example", 300);
	assert_true(has_a(c, "a.example"));  /* a is now the most recent */
	put_a(c, "d.example", 300);          /* b, the least recent, goes */
	assert_false(has_a(c, "b.example"));
	assert_true(has_a(c, "a.example"));
	assert_true(has_a(c, "c.example"));
	assert_true(has_a(c, "d.example"));
	/* The same key again replaces, it does not evict. */
	put_a(c, "D.example", 600);
	assert_true(has_a(c, "a.example"));
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	fake_now_value += 300;              /* d's new TTL holds */
	assert_true(has_a(c, "d.example"));
	assert_false(has_a(c, "a.example"));
	dns_cache_free(c);

	/* By bytes: an entry of one A record is a few hundred bytes. */
	c = cache_with_clock(1000, 1000);
	for (int i = 0; i < 50; i++) {
		char name[32];

		snprintf(name, sizeof(name), "n%d.example", i);
		put_a(c, name, 300);
	}
	dns_cache_stats(c, &st);
	assert_true(st.bytes <= 1000);
	assert_true(st.entries >= 1 && st.entries < 50);
	assert_true(has_a(c, "n49.example"));
	assert_false(has_a(c, "n0.example"));
	dns_cache_free(c);

	/* An answer bigger than the whole budget is simply not kept. */
	c = cache_with_clock(10, 64);
	{
		struct pkt *p = pkt_new();
		struct mc_dns_result *r;

		head(p, 0, 1, 0, "big.example", 1);
		rr_ttl_a(p, 300, "192.0.2.1");
		r = conv("big.example", MC_DNS_A, ARES_SUCCESS, p);
		assert_int_equal(dns_cache_put(c, r, p->b, p->n), 0);
		dns_result_free(r);
		free(p);
	}
	dns_cache_free(c);
	dns_cache_free(NULL);
}

/* The table starts small and doubles as entries come: every entry stays
 * findable across the growths (2000 entries: 64 -> 4096 buckets, six
 * rehashes), in any letter case, and its own table bound (max_entries
 * 100: no more than 128 buckets) only lengthens the chains. */
static void test_cache_grows(void **state)
{
	struct mc_dns_cache *c = cache_with_clock(5000, 64u << 20);
	struct mc_dns_cache_stats st;
	char name[32];

	(void)state;
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		put_a(c, name, 300);
		if (i % 97 == 0)     /* the oldest still there mid-way */
			assert_true(has_a(c, "h0.example"));
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "H%d.EXAMPLE", i);
		assert_true(has_a(c, name));
	}
	assert_false(has_a(c, "h2000.example"));
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 2000);
	assert_int_equal(st.evictions, 0);
	dns_cache_free(c);

	c = cache_with_clock(100, 64u << 20);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "k%d.example", i);
		put_a(c, name, 300);
	}
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 100);
	for (int i = 200; i < 300; i++) {
		snprintf(name, sizeof(name), "k%d.example", i);
		assert_true(has_a(c, name));
	}
	dns_cache_free(c);
}

/* ---- threads ---- */

struct thread_arg {
	struct mc_dns_cache *c;
	int id;
	int hits;
};

static void *hammer(void *arg)
{
	struct thread_arg *t = arg;

	for (int i = 0; i < 400; i++) {
		char name[32];
		struct pkt *p = malloc(sizeof(*p));
		struct mc_dns_result *r, *h;

		snprintf(name, sizeof(name), "n%d.example", (i * 7 + t->id) % 64);
		h = dns_cache_get(t->c, name, MC_DNS_TXT);
		if (h) {
			/* What any thread stored for this name. */
			if (h->status != MC_DNS_OK || h->n_rr != 1 ||
			    strcmp(h->rr[0].txt, name) != 0)
				t->hits = -100000;
			t->hits++;
			dns_result_free(h);
			free(p);
			continue;
		}
		head(p, 0, 1, 0, name, 16);
		rr_ttl_txt(p, 300, name);
		r = dns_result_new(name, MC_DNS_TXT);
		dns_answer_convert(r, ARES_SUCCESS, p->b, (int)p->n);
		dns_cache_put(t->c, r, p->b, p->n);
		dns_result_free(r);
		free(p);
	}
	return NULL;
}

static void test_cache_threads(void **state)
{
	/* Fewer entries than names: eviction races lookups too. */
	struct mc_dns_cache_opts o = {.max_entries = 40};
	struct mc_dns_cache *c = dns_cache_new(&o);
	struct thread_arg args[8];
	pthread_t th[8];
	struct mc_dns_cache_stats st;
	int hits = 0;

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < 8; i++) {
		args[i] = (struct thread_arg){.c = c, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_true(args[i].hits >= 0);
		hits += args[i].hits;
	}
	dns_cache_stats(c, &st);
	assert_int_equal(st.hits, (size_t)hits);
	assert_int_equal(st.hits + st.misses, 8 * 400);
	assert_true(st.entries <= 40);
	assert_true(hits > 0);
	dns_cache_free(c);
}

/* ---- a channel with a cache, against the fake server ---- */

struct got {
	int calls;
	enum mc_dns_status status;
	char why[128];
	size_t n_rr;
};

static void on_got(void *arg, struct mc_dns_result *res)
{
	struct got *g = arg;

	g->calls++;
	g->status = res->status;
	g->n_rr = res->n_rr;
	snprintf(g->why, sizeof(g->why), "%s", res->why);
	dns_result_free(res);
}

static void test_channel_hits(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 2000, 1);
	struct mc_dns_cache *c = dns_cache_new(NULL);
	struct mc_err err = {0};
	struct got g1 = {0}, g2 = {0}, g3 = {0};

	(void)state;
	assert_non_null(c);
	dns_set_cache(dns, c);
	assert_int_equal(dns_query(dns, "ok.example", MC_DNS_A, on_got, &g1), 0);
	assert_int_equal(dns_run(dns, 0, NULL, &err), 0);
	assert_int_equal(g1.calls, 1);
	assert_int_equal(g1.status, MC_DNS_OK);
	assert_int_equal(fake_seen(f), 1);

	/* The same question, in another case: no traffic, and the callback
	 * waits for dns_run(). */
	assert_int_equal(dns_query(dns, "OK.Example", MC_DNS_A, on_got, &g2), 0);
	assert_int_equal(g2.calls, 0);
	assert_int_equal(dns_pending(dns), 1);
	assert_int_equal(dns_timeout_ms(dns, 5000), 0);
	assert_int_equal(dns_run(dns, 0, NULL, &err), 0);
	assert_int_equal(g2.calls, 1);
	assert_int_equal(g2.status, MC_DNS_OK);
	assert_int_equal(g2.n_rr, 1);
	assert_int_equal(dns_pending(dns), 0);
	assert_int_equal(fake_seen(f), 1);
	assert_int_equal(dns_query_count(dns), 2);
	assert_int_equal(dns_sent_count(dns), 1);
	assert_int_equal(dns_cache_hit_count(dns), 1);

	/* SERVFAIL is asked again every time; so is NXDOMAIN without an
	 * SOA (this fake sends none). */
	for (int i = 0; i < 2; i++) {
		g3.calls = 0;
		dns_query(dns, "servfail.example", MC_DNS_A, on_got, &g3);
		dns_query(dns, "nx.example", MC_DNS_A, on_got, &g3);
		assert_int_equal(dns_run(dns, 0, NULL, &err), 0);
		assert_int_equal(g3.calls, 2);
	}
	assert_int_equal(fake_seen(f), 5);
	assert_int_equal(dns_sent_count(dns), 5);

	/* A timeout is not kept either. */
	g3.calls = 0;
	dns_query(dns, "drop.example", MC_DNS_A, on_got, &g3);
	assert_int_equal(dns_run(dns, 0, NULL, &err), 0);
	assert_int_equal(g3.status, MC_DNS_TIMEOUT);
	assert_null(dns_cache_get(c, "drop.example", MC_DNS_A));

	/* A second channel sharing the cache sends nothing for ok. */
	{
		struct mc_dns *dns2 = fake_dns(f, 2000, 1);
		struct got g4 = {0};
		int before = fake_seen(f);

		dns_set_cache(dns2, c);
		dns_query(dns2, "ok.example", MC_DNS_A, on_got, &g4);
		assert_int_equal(dns_run(dns2, 0, NULL, &err), 0);
		assert_int_equal(g4.calls, 1);
		assert_int_equal(g4.status, MC_DNS_OK);
		assert_int_equal(fake_seen(f), before);
		assert_int_equal(dns_sent_count(dns2), 0);
		dns_free(dns2);
	}

	/* Detached: asked afresh. */
	dns_set_cache(dns, NULL);
	g2.calls = 0;
	dns_query(dns, "ok.example", MC_DNS_A, on_got, &g2);
	assert_int_equal(dns_run(dns, 0, NULL, &err), 0);
	assert_int_equal(g2.calls, 1);
	dns_free(dns);
	dns_cache_free(c);
	fake_stop(f);
}

static void test_channel_cancel_free(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 2000, 1);
	struct mc_dns_cache *c = dns_cache_new(NULL);
	struct mc_err err = {0};
	struct got g = {0};

	(void)state;
	dns_set_cache(dns, c);
	dns_query(dns, "ok.example", MC_DNS_A, on_got, &g);
	assert_int_equal(dns_run(dns, 0, NULL, &err), 0);
	assert_int_equal(g.calls, 1);

	/* A queued hit is cancelled like any pending query. */
	g.calls = 0;
	dns_query(dns, "ok.example", MC_DNS_A, on_got, &g);
	assert_int_equal(g.calls, 0);
	dns_cancel(dns);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, MC_DNS_TIMEOUT);
	assert_string_equal(g.why, "cancelled");
	assert_int_equal(dns_pending(dns), 0);

	/* dns_free() drops queued hits without callbacks (and no leak). */
	g.calls = 0;
	dns_query(dns, "ok.example", MC_DNS_A, on_got, &g);
	dns_free(dns);
	assert_int_equal(g.calls, 0);
	dns_cache_free(c);
	fake_stop(f);
}

/* A caller-owned loop: dns_process() delivers hits (no socket needed). */
static void test_channel_caller_loop(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 2000, 1);
	struct mc_dns_cache *c = dns_cache_new(NULL);
	struct mc_err err = {0};
	struct got g = {0};

	(void)state;
	dns_set_cache(dns, c);
	dns_query(dns, "ok.example", MC_DNS_A, on_got, &g);
	assert_int_equal(dns_run(dns, 0, NULL, &err), 0);
	g.calls = 0;
	for (int i = 0; i < 3; i++)
		dns_query(dns, "ok.example", MC_DNS_A, on_got, &g);
	for (int rounds = 0; rounds < 10 && dns_pending(dns); rounds++) {
		struct pollfd fds[MC_DNS_MAX_SOCKETS];
		size_t n = dns_pollfds(dns, fds, MC_DNS_MAX_SOCKETS);
		int rc = poll(fds, n, dns_timeout_ms(dns, 1000));

		dns_process(dns, fds, rc > 0 ? n : 0);
	}
	assert_int_equal(g.calls, 3);
	assert_int_equal(dns_timeout_ms(dns, 1000), -1);
	assert_int_equal(fake_seen(f), 1);
	dns_free(dns);
	dns_cache_free(c);
	fake_stop(f);
}

/* Callbacks that ask again get their hit on the next round, and a stop
 * flag set by a callback ends dns_run(). */
struct chain {
	struct mc_dns *dns;
	int left, done, calls;
};

static void on_chain(void *arg, struct mc_dns_result *res)
{
	struct chain *ch = arg;

	dns_result_free(res);
	ch->calls++;
	if (--ch->left > 0)
		dns_query(ch->dns, "ok.example", MC_DNS_A, on_chain, ch);
	else
		ch->done = 1;
}

static void test_channel_chain(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 2000, 1);
	struct mc_dns_cache *c = dns_cache_new(NULL);
	struct mc_err err = {0};
	struct chain ch = {.dns = dns, .left = 50};

	(void)state;
	dns_set_cache(dns, c);
	dns_query(dns, "ok.example", MC_DNS_A, on_chain, &ch);
	assert_int_equal(dns_run(dns, 0, &ch.done, &err), 0);
	assert_int_equal(ch.calls, 50);
	assert_int_equal(fake_seen(f), 1);
	assert_int_equal(dns_cache_hit_count(dns), 49);
	dns_free(dns);
	dns_cache_free(c);
	fake_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_positive),
		cmocka_unit_test(test_ttl_negative),
		cmocka_unit_test(test_ttl_never),
		cmocka_unit_test(test_ttl_truncations),
		cmocka_unit_test(test_cache_hit),
		cmocka_unit_test(test_cache_negative),
		cmocka_unit_test(test_cache_failures_never),
		cmocka_unit_test(test_cache_evict),
		cmocka_unit_test(test_cache_grows),
		cmocka_unit_test(test_cache_threads),
		cmocka_unit_test(test_channel_hits),
		cmocka_unit_test(test_channel_cancel_free),
		cmocka_unit_test(test_channel_caller_loop),
		cmocka_unit_test(test_channel_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
