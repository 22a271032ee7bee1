/* checks/ptr: PTR and forward confirmation against a table-driven fake:
 * confirmed, unconfirmed, several names (one confirms), no PTR, IPv6
 * nibbles, IPv4-mapped IPv6, timeouts of the PTR and of the forward
 * query (UNKNOWN, never "not confirmed"), bad input, JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "checks/ptr.h"
#include "dns_zone_fake.h"

static const struct zrec zone[] = {
	{"10.2.0.192.in-addr.arpa", ZT_PTR, "mail.good.test"},
	{"mail.good.test", ZT_A, "192.0.2.10"},
	{"11.2.0.192.in-addr.arpa", ZT_PTR, "elsewhere.test"},
	{"elsewhere.test", ZT_A, "192.0.2.99"},
	{"12.2.0.192.in-addr.arpa", ZT_PTR, "nope.test"},
	{"12.2.0.192.in-addr.arpa", ZT_PTR, "second.test"},
	{"second.test", ZT_A, "192.0.2.12"},
	{"13.2.0.192.in-addr.arpa", ZT_DROP, ""},
	{"14.2.0.192.in-addr.arpa", ZT_PTR, "slow.test"},
	{"slow.test", ZT_DROP, ""},
	{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	 ZT_PTR, "v6.good.test"},
	{"v6.good.test", ZT_AAAA, "2001:db8::1"},
	{"v6.good.test", ZT_A, "192.0.2.1"},
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

static struct mc_ptr_result *lookup(const char *ip)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};
	struct mc_ptr_result *r = ptr_lookup(dns, ip, 0, &err);

	if (!r)
		fail_msg("ptr_lookup(%s): %s", ip, err.msg);
	dns_free(dns);
	return r;
}

static int has_problem(const struct mc_ptr_result *r, int sev,
		       const char *needle)
{
	for (size_t i = 0; i < r->problems.n; i++)
		if (r->problems.v[i].severity == sev &&
		    strstr(r->problems.v[i].message, needle))
			return 1;
	return 0;
}

static void test_confirmed(void **state)
{
	struct mc_ptr_result *r = lookup("192.0.2.10");
	json_t *j;
	char *s;

	(void)state;
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->n_names, 1);
	assert_string_equal(r->names[0], "mail.good.test");
	assert_int_equal(r->fcrdns, 1);
	assert_string_equal(r->confirmed, "mail.good.test");
	assert_int_equal(r->problems.severity, MC_CHK_OK);
	j = ptr_result_json(r);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"fcrdns\":true,\"ip\":\"192.0.2.10\","
			    "\"names\":[\"mail.good.test\"],\"severity\":0,"
			    "\"status\":\"ok\"}");
	free(s);
	json_decref(j);
	ptr_result_free(r);

	r = lookup("192.0.2.12");   /* the second name confirms */
	assert_int_equal(r->n_names, 2);
	assert_int_equal(r->fcrdns, 1);
	assert_string_equal(r->confirmed, "second.test");
	ptr_result_free(r);
}

static void test_not_confirmed_and_absent(void **state)
{
	struct mc_ptr_result *r = lookup("192.0.2.11");

	(void)state;
	assert_int_equal(r->fcrdns, 0);
	assert_null(r->confirmed);
	assert_true(has_problem(r, MC_CHK_CRITICAL, "not forward-confirmed"));
	ptr_result_free(r);

	r = lookup("192.0.2.200");
	assert_int_equal(r->status, MC_DNS_NXDOMAIN);
	assert_int_equal(r->n_names, 0);
	assert_true(has_problem(r, MC_CHK_CRITICAL, "has no PTR record"));
	ptr_result_free(r);
}

static void test_ipv6_and_mapped(void **state)
{
	struct mc_ptr_result *r = lookup("2001:DB8::1");

	(void)state;
	assert_string_equal(r->ip, "2001:db8::1");
	assert_int_equal(r->fcrdns, 1);
	ptr_result_free(r);

	r = lookup("::ffff:192.0.2.10");
	assert_string_equal(r->ip, "192.0.2.10");
	assert_int_equal(r->fcrdns, 1);
	ptr_result_free(r);
}

static void test_timeouts_are_unknown(void **state)
{
	struct mc_ptr_result *r = lookup("192.0.2.13");

	(void)state;
	assert_int_equal(r->status, MC_DNS_TIMEOUT);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	ptr_result_free(r);

	r = lookup("192.0.2.14");
	assert_int_equal(r->status, MC_DNS_OK);
	assert_int_equal(r->forward[0], MC_DNS_TIMEOUT);
	assert_int_equal(r->fcrdns, 0);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	assert_true(has_problem(r, MC_CHK_UNKNOWN, "cannot confirm"));
	ptr_result_free(r);
}

static void test_bad_input(void **state)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};

	(void)state;
	assert_null(ptr_lookup(dns, "192.0.2.256", 0, &err));
	assert_non_null(strstr(err.msg, "not an IP address"));
	assert_null(ptr_lookup(dns, "mail.good.test", 0, &err));
	assert_null(ptr_lookup(dns, NULL, 0, &err));
	assert_null(ptr_lookup_finish(NULL));
	ptr_result_free(NULL);
	dns_free(dns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confirmed),
		cmocka_unit_test(test_not_confirmed_and_absent),
		cmocka_unit_test(test_ipv6_and_mapped),
		cmocka_unit_test(test_timeouts_are_unknown),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
