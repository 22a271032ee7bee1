/* mailcanary report: delivery statistics of a period from the store's
 * history, as text tables, one JSON document (--format json or the global
 * --json), one self-contained HTML page (report/report.h says what is
 * computed and how) or that page printed to PDF by headless Chromium
 * (report/report_pdf.h; needs -o, "-o -" for standard output). -o FILE
 * writes to FILE, replaced atomically (a temporary file in the same
 * directory, renamed), else standard output.
 * The period: --period day|week|month (the last 1, 7 or 30 days up to now;
 * default week), or --since/--until (RFC 3339 or YYYY-MM-DD; a missing end
 * is now, a missing start is the period before --until).
 * --mail-to ADDR mails the report (report/report_mail.h: the text as the
 * body, the HTML attached) through the [report] relay -- by default the
 * first route's -- with the probes' submission code (probe_submit(): TLS
 * verified, AUTH as for probes), and prints one line saying so; with -o
 * the report is also written, without -o it is not printed. A report
 * judges nothing: exit 0, or 3 when it cannot be made or mailed. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mc_buf.h"
#include "config/config.h"
#include "config/config_value.h"
#include "mc_time.h"
#include "probe/probe.h"
#include "report/report.h"
#include "report/report_mail.h"
#include "report/report_pdf.h"
#include "store/store.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_HTML, FMT_PDF };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] [--json] report [--period day|week|month]\n"
		"         [--since T] [--until T] [--format text|json|html|pdf] [-o FILE]\n"
		"         [--mail-to ADDR]\n"
		"Delivery statistics of the probes sent in a period, per route and\n"
		"overall: states, delivery time p50/p95/max, per-hop delays,\n"
		"breakdowns by date, weekday, hour (UTC), domain and SMTP/DSN code,\n"
		"greylisting, incidents and the newest probes. The period is the\n"
		"last day, week (default) or month (30 days), or --since/--until\n"
		"(RFC 3339 or YYYY-MM-DD, UTC). -o FILE: write FILE (replaced\n"
		"atomically) instead of standard output. --format pdf prints the\n"
		"HTML page with headless Chromium ($MAILCANARY_CHROMIUM, else\n"
		"chromium, chromium-browser or google-chrome on PATH) and needs\n"
		"-o FILE (-o - for standard output).\n"
		"--mail-to ADDR: mail the report (text body, HTML attached) to ADDR\n"
		"through the [report] relay (default: the first route's) from the\n"
		"[report] from address (default: the first route's from); the report\n"
		"is then written only where -o says. Exit 0, or 3.\n");
}

/* RFC 3339, or YYYY-MM-DD (its first instant; end_of_day: the next day's
 * first, the period being half-open). Returns 0 and *t, or -1. */
static int parse_when(const char *s, int end_of_day, double *t)
{
	int y, mo, d;
	char tail;

	if (mc_time_parse_rfc3339(s, strlen(s), t) == 0)
		return 0;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 ||
	    s[4] != '-' || s[7] != '-' || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	*t = (double)mc_time_from_utc(y, mo, d, 0, 0, 0);
	if (end_of_day)
		*t += 86400;
	return 0;
}

