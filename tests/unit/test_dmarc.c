/* checks/dmarc: the record parser (every tag, every named error, the
 * p=none rescue by rua), discovery against a table-driven fake (the
 * domain's record, the organisational-domain fallback, several records,
 * other TXT ignored, timeouts and SERVFAIL as UNKNOWN), the JSON shape,
 * the alignment table and the verdict. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "checks/dmarc.h"
#include "dns_zone_fake.h"

static struct mc_dmarc_record *parse(const char *s)
{
	struct mc_dmarc_record *r = dmarc_record_parse(s, strlen(s));

	assert_non_null(r);
	return r;
}

static int has_error(const struct mc_dmarc_record *r, int sev,
		     const char *needle)
{
	for (size_t i = 0; i < r->errors.n; i++)
		if ((sev < 0 || r->errors.v[i].severity == sev) &&
		    strstr(r->errors.v[i].message, needle))
			return 1;
	return 0;
}

static void test_parse_full(void **state)
{
	struct mc_dmarc_record *r = parse(
		"v=DMARC1; p=quarantine; sp=reject; np=reject; pct=50; "
		"adkim=s; aspf=s; rua=mailto:agg@example.net!10m, "
		"mailto:agg2@example.org; ruf=mailto:f@example.net; "
		"fo=1:d:s; rf=afrf; ri=3600; psd=n; t=n;");

	(void)state;
	assert_int_equal(r->valid, 1);
	assert_int_equal(r->p, MC_DMARC_P_QUARANTINE);
	assert_int_equal(r->sp, MC_DMARC_P_REJECT);
	assert_int_equal(r->np, MC_DMARC_P_REJECT);
	assert_int_equal(r->pct, 50);
	assert_int_equal(r->adkim, 's');
	assert_int_equal(r->aspf, 's');
	assert_int_equal(r->n_rua, 2);
	assert_string_equal(r->rua[0], "mailto:agg@example.net!10m");
	assert_string_equal(r->rua[1], "mailto:agg2@example.org");
	assert_int_equal(r->n_ruf, 1);
	assert_string_equal(r->fo, "1:d:s");
	assert_string_equal(r->rf, "afrf");
	assert_int_equal(r->ri, 3600);
	assert_int_equal(r->errors.n, 0);
	dmarc_record_free(r);

	/* Defaults; tag names and keywords in any case; spaces around. */
	r = parse("  v = DMARC1 ;P = REJECT");
	assert_int_equal(r->valid, 1);
	assert_int_equal(r->p, MC_DMARC_P_REJECT);
	assert_int_equal(r->sp, MC_DMARC_P_UNSET);
	assert_int_equal(r->pct, 100);
	assert_int_equal(r->adkim, 'r');
	assert_int_equal(r->aspf, 'r');
	assert_string_equal(r->fo, "0");
	assert_int_equal(r->ri, 86400);
	assert_int_equal(r->errors.n, 0);
	dmarc_record_free(r);
}

