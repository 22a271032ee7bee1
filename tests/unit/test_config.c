/* config/: parsing, validation, secrets, and the file:line of each error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_value.h"

static char tmpdir[] = "/tmp/mc-test-config-XXXXXX";

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static const char *base(void)
{
	static char text[2048];

	snprintf(text, sizeof(text),
		 "[global]\n"
		 "state_dir = /tmp/x\n"
		 "\n"
		 "[relay \"corp\"]\n"
		 "host = 127.0.0.2\n"
		 "port = 10587\n"
		 "tls = starttls   ; never downgraded\n"
		 "user = probe@src.test\n"
		 "password_file = %s/probe.pass\n"
		 "[mailbox \"box\"]\n"
		 "url = imaps://[::1]:10993/Mail%%2FIn\n"
		 "user = canary@dest.test\n"
		 "password = inline-secret\n"
		 "junk_folders = Junk, Spam ,, \n"
		 "[route \"r1\"]\n"
		 "relay = corp\n"
		 "mailbox = box\n"
		 "from = a@src.test\n"
		 "to = canary@dest.test\n"
		 "warn = 1m\n"
		 "crit = 2h\n",
		 tmpdir);
	return text;
}

static struct mc_config *load_text(const char *text, struct mc_err *err)
{
	return config_load_string(text, "t.conf", NULL, err);
}

static void expect_error(const char *text, const char *needle)
{
	struct mc_err err;
	struct mc_config *cfg = load_text(text, &err);

	assert_null(cfg);
	assert_int_equal(err.component, MC_COMP_CONFIG);
	if (!strstr(err.msg, needle))
		fail_msg("expected '%s' in '%s'", needle, err.msg);
}

static void test_valid(void **state)
{
	struct mc_err err;
	struct mc_config *cfg;
	struct mc_route *r;

	(void)state;
	cfg = load_text(base(), &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->state_dir, "/tmp/x");
	assert_int_equal(cfg->retention_days, 60);
	assert_int_equal(cfg->n_relays, 1);
	assert_int_equal(cfg->relays[0].port, 10587);
	assert_int_equal(cfg->relays[0].tls, MC_TLS_STARTTLS);
	assert_string_equal(cfg->relays[0].password, "s3cret");
	assert_int_equal(cfg->relays[0].tls_verify, 1);
	assert_string_equal(cfg->mailboxes[0].host, "::1");
	assert_int_equal(cfg->mailboxes[0].port, 10993);
	assert_string_equal(cfg->mailboxes[0].folder, "Mail/In");
	assert_int_equal(cfg->mailboxes[0].tls, MC_TLS_IMPLICIT);
	assert_int_equal(cfg->mailboxes[0].n_junk, 2);
	assert_string_equal(cfg->mailboxes[0].junk_folders[1], "Spam");
	assert_null(cfg->mailboxes[0].junk_folders[2]);
	r = config_route(cfg, "r1");
	assert_non_null(r);
	assert_ptr_equal(r->relay, &cfg->relays[0]);
	assert_ptr_equal(r->mailbox, &cfg->mailboxes[0]);
	assert_null(r->bounces);
	assert_int_equal(r->warn, 60);
	assert_int_equal(r->crit, 7200);
	assert_int_equal(r->interval, 300);
	assert_null(config_route(cfg, "nope"));
	config_free(cfg);
	config_free(NULL);
}

static void test_errors_name_line(void **state)
{
	char text[4096];

	(void)state;
	snprintf(text, sizeof(text), "%s%s", base(), "colour = blue\n");
	expect_error(text, "t.conf:22: unknown key 'colour' in [route]");
	expect_error("[relay \"a\"]\nhost = h\n[frob \"x\"]\n",
		     "t.conf:3: unknown section type 'frob'");
	expect_error("[relay \"a\"]\nhost = h\n[relay \"a\"]\nhost = i\n",
		     "t.conf:3: relay \"a\" is defined twice");
	expect_error("[relay \"a\"]\nhost = h\nhost = i\n",
		     "t.conf:3: host: key given twice");
	expect_error("[relay]\nhost = h\n", "t.conf:1: section [relay] needs a name");
	expect_error("[relay \"a b\"]\nhost = h\n", "t.conf:1: section [relay] needs a name");
	expect_error("host = h\n", "t.conf:1: host: key outside a section");
	expect_error("[relay \"a\"]\nport = 99999\nhost = h\n",
		     "t.conf:2: port: 99999 is out of range");
	expect_error("[relay \"a\"]\nport = 25x\n", "t.conf:2: port: expected a whole number");
	expect_error("[relay \"a\"]\ntls = maybe\n", "t.conf:2: tls: expected starttls, tls or none");
	expect_error("[relay \"a\"]\ntls_verify = perhaps\n", "t.conf:2: tls_verify: expected yes or no");
	expect_error("[relay \"a\"]\nport = 25\n", "t.conf:1: relay \"a\": host is required");
	expect_error("[relay \"a\"]\nhost = h\nthis is not ini\n", "t.conf:3: syntax error");
	expect_error("[global]\nretention_days = 0\n", "t.conf:2: retention_days: 0 is out of range");
	expect_error("[mailbox \"m\"]\nurl = pop3://h/\nuser = u\npassword = p\n",
		     "t.conf:1: mailbox \"m\": url: expected imap://");
	expect_error("[mailbox \"m\"]\nurl = imap://u@h/\nuser = u\npassword = p\n",
		     "put the user in 'user'");
	expect_error("[mailbox \"m\"]\nurl = imap://h:0/\nuser = u\npassword = p\n", "bad port");
	expect_error("[mailbox \"m\"]\nurl = imap://h/a%00b\nuser = u\npassword = p\n", "bad %-escape");
	expect_error("[mailbox \"m\"]\nurl = imap://h/\npassword = p\n", "user is required");
	expect_error("[mailbox \"m\"]\nurl = imap://h/\nuser = u\n",
		     "mailbox \"m\": user is set but there is no password_file (nor $CREDENTIALS_DIRECTORY/m)");
}

static void test_route_references(void **state)
{
	(void)state;
	expect_error("[mailbox \"m\"]\nurl = imap://h/\nuser = u\npassword = p\n"
		     "[route \"r\"]\nmailbox = m\nrelay = nowhere\nfrom = a@b\nto = c@d\n",
		     "t.conf:7: route \"r\": relay \"nowhere\" is not defined");
	expect_error("[relay \"x\"]\nhost = h\n[route \"r\"]\nrelay = x\nmailbox = m\n",
		     "t.conf:5: route \"r\": mailbox \"m\" is not defined");
	expect_error("[relay \"x\"]\nhost = h\n[mailbox \"m\"]\nurl = imap://h/\nuser = u\npassword = p\n"
		     "[route \"r\"]\nrelay = x\nmailbox = m\nbounces = b\n",
		     "t.conf:10: route \"r\": bounces mailbox \"b\" is not defined");
	expect_error("[relay \"x\"]\nhost = h\n[mailbox \"m\"]\nurl = imap://h/\nuser = u\npassword = p\n"
		     "[route \"r\"]\nrelay = x\nmailbox = m\nfrom = not-an-address\nto = c@d\n",
		     "t.conf:7: route \"r\": from must be an address");
	expect_error("[relay \"x\"]\nhost = h\n[mailbox \"m\"]\nurl = imap://h/\nuser = u\npassword = p\n"
		     "[route \"r\"]\nrelay = x\nmailbox = m\nfrom = a@b\nto = c@d\nwarn = 10m\ncrit = 5m\n",
		     "warn (600 s) must be less than crit (300 s)");
	expect_error("[relay \"x\"]\nhost = h\n[mailbox \"m\"]\nurl = imap://h/\nuser = u\npassword = p\n"
		     "[route \"r\"]\nrelay = x\nmailbox = m\nfrom = a@b\nto = c@d\nalert = pager\n",
		     "t.conf:12: route \"r\": alert \"pager\" is not defined");
	expect_error("[route \"r\"]\ninterval = 5\n", "t.conf:2: interval: 5 is out of range");
	expect_error("[route \"r\"]\ninterval = 5w\n", "expected seconds, or a number with unit");
}

static void test_empty_section_is_validated(void **state)
{
	(void)state;
	expect_error("[relay \"a\"]\n", "t.conf:1: relay \"a\": host is required");
}

static void test_long_line(void **state)
{
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "[relay \"a\"]\nhost = %0400d\n", 7);
	expect_error(text, "t.conf:2: line longer than");
}

static void test_secrets(void **state)
{
	struct mc_err err;
	struct mc_config *cfg;
	const char *path;
	char dir[600];

	(void)state;
	/* Inline secret in a group-readable file is refused ... */
	path = write_file("open.conf", base(), 0644);
	assert_null(config_load(path, &err));
	assert_non_null(strstr(err.msg, "open.conf:13: password: refusing an inline secret"));
	/* ... and accepted in a 0600 one. */
	path = write_file("closed.conf", base(), 0600);
	cfg = config_load(path, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->mailboxes[0].password, "inline-secret");
	config_free(cfg);

	/* A password file readable by others is refused. */
	write_file("probe.pass", "s3cret\n", 0644);
	assert_null(load_text(base(), &err));
	assert_non_null(strstr(err.msg, "probe.pass is readable by others"));
	write_file("probe.pass", "", 0600);
	assert_null(load_text(base(), &err));
	assert_non_null(strstr(err.msg, "must hold one non-empty line"));
	write_file("probe.pass", "s3cret\n", 0600);

	/* $CREDENTIALS_DIRECTORY/<section name> */
	snprintf(dir, sizeof(dir), "%s", tmpdir);
	write_file("m", "from-credentials\r\n", 0600);
	cfg = config_load_string("[mailbox \"m\"]\nurl = imap://h/\nuser = u\n",
				 "t.conf", dir, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->mailboxes[0].password, "from-credentials");
	config_free(cfg);

	assert_null(config_load_string("[mailbox \"m\"]\nurl = imap://h/\nuser = u\npassword_file = /nonexistent/x\n",
				       "t.conf", NULL, &err));
	assert_non_null(strstr(err.msg, "t.conf:1: mailbox \"m\": cannot read password file /nonexistent/x"));
	assert_null(config_load("/nonexistent.conf", &err));
	assert_non_null(strstr(err.msg, "/nonexistent.conf: cannot open"));
}

