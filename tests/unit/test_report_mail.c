/* report/report_mail: the subject line, the attachment name and the MIME
 * message, read back with GMime's parser (structure, charsets, encodings,
 * decoded contents, headers, CRLF), and the refusal of header injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mc_time.h"
#include "report/report_mail.h"

static double day(int y, int m, int d)
{
	return (double)mc_time_from_utc(y, m, d, 0, 0, 0);
}

static void test_subject(void **state)
{
	struct report r = {0};
	char *s;

	(void)state;
	r.since = day(2026, 11, 25) + 3600;
	r.until = day(2026, 12, 2) + 3600;
	r.overall.c.final = 1000;
	r.overall.c.state[PROBE_DELIVERED] = 986;
	s = report_mail_subject(&r, "weekly");
	assert_string_equal(s, "mailcanary weekly report 2026-11-25 \xe2\x80\x93 2026-12-02: 98.6% delivered");
	free(s);
	s = report_mail_subject(&r, NULL);
	assert_string_equal(s, "mailcanary report 2026-11-25 \xe2\x80\x93 2026-12-02: 98.6% delivered");
	free(s);
	r.overall.c.final = 0;
	r.overall.c.state[PROBE_DELIVERED] = 0;
	s = report_mail_subject(&r, "daily");
	assert_string_equal(s, "mailcanary daily report 2026-11-25 \xe2\x80\x93 2026-12-02: no probes");
	free(s);
}

static void test_filename(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(report_mail_filename(day(2026, 12, 2) + 86399, buf, sizeof(buf)),
			    "mailcanary-report-2026-12-02.html");
}

static const char text_body[] =
	"MAILCANARY REPORT caf\xc3\xa9 \xe2\x80\x93 a line\n"
	"a very long line that goes on and on ........................................................................ end\n"
	"=equals and trailing space \n";
static const char html_body[] =
	"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>mailcanary report</title></head>"
	"<body><h1>r\xc3\xa9port</h1></body></html>\n";

static struct report_mail good(void)
{
	struct report_mail m = {
		.from = "mailcanary@src.test",
		.to = "canary@dest.test",
		.subject = "mailcanary weekly report 2026-11-25 \xe2\x80\x93 2026-12-02: 98.6% delivered",
		.date = day(2026, 12, 2) + 7 * 3600 + 5 * 60 + 9,
		.message_id = "report-abc@src.test",
		.text = text_body,
		.text_len = sizeof(text_body) - 1,
		.html = html_body,
		.html_len = sizeof(html_body) - 1,
		.filename = "mailcanary-report-2026-12-02.html",
	};
	return m;
}

/* The decoded content of a part, as a new NUL-terminated string, CR LF
 * read as LF (text travels with CRLF line ends). */
static char *part_text(GMimeObject *o)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(o));
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;
	char *s;

	g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	s = strndup((const char *)ba->data, ba->len);
	g_object_unref(mem);
	for (char *r = s, *w = s;; r++) {
		if (r[0] == '\r' && r[1] == '\n')
			continue;
		if (!(*w++ = *r))
			break;
	}
	return s;
}