/* Each malformed tag is named; the policy survives where RFC 7489 says
 * it does. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *rec;
		int valid;
		int sev;
		const char *msg;
	} cases[] = {
		{"p=reject; v=DMARC1", 0, MC_CHK_CRITICAL, "v: the record must start with v=DMARC1"},
		{"v=dmarc1; p=reject", 0, MC_CHK_CRITICAL, "v: 'dmarc1' is not DMARC1"},
		{"v=DMARC1", 0, MC_CHK_CRITICAL, "p: missing (required)"},
		{"v=DMARC1; p=block", 0, MC_CHK_CRITICAL, "p: 'block' is not none, quarantine or reject"},
		{"v=DMARC1; p=reject; sp=maybe", 0, MC_CHK_CRITICAL, "sp: 'maybe' is not none"},
		{"v=DMARC1; p=reject; np=x", 1, MC_CHK_CRITICAL, "np: 'x' is not none"},
		{"v=DMARC1; p=reject; pct=101", 1, MC_CHK_WARNING, "pct: '101' is not a whole number 0..100"},
		{"v=DMARC1; p=reject; pct=-1", 1, MC_CHK_WARNING, "pct: '-1'"},
		{"v=DMARC1; p=reject; adkim=x", 1, MC_CHK_WARNING, "adkim: 'x' is not r or s"},
		{"v=DMARC1; p=reject; aspf=relaxed", 1, MC_CHK_WARNING, "aspf: 'relaxed' is not r or s"},
		{"v=DMARC1; p=reject; rua=agg@example.net", 1, MC_CHK_WARNING, "rua: 'agg@example.net': not a URI"},
		{"v=DMARC1; p=reject; rua=mailto:", 1, MC_CHK_WARNING, "rua: 'mailto:': mailto: URI without a full address"},
		{"v=DMARC1; p=reject; rua=mailto:a@b!x", 1, MC_CHK_WARNING, "rua: 'mailto:a@b!x' has a bad size limit"},
		{"v=DMARC1; p=reject; ruf=", 1, MC_CHK_WARNING, "ruf: empty"},
		{"v=DMARC1; p=reject; ruf=mailto:a@b, ,mailto:c@d", 1, MC_CHK_WARNING, "ruf: '': empty URI"},
		{"v=DMARC1; p=reject; fo=2", 1, MC_CHK_WARNING, "fo: '2' is not 0, 1, d or s"},
		{"v=DMARC1; p=reject; rf=iodef", 1, MC_CHK_WARNING, "rf: 'iodef' is not a known report format"},
		{"v=DMARC1; p=reject; ri=soon", 1, MC_CHK_WARNING, "ri: 'soon' is not a whole number"},
		{"v=DMARC1; p=reject; ri=99999999999", 1, MC_CHK_WARNING, "ri: '99999999999'"},
		{"v=DMARC1; p=reject; psd=x", 1, MC_CHK_WARNING, "psd: 'x' is not y, n or u"},
		{"v=DMARC1; p=reject; t=x", 1, MC_CHK_WARNING, "t: 'x' is not y or n"},
		{"v=DMARC1; p=reject; foo=bar", 1, MC_CHK_WARNING, "unknown tag 'foo' (ignored)"},
		{"v=DMARC1; p=reject; p=none", 1, MC_CHK_WARNING, "p: given twice"},
		{"v=DMARC1; p=reject; v=DMARC1", 1, MC_CHK_WARNING, "v: given twice"},
		{"v=DMARC1; p=reject; junk", 1, MC_CHK_WARNING, "'junk' is not a tag=value pair"},
		{"v=DMARC1; p=reject; =x", 1, MC_CHK_WARNING, "'=x' has no tag name"},
		{"", 0, MC_CHK_CRITICAL, "empty record"},
		{"junk", 0, MC_CHK_CRITICAL, "'junk' is not a tag=value pair"},
		{"v=DMARC1; p=reject; rua=mailto:a@b\x01", 1, MC_CHK_WARNING, "\\x01"},
		/* §6.6.3: no valid p, but a valid rua: acts as p=none. */
		{"v=DMARC1; p=bogus; rua=mailto:a@example.net", 1, MC_CHK_CRITICAL, "receivers act as if p=none"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mc_dmarc_record *r = parse(cases[i].rec);

		if (r->valid != cases[i].valid ||
		    !has_error(r, cases[i].sev, cases[i].msg)) {
			fail_msg("case %zu '%s': valid %d, errors: %s", i,
				 cases[i].rec, r->valid,
				 r->errors.n ? r->errors.v[0].message : "none");
		}
		if (!r->valid)
			assert_int_equal(r->p, MC_DMARC_P_UNSET);
		dmarc_record_free(r);
	}
}