static void test_secret_not_in_errors(void **state)
{
	struct mc_err err;

	(void)state;
	assert_null(load_text("[relay \"a\"]\nhost = h\npassword = hunter2\n", &err));
	assert_null(strstr(err.msg, "hunter2"));
	assert_non_null(strstr(err.msg, "a password needs a user"));
}

static void test_values(void **state)
{
	long v;
	size_t n;
	char **l;
	char *host, *folder;
	int port;
	enum mc_tls_mode tls;

	(void)state;
	assert_null(config_value_duration("90", &v));
	assert_int_equal(v, 90);
	assert_null(config_value_duration("2d", &v));
	assert_int_equal(v, 172800);
	assert_non_null(config_value_duration("", &v));
	assert_non_null(config_value_duration("-5", &v));
	assert_non_null(config_value_duration("99999999999999999999", &v));
	assert_int_equal(config_value_bool("On"), 1);
	assert_int_equal(config_value_bool("0"), 0);
	assert_int_equal(config_value_bool("y"), -1);
	l = config_value_list("", &n);
	assert_int_equal(n, 0);
	assert_null(l[0]);
	config_value_list_free(l);
	assert_int_equal(config_value_address("a@b.c"), 0);
	assert_int_equal(config_value_address("@b"), -1);
	assert_int_equal(config_value_address("a b@c"), -1);
	assert_int_equal(config_value_address("a@"), -1);
	assert_null(config_value_imap_url("imap://mail.example", &host, &port, &folder, &tls));
	assert_string_equal(host, "mail.example");
	assert_string_equal(folder, "INBOX");
	assert_int_equal(port, 143);
	assert_int_equal(tls, MC_TLS_STARTTLS);
	free(host);
	free(folder);
	assert_non_null(config_value_imap_url("imap://[::1/x", &host, &port, &folder, &tls));
	assert_non_null(config_value_imap_url("imap:///x", &host, &port, &folder, &tls));
	assert_non_null(config_value_imap_url("imap://h/x?y", &host, &port, &folder, &tls));
}


