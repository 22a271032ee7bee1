/* mailcanary dkim verify FILE | dkim key DOMAIN SELECTOR: DKIM signature
 * verification of a message and the report of one published key, as text
 * or JSON (DESIGN.md "dkim verify --json"). Keys are looked up on the
 * shared c-ares channel (--dns-server respected). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dkim.h"
#include "checks/dns.h"
#include "cli/check_opts.h"
#include "cli/cli.h"

#define DKIM_FILE_LIMIT (64u * 1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] [--dns-server HOST[:PORT]] dkim verify [OPTIONS] FILE\n"
		"       mailcanary [--json] [--dns-server HOST[:PORT]] dkim key [OPTIONS] DOMAIN SELECTOR\n"
		"\n"
		"verify: checks every DKIM-Signature of a message (RFC 6376, RFC 8463\n"
		"ed25519-sha256; '-' reads standard input) and prints one line per\n"
		"signature: result, domain, selector, algorithm, key, reason.\n"
		"key: looks up <SELECTOR>._domainkey.<DOMAIN> and reports the key type,\n"
		"size and flags (testing, revoked).\n"
		"\n"
		"  --timeout SECONDS   DNS timeout per try (default %.0f)\n"
		"  --tries N           DNS tries per query (default %d)\n"
		"\n"
		"Exit codes: 0 every signature passes (key valid); 1 warnings (rsa-sha1,\n"
		"RSA key under 2048 bits, testing mode, partial l=); 2 a fail or\n"
		"permerror, no signature (no key, revoked); 3 temperror or bad usage.\n",
		MC_DNS_DEFAULT_TIMEOUT_MS / 1000.0, MC_DNS_DEFAULT_TRIES);
}

static void print_sig(const struct mc_dkim_sig_result *s)
{
	printf("%-9s d=%s s=%s a=%s", dkim_status_name(s->status),
	       s->domain[0] ? s->domain : "-",
	       s->selector[0] ? s->selector : "-",
	       s->algorithm[0] ? s->algorithm : "-");
	if (s->key_type != MC_DKIM_KEY_UNKNOWN)
		printf(" key=%s/%u", dkim_key_type_name(s->key_type),
		       s->key_bits);
	if (s->testing)
		printf(" testing");
	if (s->reason[0])
		printf(": %s", s->reason);
	putchar('\n');
}

static int print_verify(const struct mc_cli *cli,
			const struct mc_dkim_result *r)
{
	if (cli->json)
		return cli_print_json(dkim_result_to_json(r));
	if (r->n_sigs == 0)
		printf("no DKIM-Signature\n");
	for (size_t i = 0; i < r->n_sigs; i++)
		print_sig(&r->sigs[i]);
	return 0;
}

static int print_key(const struct mc_cli *cli,
		     const struct mc_dkim_keyinfo *ki)
{
	if (cli->json)
		return cli_print_json(dkim_keyinfo_to_json(ki));
	printf("dkim key: %s\n", dkim_key_state_name(ki->state));
	printf("name: %s\n", ki->name);
	if (ki->key_type != MC_DKIM_KEY_UNKNOWN)
		printf("key: %s, %u bits\n", dkim_key_type_name(ki->key_type),
		       ki->key_bits);
	if (ki->state == MC_DKIM_KEYSTATE_OK)
		printf("testing: %s\nstrict: %s\n", ki->testing ? "yes" : "no",
		       ki->strict ? "yes" : "no");
	if (ki->hashes)
		printf("hashes: %s\n", ki->hashes);
	if (ki->services)
		printf("services: %s\n", ki->services);
	if (ki->record)
		printf("record: %s\n", ki->record);
	if (ki->problem[0])
		printf("problem: %s\n", ki->problem);
	for (size_t i = 0; i < ki->n_warnings; i++)
		printf("warning: %s\n", ki->warnings[i]);
	return 0;
}

int cmd_dkim(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"tries", required_argument, NULL, 'n'},
		{"now", required_argument, NULL, 'N'},   /* tests: x= clock */
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mc_dns_opts dopts = {.server = cli->dns_server};
	struct check_dns_args dargs = {0};
	struct mc_dkim_result *res = NULL;
	struct mc_dkim_keyinfo *ki = NULL;
	struct mc_dkim_dns *kd = NULL;
	struct mc_dns *dns = NULL;
	struct mc_err err = {0};
	const char *sub;
	char *msg = NULL, *end;
	double now = 0;
	size_t len = 0;
	int c, rc = MC_EXIT_UNKNOWN;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? MC_EXIT_UNKNOWN : MC_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "verify") != 0 && strcmp(sub, "key") != 0)
		return cli_fail("dkim: unknown subcommand '%s' (verify, key)",
				sub);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (check_opt_timeout("dkim", optarg, &dargs))
				return MC_EXIT_UNKNOWN;
			dopts.timeout_ms = dargs.timeout_ms;
			break;
		case 'n':
			if (check_opt_tries("dkim", optarg, &dargs))
				return MC_EXIT_UNKNOWN;
			dopts.tries = dargs.tries;
			break;
		case 'N':
			now = strtod(optarg, &end);
			if (*end || !(now > 0))
				return cli_fail("dkim: --now wants epoch seconds");
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}
	if (strcmp(sub, "verify") == 0 ? argc - optind != 1 :
	    argc - optind != 2) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	if (strcmp(sub, "verify") == 0) {
		msg = cli_read_file(argv[optind], DKIM_FILE_LIMIT, &len);
		if (!msg)
			return MC_EXIT_UNKNOWN;
	}
	dns = dns_new(&dopts, &err);
	if (!dns) {
		rc = cli_fail("dkim: %s", err.msg);
		goto out;
	}
	kd = dkim_dns_new(dns);
	if (!kd) {
		rc = cli_fail("dkim: out of memory");
		goto out;
	}
	if (msg) {
		dkim_dns_prefetch(kd, msg, len);
		if (dkim_verify_message(msg, len, dkim_dns_lookup, kd, now,
					&res, &err)) {
			rc = cli_fail("dkim: %s", err.msg);
			goto out;
		}
		if (print_verify(cli, res)) {
			rc = cli_fail("dkim: cannot write the output");
			goto out;
		}
		rc = res->severity;
	} else {
		ki = dkim_key_check(dkim_dns_lookup, kd, argv[optind],
				    argv[optind + 1], &err);
		if (!ki) {
			rc = cli_fail("dkim: %s", err.msg);
			goto out;
		}
		if (print_key(cli, ki)) {
			rc = cli_fail("dkim: cannot write the output");
			goto out;
		}
		rc = ki->severity;
	}
out:
	dkim_result_free(res);
	dkim_keyinfo_free(ki);
	/* The channel first: it drops queries still in flight, which would
	 * otherwise write into kd (dkim.h). */
	dns_free(dns);
	dkim_dns_free(kd);
	free(msg);
	return rc;
}
