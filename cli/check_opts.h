/* Options shared by the DNS check commands (dmarc, dnsbl, check): the
 * per-query DNS timeout and tries (--timeout/--tries, else the config's
 * dns_timeout/dns_tries, else the defaults) and the global --dns-server.
 * Parsing only; the modules do the DNS. */
#ifndef MC_CLI_CHECK_OPTS_H
#define MC_CLI_CHECK_OPTS_H

#include "checks/check.h"
#include "checks/dns.h"
#include "cli/cli.h"
#include "config/config.h"
#include "store/store.h"

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

/* How many relay IPs are read back from the store per check: more than
 * check.c asks (MC_CHECK_MAX_PROBE_IPS), since some are skipped. */
#define CHECK_PROBE_ROWS (4 * MC_CHECK_MAX_PROBE_IPS)
/* The window of `check DOMAIN --from-probes` ([check] sections have
 * dnsbl_probe_window). */
#define CHECK_PROBE_WINDOW_DEFAULT (7 * 86400)

/* The relay IPs of one check's DNSBL part: read from the store, the hop
 * IPs of the probes of cfg's routes whose `from` is in domain, sent in
 * the window seconds before now (store_recent_relay_ips()). */
struct check_probe_ips {
	struct store_relay_ip *rows;   /* owned */
	size_t n;
	struct mc_check_probe_ip *ips; /* n entries borrowing from rows */
};

/* Fills *out (zeroed first; freed with check_probe_ips_clear()). Returns
 * 0, or -1 with err filled. */
int check_probe_ips_load(struct mc_store *st, const struct mc_config *cfg,
			 const char *domain, int window, double now,
			 struct check_probe_ips *out, struct mc_err *err);
void check_probe_ips_clear(struct check_probe_ips *p);

/* Opens cfg's store for reading the probes, but only if its database
 * exists: *st is NULL (and 0 returned) when there is no state_dir or no
 * database yet. -1 with err filled when it exists and does not open, or
 * cannot be looked at (permissions). */
int check_store_open_existing(const struct mc_config *cfg,
			      struct mc_store **st, struct mc_err *err);

#endif
