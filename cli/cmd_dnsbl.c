/* mailcanary dnsbl TARGET... [--list ZONE]...: blocklist status of IP
 * addresses (and domains, against "domain:ZONE" lists), all queries at
 * once, as a table or JSON (DESIGN.md "dnsbl --json"). Exit: 0 all clean,
 * 2 any listed, 3 any error or timeout with nothing listed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dnsbl.h"
#include "checks/ipaddr.h"
#include "cli/check_opts.h"
#include "cli/cli.h"

#define MAX_LISTS 256

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] [--dns-server HOST[:PORT]] dnsbl [--list ZONE]...\n"
		"                  [--timeout SECONDS] [--tries N] TARGET...\n"
		"\n"
		"Asks DNS blocklists about each TARGET: an IPv4 or IPv6 address (asked of\n"
		"address lists) or a domain (asked of domain lists, given as domain:ZONE).\n"
		"All queries go out at once; listings come with the list's TXT reason.\n"
		"\n"
		"  --list ZONE         a list to ask (repeatable; default:");
	for (size_t i = 0; mc_dnsbl_default_lists[i]; i++)
		fprintf(out, "%s%s", i % 3 == 2 ? "\n                      " : " ",
			mc_dnsbl_default_lists[i]);
	fprintf(out,
		")\n"
		"  --timeout SECONDS   DNS timeout per try (default: config dns_timeout, else %.0f)\n"
		"  --tries N           DNS tries per query (default: config dns_tries, else %d)\n"
		"\n"
		"A list's error answers (Spamhaus 127.255.255.x, 127.0.0.1, answers outside\n"
		"127.0.0.0/8, SERVFAIL, REFUSED) are errors, never listings.\n"
		"Exit codes: 0 all clean; 2 listed anywhere; 3 an error or timeout with\n"
		"nothing listed, or bad usage.\n",
		MC_DNS_DEFAULT_TIMEOUT_MS / 1000.0, MC_DNS_DEFAULT_TRIES);
}

static void print_text(const struct mc_dnsbl_result *r)
{
	size_t errors = 0, tw = 6, lw = 4;
	int sev = r->problems.severity;

	for (size_t i = 0; i < r->n; i++) {
		const struct mc_dnsbl_entry *e = &r->entries[i];

		errors += e->status == MC_DNSBL_ERROR ||
			e->status == MC_DNSBL_TIMEOUT;
		if (strlen(e->target) > tw)
			tw = strlen(e->target);
		if (strlen(e->list) > lw)
			lw = strlen(e->list);
	}
	printf("DNSBL %s - %zu listed, %zu errors, %zu queries | listed=%zu errors=%zu queries=%zu\n",
	       check_severity_name(sev), r->n_listed, errors, r->n,
	       r->n_listed, errors, r->n);
	for (size_t i = 0; i < r->n; i++) {
		const struct mc_dnsbl_entry *e = &r->entries[i];
		char *txt = check_visible(e->txt);

		printf("  %-*s  %-*s  %-7s", (int)tw, e->target, (int)lw,
		       e->list, dnsbl_status_name(e->status));
		for (size_t k = 0; k < e->n_codes; k++)
			printf("%s%s", k ? "," : "  ", e->codes[k]);
		if (txt && *txt)
			printf("  %s", txt);
		printf("\n");
		free(txt);
	}
}

/* Every target must meet at least one list of its kind. */
static int check_coverage(char **targets, size_t nt, const char **lists,
			  size_t nl)
{
	int ip_lists = 0, domain_lists = 0;

	for (size_t i = 0; i < nl; i++) {
		if (strncmp(lists[i], MC_DNSBL_DOMAIN_PREFIX,
			    strlen(MC_DNSBL_DOMAIN_PREFIX)) == 0)
			domain_lists = 1;
		else
			ip_lists = 1;
	}
	for (size_t i = 0; i < nt; i++) {
		struct mc_ipaddr ip;
		int is_ip = ipaddr_parse(targets[i], strlen(targets[i]), &ip) == 0;

		if (is_ip && !ip_lists)
			return cli_fail("dnsbl: no address list to ask about %s",
					targets[i]);
		if (!is_ip && !domain_lists)
			return cli_fail("dnsbl: no domain list (--list %sZONE) to ask about %s",
					MC_DNSBL_DOMAIN_PREFIX, targets[i]);
	}
	return 0;
}

int cmd_dnsbl(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", required_argument, NULL, 'l'},
		{"timeout", required_argument, NULL, 't'},
		{"tries", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *lists[MAX_LISTS];
	size_t n_lists = 0;
	struct check_dns_args args = {0};
	struct mc_dns_opts dopts = {0};
	struct mc_dnsbl_result *r = NULL;
	struct mc_config *cfg = NULL;
	struct mc_dns *dns = NULL;
	struct mc_err err = {0};
	int c, rc = MC_EXIT_UNKNOWN;

	/* Options may follow the targets: "dnsbl IP --list ZONE". */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (n_lists == MAX_LISTS)
				return cli_fail("dnsbl: more than %d lists",
						MAX_LISTS);
			lists[n_lists++] = optarg;
			break;
		case 't':
			if (check_opt_timeout("dnsbl", optarg, &args))
				return MC_EXIT_UNKNOWN;
			break;
		case 'n':
			if (check_opt_tries("dnsbl", optarg, &args))
				return MC_EXIT_UNKNOWN;
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	if (n_lists == 0)
		for (; mc_dnsbl_default_lists[n_lists]; n_lists++)
			lists[n_lists] = mc_dnsbl_default_lists[n_lists];
	if (check_coverage(argv + optind, (size_t)(argc - optind), lists,
			   n_lists))
		return MC_EXIT_UNKNOWN;
	if (!args.timeout_ms || !args.tries)
		cfg = check_config_optional(cli, "dnsbl");
	check_dns_opts(cli, &args, cfg, &dopts);
	dns = dns_new(&dopts, &err);
	if (!dns) {
		rc = cli_fail("dnsbl: %s", err.msg);
		goto out;
	}
	r = dnsbl_lookup(dns, (const char *const *)(argv + optind),
			 (size_t)(argc - optind), lists, n_lists, 0, &err);
	if (!r) {
		rc = cli_fail("dnsbl: %s", err.msg);
		goto out;
	}
	if (cli->json) {
		if (cli_print_json(json_pack("{s:o}", "results",
					     dnsbl_result_json(r)))) {
			rc = cli_fail("dnsbl: cannot write JSON");
			goto out;
		}
	} else {
		print_text(r);
	}
	rc = r->problems.severity;
out:
	dnsbl_result_free(r);
	dns_free(dns);
	config_free(cfg);
	return rc;
}
