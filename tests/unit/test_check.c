/* checks/check (+ checkutil and the DKIM key stub): one-pass audits of
 * whole zones served by a table-driven fake: a healthy domain (OK), a
 * broken one (every part's problems, severities, SPF per IP), several
 * specs in one run, DNS trouble as UNKNOWN, bad specs, the JSON shape;
 * the DKIM key records (RSA sizes via OpenSSL, PKCS#1 keys, Ed25519,
 * testing, revoked, garbage, several records); and the helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "checks/check.h"
#include "dns_zone_fake.h"

#define K2048 "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlxpmxiM2NZYY6B8eJrdIy1633GJLFtY9Prxba888Lhe2OFfNCEMGhzeCysl7fbMjq5+aFS/78yAi2OaYDnMxMHq86qf2ZDPE8ugWoyn2LTSZ8pSrYH8lcDhZLMwxeelz/rI8vL0p4BS7oFtjThSmTyn2IPy0w2wVbdDy9MZNYXGVYcLJwhrqjdwuXwbow/kHnHIDR34MTEqkU9DtviHD+L8QiE9KdJ0IJl/pxu/TY0P6g/BpxnysJ7CFB7RL5XMLsZrFhdGTVeAH1LOYgsvebHIObj23qg9HMywbHJc4gBQKaj8qtfnM4c1w/v77ux8VsOIv2qPTiF5lVLnwLz8x3QIDAQAB"
#define K512 "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMXZlmQP8bdgwkmpLNxmpuF+Qd3EmsmC/aJTnBYTlsIxJZHp34bI9AkJKXIpbVl047RH03IMlLJnS979E8Vu+PsCAwEAAQ=="
#define KED "LL5ykswEEvQWdHv7pDV2RXLVYZHfekMjddV9ISz0Mgk="
#define KPKCS1 "MIGJAoGBAJ5nrYPYT2I7fCnBqUcflwXFBUX5ErCMz1dP6+ZSmLB17R1ElDuGgE1nvIF07LLYi/qGFuC62p9UFm9cJ+UmWHRLw4AkO2aS6Rn0zsNONNWHoMAk4RI62DZ8c68NBpHST1xl9WUVBXICmGY+ATFivW3AEJHLqD16j148JhRiHlwNAgMBAAE="

static const struct zrec zone[] = {
	/* good.test: everything right. */
	{"good.test", ZT_MX, "10 mx.good.test"},
	{"good.test", ZT_TXT, "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"},
	{"mx.good.test", ZT_A, "192.0.2.25"},
	{"10.2.0.192.in-addr.arpa", ZT_PTR, "out.good.test"},
	{"out.good.test", ZT_A, "192.0.2.10"},
	{"s1._domainkey.good.test", ZT_TXT, "v=DKIM1; k=rsa; p=" K2048},
	{"_dmarc.good.test", ZT_TXT, "v=DMARC1; p=reject; rua=mailto:d@good.test"},
	/* bad.test: problems everywhere. */
	{"bad.test", ZT_MX, "0 ."},
	{"bad.test", ZT_TXT, "v=spf1 ip4:198.51.100.0/24 -all"},
	{"11.2.0.192.in-addr.arpa", ZT_PTR, "nowhere.test"},
	{"s1._domainkey.bad.test", ZT_TXT, "v=DKIM1; p="},
	{"2.0.0.127.bl.test", ZT_A, "127.0.0.2"},
	{"2.0.0.127.bl.test", ZT_TXT, "listed for testing"},
	{"11.2.0.192.bl.test", ZT_A, "127.0.0.2"},
	{"bad.test.dbl.test", ZT_A, "127.0.1.2"},
	/* open.test: SPF that lets anyone send. */
	{"open.test", ZT_MX, "10 mx.good.test"},
	{"open.test", ZT_TXT, "v=spf1 +all"},
	{"_dmarc.open.test", ZT_TXT, "v=DMARC1; p=none"},
	/* keys.test: DKIM key records of every kind. */
	{"big._domainkey.keys.test", ZT_TXT, "v=DKIM1; p=" K2048},
	{"small._domainkey.keys.test", ZT_TXT, "v=DKIM1; k=rsa; p=" K512},
	{"ed._domainkey.keys.test", ZT_TXT, "v=DKIM1; k=ed25519; p=" KED},
	{"pkcs1._domainkey.keys.test", ZT_TXT, "p=" KPKCS1 "; t=y:s"},
	{"junk._domainkey.keys.test", ZT_TXT, "v=DKIM1; p=bm90IGEga2V5"},
	{"notb64._domainkey.keys.test", ZT_TXT, "v=DKIM1; p=###"},
	{"odd._domainkey.keys.test", ZT_TXT, "v=DKIM2; k=dsa; p=AAAA"},
	{"two._domainkey.keys.test", ZT_TXT, "v=DKIM1; p=" KPKCS1},
	{"two._domainkey.keys.test", ZT_TXT, "v=DKIM1; p=" KED},
	{"nop._domainkey.keys.test", ZT_TXT, "v=DKIM1; k=rsa"},
	{"slow._domainkey.keys.test", ZT_DROP, ""},
	/* slow.test: the DNS does not answer. */
	{"slow.test", ZT_DROP, ""},
	{"_dmarc.slow.test", ZT_DROP, ""},
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

