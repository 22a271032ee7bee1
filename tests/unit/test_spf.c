/* Unit tests for the SPF module's pure parts: record syntax, macro
 * expansion (with the RFC 7208 §7.4 examples), domain-spec checks,
 * truncation, CIDR matching, and the lookup limits' counters. Evaluation
 * against DNS is covered by tests/integration/test_spf_suite.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "checks/dns_cache.h"
#include "checks/ipaddr.h"
#include "checks/spf.h"
#include "checks/spf_eval.h"
#include "checks/spf_parse.h"

static struct mc_spf_record *parse_ok(const char *s)
{
	struct mc_spf_record *rec = NULL;
	struct mc_err err = {0};

	if (spf_record_parse(s, strlen(s), &rec, &err) != 0)
		fail_msg("\"%s\" should parse: %s", s, err.msg);
	assert_non_null(rec);
	return rec;
}

static void parse_bad(const char *s)
{
	struct mc_spf_record *rec = NULL;
	struct mc_err err = {0};

	if (spf_record_parse(s, strlen(s), &rec, &err) == 0)
		fail_msg("\"%s\" should be a permerror", s);
	assert_null(rec);
	assert_true(err.msg[0] != '\0');
}

static void test_is_spf1(void **state)
{
	(void)state;
	assert_true(spf_record_is_spf1("v=spf1", 6));
	assert_true(spf_record_is_spf1("V=SpF1 -all", 11));
	assert_false(spf_record_is_spf1("v=spf10", 7));
	assert_false(spf_record_is_spf1("v=spf1mx", 8));
	assert_false(spf_record_is_spf1("v=spf", 5));
	assert_false(spf_record_is_spf1("spf2.0/pra", 10));
}

static void test_parse_terms(void **state)
{
	struct mc_spf_record *rec;

	(void)state;
	rec = parse_ok("v=spf1 +a -mx:example.com/24//64 ~ptr ?include:_spf.example.net "
		       "ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.bl.example.org "
		       "redirect=_spf.example.com exp=exp.%{d} foo-bar=baz%{l} all");
	assert_int_equal(rec->n_terms, 8);
	assert_int_equal(rec->terms[0].mech, MC_SPF_MECH_A);
	assert_int_equal(rec->terms[0].qualifier, MC_SPF_PASS);
	assert_null(rec->terms[0].domain);
	assert_int_equal(rec->terms[1].mech, MC_SPF_MECH_MX);
	assert_int_equal(rec->terms[1].qualifier, MC_SPF_FAIL);
	assert_string_equal(rec->terms[1].domain, "example.com");
	assert_int_equal(rec->terms[1].cidr4, 24);
	assert_int_equal(rec->terms[1].cidr6, 64);
	assert_int_equal(rec->terms[2].qualifier, MC_SPF_SOFTFAIL);
	assert_int_equal(rec->terms[3].qualifier, MC_SPF_NEUTRAL);
	assert_string_equal(rec->terms[3].domain, "_spf.example.net");
	assert_int_equal(rec->terms[4].mech, MC_SPF_MECH_IP4);
	assert_int_equal(rec->terms[4].cidr4, 24);
	assert_int_equal(rec->terms[5].mech, MC_SPF_MECH_IP6);
	assert_int_equal(rec->terms[5].net.family, AF_INET6);
	assert_int_equal(rec->terms[5].cidr6, 32);
	assert_int_equal(rec->terms[6].mech, MC_SPF_MECH_EXISTS);
	assert_int_equal(rec->terms[7].mech, MC_SPF_MECH_ALL);
	assert_string_equal(rec->redirect, "_spf.example.com");
	assert_string_equal(rec->exp, "exp.%{d}");
	assert_string_equal(rec->terms[1].text, "-mx:example.com/24//64");
	spf_record_free(rec);

	/* Case-insensitive names, several spaces, a trailing space. */
	rec = parse_ok("v=spf1  A  MX:Example.COM  Redirect=x.example.com ");
	assert_int_equal(rec->n_terms, 2);
	assert_string_equal(rec->redirect, "x.example.com");
	spf_record_free(rec);

	/* A '/' inside the domain that is not a CIDR suffix. */
	rec = parse_ok("v=spf1 a:foo:bar/baz.example.com a//0 a/0");
	assert_string_equal(rec->terms[0].domain, "foo:bar/baz.example.com");
	assert_int_equal(rec->terms[0].cidr4, -1);
	assert_int_equal(rec->terms[1].cidr6, 0);
	assert_int_equal(rec->terms[1].cidr4, -1);
	assert_int_equal(rec->terms[2].cidr4, 0);
	spf_record_free(rec);

	rec = parse_ok("v=spf1");
	assert_int_equal(rec->n_terms, 0);
	spf_record_free(rec);
}

