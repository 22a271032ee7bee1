/* The command-line layer: global options, dispatch and output helpers.
 * Only parsing, dispatch and printing live in cli/; protocol logic lives in
 * the modules. Each command returns its exit code (DESIGN.md). */
#ifndef MC_CLI_H
#define MC_CLI_H

#include <jansson.h>

enum {
	MC_EXIT_OK = 0,
	MC_EXIT_WARNING = 1,
	MC_EXIT_CRITICAL = 2,
	MC_EXIT_UNKNOWN = 3,       /* bad usage, bad config, cannot tell */
};

struct mc_cli {
	const char *config_path;   /* -c, $MAILCANARY_CONFIG, or the default */
	int json;                  /* --json */
	const char *dns_server;    /* --dns-server HOST[:PORT], or NULL */
	int verbose;               /* -v, repeatable */
};

/* A command: argv[0] is the command name; options after it are its own. */
typedef int (*mc_cmd_fn)(const struct mc_cli *cli, int argc, char **argv);

/* Prints "mailcanary: <message>" to stderr and returns MC_EXIT_UNKNOWN. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints doc as one JSON document on stdout (compact, newline) and releases
 * the reference. Returns 0, or -1 if it could not be written. */
int cli_print_json(json_t *doc);

/* Writes doc to out with json_dumps() flags, assembled in buf (emptied
 * first; the caller frees it, and may pass the same one again) and handed
 * to stdio in one piece: json_dumpf() calls fwrite() once per token, which
 * cost `spf --batch --json` a fifth of its time. Returns 0, or -1 if it
 * could not be written or memory ran out. */
struct mc_buf;
int cli_dump_json(const json_t *doc, FILE *out, size_t flags,
		  struct mc_buf *buf);

/* Reads a whole file ("-" = stdin) up to limit bytes. Returns a new buffer
 * the caller frees, with its length in *len, or NULL after printing why. */
char *cli_read_file(const char *path, size_t limit, size_t *len);

/* Each command lives in cli/cmd_<name>.c. */
int cmd_probe(const struct mc_cli *cli, int argc, char **argv);
int cmd_run(const struct mc_cli *cli, int argc, char **argv);
int cmd_hops(const struct mc_cli *cli, int argc, char **argv);
int cmd_dsn(const struct mc_cli *cli, int argc, char **argv);
int cmd_spf(const struct mc_cli *cli, int argc, char **argv);
int cmd_status(const struct mc_cli *cli, int argc, char **argv);
int cmd_metrics(const struct mc_cli *cli, int argc, char **argv);
int cmd_dkim(const struct mc_cli *cli, int argc, char **argv);
int cmd_dmarc(const struct mc_cli *cli, int argc, char **argv);
int cmd_dnsbl(const struct mc_cli *cli, int argc, char **argv);
int cmd_check(const struct mc_cli *cli, int argc, char **argv);
int cmd_alert(const struct mc_cli *cli, int argc, char **argv);
int cmd_logs(const struct mc_cli *cli, int argc, char **argv);
int cmd_report(const struct mc_cli *cli, int argc, char **argv);

#endif
