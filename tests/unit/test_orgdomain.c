/* checks/orgdomain: organisational domains from a Public Suffix List via
 * libpsl: plain rules, wildcards, exceptions, the implicit "*" rule,
 * names that are suffixes, case and final dots, bad names, loading
 * errors, and Debian's list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "checks/orgdomain.h"

static void test_rules(void **state)
{
	static const char list[] =
		"// ===BEGIN ICANN DOMAINS===\n"
		"com\nuk\nco.uk\n"
		"*.ck\n!www.ck\n"
		"jp\n*.kawasaki.jp\n!city.kawasaki.jp\n"
		"// ===END ICANN DOMAINS===\n"
		"// ===BEGIN PRIVATE DOMAINS===\n"
		"blogspot.com\n"
		"// ===END PRIVATE DOMAINS===\n";
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"example.com", "example.com"},
		{"a.b.example.com", "example.com"},
		{"WWW.Example.COM.", "example.com"},
		{"a.example.co.uk", "example.co.uk"},
		{"co.uk", "co.uk"},             /* a suffix is its own */
		{"com", "com"},
		{"a.b.ck", "a.b.ck"},           /* *.ck: b.ck is a suffix */
		{"x.www.ck", "www.ck"},         /* !www.ck */
		{"a.b.kawasaki.jp", "a.b.kawasaki.jp"},
		{"a.city.kawasaki.jp", "city.kawasaki.jp"},
		{"me.blogspot.com", "me.blogspot.com"},   /* private section */
		{"a.b.unlisted", "b.unlisted"}, /* the implicit "*" rule */
	};
	struct mc_err err = {0};
	struct mc_psl *psl = orgdomain_load_text(list, strlen(list), &err);
	char out[300];

	(void)state;
	assert_non_null(psl);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(orgdomain_get(psl, cases[i].in, out,
					       sizeof(out)), 0);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, out,
				 cases[i].want);
	}
	assert_true(orgdomain_is_suffix(psl, "co.uk"));
	assert_true(orgdomain_is_suffix(psl, "anything.ck"));
	assert_false(orgdomain_is_suffix(psl, "www.ck"));
	assert_false(orgdomain_is_suffix(psl, "bad..name"));
	assert_int_equal(orgdomain_get(psl, "bad..name", out, sizeof(out)), -1);
	assert_int_equal(orgdomain_get(psl, "", out, sizeof(out)), -1);
	assert_int_equal(orgdomain_get(psl, "caf\xc3\xa9.com", out, sizeof(out)), -1);
	assert_int_equal(orgdomain_get(psl, "example.com", out, 5), -1);
	orgdomain_free(psl);
	orgdomain_free(NULL);
}

static void test_loading(void **state)
{
	struct mc_err err = {0};
	const struct mc_psl *def;
	struct mc_psl *psl;
	char out[300];

	(void)state;
	assert_null(orgdomain_load("/nonexistent/psl.dat", &err));
	assert_int_equal(err.component, MC_COMP_DMARC);
	assert_non_null(strstr(err.msg, "/nonexistent/psl.dat"));
	/* An empty list still has the implicit rule. */
	psl = orgdomain_load_text("", 0, &err);
	assert_non_null(psl);
	assert_int_equal(orgdomain_get(psl, "a.b.c", out, sizeof(out)), 0);
	assert_string_equal(out, "b.c");
	orgdomain_free(psl);
	/* Debian's list, as installed by the publicsuffix package. */
	psl = orgdomain_load(NULL, &err);
	if (!psl)
		fail_msg("%s", err.msg);
	assert_int_equal(orgdomain_get(psl, "mail.example.co.uk", out,
				       sizeof(out)), 0);
	assert_string_equal(out, "example.co.uk");
	orgdomain_free(psl);
	def = orgdomain_default(&err);
	assert_non_null(def);
	assert_ptr_equal(def, orgdomain_default(&err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_loading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