#define ROUTE_OK "[relay \"x\"]\nhost = h\n[mailbox \"m\"]\nurl = imap://h/\nuser = u\npassword = p\n" \
		 "[route \"r\"]\nrelay = x\nmailbox = m\nfrom = a@b\nto = c@d\n"

static void test_alerts(void **state)
{
	struct mc_err err;
	struct mc_config *cfg;
	char text[2048];
	struct mc_alert *a;

	(void)state;
	write_file("pd.key", "pd-routing-key\n", 0600);
	write_file("og.key", "og-api-key\n", 0600);
	snprintf(text, sizeof(text),
		 ROUTE_OK "alert = hook, pd ,am\n"
		 "[alert \"hook\"]\ntype = exec\ncommand = /usr/local/bin/page-me  --to  ops\n"
		 "failures = 3\nrepeat = 1h\ntimeout = 5\n"
		 "[alert \"pd\"]\ntype = pagerduty\nrouting_key_file = %s/pd.key\n"
		 "[alert \"og\"]\ntype = opsgenie\napi_key_file = %s/og.key\nurl = https://api.eu.opsgenie.com\n"
		 "[alert \"am\"]\ntype = alertmanager\nurl = http://127.0.0.14:9093\nrepeat = 0\n"
		 "[alert \"wh\"]\ntype = webhook\nurl = http://[::1]:8080/x\nca_file = /etc/ca.pem\n"
		 "[alert \"sl\"]\ntype = slack\nurl = https://hooks.slack.example/services/T/B/C\n",
		 tmpdir, tmpdir);
	cfg = load_text(text, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->n_alerts, 6);
	assert_int_equal(cfg->routes[0].n_alerts, 3);
	assert_ptr_equal(cfg->routes[0].alerts[0], config_alert(cfg, "hook"));
	assert_ptr_equal(cfg->routes[0].alerts[1], config_alert(cfg, "pd"));
	assert_ptr_equal(cfg->routes[0].alerts[2], config_alert(cfg, "am"));
	assert_null(cfg->routes[0].alerts[3]);
	a = config_alert(cfg, "hook");
	assert_int_equal(a->type, MC_ALERT_EXEC);
	assert_string_equal(a->argv[0], "/usr/local/bin/page-me");
	assert_string_equal(a->argv[1], "--to");
	assert_string_equal(a->argv[2], "ops");
	assert_null(a->argv[3]);
	assert_int_equal(a->failures, 3);
	assert_int_equal(a->repeat, 3600);
	assert_true(a->timeout == 5);
	a = config_alert(cfg, "pd");
	assert_int_equal(a->type, MC_ALERT_PAGERDUTY);
	assert_string_equal(a->url, "https://events.pagerduty.com/v2/enqueue");
	assert_string_equal(a->secret, "pd-routing-key");
	assert_int_equal(a->failures, 1);
	assert_int_equal(a->repeat, 3600);
	assert_true(a->timeout == 10);
	a = config_alert(cfg, "og");
	assert_string_equal(a->secret, "og-api-key");
	assert_string_equal(a->url, "https://api.eu.opsgenie.com");
	assert_int_equal(config_alert(cfg, "am")->repeat, 0);
	assert_string_equal(config_alert(cfg, "wh")->ca_file, "/etc/ca.pem");
	assert_int_equal(config_alert(cfg, "sl")->type, MC_ALERT_SLACK);
	assert_string_equal(config_alert_type_name(MC_ALERT_ALERTMANAGER), "alertmanager");
	assert_null(config_alert(cfg, "nope"));
	config_free(cfg);

	/* a route without alert = gets an empty list */
	cfg = load_text(ROUTE_OK, &err);
	assert_non_null(cfg);
	assert_int_equal(cfg->routes[0].n_alerts, 0);
	assert_null(cfg->routes[0].alerts[0]);
	config_free(cfg);

	/* $CREDENTIALS_DIRECTORY/<alert name> */
	write_file("pd2", "from-credentials\n", 0600);
	cfg = config_load_string("[alert \"pd2\"]\ntype = pagerduty\n", "t.conf",
				 tmpdir, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->alerts[0].secret, "from-credentials");
	config_free(cfg);
}

