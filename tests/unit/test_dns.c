/* Unit tests for checks/dns: answer -> result conversion on crafted
 * packets (records, NXDOMAIN, NODATA, SERVFAIL, truncated, malformed,
 * oversized), the helpers, and the channel itself against a tiny fake
 * server on 127.0.0.1 in a thread (concurrency, timeout, SERVFAIL, TCP
 * fallback after TC, cancel, the caller-driven poll loop). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/dns.h"
#include "checks/dns_cache.h"
#include "dns_fake.h"
#include "mc_time.h"

static struct mc_dns_result *convert(enum mc_dns_type type, int status,
				     const struct pkt *p)
{
	struct mc_dns_result *r = dns_result_new("example.com", type);

	assert_non_null(r);
	dns_answer_convert(r, status, p ? p->b : NULL, p ? (int)p->n : 0);
	return r;
}

static void test_answer_a(void **state)
{
	struct pkt *p = malloc(sizeof(*p));
	struct mc_dns_result *r;
	char buf[INET_ADDRSTRLEN];

	(void)state;
	start(p, 0x8180, 2, "example.com", 1);
	rr_a(p, "192.0.2.1");
	rr_a(p, "192.0.2.2");
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_rr, 2);
	inet_ntop(AF_INET, &r->rr[1].addr.a, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.2");
	assert_string_equal(r->name, "example.com");
	/* Converting again reuses the struct cleanly. */
	dns_answer_convert(r, ARES_ETIMEOUT, NULL, 0);
	assert_int_equal(r->status, MC_DNS_TIMEOUT);
	assert_int_equal(r->n_rr, 0);
	dns_result_free(r);

	/* AAAA */
	start(p, 0x8180, 1, "example.com", 28);
	rr_head(p, 28, 16);
	inet_pton(AF_INET6, "2001:db8::1", p->b + p->n);
	p->n += 16;
	r = convert(MC_DNS_AAAA, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_rr, 1);
	assert_int_equal(r->rr[0].addr.aaaa.s6_addr[15], 1);
	dns_result_free(r);

	/* Only a CNAME to a name without the records: NODATA. */
	start(p, 0x8180, 1, "example.com", 1);
	rr_head(p, 5, 6);
	put8(p, 3);
	memcpy(p->b + p->n, "foo", 3);
	p->n += 3;
	put16(p, 0xC00C);
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_NODATA);
	dns_result_free(r);

	/* A CNAME to foo.example.com and its A record: the answer names
	 * where the chain ended; a direct answer names nothing. */
	{
		size_t target;

		start(p, 0x8180, 2, "example.com", 1);
		rr_head(p, 5, 6);
		target = p->n;
		put8(p, 3);
		memcpy(p->b + p->n, "foo", 3);
		p->n += 3;
		put16(p, 0xC00C);
		put16(p, 0xC000 | (unsigned)target);
		put16(p, 1);
		put16(p, 1);
		put32(p, 300);
		put16(p, 4);
		inet_pton(AF_INET, "192.0.2.7", p->b + p->n);
		p->n += 4;
		r = convert(MC_DNS_A, ARES_SUCCESS, p);
		assert_int_equal(r->status, MC_DNS_OK);
		assert_int_equal(r->n_rr, 1);
		assert_non_null(r->canonical);
		assert_string_equal(r->canonical, "foo.example.com");
		dns_result_free(r);
		start(p, 0x8180, 1, "example.com", 1);
		rr_a(p, "192.0.2.1");
		r = convert(MC_DNS_A, ARES_SUCCESS, p);
		assert_int_equal(r->status, MC_DNS_OK);
		assert_null(r->canonical);
		dns_result_free(r);
	}
	free(p);
}

