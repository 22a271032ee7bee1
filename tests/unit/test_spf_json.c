/* checks/spf_json: the outcome object byte for byte as jansson's compact
 * dump of the same document (what `spf --json` printed before it was
 * written directly), for plain and hostile strings (quotes, backslashes,
 * control and non-ASCII bytes), NULL fields, every explanation source,
 * a truncated trace; the failed-question object; and the buffer limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checkutil.h"
#include "checks/spf_json.h"

/* The reference: the document built with jansson, as cmd_spf did. */
static char *reference(const struct mc_spf_outcome *o, const char *ip,
		       const char *mailfrom, const char *helo)
{
	json_t *doc = json_object(), *trace = json_array();
	char *s;

	for (size_t i = 0; i < o->n_trace; i++)
		json_array_append_new(trace,
			json_pack("{s:i,s:o,s:o}", "depth", o->trace[i].depth,
				  "domain", check_json_str(o->trace[i].domain),
				  "text", check_json_str(o->trace[i].text)));
	json_object_set_new(doc, "result",
			    json_string(spf_result_name(o->result)));
	json_object_set_new(doc, "explanation", check_json_str(o->explanation));
	json_object_set_new(doc, "explanation_source",
			    json_string(o->result != MC_SPF_FAIL ? "" :
					o->explanation_default ? "default" :
					"exp"));
	json_object_set_new(doc, "dns_lookups", json_integer(o->dns_lookups));
	json_object_set_new(doc, "void_lookups",
			    json_integer(o->void_lookups));
	json_object_set_new(doc, "trace", trace);
	json_object_set_new(doc, "trace_truncated",
			    json_boolean(o->trace_truncated));
	json_object_set_new(doc, "ip", check_json_str(ip));
	json_object_set_new(doc, "mailfrom", check_json_str(mailfrom));
	json_object_set_new(doc, "helo", check_json_str(helo));
	json_object_set_new(doc, "identity", check_json_str(o->identity));
	json_object_set_new(doc, "domain", check_json_str(o->domain));
	json_object_set_new(doc, "record", check_json_str(o->record));
	json_object_set_new(doc, "problem", check_json_str(o->problem));
	s = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(doc);
	return s;
}

static void expect_same(const struct mc_spf_outcome *o, const char *ip,
			const char *mailfrom, const char *helo)
{
	struct mc_buf b = {0};
	char *want = reference(o, ip, mailfrom, helo);

	assert_non_null(want);
	assert_int_equal(spf_json_outcome(&b, o, ip, mailfrom, helo), 0);
	assert_string_equal(b.data, want);
	assert_int_equal(b.len, strlen(want));
	/* and it is JSON */
	json_t *back = json_loads(b.data, 0, NULL);
	assert_non_null(back);
	json_decref(back);
	free(want);
	mc_buf_free(&b);
}

static void test_plain(void **state)
{
	struct mc_spf_trace tr[] = {
		{0, "example.com", "check_host(192.0.2.1, example.com, a@example.com)"},
		{1, "_spf.example.com", "include: pass"},
	};
	struct mc_spf_outcome o = {
		.result = MC_SPF_PASS, .identity = "mailfrom",
		.domain = "example.com", .record = "v=spf1 include:_spf.example.com -all",
		.explanation = "", .problem = "", .dns_lookups = 1,
		.trace = tr, .n_trace = 2,
	};

	(void)state;
	expect_same(&o, "192.0.2.1", "a@example.com", "mail.example.com");
	o.n_trace = 0;          /* an empty trace: [] */
	expect_same(&o, "192.0.2.1", "a@example.com", NULL);
}

static void test_hostile_strings(void **state)
{
	static const char nasty[] = "q\"b\\s/\x01\x1f\t\n\x7f\xc3\xa9\xff end";
	struct mc_spf_trace tr[] = {{3, (char *)nasty, (char *)nasty}};
	struct mc_spf_outcome o = {
		.result = MC_SPF_FAIL, .identity = "helo", .domain = (char *)nasty,
		.record = (char *)nasty, .explanation = (char *)nasty,
		.problem = (char *)nasty, .dns_lookups = 10, .void_lookups = 2,
		.trace = tr, .n_trace = 1,
	};

	(void)state;
	expect_same(&o, nasty, nasty, nasty);
	o.explanation_default = 1;
	expect_same(&o, "", "", "");
}

static void test_null_fields_and_results(void **state)
{
	struct mc_spf_outcome o = {
		.identity = "mailfrom", .explanation = "", .problem = "no record",
		.trace_truncated = 1,
	};

	(void)state;
	for (int r = MC_SPF_NONE; r <= MC_SPF_PERMERROR; r++) {
		o.result = (enum mc_spf_result)r;
		expect_same(&o, NULL, NULL, NULL);
	}
}

static void test_failed(void **state)
{
	struct mc_buf b = {0};
	json_t *doc;

	(void)state;
	assert_int_equal(spf_json_failed(&b, "1.2.3.4", "", "h\"x",
					 "bad \\ input\x01"), 0);
	assert_string_equal(b.data, "{\"result\":\"temperror\",\"ip\":\"1.2.3.4\","
			    "\"mailfrom\":\"\",\"helo\":\"h\\\"x\","
			    "\"problem\":\"bad \\\\ input\\\\x01\"}");
	doc = json_loads(b.data, 0, NULL);
	assert_non_null(doc);
	json_decref(doc);
	mc_buf_free(&b);
}

static void test_limit(void **state)
{
	struct mc_spf_trace tr[] = {{0, "example.com", "a long enough line of trace"}};
	struct mc_spf_outcome o = {
		.result = MC_SPF_NONE, .identity = "mailfrom", .explanation = "",
		.problem = "", .trace = tr, .n_trace = 1,
	};
	struct mc_buf b = {.limit = 64};

	(void)state;
	assert_int_equal(spf_json_outcome(&b, &o, "1.2.3.4", "a@b", NULL), -1);
	assert_true(b.len <= 64);
	mc_buf_free(&b);
	b.limit = 40;
	assert_int_equal(spf_json_failed(&b, "1.2.3.4", "a@example.com",
					 "mail.example.com", "why"), -1);
	mc_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_null_fields_and_results),
		cmocka_unit_test(test_failed),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests_name("spf_json", tests, NULL, NULL);
}