/* [report]: relay and from for `report --mail-to`, defaulting to the
 * first route's; no name, given once, known relay, an address. */
static void test_report_section(void **state)
{
	char text[4096];
	struct mc_err err;
	struct mc_config *cfg;

	(void)state;
	/* defaults: the first route's relay and from */
	cfg = load_text(base(), &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_ptr_equal(cfg->report.relay, &cfg->relays[0]);
	assert_string_equal(cfg->report.from, "a@src.test");
	assert_int_equal(cfg->report.line, 0);
	config_free(cfg);
	/* explicit, and before the relay it names */
	snprintf(text, sizeof(text),
		 "[report]\nrelay = other\nfrom = reports@src.test\n%s"
		 "[relay \"other\"]\nhost = 127.0.0.9\ntls = none\n", base());
	cfg = load_text(text, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->report.relay->name, "other");
	assert_string_equal(cfg->report.from, "reports@src.test");
	assert_int_equal(cfg->report.line, 1);
	config_free(cfg);
	/* an empty relay = keeps the default */
	snprintf(text, sizeof(text), "%s[report]\nrelay =\n", base());
	cfg = load_text(text, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg->report.relay->name, "corp");
	config_free(cfg);
	/* no route, no [report]: nothing to mail with (cmd_report says so) */
	cfg = load_text("[relay \"a\"]\nhost = h\n", &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_null(cfg->report.relay);
	assert_null(cfg->report.from);
	config_free(cfg);

	snprintf(text, sizeof(text), "%s[report]\nrelay = nope\n", base());
	expect_error(text, "t.conf:23: report: relay \"nope\" is not defined");
	snprintf(text, sizeof(text), "%s[report]\nfrom = not-an-address\n", base());
	expect_error(text, "t.conf:22: report: from must be an address");
	snprintf(text, sizeof(text), "%s[report]\nsubject = x\n", base());
	expect_error(text, "t.conf:23: unknown key 'subject' in [report]");
	expect_error("[report \"weekly\"]\n", "t.conf:1: [report] takes no name");
	expect_error("[report]\nfrom = a@b.test\n[report]\n",
		     "t.conf:3: [report] is given twice (first at line 1)");
	expect_error("[report]\nfrom = a@b.test\nfrom = c@b.test\n",
		     "t.conf:3: from: key given twice");
}

static void test_alert_errors(void **state)
{
	struct mc_err err;

	(void)state;
	expect_error(ROUTE_OK "alert = a, b\n[alert \"a\"]\ntype = webhook\nurl = https://h/\n",
		     "t.conf:12: route \"r\": alert \"b\" is not defined");
	expect_error(ROUTE_OK "alert = a, a\n[alert \"a\"]\ntype = webhook\nurl = https://h/\n",
		     "t.conf:12: route \"r\": alert \"a\" is listed twice");
	expect_error("[alert \"a\"]\nurl = https://h/\n", "t.conf:1: alert \"a\": type is required");
	expect_error("[alert \"a\"]\ntype = email\n", "t.conf:2: type: expected exec, webhook");
	expect_error("[alert \"a\"]\ntype = exec\n", "t.conf:1: alert \"a\": command is required");
	expect_error("[alert \"a\"]\ntype = exec\ncommand = page-me\n",
		     "command must start with an absolute path");
	expect_error("[alert \"a\"]\ntype = exec\ncommand =   \n", "command is required");
	expect_error("[alert \"a\"]\ntype = exec\ncommand = /bin/x\nurl = https://h/\n",
		     "type = exec takes command, not url");
	expect_error("[alert \"a\"]\ntype = webhook\ncommand = /bin/x\nurl = https://h/\n",
		     "command is for type = exec");
	expect_error("[alert \"a\"]\ntype = webhook\n", "url is required for type = webhook");
	expect_error("[alert \"a\"]\ntype = slack\nurl = http://hooks.example/secret-token\n",
		     "http:// is allowed to loopback addresses only");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = ftp://h/\n", "expected an https:// URL");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = https://\n", "url: no host");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = http://u:p@127.0.0.1/\n",
		     "credentials in the URL are not allowed");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = http://localhost.evil.example/\n",
		     "loopback addresses only");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = https://h/\nrouting_key_file = /x\n",
		     "routing_key_file is for type = pagerduty");
	expect_error("[alert \"a\"]\ntype = pagerduty\napi_key_file = /x\n",
		     "api_key_file is for type = opsgenie");
	expect_error("[alert \"a\"]\ntype = pagerduty\n",
		     "t.conf:1: alert \"a\": routing_key_file is required (or $CREDENTIALS_DIRECTORY/a)");
	expect_error("[alert \"a\"]\ntype = opsgenie\n", "api_key_file is required");
	expect_error("[alert \"a\"]\ntype = pagerduty\nrouting_key_file = /nonexistent/k\n",
		     "alert \"a\": cannot read password file /nonexistent/k");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = https://h/\nfailures = 0\n",
		     "t.conf:4: failures: 0 is out of range");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = https://h/\nrepeat = -1\n",
		     "t.conf:4: repeat:");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = https://h/\ntimeout = 0\n",
		     "t.conf:4: timeout: 0 is out of range");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = https://h/\nbogus = 1\n",
		     "t.conf:4: unknown key 'bogus' in [alert]");
	expect_error("[alert \"a\"]\ntype = webhook\nurl = https://h/\n[alert \"a\"]\n",
		     "t.conf:4: alert \"a\" is defined twice");
	expect_error("[alert]\n", "section [alert] needs a name");
	/* a readable key file is refused, and the key is never echoed */
	write_file("open.key", "leaky-key\n", 0644);
	{
		char text[512];

		snprintf(text, sizeof(text),
			 "[alert \"a\"]\ntype = pagerduty\nrouting_key_file = %s/open.key\n",
			 tmpdir);
		assert_null(load_text(text, &err));
		assert_non_null(strstr(err.msg, "is readable by others"));
		assert_null(strstr(err.msg, "leaky-key"));
	}
}

