/* Tests for receiver/received: every single-field corpus entry against
 * tests/data/received/expected.json, the RFC 5322 date parser (zones,
 * 2-digit years, fractions, layouts, garbage), TLS version names, the
 * helo/host/IP split, and hostile input (lengths, bytes, nesting).
 * Run from the repository root; MC_RECEIVED_DIR overrides the corpus. */
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
#include "receiver/received.h"

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

/* Parses s from a heap copy of exactly its length (no NUL after it), so
 * ASan sees any read past the end. */
static int parse_exact(const char *s, size_t n, struct received *r)
{
	char *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	rc = received_parse(copy, n, r);
	free(copy);
	return rc;
}

static int parse(const char *s, struct received *r)
{
	return parse_exact(s, strlen(s), r);
}

static int date_exact(const char *s, double *t, int *tz_ok, int *frac)
{
	size_t n = strlen(s);
	char *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	rc = received_parse_date(copy, n, t, tz_ok, frac);
	free(copy);
	return rc;
}

/* Every string field must be valid for JSON, i.e. the object builds. */
static void assert_json_ok(const struct received *r)
{
	json_t *o = received_to_json(r);
	char *s;

	assert_non_null(o);
	s = json_dumps(o, 0);
	assert_non_null(s);
	free(s);
	json_decref(o);
}

/* ---- the corpus ---- */

static void test_corpus(void **state)
{
	char path[1024];
	json_error_t jerr;
	json_t *want_all, *want;
	const char *name;
	int files = 0, failed = 0;
	DIR *dir;
	struct dirent *e;

	(void)state;
	snprintf(path, sizeof(path), "%s/expected.json", corpus_dir());
	want_all = json_load_file(path, 0, &jerr);
	if (!want_all)
		fail_msg("%s: %s", path, jerr.text);
	json_object_foreach(want_all, name, want) {
		struct received r;
		size_t len;
		char *buf, *colon;
		json_t *got;

		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), name);
		buf = slurp(path, &len);
		/* each file is one field as it stands in a message */
		assert_true(len > 9 && strncmp(buf, "Received:", 9) == 0);
		colon = buf + 9;
		parse_exact(colon, len - (size_t)(colon - buf), &r);
		got = received_to_json(&r);
		assert_non_null(got);
		if (!json_equal(got, want)) {
			char *g = json_dumps(got, JSON_INDENT(2));
			char *w = json_dumps(want, JSON_INDENT(2));

			print_error("%s differs from expected.json\ngot: %s\nwant: %s\n",
				    name, g, w);
			free(g);
			free(w);
			failed++;
		}
		/* a recognised form has a from or a by, or is qmail's own */
		if (!json_object_get(want, "raw"))
			assert_true(r.parsed);
		else
			assert_false(r.parsed);
		json_decref(got);
		free(buf);
		files++;
	}
	json_decref(want_all);
	assert_int_equal(failed, 0);
	assert_true(files >= 30);

	/* and no single-field file lacks an expectation */
	dir = opendir(corpus_dir());
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/expected.json", corpus_dir());
	want_all = json_load_file(path, 0, &jerr);
	assert_non_null(want_all);
	while ((e = readdir(dir))) {
		size_t nl = strlen(e->d_name);

		if (nl > 4 && strcmp(e->d_name + nl - 4, ".txt") == 0 &&
		    !json_object_get(want_all, e->d_name))
			fail_msg("%s has no entry in expected.json", e->d_name);
	}
	closedir(dir);
	json_decref(want_all);
}

/* ---- fields the JSON folds together ---- */

