/* mailcanary dmarc DOMAIN: the DMARC record that applies to a domain
 * (with the organisational-domain fallback) and its parsed policy, as
 * text or JSON (DESIGN.md "dmarc --json"). Exit code: the severity. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dmarc.h"
#include "cli/check_opts.h"
#include "cli/cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] [--dns-server HOST[:PORT]] dmarc [--timeout SECONDS]\n"
		"                  [--tries N] [--psl FILE] DOMAIN\n"
		"\n"
		"Finds the DMARC record for DOMAIN (_dmarc.DOMAIN, else _dmarc. of its\n"
		"organisational domain by the Public Suffix List) and checks its tags.\n"
		"\n"
		"  --timeout SECONDS   DNS timeout per try (default: config dns_timeout, else %.0f)\n"
		"  --tries N           DNS tries per query (default: config dns_tries, else %d)\n"
		"  --psl FILE          public suffix list (default %s,\n"
		"                      else the .dat text next to it)\n"
		"\n"
		"Exit codes: 0 a valid policy; 1 no record, or tag errors; 2 the record is\n"
		"unusable or there are several; 3 DNS failure (cannot tell) or bad usage.\n",
		MC_DNS_DEFAULT_TIMEOUT_MS / 1000.0, MC_DNS_DEFAULT_TRIES,
		MC_PSL_DAFSA);
}

static void print_line(const char *label, const char *s)
{
	char *v = check_visible(s);

	printf("%s%s\n", label, v ? v : "?");
	free(v);
}

static void print_text(const struct mc_dmarc_result *r)
{
	const struct mc_dmarc_record *rec = r->rec && r->rec->valid ?
		r->rec : NULL;
	int sev = r->problems.severity;

	if (rec)
		printf("DMARC %s - %s: p=%s\n", check_severity_name(sev),
		       r->domain, dmarc_policy_name(r->policy));
	else
		printf("DMARC %s - %s: no usable DMARC policy\n",
		       check_severity_name(sev), r->domain);
	printf("domain: %s (organisational domain %s)\n", r->domain,
	       r->org_domain);
	if (r->record_domain)
		printf("record at: _dmarc.%s\n", r->record_domain);
	if (r->record)
		print_line("record: ", r->record);
	if (rec) {
		printf("policy: %s, subdomains: %s, pct: %d, adkim: %c, aspf: %c\n",
		       dmarc_policy_name(r->policy),
		       dmarc_policy_name(r->subdomain_policy), rec->pct,
		       rec->adkim, rec->aspf);
		for (size_t i = 0; i < rec->n_rua; i++)
			print_line("rua: ", rec->rua[i]);
		for (size_t i = 0; i < rec->n_ruf; i++)
			print_line("ruf: ", rec->ruf[i]);
	}
	for (size_t i = 0; i < r->problems.n; i++) {
		printf("%-8s ", check_severity_name(r->problems.v[i].severity));
		print_line("", r->problems.v[i].message);
	}
}

int cmd_dmarc(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"tries", required_argument, NULL, 'n'},
		{"psl", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct check_dns_args args = {0};
	struct mc_dns_opts dopts = {0};
	struct mc_dmarc_result *r = NULL;
	struct mc_config *cfg = NULL;
	struct mc_psl *psl = NULL;
	struct mc_dns *dns = NULL;
	struct mc_err err = {0};
	const char *psl_file = NULL;
	int c, rc = MC_EXIT_UNKNOWN;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (check_opt_timeout("dmarc", optarg, &args))
				return MC_EXIT_UNKNOWN;
			break;
		case 'n':
			if (check_opt_tries("dmarc", optarg, &args))
				return MC_EXIT_UNKNOWN;
			break;
		case 'p':
			psl_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	if (psl_file && !(psl = orgdomain_load(psl_file, &err)))
		return cli_fail("dmarc: %s", err.msg);
	if (!args.timeout_ms || !args.tries)
		cfg = check_config_optional(cli, "dmarc");
	check_dns_opts(cli, &args, cfg, &dopts);
	dns = dns_new(&dopts, &err);
	if (!dns) {
		rc = cli_fail("dmarc: %s", err.msg);
		goto out;
	}
	r = dmarc_lookup(dns, psl, argv[optind], 0, &err);
	if (!r) {
		rc = cli_fail("dmarc: %s", err.msg);
		goto out;
	}
	if (cli->json) {
		if (cli_print_json(dmarc_result_json(r))) {
			rc = cli_fail("dmarc: cannot write JSON");
			goto out;
		}
	} else {
		print_text(r);
	}
	rc = r->problems.severity;
out:
	dmarc_result_free(r);
	dns_free(dns);
	orgdomain_free(psl);
	config_free(cfg);
	return rc;
}