static void test_answer_mx_ptr(void **state)
{
	struct pkt *p = malloc(sizeof(*p));
	struct mc_dns_result *r;

	(void)state;
	start(p, 0x8180, 2, "example.com", 15);
	rr_head(p, 15, 2 + 5 + 2);
	put16(p, 20);
	put8(p, 4);
	memcpy(p->b + p->n, "mail", 4);
	p->n += 4;
	put16(p, 0xC00C);  /* mail.example.com via compression */
	rr_head(p, 15, 3);
	put16(p, 0);
	put8(p, 0);        /* null MX, RFC 7505 */
	r = convert(MC_DNS_MX, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_rr, 2);
	assert_int_equal(r->rr[0].pref, 20);
	assert_string_equal(r->rr[0].name, "mail.example.com");
	assert_string_equal(r->rr[1].name, "");
	dns_result_free(r);

	start(p, 0x8180, 2, "1.2.0.192.in-addr.arpa", 12);
	rr_head(p, 12, 18);
	put_name(p, "mail.example.com");
	rr_head(p, 12, 2);
	put16(p, 0xC00C);  /* the question's own name, compressed */
	r = convert(MC_DNS_PTR, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_rr, 2);
	assert_string_equal(r->rr[1].name, "1.2.0.192.in-addr.arpa");
	dns_result_free(r);
	free(p);
}

static void test_answer_txt(void **state)
{
	static const char *const rec1[] = {"v=spf1 ip4:", "192.0.2.5 -all"};
	static const char *const rec2[] = {"hello"};
	static const char *const rec3[] = {""};
	struct pkt *p = malloc(sizeof(*p));
	struct mc_dns_result *r;

	(void)state;
	start(p, 0x8180, 3, "example.com", 16);
	put_txt(p, rec1, 2);
	put_txt(p, rec2, 1);
	put_txt(p, rec3, 1);
	r = convert(MC_DNS_TXT, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_rr, 3);
	/* RFC 7208 §3.3: strings joined without a separator. */
	assert_string_equal(r->rr[0].txt, "v=spf1 ip4:192.0.2.5 -all");
	assert_int_equal(r->rr[0].txt_len, 25);
	assert_string_equal(r->rr[1].txt, "hello");
	assert_string_equal(r->rr[2].txt, "");
	dns_result_free(r);

	/* A TXT record of zero strings (illegal) does not crash. */
	start(p, 0x8180, 2, "example.com", 16);
	put_txt(p, rec2, 1);
	rr_head(p, 16, 0);
	r = convert(MC_DNS_TXT, ARES_SUCCESS, p);
	assert_true(r->status == MC_DNS_OK || r->status == MC_DNS_ERROR);
	dns_result_free(r);
	free(p);
}

static void test_answer_status(void **state)
{
	struct pkt *p = malloc(sizeof(*p));
	struct mc_dns_result *r;
	static const struct {
		int ares;
		enum mc_dns_status want;
	} map[] = {
		{ARES_ENODATA, MC_DNS_NODATA},
		{ARES_ENOTFOUND, MC_DNS_NXDOMAIN},
		{ARES_ETIMEOUT, MC_DNS_TIMEOUT},
		{ARES_ECANCELLED, MC_DNS_TIMEOUT},
		{ARES_EDESTRUCTION, MC_DNS_TIMEOUT},
		{ARES_ESERVFAIL, MC_DNS_SERVFAIL},
		{ARES_EREFUSED, MC_DNS_ERROR},
		{ARES_ECONNREFUSED, MC_DNS_ERROR},
		{ARES_EBADNAME, MC_DNS_ERROR},
		{ARES_EBADRESP, MC_DNS_ERROR},
		{ARES_ENOMEM, MC_DNS_ERROR},
		{ARES_EFORMERR, MC_DNS_ERROR},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		r = convert(MC_DNS_A, map[i].ares, NULL);
		assert_int_equal(r->status, map[i].want);
		if (map[i].want >= MC_DNS_TIMEOUT)
			assert_true(r->why[0] != '\0');
		dns_result_free(r);
	}
	/* The RCODE in the bytes wins even when called with SUCCESS. */
	start(p, 0x8183, 0, "nx.example.com", 1);           /* NXDOMAIN */
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_NXDOMAIN);
	dns_result_free(r);
	start(p, 0x8182, 0, "example.com", 1);              /* SERVFAIL */
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_SERVFAIL);
	dns_result_free(r);
	start(p, 0x8185, 0, "example.com", 1);              /* REFUSED */
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	dns_result_free(r);
	start(p, 0x8180, 0, "example.com", 16);             /* NODATA */
	r = convert(MC_DNS_TXT, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_NODATA);
	dns_result_free(r);
	/* A TXT question answered with an A record only: NODATA. */
	start(p, 0x8180, 1, "example.com", 16);
	rr_a(p, "192.0.2.1");
	r = convert(MC_DNS_TXT, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_NODATA);
	dns_result_free(r);
	free(p);
}