static struct mc_check_report *run1(const struct mc_check_spec *spec)
{
	struct mc_dns *dns = zfake_dns(fake, 300, 1);
	struct mc_err err = {0};
	struct mc_check_report *r = NULL;

	if (check_run(dns, NULL, spec, 1, 0, &r, &err))
		fail_msg("check_run: %s", err.msg);
	dns_free(dns);
	return r;
}

struct found {
	const char *part, *needle;
	int sev, hit;
};

static void find(void *arg, const char *part, const struct mc_finding *f)
{
	struct found *w = arg;

	if (strcmp(part, w->part) == 0 && f->severity == w->sev &&
	    strstr(f->message, w->needle))
		w->hit = 1;
}

static int has(const struct mc_check_report *r, const char *part, int sev,
	       const char *needle)
{
	struct found w = {part, needle, sev, 0};

	check_report_problems(r, find, &w);
	return w.hit;
}

static void test_good_domain(void **state)
{
	const char *ips[] = {"192.0.2.10"}, *sels[] = {"s1"};
	const char *lists[] = {"bl.test", "domain:dbl.test"};
	struct mc_check_spec spec = {.domain = "good.test", .ips = ips,
				     .n_ips = 1, .selectors = sels,
				     .n_selectors = 1, .dnsbl = lists,
				     .n_dnsbl = 2};
	struct mc_check_report *r = run1(&spec);
	json_t *j;
	const char *key;
	json_t *v;
	static const char *const keys[] = {"domain", "severity", "mx", "ptr",
		"spf", "dkim", "dmarc", "dnsbl", "problems", "dns_queries",
		"probe_ips"};

	(void)state;
	if (r->severity != MC_CHK_OK)
		fail_msg("severity %d", r->severity);
	assert_int_equal(r->mx->n_hosts, 1);
	assert_int_equal(r->n_ptr, 1);
	assert_true(r->ptr[0]->fcrdns);
	assert_string_equal(r->spf.record, "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all");
	assert_int_equal(r->spf.result, MC_SPF_PASS);
	assert_int_equal(r->spf.n_ips, 1);
	assert_int_equal(r->n_dkim, 1);
	assert_true(r->dkim[0].found);
	assert_int_equal(r->dkim[0].key_bits, 2048);
	assert_string_equal(r->dkim[0].key_type, "rsa");
	assert_int_equal(r->dmarc->policy, MC_DMARC_P_REJECT);
	assert_int_equal(r->dnsbl->n, 2);
	assert_int_equal(r->dnsbl->n_listed, 0);
	assert_true(r->dns_queries >= 9);

	j = check_report_json(r);
	assert_non_null(j);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_get(j, keys[i]))
			fail_msg("no key %s", keys[i]);
	json_object_foreach(j, key, v) {
		int known = 0;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			known |= strcmp(key, keys[i]) == 0;
		if (!known)
			fail_msg("unexpected key %s", key);
	}
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(j, "spf"), "dns_lookups")), 0);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "spf"), "result")), "pass");
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(json_object_get(j, "dkim"), 0), "key_bits")), 2048);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(j, "dmarc"), "policy")), "reject");
	assert_int_equal(json_array_size(json_object_get(j, "problems")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "probe_ips")), 0);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "dnsbl"), 0), "source")), "config");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "dnsbl"), 1), "source")), "domain");
	assert_null(json_object_get(j, "check"));
	json_decref(j);
	check_report_free(r);
}

