/* Options shared by the DNS check commands (dmarc, dnsbl, check): the
 * per-query DNS timeout and tries (--timeout/--tries, else the config's
 * dns_timeout/dns_tries, else the defaults) and the global --dns-server.
 * Parsing only; the modules do the DNS. */
#ifndef MC_CLI_CHECK_OPTS_H
#define MC_CLI_CHECK_OPTS_H

#include "checks/dns.h"
#include "cli/cli.h"
#include "config/config.h"

struct check_dns_args {
	int timeout_ms;        /* 0: not given on the command line */
	int tries;
};

/* --timeout SECONDS and --tries N. Return 0, or print why (prefixed with
 * cmd) and return -1. */
int check_opt_timeout(const char *cmd, const char *arg,
		      struct check_dns_args *a);
int check_opt_tries(const char *cmd, const char *arg,
		    struct check_dns_args *a);

/* Fills o from the command line, then cfg (may be NULL), then the
 * defaults. o->server borrows cli->dns_server. */
void check_dns_opts(const struct mc_cli *cli, const struct check_dns_args *a,
		    const struct mc_config *cfg, struct mc_dns_opts *o);

/* For commands that name their targets: the config is read only for its
 * DNS settings, and only if the file exists. A file that exists but does
 * not load is reported on stderr and ignored (the targets still get
 * checked with the defaults). Returns the config or NULL. */
struct mc_config *check_config_optional(const struct mc_cli *cli,
					const char *cmd);

#endif