static void test_message_structure(void **state)
{
	struct report_mail m = good();
	struct mc_err err = {0};
	char *raw = report_mail_message(&m, &err), *s;
	GMimeStream *st;
	GMimeParser *p;
	GMimeMessage *msg;
	GMimeObject *body, *a, *b;
	InternetAddressList *al;

	(void)state;
	assert_non_null(raw);
	/* every line ends in CRLF; no line over 998 characters */
	for (const char *q = raw; (q = strchr(q, '\n')); q++)
		assert_true(q > raw && q[-1] == '\r');
	for (const char *q = raw, *nl; *q; q = nl + 1) {
		nl = strchr(q, '\n');
		assert_non_null(nl);
		assert_true(nl - q <= 1000);
	}
	assert_non_null(strstr(raw, "Date: Wed, 02 Dec 2026 07:05:09 +0000\r\n"));
	assert_non_null(strstr(raw, "\r\nMessage-Id: <report-abc@src.test>\r\n"));
	assert_non_null(strstr(raw, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(raw, "\r\nAuto-Submitted: auto-generated\r\n"));
	/* the subject is RFC 2047-encoded (it has an en dash) */
	assert_non_null(strstr(raw, "=?UTF-8?B?4oCT?="));
	assert_null(strstr(raw, "X-Mailcanary-Probe"));

	st = g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
	p = g_mime_parser_new_with_stream(st);
	msg = g_mime_parser_construct_message(p, NULL);
	assert_non_null(msg);
	assert_string_equal(g_mime_message_get_subject(msg), m.subject);
	assert_string_equal(g_mime_message_get_message_id(msg), "report-abc@src.test");
	al = g_mime_message_get_from(msg);
	assert_int_equal(internet_address_list_length(al), 1);
	s = internet_address_list_to_string(al, NULL, FALSE);
	assert_string_equal(s, "mailcanary@src.test");
	g_free(s);
	s = internet_address_list_to_string(g_mime_message_get_to(msg), NULL, FALSE);
	assert_string_equal(s, "canary@dest.test");
	g_free(s);

	body = g_mime_message_get_mime_part(msg);
	assert_true(GMIME_IS_MULTIPART(body));
	assert_string_equal(g_mime_content_type_get_media_subtype(
				    g_mime_object_get_content_type(body)), "mixed");
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	a = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	b = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);

	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(a), "text", "plain"));
	assert_string_equal(g_mime_object_get_content_type_parameter(a, "charset"), "utf-8");
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(a)),
			 GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	assert_false(g_mime_part_is_attachment(GMIME_PART(a)));
	s = part_text(a);
	assert_string_equal(s, text_body);
	free(s);

	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(b), "text", "html"));
	assert_string_equal(g_mime_object_get_content_type_parameter(b, "charset"), "utf-8");
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(b)),
			 GMIME_CONTENT_ENCODING_BASE64);
	assert_true(g_mime_part_is_attachment(GMIME_PART(b)));
	assert_string_equal(g_mime_part_get_filename(GMIME_PART(b)),
			    "mailcanary-report-2026-12-02.html");
	s = part_text(b);
	assert_string_equal(s, html_body);
	free(s);

	g_object_unref(msg);
	g_object_unref(p);
	g_object_unref(st);
	free(raw);
}

static void test_empty_parts(void **state)
{
	struct report_mail m = good();
	struct mc_err err = {0};
	char *raw;

	(void)state;
	m.text = NULL;
	m.text_len = 0;
	m.html = "";
	m.html_len = 0;
	raw = report_mail_message(&m, &err);
	assert_non_null(raw);
	assert_non_null(strstr(raw, "Content-Type: text/html"));
	free(raw);
}

static void expect_refused(struct report_mail m, const char *what)
{
	struct mc_err err = {0};
	char *raw = report_mail_message(&m, &err);

	assert_null(raw);
	assert_int_equal(err.component, MC_COMP_CONFIG);
	if (!strstr(err.msg, what))
		fail_msg("'%s' does not name '%s'", err.msg, what);
}

static void test_refuses_injection(void **state)
{
	struct report_mail m;

	(void)state;
	m = good(), m.to = "canary@dest.test\r\nBcc: evil@x.test";
	expect_refused(m, "to address");
	m = good(), m.from = "a b@src.test";
	expect_refused(m, "from address");
	m = good(), m.from = "<a@src.test>";
	expect_refused(m, "from address");
	m = good(), m.to = "no-at-sign";
	expect_refused(m, "not an address");
	m = good(), m.to = "";
	expect_refused(m, "to address is empty");
	m = good(), m.from = NULL;
	expect_refused(m, "from address is empty");
	m = good(), m.message_id = "x@y\nBcc: z";
	expect_refused(m, "Message-ID");
	m = good(), m.filename = "a\r\nb.html";
	expect_refused(m, "attachment name");
	m = good(), m.subject = "two\r\nBcc: lines";
	expect_refused(m, "subject");
	m = good(), m.subject = NULL;
	expect_refused(m, "subject");
	m = good(), m.text = NULL;
	expect_refused(m, "a part is missing");
	m = good(), m.html_len = REPORT_MAIL_BODY_MAX + 1;
	expect_refused(m, "larger than");
	m = good(), m.date = NAN;
	expect_refused(m, "no date");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_filename),
		cmocka_unit_test(test_message_structure),
		cmocka_unit_test(test_empty_parts),
		cmocka_unit_test(test_refuses_injection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
