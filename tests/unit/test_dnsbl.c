/* checks/dnsbl: classification of answer codes (listings, Spamhaus error
 * codes, 127.0.0.1, answers outside 127/8), list specs, and lookups
 * against a table-driven fake: listed with TXT, clean, error codes,
 * SERVFAIL and REFUSED (error), silence (timeout), IPv6 nibbles, domain
 * lists, the pairing of targets with lists, bad input, JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "checks/dnsbl.h"
#include "dns_zone_fake.h"

static enum mc_dnsbl_status classify(const char *a, const char *b,
				     char *why)
{
	struct in_addr addrs[2];
	size_t n = 0;

	if (a)
		inet_pton(AF_INET, a, &addrs[n++]);
	if (b)
		inet_pton(AF_INET, b, &addrs[n++]);
	return dnsbl_classify(addrs, n, why, 256);
}

static void test_classify(void **state)
{
	static const struct {
		const char *a, *b;
		enum mc_dnsbl_status want;
		const char *why;
	} cases[] = {
		{NULL, NULL, MC_DNSBL_CLEAN, ""},
		{"127.0.0.2", NULL, MC_DNSBL_LISTED, ""},
		{"127.0.0.10", "127.0.0.4", MC_DNSBL_LISTED, ""},
		{"127.1.2.3", NULL, MC_DNSBL_LISTED, ""},
		{"127.255.255.252", NULL, MC_DNSBL_ERROR, "typing error"},
		{"127.255.255.254", NULL, MC_DNSBL_ERROR, "public or open resolver"},
		{"127.255.255.255", NULL, MC_DNSBL_ERROR, "rate limited"},
		{"127.255.255.253", NULL, MC_DNSBL_ERROR, "error code of the list"},
		{"127.0.1.255", NULL, MC_DNSBL_ERROR, "not allowed"},
		{"127.0.0.1", NULL, MC_DNSBL_ERROR, "127.0.0.1 is no listing"},
		{"192.0.2.1", NULL, MC_DNSBL_ERROR, "outside 127.0.0.0/8"},
		{"198.51.100.1", NULL, MC_DNSBL_ERROR, "198.51.100.1: outside"},
		/* An error code among listings: an error, never a listing. */
		{"127.0.0.2", "127.255.255.254", MC_DNSBL_ERROR, "127.255.255.254"},
		{"127.0.0.2", "198.51.100.1", MC_DNSBL_ERROR, "outside"},
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mc_dnsbl_status st = classify(cases[i].a, cases[i].b, why);

		if (st != cases[i].want || !strstr(why, cases[i].why))
			fail_msg("case %zu: %s (%s)", i, dnsbl_status_name(st),
				 why);
	}
	assert_string_equal(dnsbl_status_name(MC_DNSBL_TIMEOUT), "timeout");
	assert_string_equal(dnsbl_status_name(MC_DNSBL_CLEAN), "clean");
}

static void test_list_parse(void **state)
{
	struct mc_dnsbl_list l;
	struct mc_err err = {0};

	(void)state;
	assert_int_equal(dnsbl_list_parse("Zen.Spamhaus.org.", &l, &err), 0);
	assert_string_equal(l.zone, "zen.spamhaus.org");
	assert_int_equal(l.domain, 0);
	assert_int_equal(dnsbl_list_parse("domain:dbl.example", &l, &err), 0);
	assert_string_equal(l.zone, "dbl.example");
	assert_int_equal(l.domain, 1);
	assert_int_equal(dnsbl_list_parse("domain:", &l, &err), -1);
	assert_int_equal(err.component, MC_COMP_BLOCKLIST);
	assert_int_equal(dnsbl_list_parse("bad zone", &l, &err), -1);
	assert_int_equal(dnsbl_list_parse("", &l, &err), -1);
	assert_non_null(mc_dnsbl_default_lists[0]);
}

