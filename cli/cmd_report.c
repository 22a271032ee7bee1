/* mailcanary report: delivery statistics of a period from the store's
 * history, as text tables, one JSON document (--format json or the global
 * --json) or one self-contained HTML page (report/report.h says what is
 * computed and how). -o FILE writes to FILE, replaced atomically (a
 * temporary file in the same directory, renamed), else standard output.
 * The period: --period day|week|month (the last 1, 7 or 30 days up to now;
 * default week), or --since/--until (RFC 3339 or YYYY-MM-DD; a missing end
 * is now, a missing start is the period before --until). A report judges
 * nothing: exit 0, or 3 when it cannot be made. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "mc_time.h"
#include "report/report.h"
#include "store/store.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_HTML };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] [--json] report [--period day|week|month]\n"
		"         [--since T] [--until T] [--format text|json|html] [-o FILE]\n"
		"Delivery statistics of the probes sent in a period, per route and\n"
		"overall: states, delivery time p50/p95/max, per-hop delays,\n"
		"breakdowns by date, weekday, hour (UTC), domain and SMTP/DSN code,\n"
		"greylisting, incidents and the newest probes. The period is the\n"
		"last day, week (default) or month (30 days), or --since/--until\n"
		"(RFC 3339 or YYYY-MM-DD, UTC). -o FILE: write FILE (replaced\n"
		"atomically) instead of standard output. Exit 0, or 3.\n");
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

static int render(const struct report *r, enum fmt f, FILE *out)
{
	if (f == FMT_TEXT)
		return report_text(r, out);
	if (f == FMT_HTML)
		return report_html(r, out);
	json_t *doc = report_json(r);
	if (!doc)
		return -1;
	int rc = json_dumpf(doc, out, JSON_COMPACT) || fputc('\n', out) == EOF;
	json_decref(doc);
	fflush(out);
	return rc || ferror(out) ? -1 : 0;
}

/* Writes the report to path through a temporary file renamed over it. */
static int write_file(const struct report *r, enum fmt f, const char *path)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	FILE *out = NULL;
	int fd, rc = -1;

	if (!tmp)
		return cli_fail("report: out of memory");
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
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
	if (render(r, f, out) || fsync(fileno(out)) != 0) {
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

int cmd_report(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"period", required_argument, NULL, 'p'},
		{"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double span = 7 * 86400.0, since = NAN, until = NAN;
	enum fmt f = cli->json ? FMT_JSON : FMT_TEXT;
	struct report_route_cfg *routes = NULL;
	const char *path = NULL;
	struct mc_config *cfg = NULL;
	struct mc_store *st = NULL;
	struct report *r = NULL;
	struct mc_err err = {0};
	int c, rc = MC_EXIT_UNKNOWN;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (strcmp(optarg, "day") == 0)
				span = 86400;
			else if (strcmp(optarg, "week") == 0)
				span = 7 * 86400;
			else if (strcmp(optarg, "month") == 0)
				span = 30 * 86400;
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
			else
				return cli_fail("report: --format '%s': expected text, json or html",
						optarg);
			break;
		case 'o':
			path = optarg;
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
						      cfg->routes[i].to};
	if (!(st = store_open(cfg->state_dir, &err)) ||
	    !(r = report_load(st, routes, cfg->n_routes, since, until, now,
			      &err))) {
		rc = cli_fail("report: %s", err.msg);
		goto out;
	}
	if (path && strcmp(path, "-") != 0) {
		if (write_file(r, f, path) == 0)
			rc = MC_EXIT_OK;
	} else if (render(r, f, stdout)) {
		rc = cli_fail("report: cannot write the report to standard output");
	} else {
		rc = MC_EXIT_OK;
	}
out:
	report_free(r);
	store_close(st);
	free(routes);
	config_free(cfg);
	return rc;
}