static void test_answer_malformed(void **state)
{
	struct pkt *p = malloc(sizeof(*p));
	struct mc_dns_result *r;
	static const enum mc_dns_type types[] = {MC_DNS_A, MC_DNS_AAAA,
		MC_DNS_MX, MC_DNS_TXT, MC_DNS_PTR};

	(void)state;
	/* Truncated (TC) answers are incomplete: not used. */
	start(p, 0x8380, 1, "example.com", 1);
	rr_a(p, "192.0.2.1");
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	assert_non_null(strstr(r->why, "truncated"));
	dns_result_free(r);
	/* Short header; not a response. */
	start(p, 0x8180, 1, "example.com", 1);
	p->n = 5;
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	dns_result_free(r);
	r = convert(MC_DNS_A, ARES_SUCCESS, NULL);
	assert_int_equal(r->status, MC_DNS_ERROR);
	dns_result_free(r);
	start(p, 0x0100, 1, "example.com", 1);
	rr_a(p, "192.0.2.1");
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	dns_result_free(r);

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		/* rdlength past the end of the message */
		start(p, 0x8180, 1, "example.com", types[t]);
		rr_head(p, types[t], 200);
		put32(p, 0);
		r = convert(types[t], ARES_SUCCESS, p);
		assert_int_equal(r->status, MC_DNS_ERROR);
		dns_result_free(r);
		/* an answer count the message does not hold */
		start(p, 0x8180, 3, "example.com", types[t]);
		r = convert(types[t], ARES_SUCCESS, p);
		assert_true(r->status == MC_DNS_ERROR ||
			    r->status == MC_DNS_NODATA);
		dns_result_free(r);
		/* a compression pointer loop in the owner name */
		start(p, 0x8180, 1, "example.com", types[t]);
		put16(p, 0xC000 | (unsigned)p->n);
		put16(p, types[t]);
		put16(p, 1);
		put32(p, 1);
		put16(p, 0);
		r = convert(types[t], ARES_SUCCESS, p);
		assert_int_equal(r->status, MC_DNS_ERROR);
		dns_result_free(r);
		/* no question */
		start(p, 0x8180, 1, "example.com", types[t]);
		p->b[5] = 0;
		r = convert(types[t], ARES_SUCCESS, p);
		assert_int_equal(r->status, MC_DNS_ERROR);
		dns_result_free(r);
	}
	free(p);
}

static void test_answer_limits(void **state)
{
	struct pkt *p = malloc(sizeof(*p));
	struct mc_dns_result *r;
	char s[256];
	const char *strs[70];

	(void)state;
	/* More A records than we keep: refused, not half-used. */
	start(p, 0x8180, MC_DNS_MAX_RR + 1, "example.com", 1);
	for (int i = 0; i <= MC_DNS_MAX_RR; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		rr_a(p, ip);
	}
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	assert_non_null(strstr(r->why, "more than"));
	dns_result_free(r);
	start(p, 0x8180, MC_DNS_MAX_RR, "example.com", 1);
	for (int i = 0; i < MC_DNS_MAX_RR; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 256, i % 256);
		rr_a(p, ip);
	}
	r = convert(MC_DNS_A, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_rr, MC_DNS_MAX_RR);
	dns_result_free(r);

	/* One TXT record longer than MC_DNS_MAX_TXT. */
	memset(s, 'x', 255);
	s[255] = '\0';
	for (int i = 0; i < 70; i++)
		strs[i] = s;
	start(p, 0x8180, 1, "example.com", 16);
	put_txt(p, strs, 70);
	r = convert(MC_DNS_TXT, ARES_SUCCESS, p);
	assert_int_equal(r->status, MC_DNS_ERROR);
	assert_non_null(strstr(r->why, "longer"));
	dns_result_free(r);
	free(p);
}