static const struct zrec zone[] = {
	{"2.0.0.127.bl.test", ZT_A, "127.0.0.2"},
	{"2.0.0.127.bl.test", ZT_A, "127.0.0.4"},
	{"2.0.0.127.bl.test", ZT_TXT, "listed: see https://bl.test/127.0.0.2"},
	{"3.0.0.127.bl.test", ZT_A, "127.0.0.3"},          /* no TXT */
	{"2.0.0.127.err.test", ZT_A, "127.255.255.254"},
	{"2.0.0.127.err.test", ZT_TXT, "public resolver"},
	{"2.0.0.127.wild.test", ZT_A, "198.51.100.7"},
	{"2.0.0.127.fail.test", ZT_SERVFAIL, ""},
	{"2.0.0.127.refuse.test", ZT_REFUSED, ""},
	{"2.0.0.127.slow.test", ZT_DROP, ""},
	{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test",
	 ZT_A, "127.0.0.2"},
	{"spam.example.dbl.test", ZT_A, "127.0.1.2"},
	{"spam.example.dbl.test", ZT_TXT, "spam domain"},
	{NULL, 0, NULL},
};

static struct zfake *fake;

static int setup(void **state)
{
	(void)state;
	fake = zfake_start(zone);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	zfake_stop(fake);
	return 0;
}

static struct mc_dnsbl_result *lookup(const char *const *t, size_t nt,
				      const char *const *l, size_t nl)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};
	struct mc_dnsbl_result *r = dnsbl_lookup(dns, t, nt, l, nl, 0, &err);

	if (!r)
		fail_msg("dnsbl_lookup: %s", err.msg);
	dns_free(dns);
	return r;
}

static void test_lookups(void **state)
{
	const char *targets[] = {"127.0.0.2", "127.0.0.9", "127.0.0.3",
				 "2001:db8::1", "spam.example", "ok.example"};
	const char *lists[] = {"bl.test", "err.test", "wild.test", "fail.test",
			       "refuse.test", "slow.test", "domain:dbl.test"};
	struct mc_dnsbl_result *r = lookup(targets, 6, lists, 7);
	const struct mc_dnsbl_entry *e;

	(void)state;
	/* 4 IPs x 6 address lists + 2 domains x 1 domain list. */
	assert_int_equal(r->n, 26);
	e = &r->entries[0];
	assert_string_equal(e->target, "127.0.0.2");
	assert_string_equal(e->list, "bl.test");
	assert_int_equal(e->status, MC_DNSBL_LISTED);
	assert_int_equal(e->n_codes, 2);
	assert_string_equal(e->codes[0], "127.0.0.2");
	assert_string_equal(e->txt, "listed: see https://bl.test/127.0.0.2");
	e = &r->entries[1];
	assert_string_equal(e->list, "err.test");
	assert_int_equal(e->status, MC_DNSBL_ERROR);
	assert_string_equal(e->codes[0], "127.255.255.254");
	assert_non_null(strstr(e->txt, "public or open resolver"));
	assert_int_equal(r->entries[2].status, MC_DNSBL_ERROR);     /* wild */
	assert_non_null(strstr(r->entries[2].txt, "outside 127.0.0.0/8"));
	assert_int_equal(r->entries[3].status, MC_DNSBL_ERROR);     /* SERVFAIL */
	assert_non_null(strstr(r->entries[3].txt, "SERVFAIL"));
	assert_int_equal(r->entries[4].status, MC_DNSBL_ERROR);     /* REFUSED */
	assert_int_equal(r->entries[5].status, MC_DNSBL_TIMEOUT);
	assert_non_null(r->entries[5].txt);
	e = &r->entries[6];
	assert_string_equal(e->target, "127.0.0.9");
	assert_int_equal(e->status, MC_DNSBL_CLEAN);
	assert_int_equal(e->n_codes, 0);
	assert_null(e->txt);
	e = &r->entries[12];
	assert_string_equal(e->target, "127.0.0.3");
	assert_int_equal(e->status, MC_DNSBL_LISTED);
	assert_null(e->txt);                 /* the list gave no reason */
	e = &r->entries[18];
	assert_string_equal(e->target, "2001:db8::1");
	assert_int_equal(e->status, MC_DNSBL_LISTED);
	e = &r->entries[24];
	assert_string_equal(e->target, "spam.example");
	assert_string_equal(e->list, "dbl.test");
	assert_int_equal(e->domain, 1);
	assert_int_equal(e->status, MC_DNSBL_LISTED);
	assert_string_equal(e->txt, "spam domain");
	assert_int_equal(r->entries[25].status, MC_DNSBL_CLEAN);
	assert_int_equal(r->n_listed, 4);
	assert_int_equal(r->problems.severity, MC_CHK_CRITICAL);
	dnsbl_result_free(r);
}

