/* DNS options of the check commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int check_probe_ips_load(struct mc_store *st, const struct mc_config *cfg,
			 const char *domain, int window, double now,
			 struct check_probe_ips *out, struct mc_err *err)
{
	const char **routes;
	size_t n_routes = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	routes = calloc(cfg->n_routes + 1, sizeof(*routes));
	if (!routes)
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (check_address_in_domain(cfg->routes[i].from, domain))
			routes[n_routes++] = cfg->routes[i].name;
	rc = store_recent_relay_ips(st, routes, n_routes, now - window,
				    CHECK_PROBE_ROWS, &out->rows, &out->n, err);
	free(routes);
	if (rc)
		return -1;
	if (out->n && !(out->ips = calloc(out->n, sizeof(*out->ips)))) {
		check_probe_ips_clear(out);
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
	}
	for (size_t i = 0; i < out->n; i++)
		out->ips[i] = (struct mc_check_probe_ip){out->rows[i].ip,
			out->rows[i].probe_id, out->rows[i].route};
	return 0;
}

void check_probe_ips_clear(struct check_probe_ips *p)
{
	if (!p)
		return;
	store_relay_ips_free(p->rows, p->n);
	free(p->ips);
	memset(p, 0, sizeof(*p));
}

int check_store_open_existing(const struct mc_config *cfg,
			      struct mc_store **st, struct mc_err *err)
{
	char path[4096];
	struct stat sb;

	*st = NULL;
	if (!cfg || !cfg->state_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_DB_NAME);
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return mc_err_set(err, -1, MC_COMP_STORE, "%s: %s", path,
				  strerror(errno));
	}
	*st = store_open(cfg->state_dir, err);
	return *st ? 0 : -1;
}
