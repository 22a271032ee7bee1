/* mailcanary metrics [-o FILE]: writes the Prometheus metrics of the
 * configured routes (and every DNS check with a result) from the store,
 * as `run` does at the end of each tick: to FILE ('-' = standard output),
 * else to metrics_file, else to standard output. The file is replaced
 * atomically. Not in --help: `run` is the usual writer; this is for
 * operators who want the file now, and for tests. Exit 0, or 3. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "mc_buf.h"
#include "store/metrics.h"
#include "store/store.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] metrics [-o FILE]\n"
		"Writes the Prometheus text metrics from the store in state_dir\n"
		"to FILE ('-': standard output; default: metrics_file, else\n"
		"standard output), replacing it atomically.\n");
}

int cmd_metrics(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	struct mc_config *cfg = NULL;
	struct mc_store *st = NULL;
	struct mc_err err = {0};
	struct mc_buf b = {0};
	const char **names = NULL;
	int c, rc = MC_EXIT_UNKNOWN;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
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
		return cli_fail("metrics: unexpected argument '%s'", argv[optind]);
	}
	if (!(cfg = config_load(cli->config_path, &err)))
		return cli_fail("%s", err.msg);
	if (!path)
		path = cfg->metrics_file ? cfg->metrics_file : "-";
	if (cfg->n_routes && !(names = calloc(cfg->n_routes, sizeof(*names)))) {
		rc = cli_fail("metrics: out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->n_routes; i++)
		names[i] = cfg->routes[i].name;
	/* Every configured route; none when there are none (a NULL list
	 * would mean every route in the store). */
	static const char *const none[1] = {NULL};
	struct metrics_opts mo = {.routes = names ? names : none,
				  .n_routes = cfg->n_routes};
	if (!(st = store_open(cfg->state_dir, &err)) ||
	    metrics_render(st, &mo, &b, &err)) {
		rc = cli_fail("metrics: %s", err.msg);
		goto out;
	}
	if (strcmp(path, "-") == 0) {
		if (b.len && (fwrite(b.data, 1, b.len, stdout) != b.len ||
			      fflush(stdout))) {
			rc = cli_fail("metrics: cannot write to standard output");
			goto out;
		}
	} else if (metrics_write_file(path, b.data ? b.data : "", b.len, &err)) {
		rc = cli_fail("metrics: %s", err.msg);
		goto out;
	}
	rc = MC_EXIT_OK;
out:
	mc_buf_free(&b);
	free(names);
	store_close(st);
	config_free(cfg);
	return rc;
}
