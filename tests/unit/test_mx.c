/* checks/mx: MX and exchange addresses against a table-driven fake server:
 * ordinary MX, null MX alone and mixed, implicit MX, NXDOMAIN, an
 * exchange that is an alias, IP literals, exchanges without addresses,
 * timeouts and SERVFAIL (UNKNOWN, never "no MX"), bad input, JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "checks/mx.h"
#include "dns_zone_fake.h"

static const struct zrec zone[] = {
	{"good.test", ZT_MX, "20 mx2.good.test"},
	{"good.test", ZT_MX, "10 mx1.good.test"},
	{"mx1.good.test", ZT_A, "192.0.2.25"},
	{"mx1.good.test", ZT_AAAA, "2001:db8::25"},
	{"mx2.good.test", ZT_A, "192.0.2.26"},
	{"null.test", ZT_MX, "0 ."},
	{"mixed.test", ZT_MX, "0 ."},
	{"mixed.test", ZT_MX, "10 mx1.good.test"},
	{"nomx.test", ZT_A, "192.0.2.30"},
	{"alias.test", ZT_MX, "10 mail.alias.test"},
	{"mail.alias.test", ZT_CNAME, "real.alias.test"},
	{"real.alias.test", ZT_A, "192.0.2.40"},
	{"literal.test", ZT_MX, "10 192.0.2.50"},
	{"noaddr.test", ZT_MX, "10 gone.noaddr.test"},
	{"noaddr.test", ZT_MX, "20 mx1.good.test"},
	{"allgone.test", ZT_MX, "10 gone.allgone.test"},
	{"slow.test", ZT_DROP, ""},
	{"broken.test", ZT_SERVFAIL, ""},
	{"slowmx.test", ZT_MX, "10 mx.slowmx.test"},
	{"mx.slowmx.test", ZT_DROP, ""},
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

static struct mc_mx_result *lookup(const char *domain)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};
	struct mc_mx_result *r = mx_lookup(dns, domain, 0, &err);

	if (!r)
		fail_msg("mx_lookup(%s): %s", domain, err.msg);
	dns_free(dns);
	return r;
}

static int has_problem(const struct mc_mx_result *r, int sev,
		       const char *needle)
{
	for (size_t i = 0; i < r->problems.n; i++)
		if (r->problems.v[i].severity == sev &&
		    strstr(r->problems.v[i].message, needle))
			return 1;
	return 0;
}

static void test_good(void **state)
{
	struct mc_mx_result *r = lookup("Good.Test.");
	char buf[MC_IPADDR_TEXT_MAX];
	json_t *j;
	char *s;

	(void)state;
	assert_string_equal(r->domain, "good.test");
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_hosts, 2);
	assert_string_equal(r->hosts[0].host, "mx1.good.test");
	assert_int_equal(r->hosts[0].preference, 10);
	assert_int_equal(r->hosts[0].n_addrs, 2);
	assert_string_equal(ipaddr_format(&r->hosts[0].addrs[0], buf),
			    "192.0.2.25");
	assert_string_equal(ipaddr_format(&r->hosts[0].addrs[1], buf),
			    "2001:db8::25");
	assert_int_equal(r->hosts[0].aaaa_status, MC_DNS_OK);
	assert_int_equal(r->hosts[1].aaaa_status, MC_DNS_NODATA);
	assert_null(r->hosts[0].cname);
	assert_int_equal(r->problems.severity, MC_CHK_OK);
	assert_int_equal(r->problems.n, 0);
	j = mx_result_json(r);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s,
		"{\"hosts\":[{\"addresses\":[\"192.0.2.25\",\"2001:db8::25\"],"
		"\"cname\":null,\"host\":\"mx1.good.test\",\"ip_literal\":false,"
		"\"preference\":10},{\"addresses\":[\"192.0.2.26\"],\"cname\":null,"
		"\"host\":\"mx2.good.test\",\"ip_literal\":false,\"preference\":20}],"
		"\"implicit\":false,\"null_mx\":false,\"severity\":0,\"status\":\"ok\"}");
	free(s);
	json_decref(j);
	mx_result_free(r);
}

static void test_null_mx(void **state)
{
	struct mc_mx_result *r = lookup("null.test");

	(void)state;
	assert_int_equal(r->null_mx, 1);
	assert_int_equal(r->n_hosts, 1);
	assert_string_equal(r->hosts[0].host, ".");
	assert_int_equal(r->problems.severity, MC_CHK_CRITICAL);
	assert_true(has_problem(r, MC_CHK_CRITICAL, "null MX (RFC 7505)"));
	mx_result_free(r);

	r = lookup("mixed.test");
	assert_int_equal(r->null_mx, 0);
	assert_int_equal(r->n_hosts, 2);
	assert_true(has_problem(r, MC_CHK_WARNING, "null MX (\"0 .\") mixed"));
	assert_int_equal(r->problems.severity, MC_CHK_WARNING);
	mx_result_free(r);
}

static void test_implicit_and_nxdomain(void **state)
{
	struct mc_mx_result *r = lookup("nomx.test");

	(void)state;
	assert_int_equal(r->status, MC_DNS_NODATA);
	assert_int_equal(r->implicit, 1);
	assert_int_equal(r->n_hosts, 1);
	assert_string_equal(r->hosts[0].host, "nomx.test");
	assert_int_equal(r->hosts[0].n_addrs, 1);
	assert_true(has_problem(r, MC_CHK_WARNING, "implicit MX"));
	assert_int_equal(r->problems.severity, MC_CHK_WARNING);
	mx_result_free(r);

	r = lookup("absent.test");
	assert_int_equal(r->status, MC_DNS_NXDOMAIN);
	assert_int_equal(r->n_hosts, 0);
	assert_true(has_problem(r, MC_CHK_CRITICAL, "does not exist"));
	mx_result_free(r);
}

static void test_alias_literal_noaddr(void **state)
{
	struct mc_mx_result *r = lookup("alias.test");

	(void)state;
	assert_non_null(r->hosts[0].cname);
	assert_string_equal(r->hosts[0].cname, "real.alias.test");
	assert_int_equal(r->hosts[0].n_addrs, 1);
	assert_true(has_problem(r, MC_CHK_WARNING, "is an alias (CNAME to real.alias.test)"));
	mx_result_free(r);

	r = lookup("literal.test");
	assert_int_equal(r->hosts[0].ip_literal, 1);
	assert_int_equal(r->hosts[0].n_addrs, 0);
	assert_true(has_problem(r, MC_CHK_WARNING, "is an IP address"));
	assert_true(has_problem(r, MC_CHK_CRITICAL, "no mail exchanger"));
	mx_result_free(r);

	r = lookup("noaddr.test");
	assert_true(has_problem(r, MC_CHK_WARNING,
				"MX gone.noaddr.test has no A or AAAA record"));
	assert_int_equal(r->problems.severity, MC_CHK_WARNING);
	mx_result_free(r);

	r = lookup("allgone.test");
	assert_int_equal(r->problems.severity, MC_CHK_CRITICAL);
	mx_result_free(r);
}

static void test_dns_trouble_is_unknown(void **state)
{
	struct mc_mx_result *r = lookup("slow.test");

	(void)state;
	assert_int_equal(r->status, MC_DNS_TIMEOUT);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	assert_true(has_problem(r, MC_CHK_UNKNOWN, "slow.test MX: timeout"));
	mx_result_free(r);

	r = lookup("broken.test");
	assert_int_equal(r->status, MC_DNS_SERVFAIL);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	mx_result_free(r);

	/* The exchange's addresses time out: UNKNOWN, not "no address". */
	r = lookup("slowmx.test");
	assert_int_equal(r->hosts[0].a_status, MC_DNS_TIMEOUT);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	assert_false(has_problem(r, MC_CHK_CRITICAL, "no mail exchanger"));
	mx_result_free(r);
}

static void test_bad_input_and_finish_early(void **state)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};
	struct mc_mx_lookup *l;
	struct mc_mx_result *r;

	(void)state;
	assert_null(mx_lookup(dns, "bad..name", 0, &err));
	assert_int_equal(err.component, MC_COMP_MX);
	assert_non_null(strstr(err.msg, "not a domain name"));
	assert_null(mx_lookup(dns, "", 0, &err));
	/* Finishing before the answers: the pending queries are cancelled
	 * and the result says so (UNKNOWN), nothing leaks. */
	l = mx_lookup_start(dns, "good.test", &err);
	assert_non_null(l);
	r = mx_lookup_finish(l);
	assert_non_null(r);
	assert_int_equal(r->status, MC_DNS_TIMEOUT);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	mx_result_free(r);
	assert_null(mx_lookup_finish(NULL));
	mx_result_free(NULL);
	dns_free(dns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_null_mx),
		cmocka_unit_test(test_implicit_and_nxdomain),
		cmocka_unit_test(test_alias_literal_noaddr),
		cmocka_unit_test(test_dns_trouble_is_unknown),
		cmocka_unit_test(test_bad_input_and_finish_early),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
