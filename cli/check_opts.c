/* DNS options of the check commands. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli/check_opts.h"

int check_opt_timeout(const char *cmd, const char *arg,
		      struct check_dns_args *a)
{
	char *end;
	double d = strtod(arg, &end);

	if (*end || !(d > 0) || d * 1000 > MC_DNS_MAX_TIMEOUT_MS) {
		cli_fail("%s: --timeout wants seconds, up to %d", cmd,
			 MC_DNS_MAX_TIMEOUT_MS / 1000);
		return -1;
	}
	a->timeout_ms = (int)(d * 1000 + 0.5);
	if (a->timeout_ms < 1)
		a->timeout_ms = 1;
	return 0;
}

int check_opt_tries(const char *cmd, const char *arg,
		    struct check_dns_args *a)
{
	char *end;
	long l = strtol(arg, &end, 10);

	if (*end || l < 1 || l > MC_DNS_MAX_TRIES) {
		cli_fail("%s: --tries wants 1..%d", cmd, MC_DNS_MAX_TRIES);
		return -1;
	}
	a->tries = (int)l;
	return 0;
}

void check_dns_opts(const struct mc_cli *cli, const struct check_dns_args *a,
		    const struct mc_config *cfg, struct mc_dns_opts *o)
{
	o->server = cli->dns_server;
	o->timeout_ms = a->timeout_ms;
	o->tries = a->tries;
	if (!o->timeout_ms && cfg && cfg->dns_timeout > 0)
		o->timeout_ms = (int)(cfg->dns_timeout * 1000 + 0.5);
	if (!o->tries && cfg && cfg->dns_tries > 0)
		o->tries = cfg->dns_tries;
}

struct mc_config *check_config_optional(const struct mc_cli *cli,
					const char *cmd)
{
	struct mc_err err = {0};
	struct mc_config *cfg;
	struct stat st;

	if (stat(cli->config_path, &st) != 0)
		return NULL;
	cfg = config_load(cli->config_path, &err);
	if (!cfg)
		fprintf(stderr,
			"mailcanary: %s: ignoring the config for DNS settings: %s\n",
			cmd, err.msg);
	return cfg;
}
