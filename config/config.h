/* The one parsed and validated configuration (DESIGN.md "Config"): INI via
 * libinih, then one validation pass. No other module reads the config file
 * or the environment; they receive these structs. Secrets are loaded from
 * password_file / $CREDENTIALS_DIRECTORY and held only in memory. */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include <stddef.h>

#include "mc_err.h"

enum mc_tls_mode {
	MC_TLS_STARTTLS = 0,   /* default: STARTTLS required, never downgraded */
	MC_TLS_IMPLICIT,       /* TLS from the first byte (port 465, imaps) */
	MC_TLS_NONE,           /* explicitly configured cleartext */
};

struct mc_relay {
	char *name;
	char *host;
	int port;                  /* default 587, 465 for tls = tls */
	enum mc_tls_mode tls;
	char *ca_file;             /* NULL: system store */
	int tls_verify;            /* 1 unless tls_verify = no */
	char *user;                /* NULL: no AUTH */
	char *password;            /* loaded secret; never printed */
	char *password_file;       /* where it came from, if a file */
	char *helo;                /* NULL: system host name */
	double timeout;            /* seconds per SMTP stage, default 30 */
	int line;                  /* where the section starts */
};

struct mc_mailbox {
	char *name;
	char *url;                 /* imap[s]://host[:port]/FOLDER */
	char *host;                /* parsed from url; IPv6 without brackets */
	int port;                  /* default 143 (imap), 993 (imaps) */
	char *folder;              /* decoded from url; default INBOX */
	enum mc_tls_mode tls;      /* imap: STARTTLS, imaps: IMPLICIT */
	char *ca_file;
	int tls_verify;
	char *user;
	char *password;            /* loaded secret; never printed */
	char *password_file;
	char **junk_folders;       /* NULL-terminated; may be empty */
	size_t n_junk;
	int bounce_mailbox;
	int keep;                  /* 1: do not expunge found probes */
	int idle;                  /* 1 (default): use IMAP IDLE if offered */
	double timeout;            /* seconds for connect/commands, default 30 */
	int line;
};

/* An [alert "name"] section: where notifications for a route or check go
 * (alert/hooks.h delivers them; alert/alert.h decides when). */
enum mc_alert_type {
	MC_ALERT_EXEC = 0,         /* command, event JSON on stdin */
	MC_ALERT_WEBHOOK,          /* POST the event JSON to url */
	MC_ALERT_PAGERDUTY,        /* Events API v2 */
	MC_ALERT_OPSGENIE,         /* Alert API v2 */
	MC_ALERT_SLACK,            /* incoming webhook */
	MC_ALERT_ALERTMANAGER,     /* Prometheus Alertmanager API v2 */
};

struct mc_alert {
	char *name;
	enum mc_alert_type type;
	char *command;             /* exec: as written */
	char **argv;               /* exec: command split on spaces,
				    * NULL-terminated; argv[0] an absolute path */
	char *url;                 /* https://, or http:// to loopback only;
				    * pagerduty/opsgenie have defaults */
	char *secret;              /* pagerduty routing key / opsgenie API key,
				    * loaded; never printed */
	char *secret_file;         /* where it came from */
	int failures;              /* consecutive bad results before firing, 1 */
	int repeat;                /* seconds between re-notifications while
				    * firing; 0 = never; default 3600 */
	char *ca_file;             /* NULL: system store */
	double timeout;            /* seconds per delivery, default 10 */
	int line;
};

/* "exec", "webhook", ... (static storage). */
const char *config_alert_type_name(enum mc_alert_type t);

struct mc_route {
	char *name;
	struct mc_relay *relay;    /* borrowed from the config */
	char *from;
	char *to;
	struct mc_mailbox *mailbox;
	struct mc_mailbox *bounces; /* NULL if none */
	int interval;              /* seconds, default 300 */
	int warn;                  /* seconds, default 120 */
	int crit;                  /* seconds, default 900 */
	char *dkim_selector;
	struct mc_alert **alerts;  /* NULL-terminated; borrowed from the config */
	size_t n_alerts;
	int line;
};

/* Which relay IPs seen in the probes' Received chains (store.h
 * store_recent_relay_ips()) a [check] adds to its DNSBL queries:
 * dnsbl_from_probes = public (default) | all | no. */
enum mc_probe_ips {
	MC_PROBE_IPS_PUBLIC = 0,   /* globally routable addresses only */
	MC_PROBE_IPS_ALL,          /* every address (but 0.0.0.0 and ::) */
	MC_PROBE_IPS_NO,           /* none: only the configured ips */
};

/* "public", "all", "no" (static storage). */
const char *config_probe_ips_name(enum mc_probe_ips m);

/* [check "name"]: a deliverability DNS audit run by `check` and `run`. */
struct mc_check_cfg {
	char *name;
	char *domain;
	char **ips;                /* NULL-terminated; may be empty */
	size_t n_ips;
	char **selectors;          /* DKIM selectors; NULL-terminated */
	size_t n_selectors;
	char **dnsbl;              /* zones ("domain:ZONE" for domain lists);
				    * NULL when the key is absent (the
				    * default lists), empty for "dnsbl =" */
	size_t n_dnsbl;
	enum mc_probe_ips dnsbl_from_probes; /* default public */
	int dnsbl_probe_window;    /* seconds of probes read back, default 7d */
	int interval;              /* seconds between runs, default 3600 */
	char **alerts;             /* NULL-terminated names of [alert] sections */
	size_t n_alerts;
	int line;
};

/* [report] (optional, no name): how `report --mail-to` sends. */
struct mc_report_cfg {
	struct mc_relay *relay;    /* borrowed: [report] relay, else the first
				    * route's relay; NULL when neither */
	char *from;                /* [report] from, else the first route's
				    * from; NULL when neither */
	int line;                  /* of the section; 0 when absent */
};

struct mc_config {
	char *path;
	char *state_dir;
	char *metrics_file;
	int retention_days;
	double dns_timeout;        /* seconds per DNS try, default 5 */
	int dns_tries;             /* default 2 */
	struct mc_relay *relays;
	size_t n_relays;
	struct mc_mailbox *mailboxes;
	size_t n_mailboxes;
	struct mc_route *routes;
	size_t n_routes;
	struct mc_check_cfg *checks;
	size_t n_checks;
	struct mc_alert *alerts;
	size_t n_alerts;
	struct mc_report_cfg report;
};

/* Parses and validates path. On error returns NULL and fills err with
 * "path:line: message" (component CONFIG). The caller frees the result with
 * config_free(). */
struct mc_config *config_load(const char *path, struct mc_err *err);

/* Same, from a string (tests); name stands in for the path in messages.
 * secrets_dir, if not NULL, stands in for $CREDENTIALS_DIRECTORY. */
struct mc_config *config_load_string(const char *text, const char *name,
				     const char *secrets_dir,
				     struct mc_err *err);

void config_free(struct mc_config *cfg);

struct mc_route *config_route(const struct mc_config *cfg, const char *name);
struct mc_check_cfg *config_check(const struct mc_config *cfg,
				  const char *name);
struct mc_alert *config_alert(const struct mc_config *cfg, const char *name);

#endif
