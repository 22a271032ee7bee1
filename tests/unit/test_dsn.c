/* Tests for receiver/dsn: every corpus file against its expected JSON, the
 * text helpers, the field parser's tolerance, the classifier's rules, and
 * each limit and error path. Run from the repository root (make check-unit);
 * MC_BOUNCES_DIR overrides the corpus directory. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mc_buf.h"
#include "receiver/dsn.h"
#include "receiver/dsn_internal.h"

static const char *corpus_dir(void)
{
	const char *d = getenv("MC_BOUNCES_DIR");

	return d && *d ? d : "tests/data/bounces";
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct mc_buf b = {0};
	char chunk[8192];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(mc_buf_append(&b, chunk, n), 0);
	fclose(f);
	*len = b.len;
	return mc_buf_steal(&b);
}

static struct mc_dsn *parse_str(const char *s)
{
	struct mc_dsn *d = NULL;
	struct mc_err err = {0};

	assert_int_equal(dsn_parse(s, strlen(s), &d, &err), 0);
	assert_non_null(d);
	return d;
}

/* A minimal multipart/report around a delivery-status body. */
static char *report(const char *status_body)
{
	struct mc_buf b = {0};

	assert_int_equal(mc_buf_printf(&b,
		"From: MAILER-DAEMON@relay.example.test\n"
		"To: probe@canary.example\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
		"\n--B\nContent-Type: text/plain\n\nThe mail system\n"
		"\n--B\nContent-Type: message/delivery-status\n\n%s"
		"\n--B--\n", status_body), 0);
	return mc_buf_steal(&b);
}

static struct mc_dsn *parse_report(const char *status_body)
{
	char *m = report(status_body);
	struct mc_dsn *d = parse_str(m);

	free(m);
	return d;
}

/* ---- the corpus ---- */

static void test_corpus(void **state)
{
	DIR *dir = opendir(corpus_dir());
	struct dirent *e;
	int files = 0, failed = 0;

	(void)state;
	assert_non_null(dir);
	while ((e = readdir(dir))) {
		size_t nl = strlen(e->d_name), len;
		char path[1024], want_path[1024];
		struct mc_dsn *d = NULL;
		struct mc_err err = {0};
		json_error_t jerr;
		json_t *got, *want;
		char *buf;

		if (nl < 5 || strcmp(e->d_name + nl - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), e->d_name);
		snprintf(want_path, sizeof(want_path), "%s/%.*s.expected.json",
			 corpus_dir(), (int)(nl - 4), e->d_name);
		buf = slurp(path, &len);
		assert_int_equal(dsn_parse(buf, len, &d, &err), 0);
		got = dsn_to_json(d, NULL);
		assert_non_null(got);
		want = json_load_file(want_path, 0, &jerr);
		if (!want)
			fail_msg("%s: %s", want_path, jerr.text);
		if (!json_equal(got, want)) {
			char *g = json_dumps(got, JSON_INDENT(2));
			char *w = json_dumps(want, JSON_INDENT(2));

			print_error("%s differs from its expected.json\ngot: %s\nwant: %s\n",
				    e->d_name, g, w);
			free(g);
			free(w);
			failed++;
		}
		json_decref(got);
		json_decref(want);
		dsn_free(d);
		free(buf);
		files++;
	}
	closedir(dir);
	assert_int_equal(failed, 0);
	assert_true(files >= 24);
}

/* ---- text helpers ---- */

