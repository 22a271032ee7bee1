/* mailcanary status: the current state of every configured route and of
 * every DNS check with a result, read from the store (what `run` left
 * there): state, severity, since when, last delivery time, last error.
 * Exit code: the worst severity.
 *
 * A route with no judged probe yet is "pending" (severity 0) when a probe
 * has been sent -- its first verdict is on the way -- and "unknown"
 * (severity 3, "cannot tell") when none ever was: then nothing is watching
 * it (no run yet, or the timer is not running). Routes in the store but no
 * longer in the config are not shown. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "mc_time.h"
#include "store/store.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] [--json] status\n"
		"Shows the current state of every route and DNS check from the\n"
		"store in state_dir: state, severity, since when, the last\n"
		"delivery time and the last error. A route never probed is\n"
		"'unknown' (UNKNOWN); one whose first probe is on its way is\n"
		"'pending' (OK). Exit: the worst severity (0 OK, 1 WARNING,\n"
		"2 CRITICAL, 3 UNKNOWN).\n");
}

static const char *severity_word(int s)
{
	static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

	return s >= 0 && s <= MC_SEV_UNKNOWN ? words[s] : "UNKNOWN";
}

/* One route as status shows it. */
struct row {
	const char *route;
	const char *state;
	int severity;
	double since, last_delivery, last_sent, last_success;
	const char *last_error;
};

static void route_row(const struct mc_route *route,
		      const struct store_route_state *rs, size_t nrs,
		      struct row *r)
{
	const struct store_route_state *found = NULL;

	for (size_t i = 0; i < nrs && !found; i++)
		if (strcmp(rs[i].route, route->name) == 0)
			found = &rs[i];
	*r = (struct row){.route = route->name, .state = "unknown",
			  .severity = MC_SEV_UNKNOWN, .since = NAN,
			  .last_delivery = NAN, .last_sent = NAN,
			  .last_success = NAN,
			  .last_error = "never probed: has mailcanary run?"};
	if (!found)
		return;
	r->last_delivery = found->last_delivery_seconds;
	r->last_sent = found->last_sent_at;
	r->last_success = found->last_success_at;
	if (found->judged) {
		r->state = probe_state_name(found->state);
		r->severity = found->severity;
		r->since = found->since;
		r->last_error = found->last_error;
	} else if (!isnan(found->last_sent_at)) {
		r->state = "pending";
		r->severity = MC_SEV_OK;
		r->since = found->last_sent_at;
		r->last_error = NULL;
	}
}

static json_t *time_json(double t)
{
	char buf[MC_RFC3339_MAX];

	return isnan(t) ? json_null() : json_string(mc_time_rfc3339(t, 0, buf));
}