static void test_parse_errors(void **state)
{
	(void)state;
	parse_bad("v=spf1 foo");                  /* unknown mechanism */
	parse_bad("v=spf1 -all\r");               /* control char */
	parse_bad("v=spf1 a:example.com\x0dptr"); /* §4.6.1: spaces only */
	parse_bad("v=spf1 \x80" "a");             /* non-ASCII */
	parse_bad("v=spf1 a:foo");                /* no top label */
	parse_bad("v=spf1 a:abc.123");            /* numeric top label */
	parse_bad("v=spf1 a:example.-com");
	parse_bad("v=spf1 a:");                   /* empty domain-spec */
	parse_bad("v=spf1 include");
	parse_bad("v=spf1 exists");
	parse_bad("v=spf1 all:foo.com");
	parse_bad("v=spf1 a/33");
	parse_bad("v=spf1 a//129");
	parse_bad("v=spf1 a/024");
	parse_bad("v=spf1 mx:example.com:8080");
	parse_bad("v=spf1 ip4:1.2.3.4/33");
	parse_bad("v=spf1 ip4:1.2.3");
	parse_bad("v=spf1 ip4:01.2.3.4");
	parse_bad("v=spf1 ip4:1.2.3.256");
	parse_bad("v=spf1 ip4:2001:db8::1");
	parse_bad("v=spf1 ip6:1.2.3.4");
	parse_bad("v=spf1 ip6:2001:db8::/129");
	parse_bad("v=spf1 ip6");
	parse_bad("v=spf1 redirect=a.example.com redirect=b.example.com");
	parse_bad("v=spf1 exp=a.example.com exp=b.example.com");
	parse_bad("v=spf1 redirect=");
	parse_bad("v=spf1 exp=-all");
	parse_bad("v=spf1 -redirect=a.example.com"); /* qualifier on modifier */
	parse_bad("v=spf1 1foo=bar");             /* modifier name */
	parse_bad("v=spf1 foo=%abc");             /* bad macro in modifier */
	parse_bad("v=spf1 exists:%(ir).sbl.example.com");
	parse_bad("v=spf1 exists:foo%.sbl.example.com");
	parse_bad("v=spf1 a:%{r}.example.com");   /* r only in exp text */
	parse_bad("v=spf1 a:%{d0}.example.com");  /* §7.3 nonzero digit */
	parse_bad("v=spf1 a:%{x}.example.com");
	parse_bad("v=spf1 a:%{d");
	parse_bad("v=spf10 -all");
	parse_bad("");
}

static void test_parse_limits(void **state)
{
	char *rec;
	size_t n = 7 + 2 * (MC_SPF_MAX_TERMS + 1);
	struct mc_spf_record *r;

	(void)state;
	/* MC_SPF_MAX_TERMS terms parse; one more is refused. */
	rec = malloc(n + 1);
	assert_non_null(rec);
	memcpy(rec, "v=spf1", 6);
	for (size_t i = 6; i + 1 < n; i += 2)
		memcpy(rec + i, " a", 2);
	rec[n - 1] = '\0';
	parse_bad(rec);
	rec[6 + 2 * MC_SPF_MAX_TERMS] = '\0';
	r = parse_ok(rec);
	assert_int_equal(r->n_terms, MC_SPF_MAX_TERMS);
	spf_record_free(r);
	free(rec);
}

static struct mc_ipaddr ip4, ip6;

static struct mc_spf_macro_ctx example_ctx(const struct mc_ipaddr *ip)
{
	struct mc_spf_macro_ctx ctx = {
		.sender = "strong-bad@email.example.com",
		.local = "strong-bad",
		.sender_domain = "email.example.com",
		.domain = "email.example.com",
		.ip = ip,
		.helo = "mx.example.org",
		.ptr = "mx.example.org",
		.receiver = "mx.example.net",
		.now = 1700000000,
	};
	return ctx;
}