/* Every key of the shipped example is valid: loading it stops only at its
 * (absent) password files. */
static void test_example_config(void **state)
{
	struct mc_err err;

	(void)state;
	assert_null(config_load("config/mailcanary.conf.example", &err));
	if (!strstr(err.msg, "cannot read password file /etc/mailcanary/corp.pass"))
		fail_msg("%s", err.msg);
}

/* [check "name"]: every key, defaults, lookups and each error. */
static void test_check_sections(void **state)
{
	struct mc_err err;
	struct mc_config *cfg;
	struct mc_check_cfg *k;

	(void)state;
	cfg = load_text("[check \"a\"]\n"
			"domain = example.net\n"
			"ips = 192.0.2.10, 2001:db8::10\n"
			"selectors = s1, s2._x\n"
			"dnsbl = zen.example, domain:dbl.example\n"
			"interval = 2h\n"
			"dnsbl_from_probes = all\n"
			"dnsbl_probe_window = 2d\n"
			"[check \"b\"]\n"
			"domain = b.example.\n"
			"dnsbl_from_probes = no\n"
			"dnsbl =\n", &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->n_checks, 2);
	k = config_check(cfg, "a");
	assert_non_null(k);
	assert_string_equal(k->domain, "example.net");
	assert_int_equal(k->n_ips, 2);
	assert_string_equal(k->ips[1], "2001:db8::10");
	assert_null(k->ips[2]);
	assert_int_equal(k->n_selectors, 2);
	assert_string_equal(k->selectors[1], "s2._x");
	assert_int_equal(k->n_dnsbl, 2);
	assert_string_equal(k->dnsbl[1], "domain:dbl.example");
	assert_int_equal(k->interval, 7200);
	assert_int_equal(k->dnsbl_from_probes, MC_PROBE_IPS_ALL);
	assert_string_equal(config_probe_ips_name(k->dnsbl_from_probes), "all");
	assert_int_equal(k->dnsbl_probe_window, 2 * 86400);
	assert_int_equal(k->n_alerts, 0);
	assert_non_null(k->alerts);
	assert_int_equal(k->line, 1);
	k = config_check(cfg, "b");
	assert_non_null(k);
	assert_int_equal(k->interval, 3600);
	assert_int_equal(k->dnsbl_from_probes, MC_PROBE_IPS_NO);
	assert_string_equal(config_probe_ips_name(k->dnsbl_from_probes), "no");
	assert_int_equal(k->n_ips, 0);
	assert_non_null(k->ips);
	assert_null(k->ips[0]);
	assert_non_null(k->dnsbl);      /* "dnsbl =": no lists at all */
	assert_int_equal(k->n_dnsbl, 0);
	assert_null(config_check(cfg, "c"));
	config_free(cfg);

	cfg = load_text("[check \"c\"]\ndomain = c.example\n", &err);
	assert_non_null(cfg);
	assert_null(cfg->checks[0].dnsbl);   /* absent: the default lists */
	assert_int_equal(cfg->checks[0].dnsbl_from_probes, MC_PROBE_IPS_PUBLIC);
	assert_string_equal(config_probe_ips_name(MC_PROBE_IPS_PUBLIC), "public");
	assert_int_equal(cfg->checks[0].dnsbl_probe_window, 7 * 86400);
	config_free(cfg);
	cfg = load_text("[check \"c\"]\ndomain = c.example\ndnsbl_from_probes = yes\n"
			"[check \"d\"]\ndomain = d.example\ndnsbl_from_probes = public\n",
			&err);
	assert_non_null(cfg);
	assert_int_equal(cfg->checks[0].dnsbl_from_probes, MC_PROBE_IPS_PUBLIC);
	assert_int_equal(cfg->checks[1].dnsbl_from_probes, MC_PROBE_IPS_PUBLIC);
	config_free(cfg);
	expect_error("[check \"a\"]\ndomain = a.example\ndnsbl_from_probes = some\n",
		     "t.conf:3: dnsbl_from_probes: expected public, all or no, not 'some'");
	expect_error("[check \"a\"]\ndomain = a.example\ndnsbl_probe_window = 10m\n",
		     "t.conf:3: dnsbl_probe_window: 600 is out of range 3600..31536000");

	expect_error("[check \"a\"]\nips = 192.0.2.1\n",
		     "t.conf:1: check \"a\": domain is required");
	expect_error("[check \"a\"]\ndomain = bad..name\n",
		     "t.conf:1: check \"a\": domain 'bad..name' is not a domain name");
	expect_error("[check \"a\"]\ndomain = a.example\nips = 192.0.2.300\n",
		     "check \"a\": ips: '192.0.2.300' is not an IP address");
	expect_error("[check \"a\"]\ndomain = a.example\nselectors = s 1\n",
		     "check \"a\": selectors: 's 1' is not a DKIM selector");
	expect_error("[check \"a\"]\ndomain = a.example\ndnsbl = domain:\n",
		     "check \"a\": dnsbl: 'domain:' is not a zone");
	expect_error("[check \"a\"]\ndomain = a.example\ninterval = 10\n",
		     "t.conf:3: interval: 10 is out of range 60..604800");
	expect_error("[check \"a\"]\ndomain = a.example\nalert = pager\n",
		     "check \"a\": alert \"pager\" is not defined");
	expect_error("[check \"a\"]\ndomain = a.example\ncolour = red\n",
		     "t.conf:3: unknown key 'colour' in [check]");
	expect_error("[check \"a\"]\ndomain = a.example\n[check \"a\"]\ndomain = b\n",
		     "t.conf:3: check \"a\" is defined twice");
	expect_error("[check]\ndomain = a.example\n",
		     "t.conf:1: section [check] needs a name");
}

/* The example's [check] section on its own (the whole file stops at its
 * absent password files before checks are validated). */
static void test_example_check_section(void **state)
{
	static char text[65536];
	struct mc_err err;
	struct mc_config *cfg;
	FILE *f = fopen("config/mailcanary.conf.example", "r");
	size_t n;
	char *sec, *end, *al;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	sec = strstr(text, "[check \"");
	assert_non_null(sec);
	/* The section alone: up to the next section; its alert = line names
	 * [alert] sections that are not part of this text. */
	if ((end = strstr(sec + 1, "\n[")))
		end[1] = '\0';
	if ((al = strstr(sec, "\nalert = ")))
		al[1] = ';';
	cfg = load_text(sec, &err);
	if (!cfg)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->n_checks, 1);
	assert_string_equal(cfg->checks[0].domain, "example.net");
	config_free(cfg);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	write_file("probe.pass", "s3cret\n", 0600);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors_name_line),
		cmocka_unit_test(test_route_references),
		cmocka_unit_test(test_empty_section_is_validated),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_secret_not_in_errors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_example_config),
		cmocka_unit_test(test_check_sections),
		cmocka_unit_test(test_example_check_section),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_alert_errors),
		cmocka_unit_test(test_report_section),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
