/* Tests for receiver/hops: the header-block corpus (tests/data/received/
 * chain-*) against its expected documents, field finding and unfolding,
 * ordering, delays and skew (with the 1-second resolution rule),
 * endpoints, JSON, limits and error paths. Run from the repository root;
 * MC_RECEIVED_DIR overrides the corpus directory. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"
#include "receiver/hops.h"

/* 2026-11-24T10:00:00Z */
#define T0 1795514400.0

static const char *corpus_dir(void)
{
	const char *d = getenv("MC_RECEIVED_DIR");

	return d && *d ? d : "tests/data/received";
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct mc_buf b = {0};
	char chunk[4096];
	size_t n;

	if (!f)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(mc_buf_append(&b, chunk, n), 0);
	fclose(f);
	*len = b.len;
	return mc_buf_steal(&b);
}

/* hops_from_header() on a heap copy of exactly the bytes (no NUL). */
static struct hops *build_n(const char *s, size_t n)
{
	struct mc_err err = {0};
	char *copy = malloc(n ? n : 1);
	struct hops *h;

	assert_non_null(copy);
	memcpy(copy, s, n);
	h = hops_from_header(copy, n, &err);
	free(copy);
	assert_non_null(h);
	assert_int_equal(err.code, 0);
	return h;
}

static struct hops *build(const char *s)
{
	return build_n(s, strlen(s));
}

static json_t *doc(const struct hops *h)
{
	json_t *d = hops_doc_to_json(h);

	assert_non_null(d);
	return d;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		fail_msg("%s is not a number", key);
	return json_number_value(v);
}

/* ---- the corpus ---- */

static void test_chains(void **state)
{
	DIR *dir = opendir(corpus_dir());
	struct dirent *e;
	int files = 0, failed = 0;

	(void)state;
	assert_non_null(dir);
	while ((e = readdir(dir))) {
		size_t nl = strlen(e->d_name), len, stem;
		char path[1024], want_path[1024];
		json_error_t jerr;
		json_t *got, *want;
		struct hops *h;
		char *buf;

		if (strncmp(e->d_name, "chain-", 6) != 0 ||
		    (nl > 5 && strcmp(e->d_name + nl - 5, ".json") == 0))
			continue;
		stem = (size_t)(strrchr(e->d_name, '.') - e->d_name);
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), e->d_name);
		snprintf(want_path, sizeof(want_path), "%s/%.*s.expected.json",
			 corpus_dir(), (int)stem, e->d_name);
		buf = slurp(path, &len);
		h = build_n(buf, len);
		got = doc(h);
		want = json_load_file(want_path, 0, &jerr);
		if (!want)
			fail_msg("%s: %s", want_path, jerr.text);
		if (!json_equal(got, want)) {
			char *g = json_dumps(got, JSON_INDENT(2));

			print_error("%s differs from its expected.json\ngot: %s\n",
				    e->d_name, g);
			free(g);
			failed++;
		}
		json_decref(got);
		json_decref(want);
		hops_free(h);
		free(buf);
		files++;
	}
	closedir(dir);
	assert_int_equal(failed, 0);
	assert_true(files >= 4);
}

/* ---- finding and unfolding fields ---- */

static void test_fields(void **state)
{
	struct hops *h;
	const struct hop *hp;

	(void)state;
	/* only fields named exactly Received (any case, obsolete space before
	 * the colon) count; continuation lines belong to the field above */
	h = build(" continuation before any field\n"
		  "X-Received: by x.test; 24 Nov 2026 10:00:00 +0000\n"
		  "Received-SPF: pass (by y.test)\n"
		  "ReceivedX: by z.test\n"
		  "no colon on this line\n"
		  "received: from a.test\n"
		  "\tby b.test; 24 Nov 2026 10:00:02 +0000\n"
		  "RECEIVED \t: by c.test;\r\n"
		  " 24 Nov 2026 10:00:01 +0000\r\n"
		  "Received:by d.test; 24 Nov 2026 10:00:00 +0000\n"
		  "Subject: x\n");
	assert_int_equal(hops_count(h), 3);
	assert_string_equal(hops_get(h, 0)->r.by_host, "d.test");
	assert_string_equal(hops_get(h, 1)->r.by_host, "c.test");
	hp = hops_get(h, 2);
	assert_string_equal(hp->r.from_helo, "a.test");
	assert_string_equal(hp->r.by_host, "b.test");
	assert_true(hp->r.at == T0 + 2);
	assert_null(hops_get(h, 3));
	assert_false(hops_truncated(h));
	hops_free(h);

	/* the header ends at the first empty line (LF or CRLF) */
	h = build("Received: by a.test; 24 Nov 2026 10:00:00 +0000\r\n"
		  "\r\n"
		  "Received: by body.test; 24 Nov 2026 10:00:00 +0000\r\n");
	assert_int_equal(hops_count(h), 1);
	hops_free(h);
	/* a field on the last line without a newline still counts */
	h = build("Received: by a.test; 24 Nov 2026 10:00:00 +0000");
	assert_int_equal(hops_count(h), 1);
	assert_true(hops_get(h, 0)->r.parsed);
	hops_free(h);
	/* an mbox From line is skipped, not read as a broken field */
	h = build("From probe@example.net Tue Nov 24 10:00:09 2026\n"
		  "Received: by a.test; 24 Nov 2026 10:00:00 +0000\n");
	assert_int_equal(hops_count(h), 1);
	hops_free(h);
	/* an empty value is an unparsed hop */
	h = build("Received:\nReceived: \t\n");
	assert_int_equal(hops_count(h), 2);
	assert_false(hops_get(h, 0)->r.parsed);
	hops_free(h);
}