static void test_helpers(void **state)
{
	char out[80];
	struct mc_err err = {0};
	char *s;

	(void)state;
	assert_int_equal(dns_server_csv("127.0.0.1", out, sizeof(out), &err), 0);
	assert_string_equal(out, "127.0.0.1:53");
	assert_int_equal(dns_server_csv("127.0.0.10:5353", out, sizeof(out),
					&err), 0);
	assert_string_equal(out, "127.0.0.10:5353");
	assert_int_equal(dns_server_csv("::1", out, sizeof(out), &err), 0);
	assert_string_equal(out, "[::1]:53");
	assert_int_equal(dns_server_csv("[::1]:5353", out, sizeof(out), &err), 0);
	assert_string_equal(out, "[::1]:5353");
	assert_int_equal(dns_server_csv("[2001:db8::1]", out, sizeof(out),
					&err), 0);
	assert_string_equal(out, "[2001:db8::1]:53");
	assert_int_equal(dns_server_csv("localhost", out, sizeof(out), &err), -1);
	assert_int_equal(err.component, MC_COMP_DNS);
	assert_int_equal(dns_server_csv("1.2.3.4:0", out, sizeof(out), &err), -1);
	assert_int_equal(dns_server_csv("1.2.3.4:65536", out, sizeof(out), &err),
			 -1);
	assert_int_equal(dns_server_csv("1.2.3.4:", out, sizeof(out), &err), -1);
	assert_int_equal(dns_server_csv("1.2.3.4:x", out, sizeof(out), &err), -1);
	assert_int_equal(dns_server_csv("[::1", out, sizeof(out), &err), -1);
	assert_int_equal(dns_server_csv("[::1]x", out, sizeof(out), &err), -1);
	assert_int_equal(dns_server_csv("[1.2.3.4]:53", out, sizeof(out), &err),
			 0);
	assert_int_equal(dns_server_csv("", out, sizeof(out), &err), -1);
	assert_int_equal(dns_server_csv(NULL, out, sizeof(out), &err), -1);
	assert_int_equal(dns_server_csv("127.0.0.1:53", out, 5, &err), -1);

	s = dns_name_escape("a\\b.c", 5);
	assert_string_equal(s, "a\\\\b.c");
	free(s);
	assert_string_equal(dns_status_name(MC_DNS_SERVFAIL), "servfail");
	assert_string_equal(dns_status_name(MC_DNS_ERROR), "error");
	assert_string_equal(dns_type_name(MC_DNS_AAAA), "AAAA");
	dns_result_free(NULL);
}

static void test_new_errors(void **state)
{
	struct mc_dns_opts o = {.server = "not-an-ip"};
	struct mc_err err = {0};

	(void)state;
	assert_null(dns_new(&o, &err));
	assert_non_null(strstr(err.msg, "not-an-ip"));
	o.server = NULL;
	o.timeout_ms = -5;
	assert_null(dns_new(&o, &err));
	o.timeout_ms = 0;
	o.tries = MC_DNS_MAX_TRIES + 1;
	assert_null(dns_new(&o, &err));
	dns_free(NULL);
}

struct got {
	int calls;
	struct mc_dns_result *res[64];
};

static void on_res(void *arg, struct mc_dns_result *res)
{
	struct got *g = arg;

	if (g->calls < 64)
		g->res[g->calls] = res;
	else
		dns_result_free(res);
	g->calls++;
}

static void got_free(struct got *g)
{
	for (int i = 0; i < g->calls && i < 64; i++)
		dns_result_free(g->res[i]);
}

/* A bound on every wait: the queries themselves end within timeout x
 * tries, so this only matters if something is badly wrong. */
static double soon(void)
{
	return mc_now_mono() + 20;
}

static void test_live_answers(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 2000, 2);
	struct mc_err err = {0};
	struct got g = {0};

	(void)state;
	assert_int_equal(dns_query(dns, "ok.test", MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_query(dns, "servfail.test", MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_query(dns, "nx.test", MC_DNS_A, on_res, &g), 0);
	/* TC over UDP: c-ares asks again over TCP and gets 600 bytes. */
	assert_int_equal(dns_query(dns, "tc.test", MC_DNS_TXT, on_res, &g), 0);
	assert_int_equal(dns_pending(dns), 4);
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);
	assert_int_equal(dns_pending(dns), 0);
	assert_int_equal(g.calls, 4);
	for (int i = 0; i < 4; i++) {
		struct mc_dns_result *r = g.res[i];

		if (strcmp(r->name, "ok.test") == 0) {
			assert_int_equal(r->status, MC_DNS_OK);
			assert_int_equal(r->rr[0].addr.a.s_addr,
					 htonl(0xC0000201));
		} else if (strcmp(r->name, "servfail.test") == 0) {
			if (r->status != MC_DNS_SERVFAIL)
				fail_msg("servfail: %d %s", r->status, r->why);
		} else if (strcmp(r->name, "nx.test") == 0) {
			assert_int_equal(r->status, MC_DNS_NXDOMAIN);
		} else {
			assert_string_equal(r->name, "tc.test");
			assert_int_equal(r->status, MC_DNS_OK);
			assert_int_equal(r->rr[0].txt_len, 597);
		}
	}
	got_free(&g);
	dns_free(dns);
	fake_stop(f);
}

