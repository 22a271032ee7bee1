/* mailcanary's entry point: global options, then one subcommand. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define DEFAULT_CONFIG "/etc/mailcanary/mailcanary.conf"

struct command {
	const char *name;
	mc_cmd_fn fn;
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{"probe", cmd_probe, "[ROUTE...] [--wait SECONDS]",
	 "send one probe per route now and wait for it to arrive"},
	{"run", cmd_run, "[--wait SECONDS]",
	 "one scheduler tick (the systemd timer): due probes, earlier probes, metrics"},
	{"status", cmd_status, "",
	 "current state of every route and check from the store, last result and age"},
	{"spf", cmd_spf, "IP MAILFROM [HELO] | --batch FILE",
	 "RFC 7208 check_host() result with the evaluation trace"},
	{"dsn", cmd_dsn, "FILE...",
	 "parse bounce/DSN/NDR messages: recipient, status, reply, reason, hard/soft"},
	{"hops", cmd_hops, "FILE",
	 "Received chain of a message: hops, per-hop delay, TLS, IPs"},
	{"metrics", cmd_metrics, "[-o FILE]",
	 "write the Prometheus metrics from the stored history (default: metrics_file)"},
	{"dkim", cmd_dkim, "verify FILE | key DOMAIN SELECTOR",
	 "verify every DKIM-Signature of a message; report a published key"},
	{"check", cmd_check, "[DOMAIN] [--ip IP]... [--selector S]... [--dnsbl ZONE]...",
	 "deliverability DNS audit: MX, PTR/FCrDNS, SPF, DKIM, DMARC, DNSBL"},
	{"dnsbl", cmd_dnsbl, "IP... [--list ZONE]...",
	 "blocklist status of IPv4/IPv6 addresses (and domains: --list domain:ZONE)"},
	{"dmarc", cmd_dmarc, "DOMAIN", "DMARC record, parsed policy"},
	{"alert", cmd_alert, "test NAME",
	 "send a test firing+resolved alert through one [alert] section"},
	{"logs", cmd_logs, "[--format F] [--status S] [--since T] [--until T] [--rcpt A] [--trace ID] FILE...",
	 "statistics, search and trace over MTA logs"},
	{"report", cmd_report, "[--period day|week|month] [--since T] [--until T] [--format text|json|html|pdf] [-o FILE] [--mail-to ADDR]",
	 "delivery statistics from history"},
	/* commands: one line each, in the order --help shows them */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] [--json] [--dns-server HOST[:PORT]] [-v] COMMAND [ARGS]\n"
		"\n"
		"Synthetic end-to-end mail delivery probe: does mail from here reach there,\n"
		"how fast, and if not, which piece of the path is failing?\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE        config file (default: $MAILCANARY_CONFIG, else\n"
		"                           " DEFAULT_CONFIG ")\n"
		"  -j, --json               print one JSON document on stdout\n"
		"      --dns-server H[:P]   send every DNS query to this server\n"
		"  -v, --verbose            more diagnostics on stderr (repeatable)\n"
		"  -h, --help               this help;  -V, --version  the version\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].help)
			fprintf(out, "  %-6s %s\n         %s\n",
				commands[i].name, commands[i].args,
				commands[i].help);
	fprintf(out,
		"\n"
		"Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad usage, bad config,\n"
		"cannot tell). Text output of probe and check ends with Nagios perfdata.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"dns-server", required_argument, NULL, 'D'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct mc_cli cli = {0};
	int c;

	/* A tick submits on up to 8 threads; glibc would give each its own
	 * malloc arena and keep their memory. Two arenas cost nothing here
	 * and keep a 100-route tick's peak RSS about 1 MB lower. */
	mallopt(M_ARENA_MAX, 2);
	/* '+': stop at the first non-option, the command name. */
	while ((c = getopt_long(argc, argv, "+c:jvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.config_path = optarg;
			break;
		case 'j':
			cli.json = 1;
			break;
		case 'D':
			cli.dns_server = optarg;
			break;
		case 'v':
			cli.verbose++;
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		case 'V':
			printf("mailcanary %s\n", MC_VERSION);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}
	if (!cli.config_path)
		cli.config_path = getenv("MAILCANARY_CONFIG");
	if (!cli.config_path || !*cli.config_path)
		cli.config_path = DEFAULT_CONFIG;
	if (optind >= argc) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			/* Each command parses its own options, with argv[0] its
			 * name; optind = 0 makes glibc's getopt start afresh. */
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;

			optind = 0;
			return commands[i].fn(&cli, sub_argc, sub_argv);
		}
	}
	return cli_fail("unknown command '%s' (see mailcanary --help)",
			argv[optind]);
}