static void test_parse_limits_and_detection(void **state)
{
	char *big = malloc(MC_DMARC_MAX_RECORD + 2);
	struct mc_dmarc_record *r;
	char many[2048] = "v=DMARC1; p=none; rua=";

	(void)state;
	memset(big, 'a', MC_DMARC_MAX_RECORD + 1);
	memcpy(big, "v=DMARC1; p=none;", 17);
	r = dmarc_record_parse(big, MC_DMARC_MAX_RECORD + 1);
	assert_int_equal(r->valid, 0);
	assert_true(has_error(r, MC_CHK_CRITICAL, "longer than"));
	dmarc_record_free(r);
	free(big);

	for (int i = 0; i < 20; i++)
		strcat(many, i ? ",mailto:a@b.c" : "mailto:a@b.c");
	r = parse(many);
	assert_int_equal(r->n_rua, MC_DMARC_MAX_URIS);
	assert_true(has_error(r, MC_CHK_WARNING, "more than 16 URIs"));
	dmarc_record_free(r);

	/* Embedded NUL: the record is bytes, not a C string. */
	r = dmarc_record_parse("v=DMARC1; p=reject\0; x", 22);
	assert_int_equal(r->valid, 0);
	assert_true(has_error(r, -1, "p: 'reject\\x00' is not"));
	dmarc_record_free(r);

	assert_true(dmarc_record_is_dmarc("v=DMARC1", 8));
	assert_true(dmarc_record_is_dmarc(" v = dmarc1 ;p=none", 19));
	assert_false(dmarc_record_is_dmarc("v=DMARC10", 9));
	assert_false(dmarc_record_is_dmarc("v=spf1 -all", 11));
	assert_false(dmarc_record_is_dmarc("", 0));
	assert_false(dmarc_record_is_dmarc("v", 1));
	assert_string_equal(dmarc_policy_name(MC_DMARC_P_QUARANTINE), "quarantine");
	assert_string_equal(dmarc_policy_name(MC_DMARC_P_UNSET), "");
}

static const struct zrec zone[] = {
	{"_dmarc.example.test", ZT_TXT, "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.test"},
	{"_dmarc.example.test", ZT_TXT, "some other text"},
	{"_dmarc.two.test", ZT_TXT, "v=DMARC1; p=none"},
	{"_dmarc.two.test", ZT_TXT, "v=DMARC1; p=reject"},
	{"_dmarc.bad.test", ZT_TXT, "v=DMARC1; p=nonsense"},
	{"_dmarc.sub.own.test", ZT_TXT, "v=DMARC1; p=none"},
	{"_dmarc.own.test", ZT_TXT, "v=DMARC1; p=reject"},
	{"_dmarc.slow.test", ZT_DROP, ""},
	{"_dmarc.sub.slow2.test", ZT_DROP, ""},
	{"_dmarc.fail.test", ZT_SERVFAIL, ""},
	{"_dmarc.co.example", ZT_TXT, "v=DMARC1; p=reject"},
	{NULL, 0, NULL},
};

static struct zfake *fake;
static struct mc_psl *psl;

static int setup(void **state)
{
	/* A small list with the rule kinds that matter: plain, wildcard,
	 * exception. */
	static const char list[] =
		"// test list\ntest\nexample\nco.example\n*.wild.example\n"
		"!keep.wild.example\n";
	struct mc_err err = {0};

	(void)state;
	fake = zfake_start(zone);
	psl = orgdomain_load_text(list, strlen(list), &err);
	return psl ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	zfake_stop(fake);
	orgdomain_free(psl);
	return 0;
}

static struct mc_dmarc_result *lookup(const char *domain)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};
	struct mc_dmarc_result *r = dmarc_lookup(dns, psl, domain, 0, &err);

	if (!r)
		fail_msg("dmarc_lookup(%s): %s", domain, err.msg);
	dns_free(dns);
	return r;
}

static void test_discovery(void **state)
{
	struct mc_dmarc_result *r = lookup("Example.Test");
	json_t *j;
	char *s;

	(void)state;
	assert_string_equal(r->domain, "example.test");
	assert_string_equal(r->record_domain, "example.test");
	assert_int_equal(r->policy, MC_DMARC_P_REJECT);
	assert_int_equal(r->subdomain_policy, MC_DMARC_P_QUARANTINE);
	assert_int_equal(r->problems.severity, MC_CHK_OK);
	j = dmarc_result_json(r);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
		"{\"domain\":\"example.test\",\"record_domain\":\"example.test\","
		"\"record\":\"v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.test\","
		"\"policy\":\"reject\",\"subdomain_policy\":\"quarantine\",\"pct\":100,"
		"\"adkim\":\"r\",\"aspf\":\"r\",\"rua\":[\"mailto:d@example.test\"],"
		"\"ruf\":[],\"errors\":[],\"severity\":0}");
	free(s);
	json_decref(j);
	dmarc_result_free(r);

	/* A subdomain without a record: the org domain's, sp applies. */
	r = lookup("a.b.example.test");
	assert_string_equal(r->org_domain, "example.test");
	assert_string_equal(r->record_domain, "example.test");
	assert_int_equal(r->subdomain_policy, MC_DMARC_P_QUARANTINE);
	dmarc_result_free(r);

	/* A subdomain with its own record: that one, not the org's. */
	r = lookup("sub.own.test");
	assert_string_equal(r->record_domain, "sub.own.test");
	assert_int_equal(r->policy, MC_DMARC_P_NONE);
	dmarc_result_free(r);

	/* The PSL decides the org domain: co.example is a suffix. */
	r = lookup("x.y.co.example");
	assert_string_equal(r->org_domain, "y.co.example");
	assert_null(r->record_domain);
	dmarc_result_free(r);
}