static json_t *num_json(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *str_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void fmt_age(double t, double now, char *buf, size_t size)
{
	char ts[MC_RFC3339_MAX];
	double age = now - t;

	if (isnan(t)) {
		snprintf(buf, size, "-");
		return;
	}
	mc_time_rfc3339(t, 0, ts);
	if (age < 0)
		snprintf(buf, size, "%s", ts);
	else if (age < 120)
		snprintf(buf, size, "%s (%.0fs ago)", ts, age);
	else if (age < 7200)
		snprintf(buf, size, "%s (%.0fm ago)", ts, age / 60);
	else if (age < 172800)
		snprintf(buf, size, "%s (%.0fh ago)", ts, age / 3600);
	else
		snprintf(buf, size, "%s (%.0fd ago)", ts, age / 86400);
}

static int width(const char *s, int cur)
{
	int n = (int)strlen(s);

	return n > cur ? n : cur;
}

static void print_text(const struct row *rows, size_t n,
		       const struct store_check_state *cs, size_t nc,
		       int worst)
{
	double now = mc_now_real();
	char since[96], deliv[32];
	int wr = 5, ws = 5, wc = 5;

	printf("MAILCANARY %s - %zu route%s, %zu check%s\n",
	       severity_word(worst), n, n == 1 ? "" : "s", nc,
	       nc == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		wr = width(rows[i].route, wr);
		ws = width(rows[i].state, ws);
	}
	if (n)
		printf("%-*s  %-*s  %-8s  %-32s  %-13s  %s\n", wr, "ROUTE", ws,
		       "STATE", "SEVERITY", "SINCE", "LAST DELIVERY",
		       "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		fmt_age(r->since, now, since, sizeof(since));
		if (isnan(r->last_delivery))
			snprintf(deliv, sizeof(deliv), "-");
		else
			snprintf(deliv, sizeof(deliv), "%.2fs", r->last_delivery);
		printf("%-*s  %-*s  %-8s  %-32s  %-13s  %s\n", wr, r->route, ws,
		       r->state, severity_word(r->severity), since, deliv,
		       r->last_error ? r->last_error : "-");
	}
	for (size_t i = 0; i < nc; i++)
		wc = width(cs[i].check, wc);
	if (nc)
		printf("%s%-*s  %-8s  %-32s  %s\n", n ? "\n" : "", wc, "CHECK",
		       "SEVERITY", "SINCE", "SUMMARY");
	for (size_t i = 0; i < nc; i++) {
		fmt_age(cs[i].since, now, since, sizeof(since));
		printf("%-*s  %-8s  %-32s  %s\n", wc, cs[i].check,
		       severity_word(cs[i].severity), since,
		       cs[i].summary ? cs[i].summary : "-");
	}
}

static json_t *status_json(const struct row *rows, size_t n,
			   const struct store_check_state *cs, size_t nc,
			   int worst)
{
	json_t *routes = json_array(), *checks = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		json_array_append_new(
			routes,
			json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o}",
				  "route", r->route, "state", r->state,
				  "severity", r->severity, "since",
				  time_json(r->since), "last_delivery_seconds",
				  num_json(r->last_delivery), "last_error",
				  str_json(r->last_error), "last_sent_at",
				  time_json(r->last_sent), "last_success_at",
				  time_json(r->last_success)));
	}
	for (size_t i = 0; i < nc; i++)
		json_array_append_new(
			checks,
			json_pack("{s:s, s:i, s:o, s:o, s:o}", "check",
				  cs[i].check, "severity", cs[i].severity,
				  "since", time_json(cs[i].since), "summary",
				  str_json(cs[i].summary), "at",
				  time_json(cs[i].at)));
	return json_pack("{s:o, s:o, s:i}", "routes", routes, "checks", checks,
			 "severity", worst);
}

int cmd_status(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct store_route_state *rs = NULL;
	struct store_check_state *cs = NULL;
	struct mc_config *cfg = NULL;
	struct mc_store *st = NULL;
	struct mc_err err = {0};
	struct row *rows = NULL;
	size_t nrs = 0, nc = 0;
	int c, worst = MC_SEV_OK, rc = MC_EXIT_UNKNOWN;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
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
		return cli_fail("status: unexpected argument '%s'", argv[optind]);
	}
	if (!(cfg = config_load(cli->config_path, &err)))
		return cli_fail("%s", err.msg);
	if (!(st = store_open(cfg->state_dir, &err)) ||
	    store_route_states(st, &rs, &nrs, &err) ||
	    store_check_states(st, &cs, &nc, &err)) {
		rc = cli_fail("status: %s", err.msg);
		goto out;
	}
	if (cfg->n_routes && !(rows = calloc(cfg->n_routes, sizeof(*rows)))) {
		rc = cli_fail("status: out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->n_routes; i++) {
		route_row(&cfg->routes[i], rs, nrs, &rows[i]);
		if (rows[i].severity > worst)
			worst = rows[i].severity;
	}
	for (size_t i = 0; i < nc; i++)
		if (cs[i].severity > worst)
			worst = cs[i].severity;
	if (cli->json) {
		if (cli_print_json(status_json(rows, cfg->n_routes, cs, nc,
					       worst))) {
			rc = cli_fail("status: cannot write the JSON output");
			goto out;
		}
	} else {
		print_text(rows, cfg->n_routes, cs, nc, worst);
	}
	rc = worst;
out:
	free(rows);
	store_check_states_free(cs, nc);
	store_route_states_free(rs, nrs);
	store_close(st);
	config_free(cfg);
	return rc;
}