static void test_bad_domain(void **state)
{
	const char *ips[] = {"127.0.0.2", "192.0.2.11"}, *sels[] = {"s1", "s2"};
	const char *lists[] = {"bl.test", "domain:dbl.test"};
	struct mc_check_spec spec = {.name = "bad", .domain = "bad.test",
				     .ips = ips, .n_ips = 2, .selectors = sels,
				     .n_selectors = 2, .dnsbl = lists,
				     .n_dnsbl = 2};
	struct mc_check_report *r = run1(&spec);
	json_t *j, *p;

	(void)state;
	assert_int_equal(r->severity, MC_CHK_CRITICAL);
	assert_true(r->mx->null_mx);
	assert_true(has(r, "mx", MC_CHK_CRITICAL, "null MX"));
	assert_true(has(r, "ptr", MC_CHK_CRITICAL, "127.0.0.2 has no PTR"));
	assert_true(has(r, "ptr", MC_CHK_CRITICAL, "192.0.2.11: no PTR name resolves back"));
	assert_int_equal(r->spf.n_ips, 2);
	assert_int_equal(r->spf.result, MC_SPF_FAIL);
	assert_true(has(r, "spf", MC_CHK_CRITICAL, "192.0.2.11 may not send for bad.test: SPF fail"));
	assert_true(r->dkim[0].revoked);
	assert_true(has(r, "dkim", MC_CHK_CRITICAL, "revoked"));
	assert_false(r->dkim[1].found);
	assert_true(has(r, "dkim", MC_CHK_CRITICAL, "no DKIM key at s2._domainkey.bad.test"));
	assert_true(has(r, "dmarc", MC_CHK_WARNING, "no DMARC record"));
	assert_int_equal(r->dnsbl->n, 3);
	assert_int_equal(r->dnsbl->n_listed, 3);
	assert_true(has(r, "dnsbl", MC_CHK_CRITICAL, "127.0.0.2 is listed on bl.test (127.0.0.2): listed for testing"));
	assert_true(has(r, "dnsbl", MC_CHK_CRITICAL, "bad.test is listed on dbl.test"));

	j = check_report_json(r);
	assert_string_equal(json_string_value(json_object_get(j, "check")), "bad");
	p = json_array_get(json_object_get(j, "problems"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "check")), "mx");
	assert_int_equal(json_integer_value(json_object_get(p, "severity")), 2);
	assert_non_null(json_object_get(p, "message"));
	assert_true(json_is_true(json_object_get(json_object_get(j, "mx"), "null_mx")));
	json_decref(j);
	check_report_free(r);
}

static void test_no_ips_and_many_specs(void **state)
{
	static const char *const none[] = {NULL};
	struct mc_check_spec specs[2] = {
		{.domain = "open.test", .dnsbl = none},
		{.domain = "good.test", .dnsbl = none},
	};
	struct mc_dns *dns = zfake_dns(fake, 300, 1);
	struct mc_check_report *r[2];
	struct mc_err err = {0};

	(void)state;
	assert_int_equal(check_run(dns, NULL, specs, 2, 0, r, &err), 0);
	/* Without IPs, SPF is judged for the documentation address. */
	assert_int_equal(r[0]->spf.n_ips, 0);
	assert_int_equal(r[0]->spf.result, MC_SPF_PASS);
	assert_true(has(r[0], "spf", MC_CHK_WARNING, "lets (nearly) anyone send"));
	assert_int_equal(r[0]->dnsbl->n, 0);
	assert_int_equal(r[0]->severity, MC_CHK_WARNING);
	assert_int_equal(r[1]->spf.result, MC_SPF_FAIL);
	assert_int_equal(r[1]->severity, MC_CHK_OK);
	assert_int_equal(r[0]->dns_queries, r[1]->dns_queries);
	check_report_free(r[0]);
	check_report_free(r[1]);
	dns_free(dns);
}

