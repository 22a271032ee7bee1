/* Tests for report/maillog: every line form (Postfix and Sendmail), the
 * three timestamp forms and year inference, joins across queue ids and
 * Message-IDs, LRU eviction, malformed and overlong lines, gzip input,
 * the JSON document and the sample logs in tests/data/logs/. Run from the
 * repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "mc_time.h"
#include "report/maillog.h"

static struct maillog_clock clk;   /* reference 2026-12-02 */

static int setup_clock(void **state)
{
	(void)state;
	maillog_clock_init(&clk, (double)mc_time_from_utc(2026, 12, 2, 4, 0, 0), 0);
	return 0;
}

static int eq(struct ml_str s, const char *lit)
{
	if (!lit)
		return s.p == NULL;
	return s.p && s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

#define assert_field(s, lit) \
	do { if (!eq((s), (lit))) fail_msg("%s: got '%.*s', want '%s'", #s, \
		(int)(s).n, (s).p ? (s).p : "", (lit) ? (lit) : "(null)"); } while (0)

static void parse(const char *line, struct maillog_line *l)
{
	assert_int_equal(maillog_parse_line(line, strlen(line), &clk, MAILLOG_AUTO, l), 0);
}

static void test_timestamps(void **state)
{
	struct maillog_line l;
	struct maillog_clock jan, y;

	(void)state;
	parse("Dec  2 03:41:54 relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_int_equal(l.year, 2026);
	assert_int_equal(l.mon, 12);
	assert_int_equal(l.mday, 2);
	assert_int_equal(l.hour, 3);
	assert_int_equal(l.wday, 3);   /* Wednesday */
	assert_true(l.t == (double)mc_time_from_utc(2026, 12, 2, 3, 41, 54));
	assert_field(l.host, "relay");
	assert_field(l.cmd, "qmgr");
	assert_int_equal(l.kind, ML_REMOVED);

	parse("Dec 02 03:41:54 relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_int_equal(l.mday, 2);
	parse("Nov 30 23:59:59 relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_int_equal(l.year, 2026);
	parse("Dec 3 00:00:01 relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_int_equal(l.year, 2026);   /* a day ahead: clock skew, this year */
	parse("Dec 25 00:00:01 relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_int_equal(l.year, 2025);   /* in the future: last year */

	/* in January, December lines are last year's */
	maillog_clock_init(&jan, (double)mc_time_from_utc(2027, 1, 3, 0, 0, 0), 0);
	assert_int_equal(maillog_parse_line("Dec 31 23:00:00 h postfix/qmgr[1]: ABCDEF123: removed",
					    54, &jan, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2026);
	assert_int_equal(maillog_parse_line("Jan  2 23:00:00 h postfix/qmgr[1]: ABCDEF123: removed",
					    54, &jan, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2027);
	/* --year: the first line is that year's, December -> January steps on,
	 * a straggler half a year back is the year before */
	maillog_clock_init(&y, 0, 2019);
	assert_int_equal(y.ref_year, 2019);
	assert_int_equal(maillog_parse_line("Nov 30 23:00:00 h postfix/qmgr[1]: ABCDEF123: removed",
					    54, &y, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2019);
	assert_int_equal(maillog_parse_line("Dec 31 23:00:00 h postfix/qmgr[1]: ABCDEF123: removed",
					    54, &y, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2019);
	assert_int_equal(l.wday, 2);   /* 2019-12-31 was a Tuesday */
	assert_int_equal(maillog_parse_line("Jan  1 00:00:01 h postfix/qmgr[1]: ABCDEF123: removed",
					    54, &y, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2020);
	assert_int_equal(maillog_parse_line("Dec 31 23:59:59 h postfix/qmgr[1]: ABCDEF123: removed",
					    54, &y, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2019);
	assert_int_equal(maillog_parse_line("Feb  1 00:00:01 h postfix/qmgr[1]: ABCDEF123: removed",
					    54, &y, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2020);
	/* a written year is kept as written */
	assert_int_equal(maillog_parse_line("2023-05-01T00:00:00Z h postfix/qmgr[1]: ABCDEF123: removed",
					    59, &y, MAILLOG_AUTO, &l), 0);
	assert_int_equal(l.year, 2023);

	/* RFC 3339: the written hour for tables, UTC for t */
	parse("2026-12-02T03:41:54.123456+01:00 relay postfix/smtp[123]: ABCDEF123: removed", &l);
	assert_int_equal(l.hour, 3);
	assert_true(l.t > (double)mc_time_from_utc(2026, 12, 2, 2, 41, 54.0) + 0.12 &&
		    l.t < (double)mc_time_from_utc(2026, 12, 2, 2, 41, 54.0) + 0.13);
	parse("2026-12-02T03:41:54Z relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_true(l.t == (double)mc_time_from_utc(2026, 12, 2, 3, 41, 54));
	parse("2026-12-02T03:41:54-0230 relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_true(l.t == (double)mc_time_from_utc(2026, 12, 2, 6, 11, 54));
	parse("2026-12-02T03:41:54 relay postfix/qmgr[1]: ABCDEF123: removed", &l);
	assert_int_equal(l.kind, ML_REMOVED);

	/* the clock's own date arithmetic */
	maillog_clock_init(&y, (double)mc_time_from_utc(2024, 2, 29, 12, 0, 0), 0);
	assert_int_equal(y.ref_year, 2024);
	assert_int_equal(y.ref_mon, 2);
	assert_int_equal(y.ref_mday, 29);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"Foo  2 03:41:54 relay postfix/qmgr[1]: X",
		"Dec 32 03:41:54 relay postfix/qmgr[1]: X",
		"Dec  2 25:41:54 relay postfix/qmgr[1]: X",
		"Dec  2 03:41:54",
		"Dec  2 03:41:54 relay",
		"Dec  2 03:41:54 relay postfix/qmgr[1] no colon",
		"2026-13-02T03:41:54Z relay postfix/qmgr[1]: X",
		"2026-12-02T03:41:54+25:00 relay postfix/qmgr[1]: X",
		"2026-12-02X03:41:54Z relay postfix/qmgr[1]: X",
		"2026-12-02T03:41:54Zrelay",
	};
	struct maillog_line l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (maillog_parse_line(bad[i], strlen(bad[i]), &clk, MAILLOG_AUTO, &l) != -1)
			fail_msg("accepted: %s", bad[i]);
	/* a syslog line of another program is well-formed, just ignored */
	parse("Dec  2 03:41:54 relay kernel: [1.0] eth0 up", &l);
	assert_int_equal(l.mta, MAILLOG_AUTO);
	parse("Dec  2 03:41:54 relay CRON[12]:", &l);
	assert_int_equal(l.mta, MAILLOG_AUTO);
}

static void test_postfix_lines(void **state)
{
	struct maillog_line l;

	(void)state;
	parse("Dec  2 03:41:54 relay postfix/submission/smtpd[7]: 7BC3BA7691B: client=localhost[127.0.0.1], sasl_method=PLAIN", &l);
	assert_int_equal(l.mta, MAILLOG_POSTFIX);
	assert_int_equal(l.kind, ML_CLIENT);
	assert_field(l.qid, "7BC3BA7691B");
	assert_field(l.cmd, "smtpd");

	parse("Dec  2 03:41:54 relay postfix/pickup[7]: 7BC3BA7691B: uid=0 from=<root>", &l);
	assert_int_equal(l.kind, ML_PICKUP);

	parse("Dec  2 03:41:54 relay postfix/cleanup[7]: 7BC3BA7691B: message-id=<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>", &l);
	assert_int_equal(l.kind, ML_MSGID);
	assert_field(l.msgid, "<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>");

	parse("Dec  2 03:41:54 relay postfix/qmgr[7]: 7BC3BA7691B: from=<sender@src.test>, size=659, nrcpt=1 (queue active)", &l);
	assert_int_equal(l.kind, ML_FROM);
	assert_field(l.from, "sender@src.test");

	parse("Dec  2 03:41:54 relay postfix/qmgr[7]: 7BC3BA7691B: from=<a@b>, status=expired, returned to sender", &l);
	assert_int_equal(l.kind, ML_EXPIRED);
	assert_int_equal(l.status, ML_ST_EXPIRED);

	parse("Dec  2 03:41:54 relay postfix/smtp[7]: 7BC3BA7691B: to=<canary@dest.test>, orig_to=<alias@dest.test>, relay=mx.dest.test[127.0.1.3]:25, delay=0.28, delays=0.05/0.11/0.01/0.11, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as B1F2BA7691D)", &l);
	assert_int_equal(l.kind, ML_DELIVERY);
	assert_int_equal(l.status, ML_ST_SENT);
	assert_field(l.to, "canary@dest.test");
	assert_field(l.orig_to, "alias@dest.test");
	assert_field(l.relay, "mx.dest.test[127.0.1.3]:25");
	assert_field(l.dsn, "2.0.0");
	assert_field(l.reply, "250 2.0.0 Ok: queued as B1F2BA7691D");
	assert_field(l.newqid, "B1F2BA7691D");

	parse("Dec  2 03:41:54 relay postfix/smtp[7]: 7BC3BA7691B: to=<a@b>, relay=none, delay=4.1, delays=4.1/0.01/0/0, dsn=4.4.1, status=deferred (connect to 127.0.1.3[127.0.1.3]:10025: Connection refused)", &l);
	assert_int_equal(l.status, ML_ST_DEFERRED);
	assert_field(l.relay, "none");
	assert_int_equal(l.reason, ML_RE_NONE);

	parse("Dec  2 03:41:54 relay postfix/local[7]: 7BC3BA7691B: to=<a@b>, relay=local, delay=1, dsn=2.0.0, status=sent (forwarded as 9ABC12345)", &l);
	assert_int_equal(l.status, ML_ST_FORWARDED);

	parse("Dec  2 03:41:54 relay postfix/smtp[7]: 7BC3BA7691B: to=<a@b>, relay=mx[1.2.3.4]:25, delay=1, dsn=4.7.1, status=deferred (host mx[1.2.3.4] said: 450 4.7.1 <a@b>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/dest.test.html (in reply to RCPT TO command))", &l);
	assert_int_equal(l.reason, ML_RE_GREYLISTED);
	parse("Dec  2 03:41:54 relay postfix/smtp[7]: 7BC3BA7691B: to=<a@b>, relay=mx[1.2.3.4]:25, delay=1, dsn=4.3.2, status=deferred (host mx[1.2.3.4] refused to talk to me: 421 4.3.2 Service shutting down, too busy)", &l);
	assert_int_equal(l.reason, ML_RE_TOO_MANY_CONN);
	parse("Dec  2 03:41:54 relay postfix/smtp[7]: 7BC3BA7691B: to=<a@b>, relay=mx[1.2.3.4]:25, delay=1, dsn=5.1.1, status=bounced (host said: 550 5.1.1 <a@b>: User unknown)", &l);
	assert_int_equal(l.status, ML_ST_BOUNCED);
	assert_int_equal(l.reason, ML_RE_USER_UNKNOWN);
	parse("Dec  2 03:41:54 relay postfix/lmtp[7]: 7BC3BA7691B: to=<a@b>, relay=imap[1.2.3.4]:24, delay=1, dsn=5.2.2, status=bounced (host said: 552 5.2.2 <a@b> Quota exceeded (mailbox for user is full))", &l);
	assert_int_equal(l.reason, ML_RE_MAILBOX_FULL);
	assert_field(l.reply, "host said: 552 5.2.2 <a@b> Quota exceeded (mailbox for user is full)");

	parse("Dec  2 03:41:54 relay postfix/bounce[7]: ECB03A7691D: sender non-delivery notification: 14FEBA7692E", &l);
	assert_int_equal(l.kind, ML_NOTIFY);
	assert_field(l.newqid, "14FEBA7692E");
	assert_int_equal(l.reason, ML_RE_NONE);
	parse("Dec  2 03:41:54 relay postfix/bounce[7]: ECB03A7691D: sender delay notification: 14FEBA7692E", &l);
	assert_int_equal(l.reason, ML_RE_DELAYED);

	parse("Dec  2 03:41:54 relay postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[127.0.1.2]: 450 4.7.1 <x@dest.test>: Recipient address rejected: Greylisted; from=<s@src.test> to=<x@dest.test> proto=ESMTP helo=<relay>", &l);
	assert_int_equal(l.kind, ML_REJECT);
	assert_int_equal(l.status, ML_ST_REJECTED);
	assert_field(l.qid, "NOQUEUE");
	assert_field(l.from, "s@src.test");
	assert_field(l.to, "x@dest.test");
	assert_field(l.dsn, "4.7.1");
	assert_field(l.reply, "450 4.7.1 <x@dest.test>: Recipient address rejected: Greylisted");
	assert_int_equal(l.reason, ML_RE_GREYLISTED);

	parse("Dec  2 03:41:54 relay postfix/cleanup[7]: 7BC3BA7691B: milter-reject: END-OF-MESSAGE from x[1.2.3.4]: 5.7.1 spam; from=<a@b> to=<c@d>", &l);
	assert_int_equal(l.kind, ML_REJECT);
	parse("Dec  2 03:41:54 relay postfix/cleanup[7]: 7BC3BA7691B: reject: header Subject: x from y; from=<a@b>", &l);
	assert_int_equal(l.kind, ML_REJECT);
	/* smtpd to= is not a delivery; warnings are not queue ids */
	parse("Dec  2 03:41:54 relay postfix/smtpd[7]: 7BC3BA7691B: to=<a@b>, relay=x, status=sent", &l);
	assert_int_equal(l.kind, ML_OTHER);
	parse("Dec  2 03:41:54 relay postfix/smtpd[7]: warning: hostname x does not resolve", &l);
	assert_int_equal(l.kind, ML_OTHER);
	assert_int_equal(l.qid.n, 0);
	/* multi-instance syslog_name */
	parse("Dec  2 03:41:54 relay postfix-mx/qmgr[7]: 7BC3BA7691B: removed", &l);
	assert_int_equal(l.kind, ML_REMOVED);
	/* --format restricts */
	assert_int_equal(maillog_parse_line("Dec  2 03:41:54 relay postfix/qmgr[7]: 7BC3BA7691B: removed",
					    59, &clk, MAILLOG_SENDMAIL, &l), 0);
	assert_int_equal(l.mta, MAILLOG_AUTO);
}

static void test_sendmail_lines(void **state)
{
	struct maillog_line l;

	(void)state;
	parse("Dec  1 09:00:01 mta1 sm-mta[4101]: 4B1900012345: from=<alice@src.test>, size=1843, class=0, nrcpts=1, msgid=<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>, proto=ESMTPS, daemon=MTA, relay=client.src.test [192.0.2.10]", &l);
	assert_int_equal(l.mta, MAILLOG_SENDMAIL);
	assert_int_equal(l.kind, ML_FROM);
	assert_field(l.from, "alice@src.test");
	assert_field(l.msgid, "<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>");
	assert_field(l.relay, NULL);

	parse("Dec  1 09:00:02 mta1 sm-mta[4102]: 4B1900012345: to=<canary@dest.test>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=121843, relay=mx.dest.test. [192.0.2.25], dsn=2.0.0, stat=Sent (Ok: queued as 8F3C21A0042)", &l);
	assert_int_equal(l.kind, ML_DELIVERY);
	assert_int_equal(l.status, ML_ST_SENT);
	assert_field(l.relay, "mx.dest.test");
	assert_field(l.reply, "Ok: queued as 8F3C21A0042");
	assert_field(l.newqid, "8F3C21A0042");

	parse("Dec  1 09:05:11 mta1 sm-mta[4111]: 4B1900512346: to=<nobody@dest.test>, delay=00:00:01, mailer=esmtp, pri=1, relay=mx. [192.0.2.25], dsn=5.1.1, stat=User unknown", &l);
	assert_int_equal(l.status, ML_ST_BOUNCED);
	assert_int_equal(l.reason, ML_RE_USER_UNKNOWN);
	parse("Dec  1 09:05:11 mta1 sm-mta[4111]: 4B1900512346: to=<x@d>, delay=00:00:01, mailer=esmtp, pri=1, relay=[192.0.2.25] [192.0.2.25], dsn=4.0.0, stat=Deferred: Connection refused by [192.0.2.25]", &l);
	assert_int_equal(l.status, ML_ST_DEFERRED);
	assert_field(l.relay, "[192.0.2.25]");
	parse("Dec  1 09:05:11 mta1 sm-mta[4111]: 4B1900512346: to=<x@d>, delay=00:00:00, mailer=esmtp, pri=1, stat=queued", &l);
	assert_int_equal(l.status, ML_ST_OTHER);
	parse("Dec  1 09:05:11 mta1 sm-mta[4111]: 4B1900512346: to=<x@d>, delay=00:00:00, mailer=esmtp, pri=1, relay=h, stat=Service unavailable", &l);
	assert_int_equal(l.status, ML_ST_BOUNCED);
	parse("Dec  1 09:05:11 mta1 sm-mta[4111]: 4B1900512346: 4B1900512347: DSN: User unknown", &l);
	assert_int_equal(l.kind, ML_NOTIFY);
	assert_field(l.newqid, "4B1900512347");
	parse("Dec  1 09:05:11 mta1 sendmail[4111]: 4B1900512346: 4B1900512347: DSN: Warning: could not send message for past 4 hours", &l);
	assert_int_equal(l.reason, ML_RE_DELAYED);
	parse("Dec  1 15:00:00 mta1 sm-mta[4150]: 4B1F00012350: ruleset=check_rcpt, arg1=<r@x.test>, relay=s.test [198.51.100.7], reject=550 5.7.1 <r@x.test>... Relaying denied", &l);
	assert_int_equal(l.kind, ML_REJECT);
	assert_field(l.to, "r@x.test");
	assert_field(l.dsn, "5.7.1");
	parse("Dec  1 15:00:00 mta1 sm-mta[4150]: 4B1F00012350: lost input channel from s.test", &l);
	assert_int_equal(l.kind, ML_OTHER);
}

static void test_probe_id(void **state)
{
	char id[27];

	(void)state;
	assert_int_equal(maillog_probe_id("<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>", 37, id), 1);
	assert_string_equal(id, "qeu4mcho3j3f5l3gwzwpzqq5j4");
	assert_int_equal(maillog_probe_id("qeu4mcho3j3f5l3gwzwpzqq5j4@x", 28, id), 1);
	assert_int_equal(maillog_probe_id("<qeu4mcho3j3f5l3gwzwpzqq5j1@src.test>", 37, id), 0);
	assert_int_equal(maillog_probe_id("<QEU4mcho3j3f5l3gwzwpzqq5j4@src.test>", 37, id), 0);
	assert_int_equal(maillog_probe_id("<short@x>", 9, id), 0);
	assert_null(maillog_status_name(ML_ST_NONE));
	assert_string_equal(maillog_reason_name(ML_RE_TOO_MANY_CONN), "too_many_conn");
}

static struct maillog *new_log(struct maillog_opts *o)
{
	o->now = (double)mc_time_from_utc(2026, 12, 2, 4, 0, 0);
	if (!o->status_mask)
		o->status_mask = ~0u;
	if (o->since == 0)
		o->since = -1;
	if (o->until == 0)
		o->until = -1;
	return maillog_new(o);
}

static void feed(struct maillog *m, const char *s)
{
	maillog_feed(m, s, strlen(s));
}

static json_int_t jint(json_t *d, const char *a, const char *b)
{
	json_t *v = json_object_get(d, a);

	if (b)
		v = json_object_get(v, b);
	if (!json_is_integer(v))
		fail_msg("%s.%s is not an integer", a, b ? b : "");
	return json_integer_value(v);
}

static const char *const relay_lines[] = {
	"Dec  2 04:19:52 relay postfix/smtpd[1]: AAAA11111: client=localhost[127.0.0.1]",
	"Dec  2 04:19:52 relay postfix/cleanup[2]: AAAA11111: message-id=<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>",
	"Dec  2 04:19:52 relay postfix/qmgr[3]: AAAA11111: from=<sender@src.test>, size=659, nrcpt=2 (queue active)",
	"Dec  2 04:19:52 relay postfix/smtp[4]: AAAA11111: to=<canary@dest.test>, relay=mx.dest.test[127.0.1.3]:25, delay=0.2, delays=0/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as BBBB22222)",
	"Dec  2 04:19:53 relay postfix/smtp[4]: AAAA11111: to=<nobody@dest.test>, relay=mx.dest.test[127.0.1.3]:25, delay=0.3, delays=0/0/0/0.3, dsn=5.1.1, status=bounced (host said: 550 5.1.1 User unknown)",
	"Dec  2 04:19:53 relay postfix/bounce[5]: AAAA11111: sender non-delivery notification: CCCC33333",
	"Dec  2 04:19:53 relay postfix/qmgr[3]: CCCC33333: from=<>, size=2644, nrcpt=1 (queue active)",
	"Dec  2 04:19:53 relay postfix/lmtp[6]: CCCC33333: to=<sender@src.test>, relay=imap[127.0.1.4]:24, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)",
	"Dec  2 04:19:53 relay postfix/qmgr[3]: CCCC33333: removed",
	"Dec  2 04:19:53 relay postfix/qmgr[3]: AAAA11111: removed",
	"Dec  2 04:20:00 relay postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 550 5.7.1 <reject@dest.test>: no; from=<sender@src.test> to=<reject@dest.test> proto=ESMTP helo=<x>",
	"Dec  2 04:20:01 relay postfix/smtpd[1]: DDDD44444: client=localhost[127.0.0.1]",
	"Dec  2 04:20:01 relay postfix/qmgr[3]: DDDD44444: from=<other@src.test>, size=10, nrcpt=1 (queue active)",
	"Dec  2 04:20:02 relay postfix/smtp[4]: DDDD44444: to=<canary@dest.test>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to mx: Connection refused)",
	"Dec  2 04:21:02 relay postfix/smtp[4]: DDDD44444: to=<canary@dest.test>, relay=none, delay=61, delays=61/0/0/0, dsn=4.4.1, status=deferred (connect to mx: Connection refused)",
	"Dec  2 04:21:03 relay postfix/bounce[5]: DDDD44444: sender delay notification: EEEE55555",
	"not a log line",
};

static const char *const mx_lines[] = {
	"Dec  2 04:19:52 mx postfix/smtpd[1]: BBBB22222: client=relay[127.0.1.2]",
	"Dec  2 04:19:52 mx postfix/cleanup[2]: BBBB22222: message-id=<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>",
	"Dec  2 04:19:52 mx postfix/qmgr[3]: BBBB22222: from=<sender@src.test>, size=1015, nrcpt=1 (queue active)",
	"Dec  2 04:19:52 mx postfix/lmtp[4]: BBBB22222: to=<canary@dest.test>, relay=imap[127.0.1.4]:24, delay=0.2, delays=0/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 Saved)",
	"Dec  2 04:19:52 mx postfix/qmgr[3]: BBBB22222: removed",
	"Dec  2 04:19:59 mx postfix/smtpd[1]: FFFF66666: client=other[127.0.1.9]",
	"Dec  2 04:19:59 mx postfix/qmgr[3]: FFFF66666: from=<x@y>, size=1, nrcpt=1 (queue active)",
};

static void feed_all(struct maillog *m)
{
	for (size_t i = 0; i < sizeof(relay_lines) / sizeof(relay_lines[0]); i++)
		feed(m, relay_lines[i]);
	for (size_t i = 0; i < sizeof(mx_lines) / sizeof(mx_lines[0]); i++)
		feed(m, mx_lines[i]);
}

static void test_counts(void **state)
{
	struct maillog_opts o = {0};
	struct maillog *m = new_log(&o);
	json_t *d;

	(void)state;
	assert_non_null(m);
	feed_all(m);
	d = maillog_to_json(m);
	assert_non_null(d);
	assert_int_equal(jint(d, "messages", NULL), 4);
	assert_int_equal(jint(d, "by_status", "sent"), 3);
	assert_int_equal(jint(d, "by_status", "bounced"), 1);
	assert_int_equal(jint(d, "by_status", "deferred"), 2);
	assert_int_equal(jint(d, "by_status", "rejected"), 1);
	assert_int_equal(jint(d, "deferred_messages", NULL), 1);
	assert_int_equal(jint(d, "by_hour", "04"), 7);
	assert_int_equal(jint(d, "by_dow", "Wed"), 7);
	assert_int_equal(jint(d, "by_day_of_month", "02"), 7);
	assert_int_equal(jint(d, "by_month", "2026-12"), 7);
	assert_int_equal(jint(d, "by_host", "mx.dest.test"), 2);
	assert_int_equal(jint(d, "by_host", "imap"), 2);
	assert_int_equal(jint(d, "by_host", "none"), 2);
	assert_int_equal(jint(d, "by_sender", "sender@src.test"), 2);
	assert_int_equal(jint(d, "by_sender", "<>"), 1);
	assert_int_equal(jint(d, "by_code", "2.0.0"), 3);
	assert_int_equal(jint(d, "by_code", "4.4.1"), 2);
	assert_int_equal(jint(d, "by_reason", "user_unknown"), 1);
	assert_int_equal(jint(d, "by_reason", "delayed"), 1);
	assert_int_equal(jint(d, "probes", NULL), 2);
	assert_int_equal(jint(d, "lines", NULL), 24);
	assert_int_equal(jint(d, "malformed", NULL), 1);
	assert_int_equal(json_array_size(json_object_get(d, "matches")), 0);
	json_decref(d);
	maillog_free(m);

	/* the same as text tables */
	m = new_log(&o);
	feed_all(m);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		maillog_print_text(m, f);
		fclose(f);
		assert_non_null(strstr(buf, "       4  received\n"));
		assert_non_null(strstr(buf, "Delivery attempts\n         3  sent\n         2  deferred\n"));
		assert_non_null(strstr(buf, "       2  mx.dest.test\n"));
		assert_non_null(strstr(buf, "  Wed         7\n"));
		assert_null(strstr(buf, "Matches"));
		free(buf);
	}
	maillog_free(m);
}

static void test_search(void **state)
{
	struct maillog_opts o = {0};
	struct maillog *m;
	json_t *d, *x;

	(void)state;
	o.search = 1;
	o.status_mask = ML_STATUS_MASK(ML_ST_BOUNCED) | ML_STATUS_MASK(ML_ST_REJECTED);
	m = new_log(&o);
	feed_all(m);
	d = maillog_to_json(m);
	assert_int_equal(jint(d, "matches_total", NULL), 2);
	x = json_array_get(json_object_get(d, "matches"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "queue_id")), "AAAA11111");
	assert_string_equal(json_string_value(json_object_get(x, "from")), "sender@src.test");
	assert_string_equal(json_string_value(json_object_get(x, "to")), "nobody@dest.test");
	assert_string_equal(json_string_value(json_object_get(x, "status")), "bounced");
	assert_string_equal(json_string_value(json_object_get(x, "reason")), "user_unknown");
	assert_string_equal(json_string_value(json_object_get(x, "probe_id")), "qeu4mcho3j3f5l3gwzwpzqq5j4");
	assert_string_equal(json_string_value(json_object_get(x, "time")), "2026-12-02T04:19:53Z");
	assert_null(json_object_get(x, "queued_as"));
	x = json_array_get(json_object_get(d, "matches"), 1);
	assert_string_equal(json_string_value(json_object_get(x, "status")), "rejected");
	assert_string_equal(json_string_value(json_object_get(x, "to")), "reject@dest.test");
	json_decref(d);
	maillog_free(m);

	/* --rcpt, --from (case-insensitive), --since/--until, --limit */
	memset(&o, 0, sizeof(o));
	o.search = 1;
	o.rcpt = "CANARY@dest.test";
	o.from = "sender@src.test";
	o.matches_max = 1;
	m = new_log(&o);
	feed_all(m);
	d = maillog_to_json(m);
	assert_int_equal(jint(d, "matches_total", NULL), 2);   /* relay + MX */
	assert_int_equal(json_array_size(json_object_get(d, "matches")), 1);
	x = json_array_get(json_object_get(d, "matches"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "queued_as")), "BBBB22222");
	json_decref(d);
	maillog_free(m);

	memset(&o, 0, sizeof(o));
	o.search = 1;
	o.since = (double)mc_time_from_utc(2026, 12, 2, 4, 20, 0);
	o.until = (double)mc_time_from_utc(2026, 12, 2, 4, 21, 0);
	m = new_log(&o);
	feed_all(m);
	d = maillog_to_json(m);
	assert_int_equal(jint(d, "matches_total", NULL), 2);   /* reject + 1st deferral */
	assert_int_equal(jint(d, "messages", NULL), 1);
	assert_int_equal(jint(d, "by_status", "deferred"), 1);
	json_decref(d);
	maillog_free(m);
}

static void test_trace(void **state)
{
	struct maillog_opts o = {0};
	struct maillog *m;
	json_t *d, *tr;
	int passes = 0;

	(void)state;
	o.trace = "<qeu4mcho3j3f5l3gwzwpzqq5j4@src.test>";
	m = new_log(&o);
	do {
		feed_all(m);
		passes++;
	} while (maillog_pass_done(m) && passes < 10);
	assert_true(passes >= 2 && passes <= 4);
	d = maillog_to_json(m);
	tr = json_object_get(d, "trace");
	/* relay AAAA (5 lines + notification + removed), MX BBBB (5), DSN CCCC (3) */
	assert_int_equal(json_array_size(tr), 15);
	assert_string_equal(json_string_value(json_object_get(json_array_get(tr, 0), "queue_id")), "AAAA11111");
	assert_int_equal(json_array_size(json_object_get(d, "matches")), 4);
	assert_int_equal(jint(d, "messages", NULL), 4);   /* the whole log, counted once */
	json_decref(d);
	maillog_free(m);

	/* by the bare probe ID */
	memset(&o, 0, sizeof(o));
	o.trace = "qeu4mcho3j3f5l3gwzwpzqq5j4";
	m = new_log(&o);
	do
		feed_all(m);
	while (maillog_pass_done(m));
	d = maillog_to_json(m);
	assert_int_equal(json_array_size(json_object_get(d, "trace")), 15);
	json_decref(d);
	maillog_free(m);

	/* by queue id, printed as text */
	memset(&o, 0, sizeof(o));
	o.trace = "DDDD44444";
	m = new_log(&o);
	do
		feed_all(m);
	while (maillog_pass_done(m));
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		maillog_print_text(m, f);
		fclose(f);
		assert_non_null(strstr(buf, "Trace (5 lines)"));
		assert_non_null(strstr(buf, "sender delay notification"));
		assert_null(strstr(buf, "AAAA11111: client"));
		free(buf);
	}
	maillog_free(m);
}

static void test_eviction(void **state)
{
	struct maillog_opts o = {0};
	struct maillog *m;
	json_t *d;

	(void)state;
	o.queue_max = 2;
	m = new_log(&o);
	feed(m, "Dec  2 04:00:00 r postfix/smtp[1]: QQQQ00001: to=<a@b>, relay=none, delay=1, dsn=4.4.1, status=deferred (x)");
	feed(m, "Dec  2 04:00:00 r postfix/qmgr[1]: QQQQ00002: from=<s@b>, size=1, nrcpt=1 (queue active)");
	feed(m, "Dec  2 04:00:00 r postfix/qmgr[1]: QQQQ00003: from=<s@b>, size=1, nrcpt=1 (queue active)");
	/* QQQQ00001 was evicted (and finalised): its sender is unknown now */
	feed(m, "Dec  2 04:00:00 r postfix/qmgr[1]: QQQQ00002: from=<s@b>, size=1, nrcpt=1 (queue active)");
	feed(m, "Dec  2 04:00:00 r postfix/qmgr[1]: QQQQ00004: from=<t@b>, size=1, nrcpt=1 (queue active)");
	feed(m, "Dec  2 04:00:00 r postfix/qmgr[1]: QQQQ00002: removed");
	feed(m, "Dec  2 04:00:00 r postfix/qmgr[1]: QQQQ00009: removed");
	d = maillog_to_json(m);
	assert_int_equal(jint(d, "evicted", NULL), 2);
	assert_int_equal(jint(d, "deferred_messages", NULL), 1);
	assert_int_equal(jint(d, "by_sender", "s@b"), 2);
	assert_int_equal(jint(d, "by_sender", "t@b"), 1);
	json_decref(d);
	maillog_free(m);
}

static char *write_tmp(const char *content, size_t n, int gz)
{
	char *path = strdup("/tmp/mc-test-maillog.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	if (gz) {
		gzFile g = gzdopen(fd, "wb");

		assert_int_equal(gzwrite(g, content, (unsigned)n), (int)n);
		gzclose(g);
	} else {
		assert_int_equal(write(fd, content, n), (ssize_t)n);
		close(fd);
	}
	return path;
}

static void test_read(void **state)
{
	struct maillog_opts o = {0};
	struct mc_err err = {0};
	struct maillog *m;
	size_t big = MAILLOG_LINE_MAX + 100, n = 0;
	char *content = malloc(big + 4096), *path;
	json_t *d;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		n += (size_t)sprintf(content + n, "%s\n", relay_lines[i]);
	memset(content + n, 'x', big);    /* an overlong line */
	n += big;
	content[n++] = '\n';
	n += (size_t)sprintf(content + n, "%s", relay_lines[3]);   /* no newline */

	for (int gz = 0; gz <= 1; gz++) {
		path = write_tmp(content, n, gz);
		m = new_log(&o);
		assert_int_equal(maillog_read_path(m, path, &err), 0);
		d = maillog_to_json(m);
		assert_int_equal(jint(d, "lines", NULL), 5);
		assert_int_equal(jint(d, "malformed", NULL), 1);
		assert_int_equal(jint(d, "messages", NULL), 1);
		assert_int_equal(jint(d, "by_status", "sent"), 1);
		json_decref(d);
		maillog_free(m);

		if (gz) {
			/* a truncated gzip stream is a read error; what was read counts */
			assert_int_equal(truncate(path, 40), 0);
			m = new_log(&o);
			assert_int_equal(maillog_read_path(m, path, &err), -1);
			assert_non_null(strstr(err.msg, path));
			maillog_free(m);
		}
		unlink(path);
		free(path);
	}
	free(content);

	m = new_log(&o);
	assert_int_equal(maillog_read_path(m, "/nonexistent/maillog", &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/maillog"));
	assert_int_equal(maillog_read_fd(m, -1, "bad fd", &err), -1);
	maillog_free(m);
}

static void test_samples(void **state)
{
	struct maillog_opts o = {0};
	struct mc_err err = {0};
	struct maillog *m;
	json_t *d;

	(void)state;
	/* pflogsumm 1.1.5 on postfix-relay.log: 7 received, 7 delivered,
	 * 1 deferred (3 deferrals), 1 bounced, 1 rejected */
	m = new_log(&o);
	assert_int_equal(maillog_read_path(m, "tests/data/logs/postfix-relay.log", &err), 0);
	d = maillog_to_json(m);
	assert_int_equal(jint(d, "messages", NULL), 7);
	assert_int_equal(jint(d, "by_status", "sent"), 7);
	assert_int_equal(jint(d, "by_status", "deferred"), 3);
	assert_int_equal(jint(d, "deferred_messages", NULL), 1);
	assert_int_equal(jint(d, "by_status", "bounced"), 1);
	assert_int_equal(jint(d, "by_status", "rejected"), 1);
	assert_int_equal(jint(d, "malformed", NULL), 0);
	json_decref(d);
	maillog_free(m);

	o.format = MAILLOG_SENDMAIL;
	m = new_log(&o);
	assert_int_equal(maillog_read_path(m, "tests/data/logs/sendmail.log", &err), 0);
	assert_int_equal(maillog_read_path(m, "tests/data/logs/postfix-mx.log", &err), 0);
	d = maillog_to_json(m);
	assert_int_equal(jint(d, "messages", NULL), 6);
	assert_int_equal(jint(d, "by_status", "sent"), 4);
	assert_int_equal(jint(d, "by_status", "bounced"), 2);
	assert_int_equal(jint(d, "by_status", "deferred"), 2);
	assert_int_equal(jint(d, "by_status", "rejected"), 1);
	assert_int_equal(jint(d, "by_reason", "greylisted"), 1);
	assert_int_equal(jint(d, "by_reason", "too_many_conn"), 1);
	assert_int_equal(jint(d, "by_reason", "mailbox_full"), 1);
	assert_int_equal(jint(d, "by_reason", "delayed"), 1);
	assert_int_equal(jint(d, "probes", NULL), 1);
	assert_int_equal(jint(d, "malformed", NULL), 1);
	json_decref(d);
	maillog_free(m);
}

static void test_utf8(void **state)
{
	struct maillog_opts o = {0};
	struct maillog *m;
	json_t *d;
	char *s;

	(void)state;
	o.search = 1;
	m = new_log(&o);
	feed(m, "Dec  2 04:00:00 r postfix/qmgr[1]: QQQQ00002: from=<\xff\xfe@b>, size=1, nrcpt=1 (queue active)");
	feed(m, "Dec  2 04:00:00 r postfix/smtp[1]: QQQQ00002: to=<\xc3\xa9@b>, relay=h\x01[1]:25, delay=1, dsn=2.0.0, status=sent (ok \xe2\x82)");
	d = maillog_to_json(m);
	s = json_dumps(d, JSON_COMPACT);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"??@b\""));
	assert_non_null(strstr(s, "\"\xc3\xa9@b\""));
	assert_non_null(strstr(s, "ok ??"));
	free(s);
	json_decref(d);
	maillog_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_postfix_lines),
		cmocka_unit_test(test_sendmail_lines),
		cmocka_unit_test(test_probe_id),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, setup_clock, NULL);
}