/* ---- order, delays, skew ---- */

static void test_order_and_delays(void **state)
{
	struct hops *h;
	json_t *d, *a;

	(void)state;
	/* header order is newest first; hop 1 is the bottom field */
	h = build("Received: by c.test; 24 Nov 2026 10:00:05 +0000\n"
		  "Received: by b.test; 24 Nov 2026 10:00:01 +0000\n"
		  "Received: by a.test; 24 Nov 2026 10:00:00 +0000\n");
	assert_int_equal(hops_count(h), 3);
	assert_string_equal(hops_get(h, 0)->r.by_host, "a.test");
	assert_string_equal(hops_get(h, 2)->r.by_host, "c.test");
	assert_true(isnan(hops_get(h, 0)->delay));
	assert_true(hops_get(h, 1)->delay == 1.0);
	assert_true(hops_get(h, 2)->delay == 4.0);
	assert_true(hops_total(h) == 5.0);
	d = doc(h);
	a = json_object_get(d, "hops");
	assert_int_equal(json_array_size(a), 3);
	assert_true(json_is_null(json_object_get(json_array_get(a, 0), "delay_seconds")));
	assert_true(num(json_array_get(a, 2), "delay_seconds") == 4.0);
	assert_true(num(d, "total_seconds") == 5.0);
	/* no endpoints: no mailbox, no submitted_at, not truncated */
	assert_null(json_object_get(d, "mailbox"));
	assert_null(json_object_get(d, "submitted_at"));
	assert_null(json_object_get(d, "truncated"));
	json_decref(d);
	hops_free(h);

	/* a hop without a date gets no delay; the next is measured from the
	 * nearest older hop with one, so the delays still add up */
	h = build("Received: by c.test; 24 Nov 2026 10:00:05 +0000\n"
		  "Received: by b.test; no date here\n"
		  "Received: by a.test; 24 Nov 2026 10:00:00 +0000\n");
	assert_true(isnan(hops_get(h, 1)->delay));
	assert_true(hops_get(h, 2)->delay == 5.0);
	assert_true(hops_total(h) == 5.0);
	hops_free(h);

	/* one dated hop: no total */
	h = build("Received: by a.test; 24 Nov 2026 10:00:00 +0000\n");
	assert_true(isnan(hops_total(h)));
	d = doc(h);
	assert_true(json_is_null(json_object_get(d, "total_seconds")));
	json_decref(d);
	hops_free(h);
}

static void test_skew(void **state)
{
	struct hops *h;
	json_t *a;

	(void)state;
	/* negative delays are kept, not clamped, and flagged */
	h = build("Received: by c.test; 24 Nov 2026 10:00:10 +0000\n"
		  "Received: by b.test; 24 Nov 2026 09:59:20 +0000\n"
		  "Received: by a.test; 24 Nov 2026 10:00:00 +0000\n");
	assert_true(hops_get(h, 1)->delay == -40.0);
	assert_true(hops_get(h, 1)->skew);
	assert_true(hops_get(h, 2)->delay == 50.0);
	assert_false(hops_get(h, 2)->skew);
	assert_true(hops_total(h) == 10.0);
	a = hops_to_json(h);
	assert_true(json_is_true(json_object_get(json_array_get(a, 1), "skew")));
	assert_true(json_is_false(json_object_get(json_array_get(a, 2), "skew")));
	json_decref(a);
	hops_free(h);

	/* whole seconds after whole seconds: one second back is skew */
	h = build("Received: by b.test; 24 Nov 2026 09:59:59 +0000\n"
		  "Received: by a.test; 24 Nov 2026 10:00:00 +0000\n");
	assert_true(hops_get(h, 1)->skew);
	hops_free(h);

	/* whole-second stamps after an exact submission time are compared at
	 * whole seconds: within the same second is 0, not skew; a second
	 * before is skew */
	h = build("Received: by a.test; 24 Nov 2026 10:00:00 +0000\n");
	hops_set_endpoints(h, T0 + 0.7, NAN, NAN);
	assert_true(hops_get(h, 0)->delay == 0.0);
	assert_false(hops_get(h, 0)->skew);
	hops_set_endpoints(h, T0 + 1.0, NAN, NAN);
	assert_true(hops_get(h, 0)->delay == -1.0);
	assert_true(hops_get(h, 0)->skew);
	hops_set_endpoints(h, T0 + 1.2, NAN, NAN);
	assert_true(hops_get(h, 0)->skew);
	hops_free(h);

	/* a stamp with a fraction has no such slack */
	h = build("Received: by a.test; 24 Nov 2026 10:00:00.500 +0000\n");
	hops_set_endpoints(h, T0 + 0.7, NAN, NAN);
	assert_true(hops_get(h, 0)->skew);
	hops_free(h);
}

