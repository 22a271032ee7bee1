/* mailcanary spf IP MAILFROM [HELO]: RFC 7208 check_host() with the
 * evaluation trace, as text or JSON (DESIGN.md "spf --json"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checkutil.h"
#include "checks/dns.h"
#include "checks/spf.h"
#include "cli/check_opts.h"
#include "cli/cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] [--dns-server HOST[:PORT]] spf [--timeout SECONDS]\n"
		"                  [--tries N] IP MAILFROM [HELO]\n"
		"\n"
		"Evaluates the SPF policy (RFC 7208 check_host()) for a client IP and the\n"
		"MAIL FROM address, or postmaster@HELO when MAILFROM is \"\". Prints the result,\n"
		"the DNS lookup counts and the evaluation trace.\n"
		"\n"
		"  --timeout SECONDS   DNS timeout per try (default %.0f)\n"
		"  --tries N           DNS tries per query (default %d)\n"
		"\n"
		"Exit codes: 0 pass; 1 neutral, none, softfail; 2 fail, permerror;\n"
		"3 temperror (cannot tell) or bad usage.\n",
		MC_DNS_DEFAULT_TIMEOUT_MS / 1000.0, MC_DNS_DEFAULT_TRIES);
}

static int exit_code(enum mc_spf_result r)
{
	switch (r) {
	case MC_SPF_PASS:
		return MC_EXIT_OK;
	case MC_SPF_NEUTRAL:
	case MC_SPF_NONE:
	case MC_SPF_SOFTFAIL:
		return MC_EXIT_WARNING;
	case MC_SPF_FAIL:
	case MC_SPF_PERMERROR:
		return MC_EXIT_CRITICAL;
	case MC_SPF_TEMPERROR:
		break;
	}
	return MC_EXIT_UNKNOWN;
}

static json_t *jstr(const char *s)
{
	char *v;
	json_t *j;

	if (!s)
		return json_null();
	v = check_visible(s);
	j = v ? json_string(v) : NULL;
	free(v);
	return j;
}

static json_t *outcome_json(const struct mc_spf_outcome *o, const char *ip,
			    const char *mailfrom, const char *helo)
{
	json_t *doc = json_object(), *trace = json_array();

	if (!doc || !trace) {
		json_decref(doc);
		json_decref(trace);
		return NULL;
	}
	for (size_t i = 0; i < o->n_trace; i++)
		json_array_append_new(trace,
			json_pack("{s:i,s:o,s:o}", "depth", o->trace[i].depth,
				  "domain", jstr(o->trace[i].domain),
				  "text", jstr(o->trace[i].text)));
	json_object_set_new(doc, "result",
			    json_string(spf_result_name(o->result)));
	json_object_set_new(doc, "explanation",
			    jstr(o->explanation));
	json_object_set_new(doc, "explanation_source",
			    json_string(o->result != MC_SPF_FAIL ? "" :
					o->explanation_default ? "default" :
					"exp"));
	json_object_set_new(doc, "dns_lookups",
			    json_integer(o->dns_lookups));
	json_object_set_new(doc, "void_lookups",
			    json_integer(o->void_lookups));
	json_object_set_new(doc, "trace", trace);
	json_object_set_new(doc, "trace_truncated",
			    json_boolean(o->trace_truncated));
	json_object_set_new(doc, "ip", jstr(ip));
	json_object_set_new(doc, "mailfrom", jstr(mailfrom));
	json_object_set_new(doc, "helo", jstr(helo));
	json_object_set_new(doc, "identity", jstr(o->identity));
	json_object_set_new(doc, "domain", jstr(o->domain));
	json_object_set_new(doc, "record", jstr(o->record));
	json_object_set_new(doc, "problem", jstr(o->problem));
	return doc;
}

static void print_line(const char *label, const char *s)
{
	char *v = check_visible(s);

	printf("%s%s\n", label, v ? v : "?");
	free(v);
}

static void print_text(const struct mc_spf_outcome *o)
{
	printf("spf: %s\n", spf_result_name(o->result));
	print_line("domain: ", o->domain);
	printf("identity: %s\n", o->identity);
	if (o->record)
		print_line("record: ", o->record);
	if (*o->explanation)
		print_line("explanation: ", o->explanation);
	if (*o->problem)
		print_line("problem: ", o->problem);
	printf("dns lookups: %u of %d, void lookups: %u of %d\n",
	       o->dns_lookups, MC_SPF_MAX_DNS_LOOKUPS, o->void_lookups,
	       MC_SPF_MAX_VOID_LOOKUPS);
	printf("trace:\n");
	for (size_t i = 0; i < o->n_trace; i++) {
		printf("  %*s", 2 * o->trace[i].depth, "");
		print_line("", o->trace[i].text);
	}
	if (o->trace_truncated)
		printf("  (trace truncated at %d lines)\n", MC_SPF_MAX_TRACE);
}

int cmd_spf(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"tries", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mc_dns_opts dopts = {.server = cli->dns_server};
	struct check_dns_args dargs = {0};
	struct mc_spf_query q = {0};
	struct mc_spf_opts sopts = {0};
	struct mc_spf_outcome *o = NULL;
	struct mc_dns *dns = NULL;
	struct mc_err err = {0};
	int c, rc = MC_EXIT_UNKNOWN;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (check_opt_timeout("spf", optarg, &dargs))
				return MC_EXIT_UNKNOWN;
			dopts.timeout_ms = dargs.timeout_ms;
			break;
		case 'n':
			if (check_opt_tries("spf", optarg, &dargs))
				return MC_EXIT_UNKNOWN;
			dopts.tries = dargs.tries;
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	q.ip = argv[optind];
	q.mailfrom = argv[optind + 1];
	q.helo = argc - optind == 3 ? argv[optind + 2] : NULL;

	dns = dns_new(&dopts, &err);
	if (!dns)
		return cli_fail("spf: %s", err.msg);
	o = spf_check_host(dns, &q, &sopts, &err);
	if (!o) {
		rc = cli_fail("spf: %s", err.msg);
		goto out;
	}
	if (cli->json) {
		json_t *doc = outcome_json(o, q.ip, q.mailfrom, q.helo);

		if (!doc || cli_print_json(doc)) {
			rc = cli_fail("spf: cannot write JSON");
			goto out;
		}
	} else {
		print_text(o);
	}
	rc = exit_code(o->result);
out:
	spf_outcome_free(o);
	dns_free(dns);
	return rc;
}