static void test_discovery_problems(void **state)
{
	struct mc_dmarc_result *r = lookup("none.test");
	json_t *j;
	char *s;

	(void)state;
	assert_null(r->record);
	assert_int_equal(r->status, MC_DNS_NXDOMAIN);
	assert_int_equal(r->problems.severity, MC_CHK_WARNING);
	j = dmarc_result_json(r);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
		"{\"domain\":\"none.test\",\"record_domain\":null,\"record\":null,"
		"\"policy\":null,\"subdomain_policy\":null,\"pct\":null,\"adkim\":null,"
		"\"aspf\":null,\"rua\":[],\"ruf\":[],"
		"\"errors\":[\"no DMARC record at _dmarc.none.test\"],\"severity\":1}");
	free(s);
	json_decref(j);
	dmarc_result_free(r);

	r = lookup("x.none.test");
	assert_non_null(strstr(r->problems.v[0].message,
			       "no DMARC record at _dmarc.x.none.test nor at _dmarc.none.test"));
	dmarc_result_free(r);

	r = lookup("two.test");
	assert_null(r->rec);
	assert_int_equal(r->problems.severity, MC_CHK_CRITICAL);
	assert_non_null(strstr(r->problems.v[0].message, "has 2 DMARC records"));
	dmarc_result_free(r);

	r = lookup("bad.test");
	assert_non_null(r->record);
	assert_int_equal(r->policy, MC_DMARC_P_UNSET);
	assert_int_equal(r->problems.severity, MC_CHK_CRITICAL);
	dmarc_result_free(r);

	r = lookup("slow.test");
	assert_int_equal(r->status, MC_DNS_TIMEOUT);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	assert_non_null(strstr(r->problems.v[0].message, "cannot tell"));
	dmarc_result_free(r);

	/* A timeout for the domain's own name is not papered over by the
	 * org domain's answer. */
	r = lookup("sub.slow2.test");
	assert_int_equal(r->status, MC_DNS_TIMEOUT);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	dmarc_result_free(r);

	r = lookup("fail.test");
	assert_int_equal(r->status, MC_DNS_SERVFAIL);
	assert_int_equal(r->problems.severity, MC_CHK_UNKNOWN);
	dmarc_result_free(r);
}

static void test_bad_domain(void **state)
{
	struct mc_dns *dns = zfake_dns(fake, 200, 1);
	struct mc_err err = {0};
	char longname[300];

	(void)state;
	assert_null(dmarc_lookup(dns, psl, "bad..test", 0, &err));
	assert_int_equal(err.component, MC_COMP_DMARC);
	assert_null(dmarc_lookup(dns, psl, "", 0, &err));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_null(dmarc_lookup(dns, psl, longname, 0, &err));
	assert_null(dmarc_lookup_finish(NULL));
	dmarc_result_free(NULL);
	dns_free(dns);
}