static void test_from_split(void **state)
{
	struct received r;

	(void)state;
	/* Postfix: "from HELO (rdns [ip])"; "unknown" is no name */
	parse("from helo.test (unknown [192.0.2.1]) by mx.test with SMTP id 1;"
	      " 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.from_helo, "helo.test");
	assert_string_equal(r.from_host, "");
	assert_string_equal(r.from_ip, "192.0.2.1");
	assert_true(r.parsed);
	assert_true(r.tz_ok);
	assert_int_equal(r.at_frac, 0);
	assert_true(r.at == T0);

	parse("from helo.test (rdns.test [192.0.2.1]) by mx.test;"
	      " 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.from_helo, "helo.test");
	assert_string_equal(r.from_host, "rdns.test");

	/* Exim: verified name first, helo apart */
	parse("from rdns.test ([192.0.2.1]:2525 helo=helo.test) by mx.test"
	      " with esmtp id x; 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.from_helo, "helo.test");
	assert_string_equal(r.from_host, "rdns.test");
	assert_string_equal(r.from_ip, "192.0.2.1");

	/* a from-domain that is an address literal, and nothing else */
	parse("from [IPv6:2001:db8::5] by mx.test; 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.from_helo, "[IPv6:2001:db8::5]");
	assert_string_equal(r.from_ip, "2001:db8::5");
	assert_string_equal(r.from_host, "");

	/* an IP that is not one is not kept */
	parse("from x.test (x.test [999.1.2.3]) by mx.test; 24 Nov 2026 10:00:00 +0000",
	      &r);
	assert_string_equal(r.from_ip, "");
	assert_string_equal(r.from_host, "x.test");

	/* the TCP-info is the comment right after from, not a later one */
	parse("from a.test by b.test (c.test [192.0.2.9]) with SMTP;"
	      " 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.from_ip, "");
	assert_string_equal(r.from_host, "");
	assert_string_equal(r.by_host, "b.test");

	/* clause keywords are case-insensitive; values keep their case */
	parse("FROM A.test BY B.test WITH Esmtp ID Q1 FOR <X@Y.test>;"
	      " 24 Nov 2026 10:00:00 +0000", &r);
	assert_true(r.parsed);
	assert_string_equal(r.from_helo, "A.test");
	assert_string_equal(r.with, "Esmtp");
	assert_string_equal(r.id, "Q1");
	assert_string_equal(r.for_addr, "X@Y.test");
	assert_json_ok(&r);
}

static void test_tls(void **state)
{
	struct received r;

	(void)state;
	/* RFC 3848 protocol names say TLS even without details */
	parse("from a.test by b.test with ESMTPS id 1; 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.tls_version, "TLS");
	parse("from a.test by b.test with UTF8SMTPSA id 1; 24 Nov 2026 10:00:00 +0000",
	      &r);
	assert_string_equal(r.tls_version, "TLS");
	parse("from a.test by b.test with ESMTP id 1; 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.tls_version, "");
	/* a version that is not one is not kept; the cipher is */
	parse("from a.test by b.test with ESMTP id 1 (version=TLSvX cipher=C1);"
	      " 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.tls_version, "");
	assert_string_equal(r.tls_cipher, "C1");
	/* the first details given win */
	parse("from a.test (a.test [192.0.2.1]) (using TLSv1.2 with cipher C2"
	      " (128/128 bits)) by b.test with ESMTPS id 1 (version=TLS1_3"
	      " cipher=C3); 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.tls_version, "TLSv1.2");
	assert_string_equal(r.tls_cipher, "C2");
	assert_string_equal(r.from_ip, "192.0.2.1");
}

static void test_tls_version(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"TLSv1.3", "TLSv1.3"}, {"TLS1_3", "TLSv1.3"}, {"TLS1.2", "TLSv1.2"},
		{"tlsv1.1", "TLSv1.1"}, {"TLSv1", "TLSv1"}, {"TLS", "TLS"},
		{"SSLv3", "SSLv3"}, {"TLS1_0", "TLSv1.0"},
	};
	static const char *const bad[] = {
		"", "TL", "TLSv", "TLSvx", "TLS1.3x", "TLS 1.3", "SSH2", "TLSv1.2.3.4.5.6",
		"version", "TLS-1.3",
	};
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(received_tls_version(ok[i].in, strlen(ok[i].in),
						      out, sizeof(out)), 0);
		assert_string_equal(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(received_tls_version(bad[i], strlen(bad[i]), out,
						      sizeof(out)), -1);
	/* too small an output buffer */
	assert_int_equal(received_tls_version("TLSv1.3", 7, out, 4), -1);
	assert_int_equal(received_tls_version(NULL, 3, out, sizeof(out)), -1);
}

/* ---- dates ---- */

struct date_case {
	const char *in;
	double want;      /* epoch seconds */
	int tz_ok, frac;
};

static void test_dates(void **state)
{
	static const struct date_case ok[] = {
		{"Tue, 24 Nov 2026 10:00:00 +0000", T0, 1, 0},
		{"24 Nov 2026 10:00:00 +0000", T0, 1, 0},
		{"Tue, 24 Nov 2026 10:00:00 -0000", T0, 1, 0},
		{"Tue, 24 Nov 2026 10:00:00 +0000 (UTC)", T0, 1, 0},
		{"  Tue,  24  Nov  2026  10:00:00  +0000  ", T0, 1, 0},
		{"Tue,\r\n\t24 Nov 2026\r\n 10:00:00 +0000", T0, 1, 0},
		{"(x) Tue, (y (z)) 24 Nov 2026 (w) 10:00:00 +0000 (UTC)", T0, 1, 0},
		{"Tuesday, 24 November 2026 10:00:00 +0000", T0, 1, 0},
		{"tue, 24 nov 2026 10:00:00 +0000", T0, 1, 0},
		{"Thu, 24 Sept 2026 10:00:00 +0000", T0 - 61 * 86400, 1, 0},
		/* numeric offsets */
		{"Tue, 24 Nov 2026 15:30:00 +0530", T0, 1, 0},
		{"Tue, 24 Nov 2026 00:30:00 -0930", T0, 1, 0},
		{"Tue, 24 Nov 2026 11:00:00 +01:00", T0, 1, 0},
		{"Tue, 24 Nov 2026 10:00:00+0000", T0, 1, 0},
		{"Tue, 24 Nov 2026 11:00:00 +0100 CET", T0, 1, 0},
		{"Tue, 24 Nov 2026 11:00:00 +0100 (CET)", T0, 1, 0},
		/* RFC 5322 §4.3 obsolete zones */
		{"Tue, 24 Nov 2026 10:00:00 GMT", T0, 1, 0},
		{"Tue, 24 Nov 2026 10:00:00 UT", T0, 1, 0},
		{"Tue, 24 Nov 2026 10:00:00 UTC", T0, 1, 0},
		{"Tue, 24 Nov 2026 10:00:00 Z", T0, 1, 0},
		{"Tue, 24 Nov 2026 05:00:00 EST", T0, 1, 0},
		{"Tue, 24 Nov 2026 06:00:00 EDT", T0, 1, 0},
		{"Tue, 24 Nov 2026 04:00:00 CST", T0, 1, 0},
		{"Tue, 24 Nov 2026 05:00:00 CDT", T0, 1, 0},
		{"Tue, 24 Nov 2026 03:00:00 MST", T0, 1, 0},
		{"Tue, 24 Nov 2026 04:00:00 MDT", T0, 1, 0},
		{"Tue, 24 Nov 2026 02:00:00 PST", T0, 1, 0},
		{"Tue, 24 Nov 2026 03:00:00 pdt", T0, 1, 0},
		{"Tue, 24 Nov 2026 11:00:00 CET", T0, 1, 0},
		{"Tue, 24 Nov 2026 19:00:00 JST", T0, 1, 0},
		/* military and unknown names mean -0000, zone not known */
		{"Tue, 24 Nov 2026 10:00:00 A", T0, 0, 0},
		{"Tue, 24 Nov 2026 10:00:00 IST", T0, 0, 0},
		{"Tue, 24 Nov 2026 10:00:00", T0, 0, 0},
		/* 2- and 3-digit years */
		{"24 Nov 26 10:00:00 +0000", T0, 1, 0},
		{"24 Nov 126 10:00:00 +0000", T0, 1, 0},
		{"Thu, 01 Jan 70 00:00:00 +0000", 0, 1, 0},
		{"1 Jan 50 00:00:00 +0000", -631152000, 1, 0},
		{"31 Dec 49 23:59:59 +0000", 2524607999.0, 1, 0},
		/* seconds absent, fractions, leap second */
		{"24 Nov 2026 10:00 +0000", T0, 1, 0},
		{"24 Nov 2026 10:00:00.5 +0000", T0 + 0.5, 1, 1},
		{"24 Nov 2026 10:00:00.123456 +0000", T0 + 0.123456, 1, 6},
		{"24 Nov 2026 10:00:00.1234567 +0000", T0 + 0.1234567, 1, 6},
		{"24 Nov 2026 09:59:60 +0000", T0, 1, 0},
		{"29 Feb 2024 00:00:00 +0000", 1709164800, 1, 0},
		/* other layouts MTAs write */
		{"Tue Nov 24 10:00:00 2026", T0, 0, 0},
		{"Tue Nov 24 10:00:00 2026 +0000", T0, 1, 0},
		{"Tue Nov 24 02:00:00 PST 2026", T0, 1, 0},
		{"24-Nov-2026 10:00:00 +0000", T0, 1, 0},
		{"2026-11-24T10:00:00Z", T0, 1, 0},
		{"2026-11-24T11:00:00.25+01:00", T0 + 0.25, 1, 2},
		/* a comment cut off at the end (a truncated field) is dropped */
		{"24 Nov 2026 10:00:00 +0000 (unterminated", T0, 1, 0},
	};
	static const char *const bad[] = {
		"", "   ", "(only a comment)", "not a date", "Tue,",
		"Tue, 24 Nov 2026", "Tue, 24 Nov 2026 +0000", "24 Nov 2026 10",
		"24 Nov 2026 1:2", "24 Nov 2026 10:0:00", "24 Nov 2026 10:00:0",
		"32 Nov 2026 10:00:00 +0000", "0 Nov 2026 10:00:00 +0000",
		"31 Nov 2026 10:00:00 +0000", "29 Feb 2026 10:00:00 +0000",
		"24 Foo 2026 10:00:00 +0000", "24 Nov 2026 24:00:00 +0000",
		"24 Nov 2026 10:60:00 +0000", "24 Nov 2026 10:00:61 +0000",
		"24 Nov 2026 10:00:00. +0000", "24 Nov 2026 10:00:00 +2400",
		"24 Nov 2026 10:00:00 +0060", "24 Nov 2026 10:00:00 +000",
		"24 Nov 2026 10:00:00 +00000", "24 Nov 2026 10:00:00 0000",
		"24 Nov 1899 10:00:00 +0000", "24 Nov 12026 10:00:00 +0000",
		"24 Nov 2 10:00:00 +0000", "24 Nov 2026 10:00:00 +0000 more stuff",
		"24 Nov 2026 10:00:00 +0000 +0100", "24 Nov 2026 10:00:00 Europe/Paris",
		"24 Nov 2026 10:00:00 +0000 garbage!", "Nov 24 10:00:00",
		"Nov 24 10:00:00 +0000 x", "24-Nov 10:00:00 +0000",
		"24-Nov-20x6 10:00:00", "2026-11-24T10:00:00", "2026-13-24T10:00:00Z",
		"0000-01-01T00:00:00Z", "1800-01-01T00:00:00+00:00",
		"1 2 3 4 5 6 7 8 9 10 11 12 13",
		"24 Nov 2026 10:00:00 (+0000) garbage",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 24 Nov 2026",
		"24 Nov 2026 99999999999999999999:00:00 +0000",
		"24 Nov 2026 10:00:00.99999999999999999999999999999999999999999 +0000",
	};
	double t;
	int tz, frac;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		t = -1;
		tz = frac = -1;
		if (date_exact(ok[i].in, &t, &tz, &frac) != 0)
			fail_msg("date not read: \"%s\"", ok[i].in);
		if (fabs(t - ok[i].want) > 1e-6 || tz != ok[i].tz_ok ||
		    frac != ok[i].frac)
			fail_msg("\"%s\": got %.6f tz_ok %d frac %d, want %.6f %d %d",
				 ok[i].in, t, tz, frac, ok[i].want, ok[i].tz_ok,
				 ok[i].frac);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (date_exact(bad[i], &t, &tz, &frac) == 0)
			fail_msg("garbage read as a date: \"%s\"", bad[i]);
	/* embedded NUL, NULL input, optional outputs */
	assert_int_equal(received_parse_date("24 Nov\0 2026 10:00:00 +0000", 27,
					     &t, NULL, NULL), -1);
	assert_int_equal(received_parse_date(NULL, 10, &t, NULL, NULL), -1);
	assert_int_equal(received_parse_date("24 Nov 2026 10:00:00 +0000", 26,
					     &t, NULL, NULL), 0);
	assert_true(t == T0);
}

/* The Received value's date is after the last ';', whatever precedes. */
static void test_field_dates(void **state)
{
	struct received r;

	(void)state;
	parse("from a.test by b.test; x; 24 Nov 2026 10:00:00 +0000", &r);
	assert_true(r.at == T0);
	parse("from a.test by b.test with SMTP", &r);
	assert_true(r.parsed);
	assert_true(isnan(r.at));
	parse("from a.test by b.test; 24 Nov 2026 10:00:00 +0000;", &r);
	assert_true(isnan(r.at));
	parse("from a.test by b.test; Tue, 24 Nov 2026 10:00:00.250 +0000", &r);
	assert_true(r.at == T0 + 0.25);
	assert_int_equal(r.at_frac, 3);
	assert_json_ok(&r);
	{
		json_t *o = received_to_json(&r);

		assert_string_equal(json_string_value(json_object_get(o, "at")),
				    "2026-11-24T10:00:00.250Z");
		json_decref(o);
	}
	parse("by b.test; Tue, 24 Nov 2026 10:00:00 XYZ", &r);
	assert_false(r.tz_ok);
	{
		json_t *o = received_to_json(&r);

		assert_true(json_is_true(json_object_get(o, "zone_assumed")));
		json_decref(o);
	}
}

/* ---- unknown forms and hostile input ---- */

static void test_unparsed(void **state)
{
	static const char *const unknown[] = {
		"", " ", ";", "(comment only)", "from", "by", "with SMTP id 1",
		"garbage by b.test; 24 Nov 2026 10:00:00 +0000",
		"from a.test one two three four five by b.test; 24 Nov 2026 10:00:00 +0000",
		"(not qmail 1 invoked) ; 24 Nov 2026 10:00:00 +0000",
		"(qmail 1 invoked by uid 89) by; x",
	};
	struct received r;

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		if (parse(unknown[i], &r))
			fail_msg("read as a known form: \"%s\"", unknown[i]);
		/* nothing half-read is left behind */
		assert_string_equal(r.from_helo, "");
		assert_string_equal(r.by_host, "");
		assert_string_equal(r.with, "");
		assert_string_equal(r.id, "");
		assert_string_equal(r.note, "");
		assert_json_ok(&r);
	}
	/* unknown, but its date is still read and raw is kept */
	parse("via something; 24 Nov 2026 10:00:00 +0000", &r);
	assert_false(r.parsed);
	assert_true(r.at == T0);
	assert_string_equal(r.raw, "via something; 24 Nov 2026 10:00:00 +0000");
	received_parse(NULL, 100, &r);
	assert_false(r.parsed);
	assert_true(isnan(r.at));
	assert_string_equal(r.raw, "");
	/* four stray words are tolerated (Haraka's envelope-from) */
	assert_true(parse("from a.test one two three four by b.test;"
			  " 24 Nov 2026 10:00:00 +0000", &r));
}

static void test_hostile(void **state)
{
	struct received r;
	size_t n = 3 * RECEIVED_MAX_INPUT;
	char *big = malloc(n);
	json_t *o;

	(void)state;
	assert_non_null(big);

	/* a name far longer than its field is cut, still valid */
	memset(big, 'a', n);
	memcpy(big, "from ", 5);
	memcpy(big + 2000, " by b.test with SMTP id ", 24);
	assert_true(parse_exact(big, 2100, &r));
	assert_int_equal(strlen(r.from_helo), sizeof(r.from_helo) - 1);
	assert_true(strlen(r.raw) < sizeof(r.raw));
	assert_json_ok(&r);

	/* past RECEIVED_MAX_INPUT nothing is looked at: the date is lost */
	memset(big, ' ', n);
	memcpy(big, "from a.test by b.test", 21);
	memcpy(big + n - 28, "; 24 Nov 2026 10:00:00 +0000", 28);
	assert_true(parse_exact(big, n, &r));
	assert_true(isnan(r.at));

	/* unbalanced and deep comments */
	memset(big, '(', n);
	parse_exact(big, n, &r);
	assert_false(r.parsed);
	assert_json_ok(&r);
	parse("from a.test (((((( by b.test; 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.from_helo, "a.test");
	assert_string_equal(r.by_host, "");     /* swallowed by the comment */
	parse("from a.test (x\\) by b.test; 24 Nov 2026 10:00:00 +0000", &r);
	parse("from a.test (x\\", &r);
	parse("from a.test ))) by b.test; 24 Nov 2026 10:00:00 +0000", &r);
	assert_string_equal(r.by_host, "b.test");

	/* more tokens than are looked at */
	for (size_t i = 0; i + 4 <= n; i += 4)
		memcpy(big + i, "(c) ", 4);
	memcpy(big, "by b.test ", 10);
	assert_true(parse_exact(big, n, &r));
	assert_string_equal(r.by_host, "b.test");
	for (size_t i = 0; i + 2 <= n; i += 2)
		memcpy(big + i, "x ", 2);
	memcpy(big, "by b.test ", 10);
	assert_false(parse_exact(big, n, &r));  /* stray words: unknown */

	/* many words in one comment */
	memset(big, 0, n);
	strcpy(big, "from a.test (");
	for (int i = 0; i < 500; i++)
		strcat(big, "w ");
	strcat(big, "[192.0.2.1]) by b.test; 24 Nov 2026 10:00:00 +0000");
	parse(big, &r);
	assert_true(r.parsed);
	assert_string_equal(r.from_ip, "");     /* past the words looked at */

	/* unterminated angle address and quoted string */
	parse("from a.test by b.test for <x@y.test", &r);
	assert_string_equal(r.for_addr, "<x@y.test");
	parse("from a.test by b.test id \"abc", &r);
	assert_string_equal(r.id, "\"abc");
	parse("from a.test by b.test id \"a\\", &r);

	/* control bytes, NUL and invalid UTF-8 become '?'; UTF-8 is kept */
	parse_exact("from a\x01\x7f\xff\xc0\xaf.test by \xc3\xa9.test\0x;"
		    " 24 Nov 2026 10:00:00 +0000", 57, &r);
	assert_true(r.parsed);
	assert_string_equal(r.from_helo, "a?????.test");
	assert_string_equal(r.by_host, "\xc3\xa9.test?x");
	assert_json_ok(&r);
	o = received_to_json(&r);
	assert_non_null(o);
	json_decref(o);

	/* a cut never splits a character */
	memset(big, 0, n);
	strcpy(big, "by ");
	for (int i = 0; i < 200; i++)
		strcat(big, "\xe2\x82\xac");    /* 3 bytes each */
	parse(big, &r);
	assert_int_equal(strlen(r.by_host), 255);
	assert_json_ok(&r);
	/* the multi-word protocol ends at the first word that does not fit;
	 * the rest are not strays */
	assert_true(parse("from a by b with Microsoft SMTP Server Plus Extra"
			  " Words Here And More Words id 1", &r));
	assert_string_equal(r.with, "Microsoft SMTP Server Plus");
	assert_string_equal(r.id, "1");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_from_split),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_version),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_field_dates),
		cmocka_unit_test(test_unparsed),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