/* The process's mapped bytes (VmSize of /proc/self/status), in KB. */
static long vm_size_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A freed channel's big block is kept for the next channel, not mapped
 * anew: 200 channels made and freed one after another, then 17 alive at
 * once, twice, map no more than 17 blocks (about 76 KB each); the last
 * ones still answer. */
static void test_channel_blocks_reused(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *many[17];
	long before;

	(void)state;
	dns_free(fake_dns(f, 2000, 1));      /* the library's own set-up */
	before = vm_size_kb();
	for (int i = 0; i < 200; i++)
		dns_free(fake_dns(f, 2000, 1));
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 17; i++)
			assert_non_null(many[i] = fake_dns(f, 2000, 1));
		if (round == 1) {
			struct mc_err err = {0};
			struct got g = {0};

			assert_int_equal(dns_query(many[16], "ok.test",
						   MC_DNS_A, on_res, &g), 0);
			assert_int_equal(dns_run(many[16], soon(), NULL, &err),
					 0);
			assert_int_equal(g.calls, 1);
			assert_int_equal(g.res[0]->status, MC_DNS_OK);
			got_free(&g);
		}
		for (int i = 0; i < 17; i++)
			dns_free(many[i]);
	}
	/* 200 unreused blocks would be 15 MB; 17 are 1.3 MB. */
	assert_true(vm_size_kb() - before < 17 * 80);
	fake_stop(f);
}

/* 40 queries that the server answers only once it holds all 40: they
 * must all be in flight at once. */
static void test_live_concurrent(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 3000, 1);
	struct mc_err err = {0};
	struct got g = {0};

	(void)state;
	f->batch = 40;
	for (int i = 0; i < 40; i++) {
		char name[32];

		snprintf(name, sizeof(name), "batch%d.test", i);
		assert_int_equal(dns_query(dns, name, MC_DNS_A, on_res, &g), 0);
	}
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);
	assert_int_equal(g.calls, 40);
	for (int i = 0; i < 40; i++)
		assert_int_equal(g.res[i]->status, MC_DNS_OK);
	got_free(&g);
	dns_free(dns);
	fake_stop(f);
}

/* 250 queries at once: at most 100 go on the wire, the rest wait their
 * turn, and every one is answered (a burst used to overflow rbldnsd). */
static struct got many;

static void on_many(void *arg, struct mc_dns_result *res)
{
	int *ok = arg;

	*ok += res->status == MC_DNS_OK;
	dns_result_free(res);
	many.calls++;
}

static void test_live_many_queued(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 3000, 2);
	struct mc_err err = {0};
	struct got g = {0};
	int ok = 0;

	(void)state;
	many.calls = 0;
	for (int i = 0; i < 250; i++)
		assert_int_equal(dns_query(dns, "ok.test", MC_DNS_A, on_many, &ok), 0);
	assert_int_equal(dns_pending(dns), 250);
	assert_int_equal(dns_query_count(dns), 250);
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);
	assert_int_equal(many.calls, 250);
	assert_int_equal(ok, 250);
	assert_int_equal(dns_pending(dns), 0);

	/* Cancelling ends queued queries as well as those on the wire. */
	for (int i = 0; i < 150; i++)
		assert_int_equal(dns_query(dns, "drop.test", MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_pending(dns), 150);
	dns_cancel(dns);
	assert_int_equal(dns_pending(dns), 0);
	assert_int_equal(g.calls, 150);
	assert_int_equal(g.res[0]->status, MC_DNS_TIMEOUT);
	assert_int_equal(g.res[63]->status, MC_DNS_TIMEOUT);
	got_free(&g);

	/* dns_free with queries queued: no callback, no leak. */
	memset(&g, 0, sizeof(g));
	for (int i = 0; i < 150; i++)
		assert_int_equal(dns_query(dns, "drop.test", MC_DNS_A, on_res, &g), 0);
	dns_free(dns);
	assert_int_equal(g.calls, 0);
	fake_stop(f);
}