/* Renders r in format f (not pdf) into a new buffer; NULL on failure. */
static char *render_mem(const struct report *r, enum fmt f, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	int rc = -1;

	if (!out)
		return NULL;
	if (f == FMT_TEXT) {
		rc = report_text(r, out);
	} else if (f == FMT_HTML) {
		rc = report_html(r, out);
	} else {
		json_t *doc = report_json(r);
		struct mc_buf jb = {0};

		rc = !doc || cli_dump_json(doc, out, JSON_COMPACT, &jb) ||
		     fputc('\n', out) == EOF;
		mc_buf_free(&jb);
		json_decref(doc);
	}
	if (fclose(out) != 0 || rc) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* The report as PDF (a new buffer), or NULL after printing why. */
static char *render_pdf(const struct report *r, size_t *len)
{
	struct mc_err err = {0};
	char *html, *browser, *pdf = NULL;
	size_t hlen;

	if (!(html = render_mem(r, FMT_HTML, &hlen))) {
		cli_fail("report: out of memory rendering the HTML for the PDF");
		return NULL;
	}
	/* cli/ is where the environment is read (STYLE.md 15). */
	browser = report_pdf_find_browser(getenv("MAILCANARY_CHROMIUM"),
					  getenv("PATH"), &err);
	if (!browser ||
	    report_pdf_render(browser, html, hlen, getenv("TMPDIR"),
			      REPORT_PDF_TIMEOUT, &pdf, len, &err))
		cli_fail("report: %s", err.msg);
	free(browser);
	free(html);
	return pdf;
}

/* Writes p[0..n) to path through a temporary file renamed over it. */
static int write_file(const char *p, size_t n, const char *path)
{
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	FILE *out = NULL;
	int fd, rc = -1;

	if (!tmp)
		return cli_fail("report: out of memory");
	snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		cli_fail("report: cannot create a file next to %s: %m", path);
		goto out;
	}
	if (fchmod(fd, 0644) != 0 || !(out = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		cli_fail("report: %s: %m", tmp);
		goto out;
	}
	if (fwrite(p, 1, n, out) != n || fflush(out) != 0 ||
	    fsync(fileno(out)) != 0) {
		fclose(out);
		unlink(tmp);
		cli_fail("report: cannot write %s", path);
		goto out;
	}
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		cli_fail("report: cannot write %s: %m", path);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/* Renders r as f and writes it to path ("-" or NULL: standard output). */
static int output(const struct report *r, enum fmt f, const char *path)
{
	size_t n = 0;
	char *p = f == FMT_PDF ? render_pdf(r, &n) : render_mem(r, f, &n);
	int rc = -1;

	if (!p) {
		if (f != FMT_PDF)
			cli_fail("report: out of memory rendering the report");
		return -1;
	}
	if (path && strcmp(path, "-") != 0)
		rc = write_file(p, n, path);
	else if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
		cli_fail("report: cannot write the report to standard output");
	else
		rc = 0;
	free(p);
	return rc;
}

/* Mails r to `to` through the [report] relay: the text report as the body,
 * the HTML page attached. Prints one line either way (on stdout, or on
 * stderr when the report itself went to stdout; one JSON document with
 * --json). Returns the exit code. */
static int mail_report(const struct mc_cli *cli, const struct mc_config *cfg,
		       const struct report *r, const char *period,
		       const char *to, int report_on_stdout)
{
	const struct mc_report_cfg *rc_cfg = &cfg->report;
	struct mc_route route = {0};
	struct mc_probe_result res;
	struct report_mail m = {0};
	struct mc_err err = {0};
	char id[PROBE_ID_LEN + 1], msgid[PROBE_ID_LEN + 300], fname[64];
	char *text = NULL, *html = NULL, *subject = NULL, *msg = NULL;
	int rc = MC_EXIT_UNKNOWN;

	if (!rc_cfg->relay || !rc_cfg->from)
		return cli_fail("report: --mail-to needs a relay and a from address: give [report] relay = and from = in %s, or define a route",
				cfg->path);
	if (probe_id_new(id, &err))
		return cli_fail("report: %s", err.msg);
	snprintf(msgid, sizeof(msgid), "report-%s@%s", id,
		 strrchr(rc_cfg->from, '@') + 1);
	m.from = rc_cfg->from;
	m.to = to;
	m.date = mc_now_real();
	m.message_id = msgid;
	m.filename = report_mail_filename(r->until, fname, sizeof(fname));
	if (!(text = render_mem(r, FMT_TEXT, &m.text_len)) ||
	    !(html = render_mem(r, FMT_HTML, &m.html_len)) ||
	    !(subject = report_mail_subject(r, period))) {
		rc = cli_fail("report: out of memory rendering the mail");
		goto out;
	}
	m.text = text;
	m.html = html;
	m.subject = subject;
	if (!(msg = report_mail_message(&m, &err))) {
		rc = cli_fail("report: %s", err.msg);
		goto out;
	}
	/* A route of the report's own: the relay's TLS and AUTH settings as
	 * probes use them, the report's envelope. */
	route.name = "report";
	route.relay = rc_cfg->relay;
	route.from = rc_cfg->from;
	route.to = (char *)to;
	if (probe_submit(&route, msg, id, &res, &err)) {
		rc = cli_fail("report: mailing to %s via relay %s failed at stage %s: %s",
			      to, rc_cfg->relay->name, res.stage, err.msg);
		goto out;
	}
	if (cli->json && !report_on_stdout) {
		json_t *doc = json_pack("{s:{s:s,s:s,s:s,s:s,s:s*}}", "mailed",
					"to", to, "relay", rc_cfg->relay->name,
					"subject", subject, "message_id", msgid,
					"queue_id",
					res.queue_id[0] ? res.queue_id : NULL);
		rc = doc && cli_print_json(doc) == 0
			     ? MC_EXIT_OK
			     : cli_fail("report: cannot write to standard output");
		goto out;
	}
	fprintf(report_on_stdout ? stderr : stdout,
		"mailed report to %s via relay %s (queue id %s)\n", to,
		rc_cfg->relay->name, res.queue_id[0] ? res.queue_id : "unknown");
	rc = MC_EXIT_OK;
out:
	free(msg);
	free(subject);
	free(html);
	free(text);
	return rc;
}

int cmd_report(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"period", required_argument, NULL, 'p'},
		{"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"mail-to", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double span = 7 * 86400.0, since = NAN, until = NAN;
	enum fmt f = cli->json ? FMT_JSON : FMT_TEXT;
	struct report_route_cfg *routes = NULL;
	const char *path = NULL, *mail_to = NULL, *period = "weekly";
	struct mc_config *cfg = NULL;
	struct mc_store *st = NULL;
	struct report *r = NULL;
	struct mc_err err = {0};
	int c, rc = MC_EXIT_UNKNOWN;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (strcmp(optarg, "day") == 0)
				span = 86400, period = "daily";
			else if (strcmp(optarg, "week") == 0)
				span = 7 * 86400, period = "weekly";
			else if (strcmp(optarg, "month") == 0)
				span = 30 * 86400, period = "monthly";
			else
				return cli_fail("report: --period '%s': expected day, week or month",
						optarg);
			break;
		case 'S':
		case 'U':
			if (parse_when(optarg, c == 'U', c == 'S' ? &since : &until))
				return cli_fail("report: --%s '%s': expected RFC 3339 or YYYY-MM-DD",
						c == 'S' ? "since" : "until", optarg);
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				f = FMT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				f = FMT_JSON;
			else if (strcmp(optarg, "html") == 0)
				f = FMT_HTML;
			else if (strcmp(optarg, "pdf") == 0)
				f = FMT_PDF;
			else
				return cli_fail("report: --format '%s': expected text, json, html or pdf",
						optarg);
			break;
		case 'o':
			path = optarg;
			break;
		case 'M':
			if (config_value_address(optarg))
				return cli_fail("report: --mail-to '%s': expected an address like ops@example.net",
						optarg);
			mail_to = optarg;
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return cli_fail("report: unexpected argument '%s'", argv[optind]);
	}
	if (f == FMT_PDF && !path)
		return cli_fail("report: --format pdf needs -o FILE (-o - writes the PDF to standard output)");
	/* A named period only when --since does not set the start. */
	if (!isnan(since))
		period = NULL;
	double now = mc_now_real();
	if (isnan(until))
		until = now;
	if (isnan(since))
		since = until - span;
	if (until <= since)
		return cli_fail("report: the period is empty (--until is not after --since)");
	if (!(cfg = config_load(cli->config_path, &err)))
		return cli_fail("%s", err.msg);
	if (cfg->n_routes && !(routes = calloc(cfg->n_routes, sizeof(*routes)))) {
		rc = cli_fail("report: out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->n_routes; i++)
		routes[i] = (struct report_route_cfg){cfg->routes[i].name,
						      cfg->routes[i].to,
						      cfg->routes[i].from};
	if (!(st = store_open(cfg->state_dir, &err)) ||
	    !(r = report_load(st, routes, cfg->n_routes, since, until, now,
			      &err))) {
		rc = cli_fail("report: %s", err.msg);
		goto out;
	}
	/* Everything is in r now; the browser and the relay need no store. */
	store_close(st);
	st = NULL;
	rc = MC_EXIT_OK;
	if ((path || !mail_to) && output(r, f, path))
		rc = MC_EXIT_UNKNOWN;
	if (rc == MC_EXIT_OK && mail_to)
		rc = mail_report(cli, cfg, r, period, mail_to,
				 path && strcmp(path, "-") == 0);
out:
	report_free(r);
	store_close(st);
	free(routes);
	config_free(cfg);
	return rc;
}