static void test_dns_trouble(void **state)
{
	static const char *const none[] = {NULL};
	struct mc_check_spec spec = {.domain = "slow.test", .dnsbl = none};
	struct mc_check_report *r = run1(&spec);

	(void)state;
	assert_int_equal(r->severity, MC_CHK_UNKNOWN);
	assert_int_equal(r->mx->status, MC_DNS_TIMEOUT);
	assert_int_equal(r->spf.result, MC_SPF_TEMPERROR);
	assert_true(has(r, "dmarc", MC_CHK_UNKNOWN, "cannot tell"));
	assert_true(has(r, "spf", MC_CHK_UNKNOWN, "temperror"));
	check_report_free(r);
}

static void test_bad_specs(void **state)
{
	const char *bad_ip[] = {"192.0.2.300"}, *bad_sel[] = {"a b"};
	const char *bad_list[] = {"x..y"};
	struct mc_check_spec specs[] = {
		{.domain = "bad..test"},
		{.domain = NULL},
		{.domain = "good.test", .ips = bad_ip, .n_ips = 1},
		{.domain = "good.test", .selectors = bad_sel, .n_selectors = 1},
		{.domain = "good.test", .dnsbl = bad_list, .n_dnsbl = 1},
		{.domain = "good.test", .n_ips = MC_CHECK_MAX_IPS + 1},
	};
	static const char *const msgs[] = {"not a domain name",
		"not a domain name", "not an IP address", "not a DKIM selector",
		"not a DNSBL zone", "at most"};
	struct mc_dns *dns = zfake_dns(fake, 300, 1);
	struct mc_check_report *r = NULL;
	struct mc_err err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		assert_int_equal(check_run(dns, NULL, &specs[i], 1, 0, &r, &err),
				 -1);
		assert_null(r);
		if (!strstr(err.msg, msgs[i]))
			fail_msg("spec %zu: %s", i, err.msg);
	}
	assert_int_equal(dns_pending(dns), 0);
	check_report_free(NULL);
	dns_free(dns);
}

static struct mc_dkim_key_report *key(struct mc_check_report *r,
				      const char *sel)
{
	for (size_t i = 0; i < r->n_dkim; i++)
		if (strcmp(r->dkim[i].selector, sel) == 0)
			return &r->dkim[i];
	fail_msg("no selector %s", sel);
	return NULL;
}

static int key_has(const struct mc_dkim_key_report *k, int sev,
		   const char *needle)
{
	for (size_t i = 0; i < k->problems.n; i++)
		if (k->problems.v[i].severity == sev &&
		    strstr(k->problems.v[i].message, needle))
			return 1;
	return 0;
}