static void test_severity_and_json(void **state)
{
	const char *clean[] = {"127.0.0.9"}, *bad[] = {"127.0.0.2"};
	const char *ok_list[] = {"bl.test"}, *err_list[] = {"err.test"};
	struct mc_dnsbl_result *r;
	json_t *j;
	char *s;

	(void)state;
	r = lookup(clean, 1, ok_list, 1);
	assert_int_equal(r->problems.severity, MC_CHK_OK);
	j = json_pack("{s:o}", "results", dnsbl_result_json(r));
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"results\":[{\"ip\":\"127.0.0.9\",\"list\":"
			    "\"bl.test\",\"status\":\"clean\",\"codes\":[],"
			    "\"txt\":null}]}");
	free(s);
	json_decref(j);
	dnsbl_result_free(r);

	/* An error with nothing listed: UNKNOWN, never clean. */
	r = lookup(bad, 1, err_list, 1);
	assert_int_equal(r->n_listed, 0);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	j = dnsbl_result_json(r);
	s = json_dumps(json_array_get(j, 0), JSON_COMPACT);
	assert_non_null(strstr(s, "\"status\":\"error\",\"codes\":[\"127.255.255.254\"]"));
	free(s);
	json_decref(j);
	dnsbl_result_free(r);
}

static void test_bad_input(void **state)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};
	const char *bad_target[] = {"not a name"}, *ok[] = {"127.0.0.2"};
	const char *bad_list[] = {"x..y"}, *lists[] = {"bl.test"};
	const char *long_domain[] = {NULL};
	char name[260];
	struct mc_dnsbl_result *r;

	(void)state;
	assert_null(dnsbl_lookup(dns, bad_target, 1, lists, 1, 0, &err));
	assert_non_null(strstr(err.msg, "neither an IP address nor a domain"));
	assert_null(dnsbl_lookup(dns, ok, 1, bad_list, 1, 0, &err));
	assert_non_null(strstr(err.msg, "not a DNSBL zone"));
	/* A domain too long to be asked under the zone: an error entry. */
	memset(name, 'a', 60);
	for (int i = 0; i < 4; i++) {
		memset(name + i * 61, 'a', 60);
		name[i * 61 + 60] = '.';
	}
	memcpy(name + 244, "aaaa", 5);
	long_domain[0] = name;
	{
		const char *dl[] = {"domain:dbl.test"};

		r = dnsbl_lookup(dns, long_domain, 1, dl, 1, 0, &err);
		assert_non_null(r);
		assert_int_equal(r->n, 1);
		assert_int_equal(r->entries[0].status, MC_DNSBL_ERROR);
		assert_non_null(strstr(r->entries[0].txt, "too long"));
		dnsbl_result_free(r);
	}
	/* No pairs at all is fine: nothing to ask. */
	r = dnsbl_lookup(dns, ok, 1, NULL, 0, 0, &err);
	assert_non_null(r);
	assert_int_equal(r->n, 0);
	dnsbl_result_free(r);
	assert_null(dnsbl_lookup_finish(NULL));
	dnsbl_result_free(NULL);
	dns_free(dns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_list_parse),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_severity_and_json),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