/* ---- endpoints ---- */

static void test_endpoints(void **state)
{
	struct hops *h;
	const struct hops_mailbox *mb;
	json_t *d, *m;

	(void)state;
	h = build("Received: by b.test; 24 Nov 2026 10:00:03 +0000\n"
		  "Received: by a.test; 24 Nov 2026 10:00:01 +0000\n");
	hops_set_endpoints(h, T0 + 0.25, T0 + 5, T0 + 5.5);
	assert_true(hops_get(h, 0)->delay == 1.0);   /* from T0, at whole s */
	assert_true(hops_get(h, 1)->delay == 2.0);
	mb = hops_mailbox(h);
	assert_true(mb->internaldate == T0 + 5);
	assert_true(mb->delay == 2.0);
	assert_false(mb->skew);
	assert_true(mb->noticed_delay == 0.5);
	assert_false(mb->noticed_skew);
	assert_true(hops_total(h) == 5.25);

	d = doc(h);
	assert_string_equal(json_string_value(json_object_get(d, "submitted_at")),
			    "2026-11-24T10:00:00.250Z");
	assert_true(num(d, "total_seconds") == 5.25);
	m = json_object_get(d, "mailbox");
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "internaldate")),
			    "2026-11-24T10:00:05Z");
	assert_string_equal(json_string_value(json_object_get(m, "noticed_at")),
			    "2026-11-24T10:00:05.500Z");
	assert_true(num(m, "delay_seconds") == 2.0);
	assert_true(num(m, "noticed_delay_seconds") == 0.5);
	assert_true(json_is_false(json_object_get(m, "skew")));
	assert_true(json_is_false(json_object_get(m, "noticed_skew")));
	json_decref(d);

	/* INTERNALDATE before the last hop: skew at the mailbox */
	hops_set_endpoints(h, NAN, T0 + 1, T0 + 1.5);
	mb = hops_mailbox(h);
	assert_true(mb->delay == -2.0);
	assert_true(mb->skew);
	assert_true(isnan(hops_get(h, 0)->delay));
	assert_true(hops_total(h) == 0.5);

	/* no INTERNALDATE: noticed is measured from the newest hop */
	hops_set_endpoints(h, NAN, NAN, T0 + 4);
	mb = hops_mailbox(h);
	assert_true(isnan(mb->delay));
	assert_true(mb->noticed_delay == 1.0);
	d = doc(h);
	m = json_object_get(d, "mailbox");
	assert_true(json_is_null(json_object_get(m, "internaldate")));
	assert_true(json_is_null(json_object_get(m, "delay_seconds")));
	json_decref(d);

	/* back to none: as built */
	hops_set_endpoints(h, NAN, NAN, NAN);
	assert_true(hops_total(h) == 2.0);
	d = doc(h);
	assert_null(json_object_get(d, "mailbox"));
	json_decref(d);
	hops_free(h);

	/* endpoints without any hop */
	h = build("Subject: no hops\n");
	hops_set_endpoints(h, T0, T0 + 3, T0 + 3.25);
	assert_true(hops_mailbox(h)->delay == 3.0);
	assert_true(hops_total(h) == 3.25);
	hops_free(h);
}

/* ---- JSON, limits and error paths ---- */