static void expand_is(const struct mc_spf_macro_ctx *ctx, const char *in,
		      int exp_text, const char *want)
{
	struct mc_buf out = {0};
	struct mc_err err = {0};

	if (spf_macro_expand(in, strlen(in), ctx, exp_text, &out, &err))
		fail_msg("%s: %s", in, err.msg);
	if (strcmp(out.data ? out.data : "", want) != 0)
		fail_msg("%s expanded to \"%s\", want \"%s\"", in,
			 out.data ? out.data : "", want);
	mc_buf_free(&out);
}

/* RFC 7208 §7.4, every example. */
static void test_macro_rfc_examples(void **state)
{
	struct mc_spf_macro_ctx c4 = example_ctx(&ip4), c6 = example_ctx(&ip6);

	(void)state;
	expand_is(&c4, "%{s}", 0, "strong-bad@email.example.com");
	expand_is(&c4, "%{o}", 0, "email.example.com");
	expand_is(&c4, "%{d}", 0, "email.example.com");
	expand_is(&c4, "%{d4}", 0, "email.example.com");
	expand_is(&c4, "%{d3}", 0, "email.example.com");
	expand_is(&c4, "%{d2}", 0, "example.com");
	expand_is(&c4, "%{d1}", 0, "com");
	expand_is(&c4, "%{dr}", 0, "com.example.email");
	expand_is(&c4, "%{d2r}", 0, "example.email");
	expand_is(&c4, "%{l}", 0, "strong-bad");
	expand_is(&c4, "%{l-}", 0, "strong.bad");
	expand_is(&c4, "%{lr}", 0, "strong-bad");
	expand_is(&c4, "%{lr-}", 0, "bad.strong");
	expand_is(&c4, "%{l1r-}", 0, "strong");
	expand_is(&c4, "%{ir}.%{v}._spf.%{d2}", 0,
		  "3.2.0.192.in-addr._spf.example.com");
	expand_is(&c4, "%{lr-}.lp._spf.%{d2}", 0,
		  "bad.strong.lp._spf.example.com");
	expand_is(&c4, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", 0,
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	expand_is(&c4, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", 0,
		  "3.2.0.192.in-addr.strong.lp._spf.example.com");
	expand_is(&c4, "%{d2}.trusted-domains.example.net", 0,
		  "example.com.trusted-domains.example.net");
	expand_is(&c6, "%{ir}.%{v}._spf.%{d2}", 0,
		  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

static void test_macro_more(void **state)
{
	struct mc_spf_macro_ctx c4 = example_ctx(&ip4), c6 = example_ctx(&ip6);

	(void)state;
	expand_is(&c4, "%%%_%-", 0, "% %20");
	expand_is(&c4, "%{h}/%{p}", 0, "mx.example.org/mx.example.org");
	expand_is(&c4, "%{c} %{r} %{t}", 1,
		  "192.0.2.3 mx.example.net 1700000000");
	expand_is(&c6, "%{c} %{v}", 1, "2001:db8::cb01 ip6");
	c6.ip_upper = 1;
	expand_is(&c6, "%{i1}", 0, "1");
	expand_is(&c6, "%{i2}", 0, "0.1");
	expand_is(&c6, "%{i3r}", 0, "0.0.2");
	expand_is(&c6, "%{ir}", 0,
		  "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2");
	/* Upper-case letters URL-escape (RFC 3986 unreserved kept). */
	c4.local = "~jack&jill=up-a_b3.c";
	expand_is(&c4, "%{L}", 0, "~jack%26jill%3Dup-a_b3.c");
	expand_is(&c4, "%{l}", 0, "~jack&jill=up-a_b3.c");
	/* Several delimiters, and "keep more parts than there are". */
	c4.local = "foo-bar+zip+quux";
	expand_is(&c4, "%{l2r+-}", 0, "bar.foo");
	expand_is(&c4, "%{l99}", 0, "foo-bar+zip+quux");
	/* A huge digit count is clamped, not overflowed. */
	expand_is(&c4, "%{d99999999999999999999}", 0, "email.example.com");
}

static void test_macro_errors(void **state)
{
	struct mc_spf_macro_ctx c = example_ctx(&ip4);
	struct mc_buf out = {0};
	struct mc_err err = {0};
	char big[64];

	(void)state;
	assert_int_equal(spf_macro_expand("%{c}", 4, &c, 0, &out, &err), -1);
	assert_int_equal(spf_macro_expand("%", 1, &c, 0, &out, &err), -1);
	assert_int_equal(spf_macro_expand("%x", 2, &c, 0, &out, &err), -1);
	assert_int_equal(spf_macro_expand("%{d0}", 5, &c, 0, &out, &err), -1);
	assert_int_equal(spf_macro_expand("a b", 3, &c, 0, &out, &err), -1);
	assert_int_equal(spf_macro_expand("a b", 3, &c, 1, &out, &err), 0);
	assert_int_equal(spf_macro_expand("\xef\xbb\xbfx", 4, &c, 1, &out, &err),
			 -1);
	/* %{p} before it is known. */
	c.ptr = NULL;
	assert_int_equal(spf_macro_expand("%{p}", 4, &c, 0, &out, &err), -2);
	assert_true(spf_macro_uses_p("x.%{p2}", 7));
	assert_true(spf_macro_uses_p("%{P}", 4));
	assert_false(spf_macro_uses_p("%%{p}", 5));
	assert_false(spf_macro_uses_p("%{d}", 4));
	mc_buf_free(&out);

	/* Expansion is bounded. */
	c = example_ctx(&ip4);
	c.sender = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	strcpy(big, "%{s}");
	{
		struct mc_buf o2 = {0};
		char *s = malloc(4 * 300 + 1);

		assert_non_null(s);
		for (int i = 0; i < 300; i++)
			memcpy(s + 4 * i, big, 4);
		s[1200] = '\0';
		assert_int_equal(spf_macro_expand(s, 1200, &c, 0, &o2, &err),
				 -1);
		assert_non_null(strstr(err.msg, "longer"));
		mc_buf_free(&o2);
		free(s);
	}
}

static void test_domain_spec(void **state)
{
	struct mc_err err = {0};

	(void)state;
	assert_int_equal(spf_domain_spec_check("example.com", 11, &err), 0);
	assert_int_equal(spf_domain_spec_check("example.com.", 12, &err), 0);
	assert_int_equal(spf_domain_spec_check("%{d}", 4, &err), 0);
	assert_int_equal(spf_domain_spec_check("foo.%{d}", 8, &err), 0);
	assert_int_equal(spf_domain_spec_check("foo.xn--zckzah", 14, &err), 0);
	assert_int_equal(spf_domain_spec_check("a.1-2", 5, &err), 0);
	assert_int_equal(spf_domain_spec_check("foo", 3, &err), -1);
	assert_int_equal(spf_domain_spec_check("foo.123", 7, &err), -1);
	assert_int_equal(spf_domain_spec_check("foo.-com", 8, &err), -1);
	assert_int_equal(spf_domain_spec_check("foo.com-", 8, &err), -1);
	assert_int_equal(spf_domain_spec_check("", 0, &err), -1);
	assert_int_equal(spf_domain_spec_check("foo.com\0", 8, &err), -1);
}

static void test_domain_truncate(void **state)
{
	char name[600];
	size_t n;

	(void)state;
	strcpy(name, "example.com.");
	assert_int_equal(spf_domain_truncate(name, strlen(name)), 11);
	assert_string_equal(name, "example.com");
	/* 8 x "somewhat.long.exp.example.com." + "example.com": labels are
	 * dropped from the left until at most 253 bytes remain (§7.3). */
	name[0] = '\0';
	for (int i = 0; i < 8; i++)
		strcat(name, "somewhat.long.exp.example.com.");
	strcat(name, "example.com");
	n = spf_domain_truncate(name, strlen(name));
	assert_true(n <= 253);
	assert_string_equal(name + n - 11, "example.com");
	assert_true(name[0] != '.');
	assert_true(spf_domain_queryable(name, n));
	/* One giant label keeps the right end. */
	memset(name, 'a', 300);
	name[300] = '\0';
	assert_int_equal(spf_domain_truncate(name, 300), 253);

	assert_true(spf_domain_queryable("a.b", 3));
	assert_true(spf_domain_queryable("a.b.", 4));
	assert_false(spf_domain_queryable("a..b", 4));
	assert_false(spf_domain_queryable(".a", 2));
	assert_false(spf_domain_queryable("", 0));
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	assert_false(spf_domain_queryable(name, 68));
	assert_true(spf_domain_queryable(name + 1, 67));
}

static void test_cidr(void **state)
{
	struct mc_ipaddr a, net;

	(void)state;
	assert_int_equal(ipaddr_parse("192.0.2.130", 11, &a), 0);
	assert_int_equal(ipaddr_parse("192.0.2.64", 10, &net), 0);
	assert_true(ipaddr_match(&a, &net, 24));
	assert_false(ipaddr_match(&a, &net, 25));
	assert_int_equal(ipaddr_parse("192.0.2.131", 11, &net), 0);
	assert_true(ipaddr_match(&a, &net, 31));
	assert_false(ipaddr_match(&a, &net, 32));
	assert_true(ipaddr_match(&a, &net, 0));
	assert_false(ipaddr_match(&a, &net, 33));
	assert_int_equal(ipaddr_parse("2001:db8::1", 11, &a), 0);
	assert_int_equal(ipaddr_parse("2001:db8:ffff::", 15, &net), 0);
	assert_true(ipaddr_match(&a, &net, 32));
	assert_false(ipaddr_match(&a, &net, 33));
	assert_true(ipaddr_match(&a, &net, 0));
	assert_false(ipaddr_match(&a, &net, 129));
	/* Families never match each other. */
	assert_int_equal(ipaddr_parse("0.0.0.0", 7, &net), 0);
	assert_false(ipaddr_match(&a, &net, 0));
	/* IPv4-mapped IPv6 becomes IPv4. */
	assert_int_equal(ipaddr_parse("::FFFF:1.2.3.4", 14, &a), 0);
	assert_int_equal(ipaddr_unmap(&a), 1);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(ipaddr_parse("1.2.3.0", 7, &net), 0);
	assert_true(ipaddr_match(&a, &net, 24));
	assert_int_equal(ipaddr_unmap(&a), 0);
	/* Strict dotted quads. */
	assert_int_equal(ipaddr_parse("1.2.3.04", 8, &a), -1);
	assert_int_equal(ipaddr_parse("1.2.3.4.5", 9, &a), -1);
	assert_int_equal(ipaddr_parse("1.2.3.", 6, &a), -1);
	assert_int_equal(ipaddr_parse("1.2.3.4\0", 8, &a), -1);
	assert_int_equal(ipaddr_parse("2001:db8::1\0", 12, &a), -1);
	assert_int_equal(ipaddr_parse("", 0, &a), -1);
}

static void test_reverse(void **state)
{
	char buf[MC_IPADDR_REVERSE_MAX], txt[MC_IPADDR_TEXT_MAX];

	(void)state;
	assert_string_equal(ipaddr_reverse(&ip4, 0, 1, buf),
			    "3.2.0.192.in-addr.arpa");
	assert_string_equal(ipaddr_reverse(&ip4, 0, 0, buf), "3.2.0.192");
	assert_string_equal(ipaddr_reverse(&ip6, 0, 1, buf),
			    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_string_equal(ipaddr_format(&ip6, txt), "2001:db8::cb01");
}

/* The §4.6.4 counters: the 11th DNS-querying term and the 3rd void
 * lookup are permerrors. */
static void test_limits(void **state)
{
	struct mc_spf_outcome out = {0};
	struct spf_eval ev = {0};
	struct mc_spf_trace trace[MC_SPF_MAX_TRACE];

	(void)state;
	out.trace = trace;
	out.problem = strdup("");
	ev.out = &out;
	for (int i = 0; i < MC_SPF_MAX_DNS_LOOKUPS; i++)
		assert_int_equal(spf_count_lookup(&ev, 0, "x"), SPF_NO_MATCH);
	assert_int_equal(spf_count_lookup(&ev, 0, "x"), SPF_ERROR);
	assert_int_equal(ev.error, MC_SPF_PERMERROR);
	assert_non_null(strstr(out.problem, "10"));
	assert_int_equal(spf_count_void(&ev, 0, "x", MC_DNS_OK), SPF_NO_MATCH);
	assert_int_equal(spf_count_void(&ev, 0, "x", MC_DNS_TIMEOUT),
			 SPF_NO_MATCH);
	assert_int_equal(spf_count_void(&ev, 0, "x", MC_DNS_NXDOMAIN),
			 SPF_NO_MATCH);
	assert_int_equal(spf_count_void(&ev, 0, "x", MC_DNS_NODATA),
			 SPF_NO_MATCH);
	assert_int_equal(spf_count_void(&ev, 0, "x", MC_DNS_NODATA),
			 SPF_ERROR);
	assert_int_equal(out.void_lookups, 3);
	/* the trace: one line per limit passed, sharing the domain's copy */
	assert_int_equal(out.n_trace, 2);
	assert_non_null(strstr(trace[0].text, "more than 10 DNS lookups"));
	assert_non_null(strstr(trace[1].text, "more than 2 void lookups"));
	assert_ptr_equal(trace[0].domain, trace[1].domain);
	spf_trace_strings_free(out.strings);
	free(out.problem);
	(void)spf_name_within;
}

/* An outcome with an empty trace for ev to write, and fill (n bytes) a
 * string of c's. */
static void trace_start(struct mc_spf_outcome *out, struct spf_eval *ev,
			char *fill, size_t n, char c)
{
	memset(fill, c, n - 1);
	fill[n - 1] = '\0';
	out->trace = calloc(SPF_TRACE_FIRST, sizeof(*out->trace));
	assert_non_null(out->trace);
	ev->out = out;
}

/* Trace lines: their strings in the outcome's chunks, intact across many
 * chunks (lines up to 511 bytes), domains shared only with the line
 * before when equal, and the lines past MC_SPF_MAX_TRACE dropped. */
static void test_trace_strings(void **state)
{
	struct mc_spf_outcome out = {0};
	struct spf_eval ev = {0};
	char pad[600], want[700], dom[32];

	(void)state;
	trace_start(&out, &ev, pad, sizeof(pad), 'x');
	for (int i = 0; i < MC_SPF_MAX_TRACE + 10; i++) {
		snprintf(dom, sizeof(dom), "d%d.test", i / 3);
		spf_trace(&ev, i % 4, dom, "line %d %.*s", i, (i * 37) % 600,
			  pad);
	}
	assert_false(ev.oom);
	assert_int_equal(out.n_trace, MC_SPF_MAX_TRACE);
	assert_true(out.trace_truncated);
	for (int i = 0; i < MC_SPF_MAX_TRACE; i++) {
		const struct mc_spf_trace *t = &out.trace[i];

		snprintf(dom, sizeof(dom), "d%d.test", i / 3);
		snprintf(want, 512, "line %d %.*s", i, (i * 37) % 600, pad);
		assert_string_equal(t->domain, dom);
		assert_string_equal(t->text, want);
		assert_int_equal(t->depth, i % 4);
		if (i % 3)
			assert_ptr_equal(t->domain, t[-1].domain);
		else if (i)
			assert_ptr_not_equal(t->domain, t[-1].domain);
	}
	spf_trace_strings_free(out.strings);
	free(out.trace);
}

/* spf_trace()'s own printf: the conversions the trace uses, snprintf()'s
 * output for each, truncation at 511 bytes; one it does not know is
 * copied as written. */
static void test_trace_format(void **state)
{
	struct mc_spf_outcome out = {0};
	struct spf_eval ev = {0};
	char want[1200], big[1100];

	(void)state;
	trace_start(&out, &ev, big, sizeof(big), 'y');
	spf_trace(&ev, 0, NULL, "%s %s: %s (%zu)", "TXT", "a.test", "ok",
		  (size_t)18446744073709551615u);
	spf_trace(&ev, 0, "d", "limit: more than %d, %d, %d%%", 10,
		  -2147483647 - 1, 0);
	spf_trace(&ev, 0, "d", "record: %.*s|%.*s|%.*s", 3, "abcdef", 0, "x",
		  9, "ab");
	spf_trace(&ev, 0, "d", "%s", big);
	spf_trace(&ev, 0, "d", "ends in %c", 'z');   /* not ours */
	spf_trace(&ev, 0, "d", "hex %x stays", 255u);
	assert_int_equal(out.n_trace, 6);
	assert_string_equal(out.trace[0].domain, "");
	assert_string_equal(out.trace[0].text,
			    "TXT a.test: ok (18446744073709551615)");
	snprintf(want, sizeof(want), "limit: more than %d, %d, %d%%", 10,
		 -2147483647 - 1, 0);
	assert_string_equal(out.trace[1].text, want);
	assert_string_equal(out.trace[2].text, "record: abc||ab");
	assert_int_equal(strlen(out.trace[3].text), 511);
	assert_string_equal(out.trace[4].text, "ends in %c");
	assert_string_equal(out.trace[5].text, "hex %x stays");
	spf_trace_strings_free(out.strings);
	free(out.trace);
}

/* The identity's domain (MAIL FROM's, else HELO), and what
 * spf_prefetch() refuses without asking: no cache, no name, a name that
 * cannot be asked. (What it asks, and that a batch's first queries are
 * those, test_spf_batch.sh checks on nsd.) */
static void test_identity_and_prefetch(void **state)
{
	struct mc_spf_query q = {.ip = "192.0.2.1", .mailfrom = "a@b@x.test",
				 .helo = "h.test"};
	struct mc_dns_opts o = {.server = "127.0.0.1:9"};
	struct mc_err err = {0};
	struct mc_dns *dns = dns_new(&o, &err);
	struct mc_dns_cache *c = dns_cache_new(NULL);
	size_t n;

	(void)state;
	assert_string_equal(spf_identity_domain(&q, &n), "x.test");
	assert_int_equal(n, 6);
	q.mailfrom = "nobody";
	assert_string_equal(spf_identity_domain(&q, &n), "nobody");
	assert_int_equal(n, 6);
	q.mailfrom = "a@X.test.";           /* one trailing dot is not part */
	assert_string_equal(spf_identity_domain(&q, &n), "X.test.");
	assert_int_equal(n, 6);
	q.mailfrom = "";
	assert_string_equal(spf_identity_domain(&q, &n), "h.test");
	assert_int_equal(n, 6);
	q.helo = ".";                       /* the root stays itself */
	assert_string_equal(spf_identity_domain(&q, &n), ".");
	assert_int_equal(n, 1);
	q.helo = "";
	assert_null(spf_identity_domain(&q, &n));
	assert_int_equal(n, 0);
	assert_non_null(dns);
	assert_non_null(c);
	assert_int_equal(spf_prefetch(dns, "x.test", 6), -1);   /* no cache */
	dns_set_cache(dns, c);
	assert_int_equal(spf_prefetch(dns, NULL, 0), -1);
	assert_int_equal(spf_prefetch(dns, "", 0), -1);
	assert_int_equal(spf_prefetch(dns, "a..b.test", 9), -1);
	assert_int_equal(dns_pending(dns), 0);
	assert_int_equal(spf_prefetch(dns, "x.test.", 6), 0);
	assert_int_equal(dns_pending(dns), 1);
	dns_cancel(dns);
	assert_int_equal(dns_pending(dns), 0);
	dns_free(dns);
	dns_cache_free(c);
}

static void test_name_within(void **state)
{
	(void)state;
	assert_true(spf_name_within("mail.example.com", "example.com"));
	assert_true(spf_name_within("Example.COM.", "example.com"));
	assert_false(spf_name_within("badexample.com", "example.com"));
	assert_false(spf_name_within("example.com", "mail.example.com"));
}

/* Input checks happen before any DNS: a NULL channel is never touched. */
static void test_check_host_input(void **state)
{
	struct mc_spf_query q = {.ip = "1.2.3.999", .mailfrom = "a@b.example"};
	struct mc_err err = {0};
	char longname[MC_SPF_MAX_INPUT + 10];

	(void)state;
	assert_null(spf_check_host(NULL, &q, NULL, &err));
	assert_non_null(strstr(err.msg, "not an IP"));
	q.ip = "192.0.2.1";
	q.mailfrom = "";
	q.helo = NULL;
	assert_null(spf_check_host(NULL, &q, NULL, &err));
	assert_non_null(strstr(err.msg, "HELO"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	q.mailfrom = longname;
	assert_null(spf_check_host(NULL, &q, NULL, &err));
	assert_non_null(strstr(err.msg, "longer"));
	assert_string_equal(spf_result_name(MC_SPF_SOFTFAIL), "softfail");
	assert_string_equal(spf_result_name((enum mc_spf_result)99),
			    "permerror");
	spf_outcome_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_spf1),
		cmocka_unit_test(test_parse_terms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_macro_rfc_examples),
		cmocka_unit_test(test_macro_more),
		cmocka_unit_test(test_macro_errors),
		cmocka_unit_test(test_domain_spec),
		cmocka_unit_test(test_domain_truncate),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_trace_strings),
		cmocka_unit_test(test_trace_format),
		cmocka_unit_test(test_identity_and_prefetch),
		cmocka_unit_test(test_name_within),
		cmocka_unit_test(test_check_host_input),
	};

	ipaddr_parse("192.0.2.3", 9, &ip4);
	ipaddr_parse("2001:db8::cb01", 14, &ip6);
	return cmocka_run_group_tests_name("spf", tests, NULL, NULL);
}
