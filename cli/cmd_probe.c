/* mailcanary probe [ROUTE...] [--wait SECONDS]: one probe per route (all
 * routes when none are named), sent and waited for concurrently, then
 * printed as Nagios plugin output (status line with perfdata, one line per
 * route) or as the DESIGN.md JSON. Exit code: the worst severity. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/probe_run.h"
#include "config/config_value.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] [--json] probe [ROUTE...] [--wait SECONDS]\n"
		"Sends one probe per route (every route when none is named) through\n"
		"its relay and waits for it in its mailbox: until found, bounced, or\n"
		"the route's crit (or --wait, when shorter). Prints one line per\n"
		"route and Nagios perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3\n"
		"UNKNOWN (bad usage or config).\n");
}

static const char *severity_word(enum mc_severity s)
{
	static const char *const words[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

	return s <= MC_SEV_UNKNOWN ? words[s] : "UNKNOWN";
}

static void print_text(const struct probe_job *jobs, size_t n,
		       enum mc_severity worst)
{
	size_t counts[PROBE_ERROR + 1] = {0};
	char line[1024];
	int first = 1, wname = 5;

	for (size_t i = 0; i < n; i++) {
		counts[jobs[i].state]++;
		if ((int)strlen(jobs[i].route->name) > wname)
			wname = (int)strlen(jobs[i].route->name);
	}
	printf("MAILCANARY %s - ", severity_word(worst));
	for (int st = 0; st <= PROBE_ERROR; st++) {
		if (!counts[st])
			continue;
		printf("%s%zu %s", first ? "" : ", ", counts[st],
		       probe_state_name((enum mc_probe_state)st));
		first = 0;
	}
	if (n == 0)
		printf("no routes");
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		probe_job_describe(&jobs[i], line, sizeof(line));
		/* '|' starts perfdata in Nagios output: keep it out of text. */
		for (char *p = line; (p = strchr(p, '|')); )
			*p = '/';
		printf("%-*s  %-10s %-8s %s  id=%s\n", wname, jobs[i].route->name,
		       probe_state_name(jobs[i].state),
		       severity_word(jobs[i].severity), line,
		       jobs[i].id[0] ? jobs[i].id : "-");
	}
	/* DESIGN.md: the text ends with the perfdata, after '|' (Nagios
	 * long-output form): delivery time with the route's thresholds. */
	printf("|");
	for (size_t i = 0; i < n; i++) {
		const struct probe_job *j = &jobs[i];
		if (isnan(j->total_seconds))
			printf(" '%s_delivery'=U;%d;%d;0;", j->route->name,
			       j->route->warn, j->route->crit);
		else
			printf(" '%s_delivery'=%.3fs;%d;%d;0;", j->route->name,
			       j->total_seconds, j->route->warn, j->route->crit);
	}
	printf("\n");
}

int cmd_probe(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	double wait = 0;
	long secs;
	const char *why;
	int c;

	while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			why = config_value_duration(optarg, &secs);
			if (why || secs <= 0)
				return cli_fail("probe: --wait '%s': %s", optarg,
						why ? why : "must be at least 1 second");
			wait = (double)secs;
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}

	struct mc_err err = {0};
	struct mc_config *cfg = config_load(cli->config_path, &err);
	if (!cfg)
		return cli_fail("%s", err.msg);

	size_t n = optind < argc ? (size_t)(argc - optind) : cfg->n_routes;
	if (n == 0) {
		config_free(cfg);
		return cli_fail("probe: %s defines no [route] section",
				cli->config_path);
	}
	struct probe_job *jobs = calloc(n, sizeof(*jobs));
	if (!jobs) {
		config_free(cfg);
		return cli_fail("probe: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (optind < argc) {
			jobs[i].route = config_route(cfg, argv[optind + i]);
			if (!jobs[i].route) {
				int rc = cli_fail("probe: no route \"%s\" in %s",
						  argv[optind + i], cli->config_path);
				free(jobs);
				config_free(cfg);
				return rc;
			}
		} else {
			jobs[i].route = &cfg->routes[i];
		}
	}

	struct probe_run_opts run_opts = {
		.wait = wait,
		.dns = {.server = cli->dns_server,
			.timeout_ms = (int)(cfg->dns_timeout * 1000),
			.tries = cfg->dns_tries}};
	probe_run(jobs, n, &run_opts);

	enum mc_severity worst = MC_SEV_OK;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].severity > worst)
			worst = jobs[i].severity;
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, probe_job_json(&jobs[i]));
		cli_print_json(json_pack("{s:o, s:i}", "probes", arr,
					 "severity", (int)worst));
	} else {
		print_text(jobs, n, worst);
	}
	for (size_t i = 0; i < n; i++)
		probe_job_clear(&jobs[i]);
	free(jobs);
	config_free(cfg);
	return (int)worst;
}
