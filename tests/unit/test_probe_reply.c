/* probe/probe_reply: SMTP reply framing and parsing (multi-line, enhanced
 * codes, malformed input), queue IDs from the final 250 of real MTAs, and
 * which 4xx replies are greylisting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"
#include "probe/probe_internal.h"

static struct probe_reply parse_ok(const char *s)
{
	struct probe_reply r;

	assert_int_equal(probe_reply_parse(s, strlen(s), &r), (long)strlen(s));
	return r;
}

static void test_single_line(void **state)
{
	struct probe_reply r;

	(void)state;
	r = parse_ok("250 2.0.0 Ok: queued as 4Tn5Zq1kWgz9sWb\r\n");
	assert_int_equal(r.code, 250);
	assert_string_equal(r.enhanced, "2.0.0");
	assert_string_equal(r.text, "Ok: queued as 4Tn5Zq1kWgz9sWb");
	r = parse_ok("220 mx.example.net ESMTP Postfix\r\n");
	assert_int_equal(r.code, 220);
	assert_string_equal(r.enhanced, "");
	assert_string_equal(r.text, "mx.example.net ESMTP Postfix");
	/* A bare code, LF only, trailing blanks. */
	r = parse_ok("250\n");
	assert_int_equal(r.code, 250);
	assert_string_equal(r.text, "");
	r = parse_ok("354 End data with <CR><LF>.<CR><LF>   \r\n");
	assert_string_equal(r.text, "End data with <CR><LF>.<CR><LF>");
	/* 334 carries no enhanced code even if it looks like one. */
	r = parse_ok("334 VXNlcm5hbWU6\r\n");
	assert_int_equal(r.code, 334);
	assert_string_equal(r.enhanced, "");
	/* The enhanced class must match the reply's. */
	r = parse_ok("550 4.7.1 odd\r\n");
	assert_string_equal(r.enhanced, "");
	assert_string_equal(r.text, "4.7.1 odd");
	/* Not an enhanced code: too many digits, or glued to text. */
	r = parse_ok("550 5.1234.1 x\r\n");
	assert_string_equal(r.enhanced, "");
	r = parse_ok("550 5.1.1x\r\n");
	assert_string_equal(r.enhanced, "");
	r = parse_ok("550 5.1.10\r\n");
	assert_string_equal(r.enhanced, "5.1.10");
	/* Control and 8-bit bytes are not passed on. */
	r = parse_ok("550 5.7.1 a\x1b[31m\xff\tb\r\n");
	assert_string_equal(r.text, "a?[31m? b");
}

static void test_multi_line(void **state)
{
	const char *gmail =
		"550-5.1.1 The email account that you tried to reach does "
		"not exist. Please try\r\n"
		"550-5.1.1 double-checking the recipient's email address "
		"for typos or\r\n"
		"550 5.1.1  https://support.google.com/mail/?p=NoSuchUser "
		"a1si123 - gsmtp\r\n";
	const char *ehlo = "250-mx.example.net\r\n250-PIPELINING\r\n"
			   "250-STARTTLS\r\n250 ENHANCEDSTATUSCODES\r\n";
	struct probe_reply r;

	(void)state;
	r = parse_ok(gmail);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.enhanced, "5.1.1");
	assert_string_equal(r.text,
			    "The email account that you tried to reach does not "
			    "exist. Please try double-checking the recipient's "
			    "email address for typos or "
			    "https://support.google.com/mail/?p=NoSuchUser "
			    "a1si123 - gsmtp");
	r = parse_ok(ehlo);
	assert_string_equal(r.text,
			    "mx.example.net PIPELINING STARTTLS ENHANCEDSTATUSCODES");
	/* Two replies in one buffer: the first only. */
	assert_int_equal(probe_reply_parse("250 a\r\n354 b\r\n", 14, &r), 7);
	assert_string_equal(r.text, "a");
	/* Incomplete: no final line yet, or no line end yet. */
	assert_int_equal(probe_reply_parse("250-a\r\n250-b\r\n", 14, &r), 0);
	assert_int_equal(probe_reply_parse("250 ok", 6, &r), 0);
	assert_int_equal(probe_reply_parse("", 0, &r), 0);
	/* Malformed. */
	assert_int_equal(probe_reply_parse("250-a\r\n251 b\r\n", 14, &r), -1);
	assert_int_equal(probe_reply_parse("25 x\r\n", 6, &r), -1);
	assert_int_equal(probe_reply_parse("hello\r\n", 7, &r), -1);
	assert_int_equal(probe_reply_parse("250x\r\n", 6, &r), -1);
	assert_int_equal(probe_reply_parse("650 x\r\n", 7, &r), -1);
	assert_int_equal(probe_reply_parse("2a0 x\r\n", 7, &r), -1);
	assert_int_equal(probe_reply_parse("\r\n", 2, &r), -1);
}

