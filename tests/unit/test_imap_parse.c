/* receiver/imap_parse: framing, untagged/tagged responses, FETCH items,
 * SEARCH lists, INTERNALDATE, quoting, and the limits; the pieces of
 * opening a session (capability lists, LOGIN, AUTHENTICATE PLAIN). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/imap_parse.h"
#include "receiver/watch.h"

static struct imap_resp parse_ok(const char *s)
{
	struct imap_resp r;
	long len = imap_resp_frame(s, strlen(s));

	assert_int_equal(len, (long)strlen(s));
	assert_int_equal(imap_resp_parse(s, (size_t)len, &r), 0);
	return r;
}

static void test_frame(void **state)
{
	const char *two = "* 3 EXISTS\r\n* 1 RECENT\r\n";
	const char *lit = "* 1 FETCH (BODY[HEADER] {5}\r\nab\r\nc)\r\n";
	char *big;

	(void)state;
	assert_int_equal(imap_resp_frame(two, strlen(two)), 12);
	assert_int_equal(imap_resp_frame("* 3 EXI", 7), 0);
	assert_int_equal(imap_resp_frame(lit, strlen(lit)), (long)strlen(lit));
	/* A literal not yet complete. */
	assert_int_equal(imap_resp_frame(lit, 30), 0);
	/* A line longer than the limit without a newline. */
	big = malloc(IMAP_MAX_LINE + 10);
	memset(big, 'a', IMAP_MAX_LINE + 10);
	assert_int_equal(imap_resp_frame(big, IMAP_MAX_LINE + 10), -1);
	free(big);
	/* A literal larger than the limit. */
	assert_int_equal(imap_resp_frame("* 1 FETCH (BODY[HEADER] {99999999}\r\n", 36), -1);
	/* LF-only lines are accepted. */
	assert_int_equal(imap_resp_frame("* OK hi\n", 8), 8);
}

static void test_tagged_and_untagged(void **state)
{
	struct imap_resp r;

	(void)state;
	r = parse_ok("mc7 OK [READ-WRITE] SELECT completed\r\n");
	assert_int_equal(r.type, IMAP_RESP_TAGGED);
	assert_string_equal(r.tag, "mc7");
	assert_int_equal(r.status, IMAP_ST_OK);
	assert_int_equal(r.text_len, strlen("[READ-WRITE] SELECT completed"));
	r = parse_ok("mc8 NO [TRYCREATE] no such folder\r\n");
	assert_int_equal(r.status, IMAP_ST_NO);
	r = parse_ok("* 42 EXISTS\r\n");
	assert_int_equal(r.type, IMAP_RESP_UNTAGGED);
	assert_int_equal(r.number, 42);
	assert_string_equal(r.keyword, "EXISTS");
	r = parse_ok("* 4 expunge\r\n");
	assert_string_equal(r.keyword, "EXPUNGE");
	r = parse_ok("* BYE Server shutting down\r\n");
	assert_int_equal(r.status, IMAP_ST_BYE);
	r = parse_ok("+ idling\r\n");
	assert_int_equal(r.type, IMAP_RESP_CONTINUE);
	r = parse_ok("* CAPABILITY IMAP4rev1 IDLE UIDPLUS\r\n");
	assert_string_equal(r.keyword, "CAPABILITY");
	assert_true(imap_has_capability(r.text, r.text_len, "idle"));
	assert_true(imap_has_capability(r.text, r.text_len, "UIDPLUS"));
	assert_false(imap_has_capability(r.text, r.text_len, "IDL"));
	assert_int_equal(imap_resp_parse("mc1\r\n", 5, &r), -1);
	assert_int_equal(imap_resp_parse("mc1 FROB x\r\n", 12, &r), -1);
	assert_int_equal(imap_resp_parse("* 99999999999 EXISTS\r\n", 22, &r), -1);
	assert_int_equal(imap_resp_parse("", 0, &r), -1);
}

static void test_fetch(void **state)
{
	const char *s = "* 12 FETCH (FLAGS (\\Seen (x)) UID 34 INTERNALDATE \" 4-Nov-2026 11:21:03 +0100\" "
			"RFC822.SIZE 99 BODY[HEADER] {39}\r\nX-Mailcanary-Probe: abc\r\nSubject: x\r\n\r\n)\r\n";
	struct imap_resp r = parse_ok(s);
	char id[64];

	(void)state;
	assert_string_equal(r.keyword, "FETCH");
	assert_int_equal(r.number, 12);
	assert_true(r.has_uid);
	assert_int_equal(r.uid, 34);
	assert_true(r.has_internaldate);
	/* 2026-11-04T10:21:03Z */
	assert_true(fabs(r.internaldate - 1793787663.0) < 0.5);
	assert_int_equal(r.header_len, 39);
	assert_int_equal(watch_header_field(r.header, r.header_len,
					    "x-mailcanary-probe", id, sizeof(id)), 0);
	assert_string_equal(id, "abc");
	assert_int_equal(watch_header_field(r.header, r.header_len, "X-Mailcanary", id, sizeof(id)), -1);
	assert_int_equal(watch_header_field(r.header, r.header_len, "Subject", id, 1), -1);
	/* A FETCH with a broken item list is rejected, not misread. */
	assert_int_equal(imap_resp_parse("* 1 FETCH (UID x)\r\n", 19, &r), -1);
	assert_int_equal(imap_resp_parse("* 1 FETCH UID 3\r\n", 17, &r), -1);
	assert_int_equal(imap_resp_parse("* 1 FETCH (INTERNALDATE \"bogus\")\r\n", 34, &r), -1);
	r = parse_ok("* 1 FETCH (UID 9 BODY[HEADER] NIL)\r\n");
	assert_null(r.header);
	r = parse_ok("* 2 FETCH (UID 10 BODY[] {4}\r\nab\r\n)\r\n");
	assert_int_equal(r.body_len, 4);
	assert_memory_equal(r.body, "ab\r\n", 4);
	r = parse_ok("* 2 FETCH (BODY[] \"x\\\"y\" UID 11)\r\n");
	assert_int_equal(r.uid, 11);
	assert_int_equal(r.body_len, 4);
}