static void test_dkim_keys(void **state)
{
	static const char *const none[] = {NULL};
	const char *sels[] = {"big", "small", "ed", "pkcs1", "junk", "notb64",
			      "odd", "two", "nop", "slow", "absent"};
	struct mc_check_spec spec = {.domain = "keys.test", .dnsbl = none,
				     .selectors = sels, .n_selectors = 11};
	struct mc_check_report *r = run1(&spec);
	struct mc_dkim_key_report *k;
	json_t *j;
	char *s;

	(void)state;
	k = key(r, "big");
	assert_int_equal(k->key_bits, 2048);
	assert_int_equal(k->problems.severity, MC_CHK_OK);
	j = check_dkim_key_json(k);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"selector\":\"big\",\"severity\":0,"
			    "\"key_type\":\"rsa\",\"key_bits\":2048,"
			    "\"testing\":false,\"revoked\":false,\"found\":true,"
			    "\"status\":\"ok\"}");
	free(s);
	json_decref(j);
	k = key(r, "small");
	assert_int_equal(k->key_bits, 512);
	assert_true(key_has(k, MC_CHK_CRITICAL, "512 bits"));
	k = key(r, "ed");
	assert_string_equal(k->key_type, "ed25519");
	assert_int_equal(k->key_bits, 256);
	assert_int_equal(k->problems.severity, MC_CHK_OK);
	k = key(r, "pkcs1");
	assert_int_equal(k->key_bits, 1024);
	assert_true(k->testing);
	assert_true(key_has(k, MC_CHK_WARNING, "testing mode"));
	assert_true(key_has(k, MC_CHK_WARNING, "use 2048 or more"));
	/* the record's problem as checks/dkim's key parser names it */
	k = key(r, "junk");
	assert_true(key_has(k, MC_CHK_CRITICAL, "junk._domainkey.keys.test: "));
	k = key(r, "notb64");
	assert_true(key_has(k, MC_CHK_CRITICAL, "notb64._domainkey.keys.test: "));
	k = key(r, "odd");
	assert_true(key_has(k, MC_CHK_CRITICAL, "odd._domainkey.keys.test: "));
	k = key(r, "two");
	assert_true(key_has(k, MC_CHK_WARNING, "2 key records"));
	k = key(r, "nop");
	assert_false(k->found);    /* no p=: not a key record */
	assert_true(key_has(k, MC_CHK_CRITICAL, "no DKIM key"));
	k = key(r, "slow");
	assert_int_equal(k->status, MC_DNS_TIMEOUT);
	assert_int_equal(k->problems.severity, MC_CHK_UNKNOWN);
	k = key(r, "absent");
	assert_int_equal(k->status, MC_DNS_NXDOMAIN);
	assert_false(k->found);
	j = check_dkim_key_json(k);
	assert_true(json_is_null(json_object_get(j, "key_type")));
	json_decref(j);
	check_report_free(r);
}

/* Relay IPs from the probes: which are asked (global ones, or all), which
 * are skipped and why, the cap, where each DNSBL entry came from in the
 * JSON, and findings that name the probe. */