static void test_clean(void **state)
{
	char *s;

	(void)state;
	s = dsn_clean("  a\r\n\tb  \x01 c  ", 14, 100);
	assert_string_equal(s, "a b c");
	free(s);
	/* invalid UTF-8 (a lone continuation, an overlong '/', a surrogate)
	 * becomes U+FFFD; valid multibyte text passes */
	s = dsn_clean("x\x80y\xc0\xafz\xed\xa0\x80\xc3\xa9", 11, 100);
	assert_string_equal(s, "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz"
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9");
	free(s);
	/* the cut never splits a character: 3 bytes of room, "é" is 2 */
	s = dsn_clean("ab\xc3\xa9", 4, 3);
	assert_string_equal(s, "ab");
	free(s);
	/* embedded NUL is a control, not the end */
	s = dsn_clean("a\0b", 3, 10);
	assert_string_equal(s, "a b");
	free(s);
	s = dsn_clean("", 0, 10);
	assert_string_equal(s, "");
	free(s);
	/* C1 controls go too */
	s = dsn_clean("a\xc2\x85z", 4, 10);
	assert_string_equal(s, "a z");
	free(s);
}

static void test_status(void **state)
{
	char st[DSN_STATUS_MAX];

	(void)state;
	assert_int_equal(dsn_status_at("5.1.1", 5, st), 5);
	assert_string_equal(st, "5.1.1");
	assert_int_equal(dsn_status_at("5.1.10 x", 8, st), 6);
	assert_string_equal(st, "5.1.10");
	assert_int_equal(dsn_status_at("4.123.456", 9, st), 9);
	assert_int_equal(dsn_status_at("3.1.1", 5, st), 0);      /* class 3 */
	assert_int_equal(dsn_status_at("5.1234.1", 8, st), 0);   /* 4 digits */
	assert_int_equal(dsn_status_at("5.1.1.4", 7, st), 0);    /* version */
	assert_int_equal(dsn_status_at("5.1", 3, st), 0);
	assert_int_equal(dsn_status_at("5..1", 4, st), 0);
	assert_int_equal(dsn_status_find("said (#5.1.1)", 13, st), 0);
	assert_string_equal(st, "5.1.1");
	/* an IPv4 address is not a status */
	assert_int_equal(dsn_status_find("host 192.0.2.25 refused", 23, st), -1);
	assert_string_equal(st, "");
	assert_int_equal(dsn_status_find("", 0, st), -1);
}

static void test_reply(void **state)
{
	(void)state;
	assert_int_equal(dsn_reply_at("550 5.1.1", 9), 550);
	assert_int_equal(dsn_reply_at("450-4.2.0", 9), 450);
	assert_int_equal(dsn_reply_at("250", 3), 250);
	assert_int_equal(dsn_reply_at("5501", 4), 0);
	assert_int_equal(dsn_reply_at("650 x", 5), 0);
	assert_int_equal(dsn_reply_at("570 x", 5), 0);
	assert_int_equal(dsn_reply_at("55", 2), 0);
	assert_int_equal(dsn_reply_find("  421 4.7.0 try later", 21), 421);
	assert_int_equal(dsn_reply_find("error: 554 5.7.1 rejected", 25), 554);
	assert_int_equal(dsn_reply_find("host x said: 552 quota", 22), 552);
	/* a number that is not followed by its class's enhanced code */
	assert_int_equal(dsn_reply_find("size 550 4.1.1 x", 16), 0);
	assert_int_equal(dsn_reply_find("no code here", 12), 0);
	assert_int_equal(dsn_reply_find("said: nothing", 13), 0);
}

static void test_collapse(void **state)
{
	char a[] = "550-5.1.1 The account does not exist. Try 550-5.1.1 again "
		   "550 5.1.1 later - gsmtp";
	char b[] = "451-Please 451-try 451 again";
	char c[] = "550 5.1.1 says 550 5.7.1 too";
	char d[] = "no code";

	(void)state;
	dsn_collapse_reply(a);
	assert_string_equal(a, "550 5.1.1 The account does not exist. Try again later - gsmtp");
	/* without an enhanced code only the "NNN-" continuation goes */
	dsn_collapse_reply(b);
	assert_string_equal(b, "451 Please try 451 again");
	/* a different enhanced code is text, not a continuation prefix */
	dsn_collapse_reply(c);
	assert_string_equal(c, "550 5.1.1 says 550 5.7.1 too");
	dsn_collapse_reply(d);
	assert_string_equal(d, "no code");
}

static void check_addr(const char *in, const char *want)
{
	bool oom = false;
	char *a = dsn_address(in, strlen(in), &oom);

	assert_false(oom);
	if (!want) {
		assert_null(a);
		return;
	}
	assert_non_null(a);
	assert_string_equal(a, want);
	free(a);
}

static void test_address(void **state)
{
	(void)state;
	check_addr("rfc822; user@example.test", "user@example.test");
	check_addr("RFC822;<user@example.test>", "user@example.test");
	check_addr("  <user@example.test>  ", "user@example.test");
	check_addr("user@example.test", "user@example.test");
	check_addr("utf-8; j\\x{F6}rg@b\\x{00FC}ro.example", "j\xc3\xb6rg@b\xc3\xbcro.example");
	check_addr("utf-8; \\x{1F600}@example.test", "\xf0\x9f\x98\x80@example.test");
	/* malformed escapes stay as written; rfc822 addresses are not decoded */
	check_addr("utf-8; a\\x{D800}b\\x{}c\\x{110000}d\\x{41", "a\\x{D800}b\\x{}c\\x{110000}d\\x{41");
	check_addr("rfc822; a\\x{F6}@example.test", "a\\x{F6}@example.test");
	/* a ';' that does not follow an address type is part of the text */
	check_addr("odd<x;y>@example.test", "odd<x;y>@example.test");
	check_addr("rfc822;", NULL);
	check_addr("", NULL);
	check_addr("<>", NULL);
}

static void test_probe_id(void **state)
{
	struct mc_dsn d = {0};

	(void)state;
	assert_true(dsn_is_probe_id("abcdefghijklmnopqrstuvwxyz", 26));
	assert_true(dsn_is_probe_id("234567234567234567234567ab", 26));
	assert_false(dsn_is_probe_id("abcdefghijklmnopqrstuvwxy", 25));
	assert_false(dsn_is_probe_id("Abcdefghijklmnopqrstuvwxyz", 26));
	assert_false(dsn_is_probe_id("abcdefghijklmnopqrstuvwxy1", 26));
	assert_false(dsn_is_probe_id("abcdefghijklmnopqrstuvwxy8", 26));

	/* References: the second ID is the probe's */
	assert_true(dsn_probe_from_value(&d, "<x@y> <abcdefghijklmnopqrstuvwxyz@h.example>",
					 43, true));
	assert_string_equal(d.probe_id, "abcdefghijklmnopqrstuvwxyz");
	/* once set, it stays */
	assert_true(dsn_probe_from_value(&d, "bbbbbbbbbbbbbbbbbbbbbbbbbb", 26, false));
	assert_string_equal(d.probe_id, "abcdefghijklmnopqrstuvwxyz");

	memset(&d, 0, sizeof(d));
	assert_false(dsn_probe_from_value(&d, "<nope@x>", 8, true));
	assert_false(dsn_probe_from_value(&d, "no-at-sign", 10, true));
	assert_false(dsn_probe_from_value(&d, "", 0, false));
	assert_true(dsn_probe_from_value(&d, "abcdefghijklmnopqrstuvwxyz@h", 28, true));
	memset(&d, 0, sizeof(d));
	/* the ID must start the message ID: "x" before it spoils it, an
	 * unclosed '<' before a good one does not */
	assert_false(dsn_probe_from_value(&d, "<xabcdefghijklmnopqrstuvwxyz@h>", 31, true));
	assert_true(dsn_probe_from_value(&d, "<junk <abcdefghijklmnopqrstuvwxyz@h>", 36, true));
	memset(&d, 0, sizeof(d));
	assert_false(dsn_probe_from_value(&d, "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<@@@", 35, true));
	/* in text: X-Mailcanary-Probe wins over an earlier Message-ID, quoted
	 * lines count, a folded Message-ID is followed onto its next line */
	{
		const char *t = "Message-ID: <bbbbbbbbbbbbbbbbbbbbbbbbbb@x>\n"
				"> X-Mailcanary-Probe: cccccccccccccccccccccccccc\n";
		const char *f = "Message-ID:\n <dddddddddddddddddddddddddd@x>\n";

		assert_true(dsn_probe_from_text(&d, t, strlen(t)));
		assert_string_equal(d.probe_id, "cccccccccccccccccccccccccc");
		memset(&d, 0, sizeof(d));
		assert_true(dsn_probe_from_text(&d, f, strlen(f)));
		assert_string_equal(d.probe_id, "dddddddddddddddddddddddddd");
		memset(&d, 0, sizeof(d));
		assert_false(dsn_probe_from_text(&d, "Message-ID:", 11));
	}
}

static void test_date(void **state)
{
	char out[MC_RFC3339_MAX];

	(void)state;
	dsn_date("Sun,  9 Mar 2025 10:15:02 +0100 (CET)", 37, out);
	assert_string_equal(out, "2025-03-09T09:15:02Z");
	dsn_date("not a date", 10, out);
	assert_string_equal(out, "");
	dsn_date("", 0, out);
	assert_string_equal(out, "");
	{
		char longv[200];

		memset(longv, 'x', sizeof(longv));
		dsn_date(longv, sizeof(longv), out);
		assert_string_equal(out, "");
	}
}

/* ---- the delivery-status field parser ---- */

static void test_fields_tolerance(void **state)
{
	struct mc_dsn *d;

	(void)state;
	/* no blank line between recipients, CRLF, a whitespace-only
	 * separator, a garbage line, an orphan continuation, a group without
	 * any recipient field, and a missing Final-Recipient */
	d = parse_report(
		"Reporting-MTA: dns; relay.example.test\r\n"
		"  orphan continuation\r\n"
		"this line has no colon\r\n"
		"\r\n"
		"Final-Recipient: rfc822; a@example.test\r\n"
		"Action: failed\r\n"
		"Status: 5.1.1 (bad mailbox)\r\n"
		"Final-Recipient: rfc822; b@example.test\r\n"
		"Action: Delayed\r\n"
		"Status: 4.4.7\r\n"
		" \t \r\n"
		"X-Extension: only\r\n"
		"\r\n"
		"Original-Recipient: rfc822; c@example.test\r\n"
		"Action: failed\r\n"
		"Diagnostic-Code: smtp; 550 5.7.1 <c@example.test>: Relay access denied\r\n");
	assert_int_equal(d->kind, DSN_KIND_DSN);
	assert_int_equal(d->nrcpt, 3);
	assert_string_equal(d->rcpt[0].recipient, "a@example.test");
	assert_int_equal(d->rcpt[0].action, DSN_ACTION_FAILED);
	assert_string_equal(d->rcpt[0].status, "5.1.1");
	assert_int_equal(d->rcpt[0].reason, DSN_REASON_USER_UNKNOWN);
	assert_string_equal(d->rcpt[1].recipient, "b@example.test");
	assert_int_equal(d->rcpt[1].action, DSN_ACTION_DELAYED);
	assert_int_equal(d->rcpt[1].reason, DSN_REASON_EXPIRED);
	assert_false(d->rcpt[1].hard);
	assert_string_equal(d->rcpt[2].recipient, "c@example.test");
	assert_string_equal(d->rcpt[2].original_recipient, "c@example.test");
	assert_string_equal(d->rcpt[2].status, "5.7.1");
	assert_int_equal(d->rcpt[2].reply_code, 550);
	assert_int_equal(d->rcpt[2].reason, DSN_REASON_NO_RELAYING);
	assert_true(d->rcpt[2].hard);
	dsn_free(d);

	/* no Action: taken from the status class; an unknown action value */
	d = parse_report("Final-Recipient: rfc822; a@example.test\n"
			 "Status: 4.2.2\n\n"
			 "Final-Recipient: rfc822; b@example.test\n"
			 "Action: bounced-ish\nStatus: 2.0.0\n\n"
			 "Final-Recipient: rfc822; c@example.test\n"
			 "Action: failed\nStatus: 5.9.9\n\n"
			 "Remote-MTA: dns; only-a-host.example.test\n");
	assert_int_equal(d->nrcpt, 3);
	assert_int_equal(d->rcpt[0].action, DSN_ACTION_DELAYED);
	assert_int_equal(d->rcpt[0].reason, DSN_REASON_MAILBOX_FULL);
	assert_int_equal(d->rcpt[1].action, DSN_ACTION_DELIVERED);
	assert_int_equal(d->rcpt[1].reason, DSN_REASON_DELIVERED);
	assert_int_equal(d->rcpt[2].reason, DSN_REASON_UNDEFINED);
	assert_true(d->rcpt[2].hard);
	/* the last group, only a Remote-MTA, names no recipient: dropped */
	dsn_free(d);

	/* an empty status part: the human text is tried instead */
	{
		const char *m =
			"From: Mailer-Daemon@mx.example.test\nSubject: x\n"
			"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n"
			"\n--B\nContent-Type: text/plain\n\n"
			"This message was created automatically by mail delivery software.\n\n"
			"A message that you sent could not be delivered to one or more of its\n"
			"recipients. This is a permanent error. The following address(es) failed:\n\n"
			"  x@example.test\n    550 5.1.1 no such user\n"
			"\n--B\nContent-Type: message/delivery-status\n\n\n--B--\n";

		d = parse_str(m);
		assert_int_equal(d->kind, DSN_KIND_DSN);
		assert_int_equal(d->nrcpt, 1);
		assert_string_equal(d->rcpt[0].recipient, "x@example.test");
		assert_int_equal(d->rcpt[0].reason, DSN_REASON_USER_UNKNOWN);
		dsn_free(d);
	}
}

/* ---- the classifier ---- */

static void check_class(const char *diag, const char *status, int code,
			enum mc_dsn_action action, enum mc_dsn_reason want,
			bool hard)
{
	struct mc_dsn_rcpt r = {0};

	r.diagnostic = (char *)diag;
	if (status)
		snprintf(r.status, sizeof(r.status), "%s", status);
	r.reply_code = code;
	r.action = action;
	dsn_classify(&r, 0);
	if (r.reason != want || r.hard != hard)
		fail_msg("'%s' %s %d: got %s/%s, want %s/%s", diag ? diag : "",
			 status ? status : "", code, dsn_reason_name(r.reason),
			 r.hard ? "hard" : "soft", dsn_reason_name(want),
			 hard ? "hard" : "soft");
}

#define F DSN_ACTION_FAILED
#define D DSN_ACTION_DELAYED

static void test_classify(void **state)
{
	(void)state;
	/* text first */
	check_class("550 5.1.1 <a@x>: Recipient address rejected: User unknown", "5.1.1", 550, F, DSN_REASON_USER_UNKNOWN, true);
	check_class("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using dnsbl.example", "5.7.1", 554, F, DSN_REASON_BLOCKED, true);
	check_class("550 5.7.1 Our system has detected that this message is likely suspicious due to the very low reputation of the sending domain", "5.7.1", 550, F, DSN_REASON_BAD_REPUTATION, true);
	check_class("550 5.7.1 Message rejected as spam", "5.7.1", 550, F, DSN_REASON_SPAM_DETECTED, true);
	check_class("554 5.7.1 <a@x>: Sender address rejected: Domain not found", "5.7.1", 554, F, DSN_REASON_REJECTED, true);
	check_class("550 5.1.2 <a@x>: Recipient address rejected: Domain not found", "5.1.2", 550, F, DSN_REASON_HOST_UNKNOWN, true);
	check_class("450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]", "4.7.1", 450, D, DSN_REASON_REQUIRE_PTR, false);
	check_class("550 5.7.26 Unauthenticated email from x is not accepted due to domain's DMARC policy", "5.7.26", 550, F, DSN_REASON_AUTH_FAILURE, true);
	check_class("530 5.7.0 Must issue a STARTTLS command first", "5.7.0", 530, F, DSN_REASON_FAILED_STARTTLS, true);
	check_class("552 5.3.4 Message size exceeds fixed limit", "5.3.4", 552, F, DSN_REASON_MESG_TOO_BIG, true);
	check_class("554 5.7.1 The message was rejected because it contains a virus", "5.7.1", 554, F, DSN_REASON_VIRUS_DETECTED, true);
	check_class("421 4.7.0 Try again later, closing connection: too many connections from your IP", "4.7.0", 421, D, DSN_REASON_TOO_MANY_CONN, false);
	check_class("450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages", "4.2.1", 450, D, DSN_REASON_SPEEDING, false);
	check_class("550 5.2.1 The email account that you tried to reach is disabled", "5.2.1", 550, F, DSN_REASON_SUSPEND, true);
	check_class("550 5.7.1 Rejected by policy", "5.7.1", 550, F, DSN_REASON_POLICY_VIOLATION, true);
	check_class("Command died with status 1: \"/usr/bin/filter\"", "5.3.0", 0, F, DSN_REASON_MAILER_ERROR, true);
	check_class("mail for example.test loops back to myself", "5.4.6", 0, F, DSN_REASON_SYSTEM_ERROR, true);
	check_class("retry timeout exceeded", NULL, 0, F, DSN_REASON_EXPIRED, false);
	check_class("554 5.7.1 <x@y>: Relay access denied", "5.7.1", 554, F, DSN_REASON_NO_RELAYING, true);
	check_class("550 5.1.1 delivery temporarily suspended: x", "4.4.1", 0, F, DSN_REASON_EXPIRED, false);
	/* status when the text says nothing known */
	check_class("550 5.1.1 go away", "5.1.1", 550, F, DSN_REASON_USER_UNKNOWN, true);
	check_class("whatever", "5.2.2", 0, F, DSN_REASON_MAILBOX_FULL, false);
	check_class("whatever", "5.7.8", 0, F, DSN_REASON_AUTH_FAILURE, true);
	check_class("whatever", "5.6.3", 0, F, DSN_REASON_CONTENT_ERROR, true);
	check_class("whatever", "5.7.99", 0, F, DSN_REASON_SECURITY_ERROR, true);
	check_class("whatever", "4.3.1", 0, D, DSN_REASON_SYSTEM_FULL, false);
	check_class("whatever", "5.1.10", 0, F, DSN_REASON_NOT_ACCEPT, true);
	/* status found in the diagnostic when the field is generic */
	check_class("hello (#5.1.1)", "5.0.0", 0, F, DSN_REASON_USER_UNKNOWN, true);
	/* reply code last */
	check_class("whatever", NULL, 552, F, DSN_REASON_MAILBOX_FULL, false);
	check_class("whatever", NULL, 551, F, DSN_REASON_HAS_MOVED, true);
	check_class("whatever", NULL, 550, F, DSN_REASON_UNDEFINED, true);
	check_class(NULL, NULL, 0, F, DSN_REASON_UNDEFINED, true);
	check_class(NULL, NULL, 0, DSN_ACTION_NONE, DSN_REASON_UNDEFINED, false);
	/* a 4.x.x given up on: expired, unless the text is specific */
	check_class("Connection timed out", "4.4.1", 0, F, DSN_REASON_EXPIRED, false);
	check_class("452 4.2.2 over quota", "4.2.2", 452, F, DSN_REASON_MAILBOX_FULL, false);
	/* delayed is always soft; 5.x.x reasons soft by nature stay soft */
	check_class("550 5.1.1 User unknown", "5.1.1", 550, D, DSN_REASON_USER_UNKNOWN, false);
	check_class("452 4.2.0 Greylisted", "4.2.0", 452, D, DSN_REASON_GREYLISTED, false);
	check_class("Connection timed out", "5.4.1", 0, F, DSN_REASON_NETWORK_ERROR, false);
	/* delivered-ish actions */
	check_class("250 ok", "2.0.0", 250, DSN_ACTION_EXPANDED, DSN_REASON_DELIVERED, false);
	check_class(NULL, "2.1.5", 0, DSN_ACTION_NONE, DSN_REASON_DELIVERED, false);
	/* a default class from the layout decides when the record cannot */
	{
		struct mc_dsn_rcpt r = {.action = F};

		dsn_classify(&r, 4);
		assert_int_equal(r.reason, DSN_REASON_EXPIRED);
		assert_false(r.hard);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(dsn_reason_name(DSN_REASON_USER_UNKNOWN), "user_unknown");
	assert_string_equal(dsn_reason_name(DSN_REASON_GREYLISTED), "greylisted");
	assert_string_equal(dsn_reason_name(DSN_REASON_COUNT), "undefined");
	assert_string_equal(dsn_reason_name((enum mc_dsn_reason)-1), "undefined");
	for (int r = 0; r < DSN_REASON_COUNT; r++)
		assert_non_null(dsn_reason_name((enum mc_dsn_reason)r));
	assert_string_equal(dsn_kind_name(DSN_KIND_ARF), "arf");
	assert_string_equal(dsn_kind_name((enum mc_dsn_kind)99), "unknown");
	assert_null(dsn_action_name(DSN_ACTION_NONE));
	assert_string_equal(dsn_action_name(DSN_ACTION_EXPANDED), "expanded");
}

/* ---- kinds other than DSN ---- */

static void test_autoreply_variants(void **state)
{
	static const char *const yes[] = {
		"From: a@example.test\nX-Autoreply: yes\nSubject: hi\n\nbody\n",
		"From: a@example.test\nSubject: Out of Office: probe\n\nbody\n",
		"From: a@example.test\nPrecedence: auto_reply\nSubject: x\n\nbody\n",
		"From: a@example.test\nPrecedence: bulk\nSubject: Re: x\n\nI am out of the office.\n",
	};
	static const char *const no[] = {
		/* a list message: bulk, but no vacation wording */
		"From: a@example.test\nPrecedence: bulk\nSubject: news\n\nhello\n",
		"From: a@example.test\nAuto-Submitted: auto-generated\nSubject: cron\n\nok\n",
		"From: a@example.test\nSubject: hi\n\nI was on vacation last week.\n",
	};
	struct mc_dsn *d;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		d = parse_str(yes[i]);
		assert_int_equal(d->kind, DSN_KIND_AUTOREPLY);
		assert_int_equal(d->nrcpt, 1);
		assert_string_equal(d->rcpt[0].recipient, "a@example.test");
		assert_int_equal(d->rcpt[0].reason, DSN_REASON_VACATION);
		assert_false(d->rcpt[0].hard);
		dsn_free(d);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		d = parse_str(no[i]);
		assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
		assert_int_equal(d->nrcpt, 0);
		dsn_free(d);
	}
	/* an auto-reply without From: still one recipient, unnamed */
	d = parse_str("Auto-Submitted: auto-replied\nSubject: away\n\nx\n");
	assert_int_equal(d->kind, DSN_KIND_AUTOREPLY);
	assert_null(d->rcpt[0].recipient);
	dsn_free(d);
}

static void test_arf_variants(void **state)
{
	struct mc_dsn *d;

	(void)state;
	/* no Original-Rcpt-To: the returned message's To names the recipient */
	d = parse_str(
		"From: fbl@feedback.example\nSubject: report\n"
		"Content-Type: multipart/report; report-type=feedback-report; boundary=B\n"
		"\n--B\nContent-Type: message/feedback-report\n\nFeedback-Type: fraud\n"
		"\n--B\nContent-Type: message/rfc822\n\n"
		"To: victim@example.test\nMessage-ID: <abcdefghijklmnopqrstuvwxyz@h>\n\nx\n"
		"--B--\n");
	assert_int_equal(d->kind, DSN_KIND_ARF);
	assert_int_equal(d->nrcpt, 1);
	assert_string_equal(d->rcpt[0].recipient, "victim@example.test");
	assert_string_equal(d->rcpt[0].diagnostic, "fraud");
	assert_int_equal(d->rcpt[0].reason, DSN_REASON_FEEDBACK);
	assert_string_equal(d->probe_id, "abcdefghijklmnopqrstuvwxyz");
	dsn_free(d);
	/* report-type says ARF but no report part; two Original-Rcpt-To */
	d = parse_str(
		"From: fbl@feedback.example\nSubject: report\n"
		"Content-Type: multipart/report; report-type=feedback-report; boundary=B\n"
		"\n--B\nContent-Type: text/plain\n\nsee attached\n--B--\n");
	assert_int_equal(d->kind, DSN_KIND_ARF);
	assert_int_equal(d->nrcpt, 1);
	assert_null(d->rcpt[0].recipient);
	assert_null(d->rcpt[0].diagnostic);
	dsn_free(d);
	d = parse_str(
		"Subject: r\nContent-Type: multipart/report; report-type=feedback-report; boundary=B\n"
		"\n--B\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"
		"Original-Rcpt-To: <a@example.test>\nOriginal-Rcpt-To: <b@example.test>\n--B--\n");
	assert_int_equal(d->nrcpt, 2);
	assert_string_equal(d->rcpt[1].recipient, "b@example.test");
	dsn_free(d);
}

static void test_ses_variants(void **state)
{
	struct mc_dsn *d;

	(void)state;
	/* a complaint, inside an SNS envelope */
	d = parse_str(
		"From: no-reply@sns.example\nSubject: AWS Notification Message\n\n"
		"{\"Type\":\"Notification\",\"Message\":\"{\\\"notificationType\\\":\\\"Complaint\\\","
		"\\\"complaint\\\":{\\\"complainedRecipients\\\":[{\\\"emailAddress\\\":\\\"c@example.test\\\"}],"
		"\\\"complaintFeedbackType\\\":\\\"abuse\\\"},\\\"mail\\\":{\\\"commonHeaders\\\":"
		"{\\\"messageId\\\":\\\"<abcdefghijklmnopqrstuvwxyz@mailcanary.invalid>\\\"}}}\"}\n");
	assert_int_equal(d->kind, DSN_KIND_ARF);
	assert_int_equal(d->nrcpt, 1);
	assert_string_equal(d->rcpt[0].recipient, "c@example.test");
	assert_string_equal(d->rcpt[0].diagnostic, "abuse");
	assert_int_equal(d->rcpt[0].reason, DSN_REASON_FEEDBACK);
	assert_int_equal(d->rcpt[0].action, DSN_ACTION_NONE);
	assert_string_equal(d->probe_id, "abcdefghijklmnopqrstuvwxyz");
	dsn_free(d);
	/* a transient bounce whose subtype names the reason */
	d = parse_str(
		"Subject: AWS Notification Message\n\n"
		"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Transient\","
		"\"bounceSubType\":\"MailboxFull\",\"bouncedRecipients\":[{\"emailAddress\":\"f@example.test\"}]},"
		"\"mail\":{}}\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->rcpt[0].action, DSN_ACTION_DELAYED);
	assert_int_equal(d->rcpt[0].reason, DSN_REASON_MAILBOX_FULL);
	assert_false(d->rcpt[0].hard);
	dsn_free(d);
	/* a permanent bounce from the suppression list */
	d = parse_str(
		"Subject: AWS Notification Message\n\n"
		"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\","
		"\"bounceSubType\":\"OnAccountSuppressionList\",\"bouncedRecipients\":[{\"emailAddress\":\"s@example.test\"}]},"
		"\"mail\":{}}\n");
	assert_int_equal(d->rcpt[0].reason, DSN_REASON_ON_HOLD);
	assert_true(d->rcpt[0].hard);
	dsn_free(d);
	/* JSON that is not an SES notification, and broken JSON */
	d = parse_str("Subject: x\n\n{\"notificationType\":\"Delivery\",\"mail\":{}}\n");
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	dsn_free(d);
	d = parse_str("Subject: x\n\n{\"Message\":\"{not json\"}\n");
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	dsn_free(d);
	d = parse_str("Subject: x\n\n{\"notificationType\":\"Bounce\"\n");
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	dsn_free(d);
}

static void test_ndr_variants(void **state)
{
	struct mc_dsn *d;

	(void)state;
	/* a bounce by its headers, in a layout we do not know */
	d = parse_str("From: MAILER-DAEMON@mx.example.test\nSubject: Oops\n\nSomething failed.\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->nrcpt, 0);
	dsn_free(d);
	d = parse_str("From: x@example.test\nSubject: Undeliverable: hello\n\nSomething.\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	dsn_free(d);
	d = parse_str("From: postmaster@example.test\nSubject: Welcome\n\nHello.\n");
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	dsn_free(d);
	/* a delivery report whose status part went missing */
	d = parse_str("Subject: x\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n"
		      "\n--B\nContent-Type: text/plain\n\nsorry\n--B--\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->nrcpt, 0);
	dsn_free(d);
	/* Exim's delay warning: delayed, soft */
	d = parse_str(
		"From: Mailer-Daemon@mx.example.test\nSubject: Warning: message delayed\n\n"
		"This message was created automatically by mail delivery software.\n"
		"A message that you sent has not yet been delivered to one or more of its\n"
		"recipients after more than 24 hours on the queue on mx.example.test.\n\n"
		"The address to which the message has not yet been delivered is:\n\n"
		"  slow@example.test\n"
		"    host mx.slow.example.test [192.0.2.9]: Connection timed out\n\n"
		"No action is required on your part.\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->nrcpt, 1);
	assert_int_equal(d->rcpt[0].action, DSN_ACTION_DELAYED);
	assert_string_equal(d->rcpt[0].remote_mta, "mx.slow.example.test");
	assert_string_equal(d->rcpt[0].diagnostic, "Connection timed out");
	assert_int_equal(d->rcpt[0].reason, DSN_REASON_NETWORK_ERROR);
	assert_false(d->rcpt[0].hard);
	dsn_free(d);
	/* Exim wording without an address list: recognised, no recipients */
	d = parse_str("Subject: x\n\nThis message was created automatically by mail delivery software.\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->nrcpt, 0);
	dsn_free(d);
	/* Exchange text NDR without its recipient list */
	d = parse_str("Subject: x\n\nYour message did not reach some or all of the intended recipients.\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->nrcpt, 0);
	dsn_free(d);
	/* Domino wording with "because:" before the list is not Domino */
	d = parse_str("Subject: x\n\nbecause:\n  x\nwas not delivered to:\n  a@example.test\n");
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	dsn_free(d);
	/* qmail with an empty block at the end of the text */
	d = parse_str("Subject: failure notice\n\nHi. This is the qmail-send program at x.\n\n<a@example.test>:\n");
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->nrcpt, 1);
	assert_null(d->rcpt[0].diagnostic);
	dsn_free(d);
}

static void test_returned_encoded(void **state)
{
	struct mc_dsn *d;

	(void)state;
	/* a message/rfc822 part sent base64-encoded: GMime leaves it a leaf,
	 * the headers are read from the decoded bytes.
	 * "Message-ID: <abcdefghijklmnopqrstuvwxyz@x>\n" in base64: */
	d = parse_str(
		"From: MAILER-DAEMON@x.example.test\nSubject: Undelivered\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n"
		"\n--B\nContent-Type: message/delivery-status\n\n"
		"Final-Recipient: rfc822; a@example.test\nAction: failed\nStatus: 5.1.1\n"
		"\n--B\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
		"TWVzc2FnZS1JRDogPGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QHg+Cg==\n--B--\n");
	assert_string_equal(d->probe_id, "abcdefghijklmnopqrstuvwxyz");
	dsn_free(d);
}

/* ---- errors and limits ---- */

static void test_errors(void **state)
{
	struct mc_dsn *d = (struct mc_dsn *)1;
	struct mc_err err = {0};

	(void)state;
	assert_int_equal(dsn_parse(NULL, 5, &d, &err), -1);
	assert_int_equal(err.code, -1);
	assert_non_null(strstr(err.msg, "dsn_parse"));
	assert_null(d);
	mc_err_clear(&err);
	assert_int_equal(dsn_parse("x", 1, NULL, &err), -1);
	assert_int_equal(err.code, -1);
	/* err may be NULL */
	assert_int_equal(dsn_parse("x", 1, NULL, NULL), -1);
	/* empty and headerless input: a result, not an error */
	assert_int_equal(dsn_parse(NULL, 0, &d, &err), 0);
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	dsn_free(d);
	assert_int_equal(dsn_parse("\x01\x02garbage", 9, &d, &err), 0);
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	assert_null(dsn_to_json(NULL, NULL));
	{
		json_t *j = dsn_to_json(d, "bad\xff" "name");

		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "file")),
				    "bad\xef\xbf\xbdname");
		assert_true(json_is_null(json_object_get(j, "probe_id")));
		json_decref(j);
	}
	dsn_free(d);
	dsn_free(NULL);
	dsn_init();     /* idempotent */
}

static void test_limit_input(void **state)
{
	struct mc_buf b = {0};
	struct mc_dsn *d;
	char *m = report("Final-Recipient: rfc822; a@example.test\nAction: failed\nStatus: 5.1.1\n");
	char *big;
	size_t pad = DSN_MAX_INPUT + 4096;

	(void)state;
	/* the report first, then a returned message larger than the limit,
	 * with the probe ID past the cut */
	assert_int_equal(mc_buf_append(&b, m, strlen(m) - 6), 0);  /* drop "--B--\n" */
	assert_int_equal(mc_buf_puts(&b, "--B\nContent-Type: text/plain\n\n"), 0);
	big = malloc(pad);
	assert_non_null(big);
	memset(big, 'x', pad);
	for (size_t i = 70; i < pad; i += 71)
		big[i] = '\n';
	assert_int_equal(mc_buf_append(&b, big, pad), 0);
	assert_int_equal(mc_buf_puts(&b, "\nX-Mailcanary-Probe: abcdefghijklmnopqrstuvwxyz\n--B--\n"), 0);
	d = parse_str(b.data);
	assert_true(d->truncated);
	assert_int_equal(d->nrcpt, 1);
	assert_string_equal(d->probe_id, "");
	dsn_free(d);
	free(big);
	free(m);
	mc_buf_free(&b);
}

static void test_limit_recipients(void **state)
{
	struct mc_buf b = {0};
	struct mc_dsn *d;

	(void)state;
	for (int i = 0; i < DSN_MAX_RCPT + 50; i++)
		assert_int_equal(mc_buf_printf(&b, "Final-Recipient: rfc822; u%d@example.test\n"
					       "Action: failed\nStatus: 5.1.1\n\n", i), 0);
	d = parse_report(b.data);
	assert_int_equal(d->nrcpt, DSN_MAX_RCPT);
	assert_true(d->truncated);
	assert_string_equal(d->rcpt[DSN_MAX_RCPT - 1].recipient, "u499@example.test");
	dsn_free(d);
	mc_buf_free(&b);
}

static void test_limit_depth_and_parts(void **state)
{
	struct mc_buf b = {0};
	struct mc_dsn *d;
	int depth = DSN_MAX_DEPTH + 4;

	(void)state;
	/* the status part nested deeper than we walk: not seen */
	assert_int_equal(mc_buf_puts(&b, "From: MAILER-DAEMON@x.example.test\nSubject: Undelivered\n"), 0);
	for (int i = 0; i < depth; i++)
		assert_int_equal(mc_buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i), 0);
	assert_int_equal(mc_buf_puts(&b, "Content-Type: message/delivery-status\n\n"
				     "Final-Recipient: rfc822; a@example.test\nAction: failed\n"), 0);
	for (int i = depth - 1; i >= 0; i--)
		assert_int_equal(mc_buf_printf(&b, "--b%d--\n", i), 0);
	d = parse_str(b.data);
	assert_true(d->truncated);
	assert_int_equal(d->kind, DSN_KIND_NDR);      /* by its From/Subject */
	assert_int_equal(d->nrcpt, 0);
	dsn_free(d);
	mc_buf_free(&b);

	/* more parts than we look at, the status part last */
	assert_int_equal(mc_buf_puts(&b, "Subject: x\nContent-Type: multipart/mixed; boundary=B\n\n"), 0);
	for (int i = 0; i < DSN_MAX_PARTS + 10; i++)
		assert_int_equal(mc_buf_puts(&b, "--B\nContent-Type: image/png\n\nx\n"), 0);
	assert_int_equal(mc_buf_puts(&b, "--B\nContent-Type: message/delivery-status\n\n"
				     "Final-Recipient: rfc822; a@example.test\nAction: failed\n--B--\n"), 0);
	d = parse_str(b.data);
	assert_true(d->truncated);
	assert_int_equal(d->kind, DSN_KIND_UNKNOWN);
	dsn_free(d);
	mc_buf_free(&b);
}

static void test_limit_fields(void **state)
{
	struct mc_buf b = {0};
	struct mc_dsn *d;
	char *longv = malloc(20000);

	(void)state;
	assert_non_null(longv);
	memset(longv, 'a', 19999);
	longv[19999] = '\0';
	assert_int_equal(mc_buf_printf(&b, "Final-Recipient: rfc822; %s@example.test\n"
				       "Action: failed\nStatus: 5.1.1\n"
				       "Remote-MTA: dns; %s\n"
				       "Diagnostic-Code: smtp; 550 5.1.1 %s\n", longv, longv, longv), 0);
	d = parse_report(b.data);
	assert_int_equal(d->nrcpt, 1);
	assert_true(strlen(d->rcpt[0].recipient) <= DSN_MAX_ADDR);
	assert_true(strlen(d->rcpt[0].diagnostic) <= DSN_MAX_FIELD);
	assert_true(strlen(d->rcpt[0].remote_mta) <= DSN_MAX_FIELD);
	dsn_free(d);
	mc_buf_free(&b);
	free(longv);
}

static void test_limit_text(void **state)
{
	struct mc_buf b = {0};
	struct mc_dsn *d;

	(void)state;
	/* a human part larger than DSN_MAX_TEXT: scanned up to the limit */
	assert_int_equal(mc_buf_puts(&b, "From: MAILER-DAEMON@x.example.test\nSubject: failure notice\n\n"
				     "Hi. This is the qmail-send program at x.\n\n<a@example.test>:\nno mailbox\n\n"), 0);
	while (b.len < DSN_MAX_TEXT + 1000)
		assert_int_equal(mc_buf_puts(&b, "padding padding padding padding padding\n"), 0);
	d = parse_str(b.data);
	assert_true(d->truncated);
	assert_int_equal(d->kind, DSN_KIND_NDR);
	assert_int_equal(d->nrcpt, 1);
	dsn_free(d);
	mc_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_collapse),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_probe_id),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_fields_tolerance),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_autoreply_variants),
		cmocka_unit_test(test_arf_variants),
		cmocka_unit_test(test_ses_variants),
		cmocka_unit_test(test_ndr_variants),
		cmocka_unit_test(test_returned_encoded),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limit_input),
		cmocka_unit_test(test_limit_recipients),
		cmocka_unit_test(test_limit_depth_and_parts),
		cmocka_unit_test(test_limit_fields),
		cmocka_unit_test(test_limit_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