static void test_search_and_dates(void **state)
{
	uint32_t uids[2];
	size_t n;
	double t;
	char q[16];

	(void)state;
	assert_int_equal(imap_search_uids(" 3 17 99", 8, uids, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uids[1], 17);
	assert_int_equal(imap_search_uids("", 0, uids, 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(imap_search_uids("3 (MODSEQ 5)", 12, uids, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(imap_search_uids("3 x", 3, uids, 2, &n), -1);
	assert_int_equal(imap_parse_internaldate("24-Nov-2026 00:00:00 -0130", 26, &t), 0);
	assert_true(fabs(t - (1795478400.0 + 5400)) < 0.5);
	assert_int_equal(imap_parse_internaldate("24-Foo-2026 00:00:00 +0000", 26, &t), -1);
	assert_int_equal(imap_parse_internaldate("24-Nov-2026 25:00:00 +0000", 26, &t), -1);
	assert_int_equal(imap_quote("a\"b\\", q, sizeof(q)), 0);
	assert_string_equal(q, "\"a\\\"b\\\\\"");
	assert_int_equal(imap_quote("a\r\n", q, sizeof(q)), -1);
	assert_int_equal(imap_quote("\xc3\xa9", q, sizeof(q)), -1);
	assert_int_equal(imap_quote("0123456789abcdef", q, sizeof(q)), -1);
}

/* ---- opening a session: capabilities, LOGIN, AUTHENTICATE PLAIN ---- */

static void test_login_command(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(imap_login_command("a\"b", "c\\d e", out, sizeof(out)), 0);
	assert_string_equal(out, "LOGIN \"a\\\"b\" \"c\\\\d e\"");
	assert_int_equal(imap_login_command("u", "p\r\n", out, sizeof(out)), -1);
	assert_int_equal(imap_login_command("\xc3\xa4", "p", out, sizeof(out)), -1);
	assert_int_equal(imap_login_command("user", "password", out, 10), -1);
}

static void test_sasl_plain(void **state)
{
	char out[64];

	(void)state;
	/* RFC 4616 §4's example: "\0tim\0tanstaaftanstaaf" */
	assert_int_equal(imap_sasl_plain("tim", "tanstaaftanstaaf", out,
					 sizeof(out)), 0);
	assert_string_equal(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	assert_int_equal(imap_sasl_plain("", "", out, sizeof(out)), 0);
	assert_string_equal(out, "AAA=");
	assert_int_equal(imap_sasl_plain("a", "", out, sizeof(out)), 0);
	assert_string_equal(out, "AGEA");
	assert_int_equal(imap_sasl_plain("ab", "", out, sizeof(out)), 0);
	assert_string_equal(out, "AGFiAA==");
	assert_int_equal(imap_sasl_plain("tim", "tanstaaftanstaaf", out, 28), -1);
	assert_int_equal(imap_sasl_plain("tim", "tanstaaftanstaaf", out, 29), 0);
}

static void caps_of(const char *resp, int expect, const char *list)
{
	struct imap_resp r;
	const char *p;
	size_t n;

	assert_int_equal(imap_resp_parse(resp, strlen(resp), &r), 0);
	assert_int_equal(imap_capability_list(&r, &p, &n), expect);
	if (expect) {
		assert_int_equal(n, strlen(list));
		assert_memory_equal(p, list, n);
	}
}

static void test_capability_list(void **state)
{
	(void)state;
	caps_of("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n", 1,
		"IMAP4rev1 STARTTLS AUTH=PLAIN");
	caps_of("* CAPABILITY IMAP4rev1 IDLE\r\n", 1, "IMAP4rev1 IDLE");
	caps_of("a1 OK [capability IMAP4rev1] Logged in\r\n", 1, "IMAP4rev1");
	caps_of("* PREAUTH [CAPABILITY IMAP4rev1 X] hi\r\n", 1, "IMAP4rev1 X");
	caps_of("* OK [CAPABILITY IMAP4rev1 no end\r\n", 0, NULL);
	caps_of("* OK [ALERT] hi\r\n", 0, NULL);
	caps_of("* OK hi\r\n", 0, NULL);
	caps_of("* 3 EXISTS\r\n", 0, NULL);
	assert_true(imap_has_capability("IMAP4rev1 STARTTLS LOGINDISABLED", 32,
					"LOGINDISABLED"));
	assert_false(imap_has_capability("IMAP4rev1 STARTTLSX", 19, "STARTTLS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_tagged_and_untagged),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_search_and_dates),
		cmocka_unit_test(test_login_command),
		cmocka_unit_test(test_sasl_plain),
		cmocka_unit_test(test_capability_list),
	};

	return cmocka_run_group_tests_name("imap_parse", tests, NULL, NULL);
}
