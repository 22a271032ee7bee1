/* probe/probe_message: probe IDs (format, uniqueness) and the probe
 * message (headers, CRLF, Date, Message-ID domain, injection refusal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"

static void test_id_format_and_uniqueness(void **state)
{
	enum { N = 2000 };
	char (*ids)[PROBE_ID_LEN + 1] = calloc(N, sizeof(*ids));
	struct mc_err err = {0};

	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < N; i++) {
		assert_int_equal(probe_id_new(ids[i], &err), 0);
		assert_int_equal(strlen(ids[i]), PROBE_ID_LEN);
		assert_int_equal(strspn(ids[i], "abcdefghijklmnopqrstuvwxyz234567"),
				 PROBE_ID_LEN);
	}
	/* 128 bits: 26 base32 digits, the last carrying 3 bits (so it is
	 * one of a, e, i, m, q, u, y, 4). */
	for (int i = 0; i < N; i++)
		assert_non_null(strchr("aeimquy4", ids[i][PROBE_ID_LEN - 1]));
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			assert_string_not_equal(ids[i], ids[j]);
	free(ids);
}

static struct mc_relay relay = {.name = "corp", .host = "127.0.0.1",
				.port = 587, .tls_verify = 1, .timeout = 5};
static struct mc_route route = {.name = "corp-to-gmail", .relay = &relay,
				.from = "probe@example.net",
				.to = "canary@example.com"};

/* The value of header name (without the trailing CRLF), or NULL. */
static char *header(const char *msg, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	const char *end = strstr(msg, "\r\n\r\n");

	for (const char *p = msg; p && p < end; p = strstr(p, "\r\n")) {
		if (p != msg)
			p += 2;
		if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 2, *e = strstr(v, "\r\n");

			snprintf(out, n, "%.*s", (int)(e - v), v);
			return out;
		}
	}
	return NULL;
}

static void test_message_headers(void **state)
{
	struct mc_err err = {0};
	const char *id = "abcdefghijklmnopqrstuvwxya";
	char *m = probe_message_new(&route, id, NULL, 1795519263, &err);
	char v[256];

	(void)state;
	assert_non_null(m);
	assert_string_equal(header(m, "From", v, sizeof(v)), "probe@example.net");
	assert_string_equal(header(m, "To", v, sizeof(v)), "canary@example.com");
	assert_string_equal(header(m, "Subject", v, sizeof(v)),
			    "mailcanary probe abcdefghijklmnopqrstuvwxya");
	/* 1795519263 = 2026-11-24 11:21:03 UTC, a Tuesday. */
	assert_string_equal(header(m, "Date", v, sizeof(v)),
			    "Tue, 24 Nov 2026 11:21:03 +0000");
	assert_string_equal(header(m, "Message-ID", v, sizeof(v)),
			    "<abcdefghijklmnopqrstuvwxya@example.net>");
	assert_string_equal(header(m, "X-Mailcanary-Probe", v, sizeof(v)), id);
	assert_string_equal(header(m, "X-Mailcanary-Route", v, sizeof(v)),
			    "corp-to-gmail");
	assert_string_equal(header(m, "MIME-Version", v, sizeof(v)), "1.0");
	assert_string_equal(header(m, "Content-Type", v, sizeof(v)),
			    "text/plain; charset=us-ascii");
	assert_string_equal(header(m, "Auto-Submitted", v, sizeof(v)),
			    "auto-generated");
	/* The body names the ID and the route. */
	assert_non_null(strstr(strstr(m, "\r\n\r\n"), id));
	assert_non_null(strstr(strstr(m, "\r\n\r\n"), "corp-to-gmail"));
	/* Every line ends in CRLF, none is longer than 78, all is ASCII. */
	for (const char *p = m; *p; p++) {
		assert_true((unsigned char)*p < 0x80);
		if (*p == '\n')
			assert_true(p > m && p[-1] == '\r');
		if (*p == '\r')
			assert_int_equal(p[1], '\n');
	}
	for (const char *p = m, *e; (e = strstr(p, "\r\n")); p = e + 2)
		assert_true(e - p <= 78);
	assert_int_equal(m[strlen(m) - 1], '\n');
	free(m);

	/* An explicit Message-ID domain. */
	m = probe_message_new(&route, id, "mailcanary.invalid", 0, &err);
	assert_non_null(m);
	assert_string_equal(header(m, "Message-ID", v, sizeof(v)),
			    "<abcdefghijklmnopqrstuvwxya@mailcanary.invalid>");
	assert_string_equal(header(m, "Date", v, sizeof(v)),
			    "Thu, 01 Jan 1970 00:00:00 +0000");
	free(m);
}

static void refused(const char *from, const char *to, const char *name,
		    const char *id, const char *domain)
{
	struct mc_route r = route;
	struct mc_err err = {0};
	char *m;

	r.from = (char *)from;
	r.to = (char *)to;
	r.name = (char *)name;
	m = probe_message_new(&r, id, domain, 0, &err);
	if (m)
		fail_msg("accepted from=%s to=%s name=%s", from, to, name);
	assert_int_equal(err.code, -1);
	assert_int_equal(err.component, MC_COMP_CONFIG);
	assert_true(strlen(err.msg) > 0);
}

static void test_message_refuses_injection(void **state)
{
	const char *id = "abcdefghijklmnopqrstuvwxya";

	(void)state;
	refused("probe@example.net\r\nBcc: victim@example.org",
		"canary@example.com", "r", id, NULL);
	refused("probe@example.net", "canary@example.com\nX-Evil: 1", "r",
		id, NULL);
	refused("probe@example.net", "canary@example.com\r", "r", id, NULL);
	refused("probe@example.net", "canary@example.com", "r\r\nX-Evil: 1",
		id, NULL);
	refused("probe@example.net", "canary@example.com", "r", "a\nb", NULL);
	refused("probe@example.net", "canary@example.com", "r", id,
		"example.net>\r\nX: y");
	refused("probe@example.net>", "canary@example.com", "r", id, NULL);
	refused("probe@example.net", "can ary@example.com", "r", id, NULL);
	refused("pr\xc3\xb6" "be@example.net", "canary@example.com", "r", id,
		NULL);
	refused("probe", "canary@example.com", "r", id, NULL);
	refused("probe@", "canary@example.com", "r", id, NULL);
	refused("", "canary@example.com", "r", id, NULL);
	refused("probe@example.net", "canary@example.com", "", id, NULL);
}

static void test_message_line_limit(void **state)
{
	char name[1200];
	struct mc_route r = route;
	struct mc_err err = {0};

	(void)state;
	memset(name, 'r', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	r.name = name;
	assert_null(probe_message_new(&r, "abc", NULL, 0, &err));
	assert_int_equal(err.component, MC_COMP_CONFIG);
	assert_null(probe_message_new(NULL, "abc", NULL, 0, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_format_and_uniqueness),
		cmocka_unit_test(test_message_headers),
		cmocka_unit_test(test_message_refuses_injection),
		cmocka_unit_test(test_message_line_limit),
	};

	return cmocka_run_group_tests_name("probe_message", tests, NULL, NULL);
}