/* dns_cancel() with the one query of g pending: its callback has run
 * with TIMEOUT "cancelled"; g is emptied for the next use. */
static void cancel_one(struct mc_dns *dns, struct got *g)
{
	dns_cancel(dns);
	assert_int_equal(dns_pending(dns), 0);
	assert_int_equal(g->calls, 1);
	assert_int_equal(g->res[0]->status, MC_DNS_TIMEOUT);
	assert_string_equal(g->res[0]->why, "cancelled");
	got_free(g);
	memset(g, 0, sizeof(*g));
}

static void test_live_timeout_cancel(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 100, 1);
	struct mc_err err = {0};
	struct got g = {0};
	int stop = 0;

	(void)state;
	/* No answer at all: timeout, never "no record". */
	assert_int_equal(dns_query(dns, "drop.test", MC_DNS_TXT, on_res, &g), 0);
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res[0]->status, MC_DNS_TIMEOUT);
	got_free(&g);
	dns_free(dns);

	/* A deadline already past leaves the query pending; cancel ends it
	 * with TIMEOUT "cancelled". */
	dns = fake_dns(f, 5000, 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(dns_query(dns, "drop.test", MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_run(dns, mc_now_mono() - 1, NULL, &err), 1);
	assert_int_equal(dns_pending(dns), 1);
	stop = 1;
	assert_int_equal(dns_run(dns, 0, &stop, &err), 0);
	assert_int_equal(dns_pending(dns), 1);
	cancel_one(dns, &g);

	/* dns_free with a query pending: its callback is not called. */
	assert_int_equal(dns_query(dns, "drop.test", MC_DNS_A, on_res, &g), 0);
	dns_free(dns);
	assert_int_equal(g.calls, 0);
	fake_stop(f);
}

/* Asks name/type, waits for the one answer and returns its status. */
static enum mc_dns_status ask_one(struct mc_dns *dns, const char *name,
				  enum mc_dns_type type)
{
	struct mc_err err = {0};
	struct got g = {0};
	enum mc_dns_status st;

	assert_int_equal(dns_query(dns, name, type, on_res, &g), 0);
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);
	assert_int_equal(g.calls, 1);
	st = g.res[0]->status;
	got_free(&g);
	return st;
}

/* dns_prefetch(): asked once, not pending, fills the cache; a query for
 * the same name and type made meanwhile waits for that answer instead of
 * asking again; cancel and free end it cleanly (ASan watches the rest). */