static void test_probe_ips(void **state)
{
	const char *ips[] = {"192.0.2.10"};
	const char *lists[] = {"bl.test", "domain:dbl.test"};
	struct mc_check_probe_ip offered[10 + MC_CHECK_MAX_PROBE_IPS] = {
		{"127.0.0.2", "p1", "r1"},
		{"192.0.2.10", "p1", "r1"},
		{"::ffff:127.0.0.2", "p2", "r1"},
		{"not an ip\x01", "p3", "r2"},
		{"0.0.0.0", "p3", "r2"},
		{"::", "p3", "r2"},
		{"8.8.8.8", "p4", "r2"},
		{NULL, NULL, NULL},
	};
	char many[MC_CHECK_MAX_PROBE_IPS + 2][16];
	struct mc_check_spec spec = {.name = "g", .domain = "good.test",
				     .ips = ips, .n_ips = 1, .dnsbl = lists,
				     .n_dnsbl = 2, .probe_ips = offered,
				     .n_probe_ips = 8};
	struct mc_check_report *r;
	json_t *j, *e, *p;

	(void)state;
	/* The default: only global addresses. */
	r = run1(&spec);
	assert_int_equal(r->n_probe_ips, 8);
	assert_string_equal(r->probe_ips[0].skipped, "not a global address");
	assert_string_equal(r->probe_ips[1].skipped, "not a global address");
	assert_string_equal(r->probe_ips[2].ip, "127.0.0.2");
	assert_string_equal(r->probe_ips[3].skipped, "not an IP address");
	assert_string_equal(r->probe_ips[3].ip, "not an ip\\x01");
	assert_string_equal(r->probe_ips[4].skipped, "unspecified address");
	assert_string_equal(r->probe_ips[5].skipped, "unspecified address");
	assert_null(r->probe_ips[6].skipped);
	assert_string_equal(r->probe_ips[7].skipped, "not an IP address");
	assert_string_equal(r->probe_ips[7].probe_id, "");
	assert_int_equal(r->dnsbl->n, 3);       /* 192.0.2.10, 8.8.8.8, domain */
	assert_int_equal(r->severity, MC_CHK_OK);
	check_report_free(r);

	/* all: loopback is asked too, and found listed. */
	spec.probe_ips_all = 1;
	spec.n_probe_ips = 7;
	r = run1(&spec);
	assert_null(r->probe_ips[0].skipped);
	assert_string_equal(r->probe_ips[1].skipped, "configured");
	assert_string_equal(r->probe_ips[2].skipped, "seen already");
	assert_null(r->probe_ips[6].skipped);
	assert_int_equal(r->dnsbl->n, 4);
	assert_int_equal(r->dnsbl->n_listed, 1);
	assert_int_equal(r->severity, MC_CHK_CRITICAL);
	assert_true(has(r, "dnsbl", MC_CHK_CRITICAL,
			"127.0.0.2 (relay IP seen by probe p1 of route r1) is listed on bl.test (127.0.0.2): listed for testing"));
	j = check_report_json(r);
	e = json_object_get(j, "dnsbl");
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "source")), "config");
	assert_null(json_object_get(json_array_get(e, 0), "probe_id"));
	p = json_array_get(e, 1);
	assert_string_equal(json_string_value(json_object_get(p, "ip")), "127.0.0.2");
	assert_string_equal(json_string_value(json_object_get(p, "status")), "listed");
	assert_string_equal(json_string_value(json_object_get(p, "source")), "probe");
	assert_string_equal(json_string_value(json_object_get(p, "probe_id")), "p1");
	assert_string_equal(json_string_value(json_object_get(p, "route")), "r1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 2), "probe_id")), "p4");
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 3), "source")), "domain");
	e = json_object_get(j, "probe_ips");
	assert_int_equal(json_array_size(e), 7);
	p = json_array_get(e, 1);
	assert_string_equal(json_string_value(json_object_get(p, "ip")), "192.0.2.10");
	assert_true(json_is_false(json_object_get(p, "used")));
	assert_string_equal(json_string_value(json_object_get(p, "skipped")), "configured");
	p = json_array_get(e, 0);
	assert_true(json_is_true(json_object_get(p, "used")));
	assert_true(json_is_null(json_object_get(p, "skipped")));
	json_decref(j);
	check_report_free(r);

	/* The cap: MC_CHECK_MAX_PROBE_IPS used, the rest "too many". */
	for (size_t i = 0; i < MC_CHECK_MAX_PROBE_IPS + 2; i++) {
		snprintf(many[i], sizeof(many[i]), "9.9.9.%zu", i + 1);
		offered[7 + i] = (struct mc_check_probe_ip){many[i], "p5", "r3"};
	}
	spec.probe_ips_all = 0;
	spec.n_probe_ips = 7 + MC_CHECK_MAX_PROBE_IPS + 2;
	r = run1(&spec);
	assert_int_equal(r->dnsbl->n, 1 + MC_CHECK_MAX_PROBE_IPS + 1);
	assert_null(r->probe_ips[7 + MC_CHECK_MAX_PROBE_IPS - 2].skipped);
	assert_string_equal(r->probe_ips[7 + MC_CHECK_MAX_PROBE_IPS - 1].skipped, "too many");
	assert_string_equal(r->probe_ips[7 + MC_CHECK_MAX_PROBE_IPS + 1].skipped, "too many");
	check_report_free(r);
}