static void test_json(void **state)
{
	struct hops *h;
	json_t *a, *o;
	char *s;

	(void)state;
	h = build("Received: via weird.test; 24 Nov 2026 10:00:00 +0000\n"
		  "Received: from a.test (a.test [192.0.2.1]) by b.test with ESMTPS"
		  " id Q for <c@d.test>; 24 Nov 2026 09:59:59.5 +0000\n");
	a = hops_to_json(h);
	assert_int_equal(json_array_size(a), 2);
	o = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(o, "from")), "a.test");
	assert_string_equal(json_string_value(json_object_get(o, "ip")), "192.0.2.1");
	assert_string_equal(json_string_value(json_object_get(o, "tls")), "TLS");
	assert_string_equal(json_string_value(json_object_get(o, "at")),
			    "2026-11-24T09:59:59.5Z");
	assert_null(json_object_get(o, "raw"));
	o = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(o, "raw")),
			    "via weird.test; 24 Nov 2026 10:00:00 +0000");
	assert_true(num(o, "delay_seconds") == 1.0);   /* whole after exact */
	s = json_dumps(a, 0);
	assert_non_null(s);
	free(s);
	json_decref(a);
	hops_free(h);

	/* an empty block: an empty list */
	h = build("");
	assert_int_equal(hops_count(h), 0);
	o = doc(h);
	assert_int_equal(json_array_size(json_object_get(o, "hops")), 0);
	assert_true(json_is_null(json_object_get(o, "total_seconds")));
	json_decref(o);
	hops_free(h);

	/* NULL-safe accessors */
	assert_int_equal(hops_count(NULL), 0);
	assert_null(hops_get(NULL, 0));
	assert_null(hops_mailbox(NULL));
	assert_true(isnan(hops_total(NULL)));
	assert_false(hops_truncated(NULL));
	hops_set_endpoints(NULL, 1, 2, 3);
	hops_free(NULL);
	a = hops_to_json(NULL);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
}

static void test_limits(void **state)
{
	struct mc_buf b = {0};
	struct mc_err err = {0};
	struct hops *h;
	json_t *d;
	char *s;
	size_t n;

	(void)state;
	/* NULL bytes with a length: an error, not a crash */
	assert_null(hops_from_header(NULL, 10, &err));
	assert_int_equal(err.code, -1);
	assert_true(strlen(err.msg) > 0);
	assert_null(hops_from_header(NULL, 10, NULL));
	h = hops_from_header(NULL, 0, NULL);
	assert_non_null(h);
	assert_int_equal(hops_count(h), 0);
	hops_free(h);

	/* more fields than HOPS_MAX: the newest (topmost) are kept */
	for (int i = HOPS_MAX + 36; i > 0; i--)
		assert_int_equal(mc_buf_printf(&b, "Received: by h%d.test id %d;"
					       " 24 Nov 2026 10:00:00 +0000\n", i, i), 0);
	h = build_n(b.data, b.len);
	assert_int_equal(hops_count(h), HOPS_MAX);
	assert_true(hops_truncated(h));
	assert_string_equal(hops_get(h, 0)->r.id, "37");
	assert_string_equal(hops_get(h, HOPS_MAX - 1)->r.id, "100");
	d = doc(h);
	assert_true(json_is_true(json_object_get(d, "truncated")));
	json_decref(d);
	hops_free(h);
	mc_buf_reset(&b);

	/* one field folded far past RECEIVED_MAX_INPUT: cut, never overrun */
	assert_int_equal(mc_buf_puts(&b, "Received: from a.test"), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(mc_buf_puts(&b, "\r\n (x)"), 0);
	assert_int_equal(mc_buf_puts(&b, " by b.test; 24 Nov 2026 10:00:00 +0000\r\n"
				     "Received: by c.test; 24 Nov 2026 10:00:01 +0000\r\n"), 0);
	h = build_n(b.data, b.len);
	assert_int_equal(hops_count(h), 2);
	assert_string_equal(hops_get(h, 1)->r.from_helo, "a.test");
	assert_true(isnan(hops_get(h, 1)->r.at));      /* its end was cut */
	assert_true(strlen(hops_get(h, 1)->r.raw) < 1024);
	assert_string_equal(hops_get(h, 0)->r.by_host, "c.test");
	hops_free(h);
	mc_buf_reset(&b);

	/* nothing past HOPS_MAX_INPUT is scanned */
	n = HOPS_MAX_INPUT + 100;
	s = malloc(n);
	assert_non_null(s);
	memset(s, 'x', n);
	memcpy(s, "X-Pad: ", 7);
	memcpy(s + HOPS_MAX_INPUT - 2, "\nReceived: by late.test\n", 24);
	h = build_n(s, n);
	assert_int_equal(hops_count(h), 0);
	hops_free(h);
	free(s);

	/* binary garbage */
	s = malloc(65536);
	assert_non_null(s);
	for (size_t i = 0; i < 65536; i++)
		s[i] = (char)((i * 2654435761u) >> 13);
	memcpy(s, "Received:", 9);
	h = build_n(s, 65536);
	d = doc(h);
	json_decref(d);
	hops_free(h);
	free(s);
	mc_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_order_and_delays),
		cmocka_unit_test(test_skew),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