static void test_live_prefetch(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 2000, 1);
	struct mc_dns_cache *cache = dns_cache_new(NULL);
	struct mc_err err = {0};
	struct got g = {0};
	int seen;

	(void)state;
	/* Without a cache there is nothing to fill: nothing is asked. */
	assert_int_equal(dns_prefetch(dns, "ok1.test", MC_DNS_A), 0);
	assert_int_equal(dns_sent_count(dns), 0);

	dns_set_cache(dns, cache);
	seen = fake_seen(f);
	assert_int_equal(dns_prefetch(dns, "ok1.test", MC_DNS_A), 0);
	assert_int_equal(dns_prefetch(dns, "OK1.test", MC_DNS_A), 0); /* the same */
	assert_int_equal(dns_prefetch(dns, "ok1.test", MC_DNS_TXT), 0);
	assert_int_equal(dns_sent_count(dns), 2);
	assert_int_equal(dns_pending(dns), 0);
	/* asked while the prefetch is on the wire: one query for both */
	assert_int_equal(dns_query(dns, "ok1.test", MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_pending(dns), 1);
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res[0]->status, MC_DNS_OK);
	assert_int_equal(g.res[0]->rr[0].addr.a.s_addr, htonl(0xC0000201));
	assert_int_equal(dns_sent_count(dns), 2);
	got_free(&g);
	memset(&g, 0, sizeof(g));

	/* The answer is in the cache: neither asks again. */
	assert_int_equal(dns_prefetch(dns, "ok1.test", MC_DNS_A), 0);
	assert_int_equal(ask_one(dns, "ok1.test", MC_DNS_A), MC_DNS_OK);
	assert_int_equal(dns_sent_count(dns), 2);

	/* A prefetch nobody waits for is not waited for: dns_run() returns
	 * at once with the unanswered one still on the wire. */
	assert_int_equal(dns_prefetch(dns, "drop1.test", MC_DNS_A), 0);
	assert_int_equal(dns_pending(dns), 0);
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);

	/* A query waiting on it is cancelled with everything else. */
	assert_int_equal(dns_query(dns, "drop1.test", MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_pending(dns), 1);
	cancel_one(dns, &g);

	/* A timed-out prefetch gives its waiter the timeout, never "no
	 * record". */
	assert_int_equal(dns_prefetch(dns, "drop2.test", MC_DNS_TXT), 0);
	assert_int_equal(ask_one(dns, "drop2.test", MC_DNS_TXT), MC_DNS_TIMEOUT);

	/* Freed with a prefetch and its waiter in flight: no callback. */
	assert_int_equal(dns_prefetch(dns, "drop3.test", MC_DNS_A), 0);
	assert_int_equal(dns_query(dns, "drop3.test", MC_DNS_A, on_res, &g), 0);
	assert_true(fake_seen(f) > seen);
	dns_free(dns);
	assert_int_equal(g.calls, 0);
	dns_cache_free(cache);
	fake_stop(f);
}

/* The caller owns the poll() loop and adds its own descriptor. */
static void test_live_caller_loop(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 2000, 2);
	struct got g = {0};
	int pipefd[2];
	double until = soon();

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(dns_timeout_ms(dns, 100), -1);   /* nothing pending */
	assert_int_equal(dns_query(dns, "ok.test", MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_query(dns, "tc.test", MC_DNS_TXT, on_res, &g), 0);
	while (dns_pending(dns) && mc_now_mono() < until) {
		struct pollfd fds[MC_DNS_MAX_SOCKETS + 1];
		size_t n = dns_pollfds(dns, fds, MC_DNS_MAX_SOCKETS);
		int t = dns_timeout_ms(dns, 1000);
		int rc;

		assert_true(t >= 0 && t <= 1000);
		fds[n] = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
		rc = poll(fds, n + 1, t);
		assert_true(rc >= 0 || errno == EINTR);
		assert_int_equal(fds[n].revents, 0);
		dns_process(dns, fds, rc > 0 ? n : 0);
	}
	assert_int_equal(g.calls, 2);
	assert_int_equal(g.res[0]->status, MC_DNS_OK);
	assert_int_equal(g.res[1]->status, MC_DNS_OK);
	got_free(&g);
	close(pipefd[0]);
	close(pipefd[1]);
	dns_free(dns);
	fake_stop(f);
}

/* Names c-ares refuses to send come back through the callback. */
static void test_live_bad_name(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 500, 1);
	struct mc_err err = {0};
	struct got g = {0};
	char name[300];

	(void)state;
	memset(name, 'a', 70);
	strcpy(name + 70, ".test");
	assert_int_equal(dns_query(dns, name, MC_DNS_A, on_res, &g), 0);
	assert_int_equal(dns_run(dns, soon(), NULL, &err), 0);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res[0]->status, MC_DNS_ERROR);
	got_free(&g);
	dns_free(dns);
	fake_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_a),
		cmocka_unit_test(test_answer_mx_ptr),
		cmocka_unit_test(test_answer_txt),
		cmocka_unit_test(test_answer_status),
		cmocka_unit_test(test_answer_malformed),
		cmocka_unit_test(test_answer_limits),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_live_answers),
		cmocka_unit_test(test_channel_blocks_reused),
		cmocka_unit_test(test_live_concurrent),
		cmocka_unit_test(test_live_many_queued),
		cmocka_unit_test(test_live_timeout_cancel),
		cmocka_unit_test(test_live_prefetch),
		cmocka_unit_test(test_live_caller_loop),
		cmocka_unit_test(test_live_bad_name),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