static void test_util(void **state)
{
	char out[16], *v;
	json_t *j;
	struct mc_findings f = {0};

	(void)state;
	assert_int_equal(check_severity_worse(MC_CHK_OK, MC_CHK_WARNING), MC_CHK_WARNING);
	assert_int_equal(check_severity_worse(MC_CHK_UNKNOWN, MC_CHK_WARNING), MC_CHK_UNKNOWN);
	assert_int_equal(check_severity_worse(MC_CHK_UNKNOWN, MC_CHK_CRITICAL), MC_CHK_CRITICAL);
	assert_int_equal(check_severity_worse(MC_CHK_CRITICAL, MC_CHK_UNKNOWN), MC_CHK_CRITICAL);
	assert_string_equal(check_severity_name(MC_CHK_CRITICAL), "CRITICAL");
	assert_string_equal(check_severity_name(7), "UNKNOWN");
	v = check_visible("a\x01\xff" "b");
	assert_string_equal(v, "a\\x01\\xffb");
	free(v);
	assert_null(check_visible(NULL));
	j = check_json_str("caf\xc3\xa9");
	assert_string_equal(json_string_value(j), "caf\\xc3\\xa9");
	json_decref(j);
	j = check_json_str(NULL);
	assert_true(json_is_null(j));
	assert_true(check_name_valid("a-b_c.example."));
	assert_false(check_name_valid("."));
	assert_false(check_name_valid("a..b"));
	assert_false(check_name_valid(".a"));
	assert_false(check_name_valid("a b"));
	assert_false(check_name_valid("caf\xc3\xa9"));
	assert_false(check_name_valid(NULL));
	memset(out, 0, sizeof(out));
	assert_false(check_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b"));
	assert_int_equal(check_name_normalize("ABC.Def.", out, sizeof(out)), 0);
	assert_string_equal(out, "abc.def");
	assert_int_equal(check_name_normalize("abcdefghijklmnopq", out, sizeof(out)), -1);
	findings_add(&f, MC_CHK_OK, "note %d", 1);
	assert_int_equal(f.severity, MC_CHK_OK);
	findings_add(&f, MC_CHK_UNKNOWN, "x");
	findings_add(&f, MC_CHK_WARNING, "y");
	assert_int_equal(f.severity, MC_CHK_UNKNOWN);
	assert_int_equal(f.n, 3);
	for (int i = 0; i < MC_CHK_MAX_FINDINGS + 5; i++)
		findings_add(&f, MC_CHK_CRITICAL, "many");
	assert_int_equal(f.n, MC_CHK_MAX_FINDINGS);
	assert_int_equal(f.severity, MC_CHK_CRITICAL);
	findings_clear(&f);
	assert_int_equal(f.n, 0);
	findings_clear(NULL);

	assert_true(check_address_in_domain("probe@src.test", "src.test"));
	assert_true(check_address_in_domain("probe@Mon.SRC.test.", "src.test."));
	assert_true(check_address_in_domain("src.test", "SRC.TEST"));
	assert_false(check_address_in_domain("probe@xsrc.test", "src.test"));
	assert_false(check_address_in_domain("probe@src.test.example", "src.test"));
	assert_false(check_address_in_domain("probe@test", "src.test"));
	assert_false(check_address_in_domain("probe@", "src.test"));
	assert_false(check_address_in_domain(NULL, "src.test"));
	assert_false(check_address_in_domain("a@src.test", NULL));
	assert_false(check_address_in_domain("a@src.test", ""));

	{
		static const char *const global[] = {"8.8.8.8", "192.0.3.1",
			"100.128.0.1", "172.32.0.1", "2a00:1450::1", "2002:c000:201::1",
			"::ffff:8.8.4.4"};
		static const char *const special[] = {"0.0.0.0", "10.1.2.3",
			"100.64.0.1", "127.0.0.2", "169.254.1.1", "172.16.5.5",
			"192.0.0.9", "192.0.2.10", "192.168.1.1", "198.19.0.1",
			"198.51.100.3", "203.0.113.3", "224.0.0.1", "255.255.255.255",
			"::", "::1", "::ffff:10.0.0.1", "64:ff9b:1::1", "100::1",
			"2001::1", "2001:db8::1", "fd00::1", "fe80::1", "ff02::1"};
		struct mc_ipaddr a;

		for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
			assert_int_equal(ipaddr_parse(global[i], strlen(global[i]), &a), 0);
			if (!ipaddr_is_global(&a))
				fail_msg("%s should be global", global[i]);
			assert_false(ipaddr_is_unspecified(&a));
		}
		for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
			assert_int_equal(ipaddr_parse(special[i], strlen(special[i]), &a), 0);
			if (ipaddr_is_global(&a))
				fail_msg("%s should not be global", special[i]);
		}
		assert_int_equal(ipaddr_parse("::", 2, &a), 0);
		assert_true(ipaddr_is_unspecified(&a));
		assert_int_equal(ipaddr_parse("0.0.0.0", 7, &a), 0);
		assert_true(ipaddr_is_unspecified(&a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_domain),
		cmocka_unit_test(test_bad_domain),
		cmocka_unit_test(test_no_ips_and_many_specs),
		cmocka_unit_test(test_dns_trouble),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_dkim_keys),
		cmocka_unit_test(test_probe_ips),
		cmocka_unit_test(test_util),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