static void test_alignment(void **state)
{
	static const struct {
		const char *from, *auth;
		char mode;
		int want;
	} cases[] = {
		{"example.test", "example.test", 's', 1},
		{"Example.Test.", "example.test", 's', 1},
		{"example.test", "mail.example.test", 's', 0},
		{"example.test", "mail.example.test", 'r', 1},
		{"a.example.test", "b.example.test", 'r', 1},
		{"a.example.test", "b.example.test", 's', 0},
		{"example.test", "example2.test", 'r', 0},
		{"a.co.example", "b.co.example", 'r', 0},     /* suffix */
		{"x.a.co.example", "a.co.example", 'r', 1},
		{"a.b.wild.example", "c.b.wild.example", 'r', 0}, /* *.wild */
		{"x.a.b.wild.example", "a.b.wild.example", 'r', 1},
		{"a.keep.wild.example", "keep.wild.example", 'r', 1}, /* ! */
		{"example.test", "", 'r', 0},
		{"", "", 'r', 0},
		{"example.test", NULL, 'r', 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = dmarc_aligned_psl(psl, cases[i].from, cases[i].auth,
					    cases[i].mode);

		if (got != cases[i].want)
			fail_msg("case %zu: %s vs %s (%c): %d", i,
				 cases[i].from, cases[i].auth ? cases[i].auth : "(null)",
				 cases[i].mode, got);
	}
	/* The default list (Debian's publicsuffix). */
	assert_true(dmarc_aligned("example.co.uk", "mail.example.co.uk", 'r'));
	assert_false(dmarc_aligned("a.co.uk", "b.co.uk", 'r'));
	assert_false(dmarc_aligned("example.co.uk", "mail.example.co.uk", 's'));
}

static void test_verdict(void **state)
{
	struct mc_dmarc_result *r = lookup("example.test");
	struct mc_dmarc_judgement j;
	const char *dk[] = {"other.test", "mail.example.test"};

	(void)state;
	assert_int_equal(dmarc_verdict(r, MC_SPF_PASS, "bounce.example.test",
				       NULL, 0, &j), MC_DMARC_PASS);
	assert_true(j.spf_aligned);
	assert_false(j.dkim_aligned);
	assert_int_equal(dmarc_verdict(r, MC_SPF_FAIL, "example.test", dk, 2,
				       &j), MC_DMARC_PASS);
	assert_true(j.dkim_aligned);
	assert_int_equal(dmarc_verdict(r, MC_SPF_SOFTFAIL, "example.test",
				       dk, 1, &j), MC_DMARC_FAIL);
	assert_int_equal(j.disposition, MC_DMARC_P_REJECT);
	assert_int_equal(dmarc_verdict(r, MC_SPF_PASS, "elsewhere.test", NULL,
				       0, NULL), MC_DMARC_FAIL);
	dmarc_result_free(r);

	/* Strict alignment refuses the subdomain. */
	r = lookup("x.example.test");   /* org record: sp=quarantine */
	assert_int_equal(dmarc_verdict(r, MC_SPF_FAIL, NULL, NULL, 0, &j),
			 MC_DMARC_FAIL);
	assert_int_equal(j.disposition, MC_DMARC_P_QUARANTINE);
	dmarc_result_free(r);

	r = lookup("none.test");
	assert_int_equal(dmarc_verdict(r, MC_SPF_PASS, "none.test", NULL, 0,
				       &j), MC_DMARC_NONE);
	dmarc_result_free(r);
	r = lookup("slow.test");
	assert_int_equal(dmarc_verdict(r, MC_SPF_PASS, "slow.test", NULL, 0,
				       &j), MC_DMARC_TEMPERROR);
	dmarc_result_free(r);
	assert_int_equal(dmarc_verdict(NULL, MC_SPF_PASS, "x", NULL, 0, NULL),
			 MC_DMARC_TEMPERROR);
	assert_string_equal(dmarc_verdict_name(MC_DMARC_PASS), "pass");
	assert_string_equal(dmarc_verdict_name(MC_DMARC_TEMPERROR), "temperror");

	{
		struct mc_dmarc_record *rec = parse("v=DMARC1; p=reject; adkim=s; aspf=s");
		struct mc_dmarc_result fake_r = {.domain = "example.test",
						 .record_domain = "example.test",
						 .rec = rec,
						 .status = MC_DNS_OK,
						 .policy = MC_DMARC_P_REJECT};
		const char *sub[] = {"mail.example.test"};

		assert_int_equal(dmarc_verdict(&fake_r, MC_SPF_PASS,
					       "mail.example.test", sub, 1, &j),
				 MC_DMARC_FAIL);
		assert_int_equal(dmarc_verdict(&fake_r, MC_SPF_PASS,
					       "EXAMPLE.test", NULL, 0, &j),
				 MC_DMARC_PASS);
		dmarc_record_free(rec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits_and_detection),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_discovery_problems),
		cmocka_unit_test(test_bad_domain),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_verdict),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