static void test_long_reply_truncates(void **state)
{
	size_t n = 200000;
	char *big = malloc(n + 8);
	struct probe_reply r;

	(void)state;
	assert_non_null(big);
	memcpy(big, "250 ", 4);
	memset(big + 4, 'x', n - 4);
	memcpy(big + n, "\r\n", 2);
	assert_int_equal(probe_reply_parse(big, n + 2, &r), (long)(n + 2));
	assert_int_equal(strlen(r.text), PROBE_REPLY_TEXT_MAX - 1);
	/* A NUL inside a line is data, not an end. */
	assert_int_equal(probe_reply_parse("250 a\0b\r\n", 9, &r), 9);
	assert_string_equal(r.text, "a?b");
	free(big);
}

static void queue_id(const char *line, const char *want)
{
	struct probe_reply r = parse_ok(line);
	char id[PROBE_QUEUE_ID_MAX];
	int rc = probe_reply_queue_id(r.text, id, sizeof(id));

	if (!want) {
		if (rc != -1 || id[0])
			fail_msg("found '%s' in %s", id, line);
		return;
	}
	if (rc != 0 || strcmp(id, want) != 0)
		fail_msg("%s: got '%s' (rc %d), want '%s'", line, id, rc, want);
}

static void test_queue_ids(void **state)
{
	char small[4];

	(void)state;
	/* Postfix, short and long queue IDs. */
	queue_id("250 2.0.0 Ok: queued as 4Tn5Zq1kWgz9sWb\r\n", "4Tn5Zq1kWgz9sWb");
	queue_id("250 2.0.0 Ok: queued as 3F2A91C0E4\r\n", "3F2A91C0E4");
	/* Exim. */
	queue_id("250 OK id=1rQZ7j-0003Ab-9F\r\n", "1rQZ7j-0003Ab-9F");
	/* Sendmail, OpenSMTPD. */
	queue_id("250 2.0.0 x9LAdFQ1012345 Message accepted for delivery\r\n",
		 "x9LAdFQ1012345");
	queue_id("250 2.0.0 8c8a4d3e Message accepted for delivery\r\n",
		 "8c8a4d3e");
	/* Exchange / Microsoft 365. */
	queue_id("250 2.6.0 <a1b2c3@EX01.contoso.com> [InternalId=123456789012, "
		 "Hostname=EX01.contoso.com] 1234 bytes in 0.123, 10.0 KB/sec "
		 "Queued mail for delivery\r\n", "123456789012");
	queue_id("250 2.6.0 <a1b2c3@EX01.contoso.com> Queued mail for "
		 "delivery\r\n", "a1b2c3@EX01.contoso.com");
	/* Gmail. */
	queue_id("250 2.0.0 OK  1700000000 a640c23a62f3a-a9a0f0b2cd1si12345"
		 "66b.234 - gsmtp\r\n", "a640c23a62f3a-a9a0f0b2cd1si1234566b.234");
	/* Haraka, qmail, Amazon SES. */
	queue_id("250 Message Queued (C2A6B8E4-1F2D-4B3A-9C8D-0E1F2A3B4C5D.1)\r\n",
		 "C2A6B8E4-1F2D-4B3A-9C8D-0E1F2A3B4C5D.1");
	queue_id("250 ok 1700000000 qp 12345\r\n", "12345");
	queue_id("250 Ok 0100018b2c3d4e5f-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-"
		 "000000\r\n",
		 "0100018b2c3d4e5f-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000");
	/* Multi-line final reply. */
	queue_id("250-2.0.0 Ok\r\n250 2.0.0 queued as ABC123\r\n", "ABC123");
	/* Nothing recognisable. */
	queue_id("250 2.0.0 Ok\r\n", NULL);
	queue_id("250 Great success\r\n", NULL);
	queue_id("250 Ok short\r\n", NULL);
	queue_id("250 2.0.0 Message accepted for delivery\r\n", NULL);
	queue_id("250 queued as \r\n", NULL);
	/* Too long for out: refused, not truncated. */
	assert_int_equal(probe_reply_queue_id("queued as ABCDEF", small,
					      sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(probe_reply_queue_id(NULL, small, sizeof(small)), -1);
}

static int grey(const char *line)
{
	struct probe_reply r = parse_ok(line);

	return probe_reply_is_greylisting(&r);
}

static void test_greylisting(void **state)
{
	(void)state;
	/* postgrey (note 4.2.0), milter-greylist, sqlgrey, plain 4.7.1. */
	assert_true(grey("450 4.2.0 <canary@example.com>: Recipient address "
			 "rejected: Greylisted, see "
			 "http://postgrey.schweikert.ch/help/example.com.html\r\n"));
	assert_true(grey("451 4.7.1 Greylisting in action, please come back "
			 "in 00:05:00\r\n"));
	assert_true(grey("451 4.7.1 Please try again later\r\n"));
	assert_true(grey("450 4.7.1 <canary@example.com>: Recipient address "
			 "rejected: Policy\r\n"));
	assert_true(grey("451 4.7.0 Temporary rejection\r\n"));
	assert_true(grey("451 Please try again later\r\n"));
	assert_true(grey("421 4.7.0 graylisted, try again\r\n"));
	/* Deferrals that are not greylisting. */
	assert_false(grey("451 4.3.0 Temporary lookup failure, try again "
			  "later\r\n"));
	assert_false(grey("450 4.7.1 Client host rejected: cannot find your "
			  "hostname, [192.0.2.1]\r\n"));
	assert_false(grey("450 4.7.1 <x>: Helo command rejected: Host not "
			  "found\r\n"));
	assert_false(grey("451 4.7.500 Server busy. Please try again later "
			  "from [192.0.2.1]\r\n"));
	assert_false(grey("452 4.2.2 Mailbox full\r\n"));
	assert_false(grey("421 4.7.0 Too many connections, try later\r\n"));
	assert_false(grey("450 4.2.1 The user you are trying to contact is "
			  "receiving mail too quickly\r\n"));
	/* Not 4xx at all. */
	assert_false(grey("550 5.7.1 Greylisted forever\r\n"));
	assert_false(grey("250 2.0.0 greylist ok\r\n"));
	assert_false(probe_reply_is_greylisting(NULL));
}

/* Feeds in through the mask in pieces of step bytes; returns the output
 * (the caller frees it). */
static char *masked(const char *in, size_t step, int *count)
{
	struct probe_ehlo_mask m = {0};
	size_t n = strlen(in), o = 0;
	char *out = calloc(1, n + PROBE_MASK_HEAD + 1);

	assert_non_null(out);
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;

		o += probe_ehlo_mask(&m, in + i, k, out + o);
		/* Nothing is lost: what is not out yet is held. */
		assert_int_equal(o + (m.col < PROBE_MASK_HEAD ? m.col : 0), i + k);
	}
	*count = m.masked;
	return out;
}

static void test_ehlo_mask(void **state)
{
	const char *ehlo = "250-mx.example.net\r\n250-PIPELINING\r\n"
			   "250-CHUNKING\r\n250-8BITMIME\r\n"
			   "250 chunking\r\n";
	const char *want = "250-mx.example.net\r\n250-PIPELINING\r\n"
			   "250-X-NOBDAT\r\n250-8BITMIME\r\n"
			   "250 X-NOBDAT\r\n";
	const char *other = "220 CHUNKING ok\r\n550 5.0.0 CHUNKING\r\n"
			    "250-CHUNK\r\n250-XCHUNKING\r\nhi\r\n\n"
			    "250 2.0.0 Ok: queued as CHUNKING\r\n";
	int count;

	(void)state;
	for (size_t step = 1; step <= strlen(ehlo); step++) {
		char *out = masked(ehlo, step, &count);

		assert_string_equal(out, want);
		assert_int_equal(count, 2);
		free(out);
	}
	for (size_t step = 1; step <= 7; step++) {
		char *out = masked(other, step, &count);

		assert_string_equal(out, other);
		assert_int_equal(count, 0);
		free(out);
	}
}

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(probe_submit_outcome_name(PROBE_SUBMIT_QUEUED), "queued");
	assert_string_equal(probe_submit_outcome_name(PROBE_SUBMIT_DEFERRED), "deferred");
	assert_string_equal(probe_submit_outcome_name(PROBE_SUBMIT_GREYLISTED),
			    "greylisted");
	assert_string_equal(probe_submit_outcome_name(PROBE_SUBMIT_REJECTED), "rejected");
	assert_string_equal(probe_submit_outcome_name(PROBE_SUBMIT_ERROR), "error");
	assert_string_equal(probe_submit_outcome_name((enum probe_submit_outcome)42),
			    "error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_line),
		cmocka_unit_test(test_multi_line),
		cmocka_unit_test(test_long_reply_truncates),
		cmocka_unit_test(test_queue_ids),
		cmocka_unit_test(test_greylisting),
		cmocka_unit_test(test_ehlo_mask),
		cmocka_unit_test(test_outcome_names),
	};

	return cmocka_run_group_tests_name("probe_reply", tests, NULL, NULL);
}
