/* mailcanary check [DOMAIN]: the deliverability DNS audit (MX, PTR/FCrDNS,
 * SPF, DKIM keys, DMARC, DNSBL) of one domain given on the command line,
 * or of every [check] section of the config; all in one concurrent pass.
 * Text (Nagios status line with perfdata, then the parts and problems) or
 * JSON (DESIGN.md "check --json"). Exit code: the worst severity. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check.h"
#include "checks/dns_cache.h"
#include "cli/check_opts.h"
#include "cli/cli.h"
#include "mc_time.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] [--dns-server HOST[:PORT]] check [DOMAIN]\n"
		"                  [--ip IP]... [--selector S]... [--dnsbl ZONE]... [--no-dnsbl]\n"
		"                  [--from-probes[=public|all]] [--no-from-probes]\n"
		"                  [--timeout SECONDS] [--tries N] [--psl FILE]\n"
		"\n"
		"Audits the DNS a domain's mail depends on, every query at once: MX and their\n"
		"addresses, PTR and forward confirmation of each sending IP, SPF (the record,\n"
		"and check_host() for each IP with postmaster@DOMAIN), DKIM keys of each\n"
		"selector, DMARC, and DNS blocklists (each IP; the domain on domain:ZONE\n"
		"lists). Without DOMAIN, runs every [check] section of the config, each\n"
		"with the relay IPs of recent probes on its blocklists as the section's\n"
		"dnsbl_from_probes says (read from state_dir, if it holds a database).\n"
		"\n"
		"  --ip IP             a sending IP address (repeatable)\n"
		"  --selector S        a DKIM selector whose key must exist (repeatable)\n"
		"  --dnsbl ZONE        a blocklist; domain:ZONE for a domain list\n"
		"                      (repeatable; default: the dnsbl command's lists)\n"
		"  --no-dnsbl          ask no blocklist\n"
		"  --from-probes[=M]   also ask the blocklists about the relay IPs in the\n"
		"                      Received chains of the config's probes (routes whose\n"
		"                      from is in DOMAIN, last %d days): M public (default:\n"
		"                      global addresses only) or all; without DOMAIN,\n"
		"                      overrides every section's dnsbl_from_probes\n"
		"  --no-from-probes    only the configured / --ip addresses\n"
		"  --timeout SECONDS   DNS timeout per try (default: config dns_timeout, else %.0f)\n"
		"  --tries N           DNS tries per query (default: config dns_tries, else %d)\n"
		"  --psl FILE          public suffix list (default %s,\n"
		"                      else the .dat text next to it)\n"
		"\n"
		"Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a DNS failure hides the\n"
		"answer, or bad usage or config). Text output: a Nagios status line with\n"
		"perfdata after '|', then each part and the problems.\n",
		CHECK_PROBE_WINDOW_DEFAULT / 86400,
		MC_DNS_DEFAULT_TIMEOUT_MS / 1000.0, MC_DNS_DEFAULT_TRIES,
		MC_PSL_DAFSA);
}

struct counts {
	size_t n[4];
};

static void count_problem(void *arg, const char *part,
			  const struct mc_finding *f)
{
	struct counts *c = arg;

	(void)part;
	if (f->severity >= 0 && f->severity <= 3)
		c->n[f->severity]++;
}

static void print_problem(void *arg, const char *part,
			  const struct mc_finding *f)
{
	char *msg = check_visible(f->message);

	(void)arg;
	printf("  %-8s %-5s %s\n", check_severity_name(f->severity), part,
	       msg ? msg : "?");
	free(msg);
}

static void print_part(const char *part, int sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void print_part(const char *part, int sev, const char *fmt, ...)
{
	char line[1024];
	char *v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v = check_visible(line);
	printf("  %-6s %-8s %s\n", part, sev < 0 ? "" : check_severity_name(sev),
	       v ? v : "?");
	free(v);
}

static void print_mx(const struct mc_mx_result *mx)
{
	if (!mx)
		return;
	if (mx->null_mx) {
		print_part("mx", mx->problems.severity, "null MX (0 .)");
		return;
	}
	if (mx->n_hosts == 0)
		print_part("mx", mx->problems.severity, "%s",
			   dns_status_name(mx->status));
	for (size_t i = 0; i < mx->n_hosts; i++) {
		const struct mc_mx_host *h = &mx->hosts[i];
		char addrs[512] = "";
		size_t used = 0;

		for (size_t k = 0; k < h->n_addrs && used < sizeof(addrs) - 48; k++) {
			char buf[MC_IPADDR_TEXT_MAX];

			used += (size_t)snprintf(addrs + used, sizeof(addrs) - used,
						 "%s%s", k ? ", " : "",
						 ipaddr_format(&h->addrs[k], buf));
		}
		print_part(i ? "" : "mx", i ? -1 : mx->problems.severity,
			   "%u %s%s (%s)", h->preference, h->host,
			   mx->implicit ? " (implicit)" : "",
			   h->n_addrs ? addrs : "no address");
	}
}

static void print_report(const struct mc_check_report *r)
{
	const struct mc_check_spf *spf = &r->spf;

	printf("%s%s%s%s: %s\n", r->domain, r->name ? " [check \"" : "",
	       r->name ? r->name : "", r->name ? "\"]" : "",
	       check_severity_name(r->severity));
	print_mx(r->mx);
	for (size_t i = 0; i < r->n_ptr; i++) {
		const struct mc_ptr_result *p = r->ptr[i];

		print_part("ptr", p->problems.severity, "%s -> %s%s", p->ip,
			   p->n_names ? p->names[0] : dns_status_name(p->status),
			   p->fcrdns ? " (forward-confirmed)" :
			   p->n_names ? " (not forward-confirmed)" : "");
	}
	print_part("spf", spf->problems.severity, "%s; %s; %u/%d lookups",
		   spf->record ? spf->record : "no record",
		   spf_result_name(spf->result), spf->dns_lookups,
		   MC_SPF_MAX_DNS_LOOKUPS);
	for (size_t i = 0; i < r->n_dkim; i++) {
		const struct mc_dkim_key_report *k = &r->dkim[i];

		if (k->found)
			print_part("dkim", k->problems.severity,
				   "%s: %s %d bits%s%s", k->selector,
				   k->key_type, k->key_bits,
				   k->testing ? ", testing" : "",
				   k->revoked ? ", revoked" : "");
		else
			print_part("dkim", k->problems.severity, "%s: %s",
				   k->selector, dns_status_name(k->status));
	}
	if (r->dmarc) {
		if (r->dmarc->record_domain)
			print_part("dmarc", r->dmarc->problems.severity,
				   "p=%s sp=%s (at _dmarc.%s)",
				   dmarc_policy_name(r->dmarc->policy),
				   dmarc_policy_name(r->dmarc->subdomain_policy),
				   r->dmarc->record_domain);
		else
			print_part("dmarc", r->dmarc->problems.severity,
				   "no usable record");
	}
	if (r->dnsbl && r->dnsbl->n) {
		size_t used = 0;

		for (size_t i = 0; i < r->n_probe_ips; i++)
			used += !r->probe_ips[i].skipped;
		print_part("dnsbl", r->dnsbl->problems.severity,
			   "%zu listed of %zu queries%s", r->dnsbl->n_listed,
			   r->dnsbl->n, used ? "; relay IPs from probes:" : "");
		for (size_t i = 0; i < r->n_probe_ips; i++)
			if (!r->probe_ips[i].skipped)
				print_part("", -1, "%s (probe %s, route %s)",
					   r->probe_ips[i].ip,
					   r->probe_ips[i].probe_id,
					   r->probe_ips[i].route);
	}
}

static void print_text(struct mc_check_report **reps, size_t n, int worst)
{
	struct counts c = {{0}};
	size_t listed = 0;

	for (size_t i = 0; i < n; i++) {
		check_report_problems(reps[i], count_problem, &c);
		listed += reps[i]->dnsbl ? reps[i]->dnsbl->n_listed : 0;
	}
	printf("MAILCANARY CHECK %s - ", check_severity_name(worst));
	if (n == 1)
		printf("%s: ", reps[0]->domain);
	else
		printf("%zu domains: ", n);
	if (c.n[2] + c.n[1] + c.n[3] == 0)
		printf("no problems");
	else
		printf("%zu critical, %zu warning, %zu unknown", c.n[2], c.n[1],
		       c.n[3]);
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		print_report(reps[i]);
		if (reps[i]->severity != MC_CHK_OK) {
			printf("problems:\n");
			check_report_problems(reps[i], print_problem, NULL);
		}
	}
	/* DESIGN.md: the text ends with the perfdata, after '|' (Nagios
	 * long-output form), as probe's does. */
	printf("| dns_lookups=%zu dnsbl_listed=%zu problems=%zu",
	       n ? reps[0]->dns_queries : 0, listed, c.n[1] + c.n[2] + c.n[3]);
	for (size_t i = 0; i < n; i++) {
		const char *label = reps[i]->name ? reps[i]->name :
			reps[i]->domain;

		if (n == 1)
			printf(" spf_lookups=%u;;%d;0;", reps[i]->spf.dns_lookups,
			       MC_SPF_MAX_DNS_LOOKUPS);
		else
			printf(" '%s_spf_lookups'=%u;;%d;0;", label,
			       reps[i]->spf.dns_lookups, MC_SPF_MAX_DNS_LOOKUPS);
	}
	printf(" seconds=%.3fs\n", n ? reps[0]->seconds : 0.0);
}

#define MAX_ARGS 64

struct check_args {
	const char *ips[MAX_ARGS], *selectors[MAX_ARGS], *dnsbl[MAX_ARGS];
	size_t n_ips, n_selectors, n_dnsbl;
	int no_dnsbl;
	int from_probes;               /* -1: as configured; else a mode */
	const char *psl_file;
	struct check_dns_args dns;
};

static int add_arg(const char **arr, size_t *n, const char *v,
		   const char *opt)
{
	if (*n == MAX_ARGS) {
		cli_fail("check: more than %d %s options", MAX_ARGS, opt);
		return -1;
	}
	arr[(*n)++] = v;
	return 0;
}

/* Returns -1 after printing why, 1 for --help, 0 to go on. */
static int parse_args(int argc, char **argv, struct check_args *a)
{
	static const struct option opts[] = {
		{"ip", required_argument, NULL, 'i'},
		{"selector", required_argument, NULL, 's'},
		{"dnsbl", required_argument, NULL, 'b'},
		{"no-dnsbl", no_argument, NULL, 'B'},
		{"from-probes", optional_argument, NULL, 'P'},
		{"no-from-probes", no_argument, NULL, 'N'},
		{"timeout", required_argument, NULL, 't'},
		{"tries", required_argument, NULL, 'n'},
		{"psl", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	/* Options may follow the domain: "check example.net --ip ...". */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 'i':
			rc = add_arg(a->ips, &a->n_ips, optarg, "--ip");
			break;
		case 's':
			rc = add_arg(a->selectors, &a->n_selectors, optarg,
				     "--selector");
			break;
		case 'b':
			rc = add_arg(a->dnsbl, &a->n_dnsbl, optarg, "--dnsbl");
			break;
		case 'B':
			a->no_dnsbl = 1;
			break;
		case 'P':
			if (!optarg || strcmp(optarg, "public") == 0) {
				a->from_probes = MC_PROBE_IPS_PUBLIC;
			} else if (strcmp(optarg, "all") == 0) {
				a->from_probes = MC_PROBE_IPS_ALL;
			} else {
				cli_fail("check: --from-probes wants public or all, not '%s'",
					 optarg);
				return -1;
			}
			break;
		case 'N':
			a->from_probes = MC_PROBE_IPS_NO;
			break;
		case 't':
			rc = check_opt_timeout("check", optarg, &a->dns);
			break;
		case 'n':
			rc = check_opt_tries("check", optarg, &a->dns);
			break;
		case 'p':
			a->psl_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
		if (rc)
			return -1;
	}
	if (a->no_dnsbl && a->n_dnsbl) {
		cli_fail("check: --dnsbl and --no-dnsbl exclude each other");
		return -1;
	}
	if (argc - optind > 1) {
		usage(stderr);
		return -1;
	}
	if (argc - optind == 0 &&
	    (a->n_ips || a->n_selectors || a->n_dnsbl || a->no_dnsbl)) {
		cli_fail("check: --ip, --selector and --dnsbl need a DOMAIN (without one, every [check] of the config runs as configured)");
		return -1;
	}
	return 0;
}

/* The specs: one from the command line, or one per [check] section. */
static struct mc_check_spec *make_specs(const struct check_args *a,
					const char *domain,
					const struct mc_config *cfg, size_t *n)
{
	struct mc_check_spec *specs;
	static const char *const none[1] = {NULL};

	*n = domain ? 1 : cfg->n_checks;
	specs = calloc(*n ? *n : 1, sizeof(*specs));
	if (!specs)
		return NULL;
	if (domain) {
		specs[0].domain = domain;
		specs[0].ips = a->ips;
		specs[0].n_ips = a->n_ips;
		specs[0].selectors = a->selectors;
		specs[0].n_selectors = a->n_selectors;
		if (a->n_dnsbl || a->no_dnsbl) {
			specs[0].dnsbl = a->no_dnsbl ? none : a->dnsbl;
			specs[0].n_dnsbl = a->n_dnsbl;
		}
		return specs;
	}
	for (size_t i = 0; i < *n; i++) {
		const struct mc_check_cfg *k = &cfg->checks[i];

		specs[i].name = k->name;
		specs[i].domain = k->domain;
		specs[i].ips = (const char *const *)k->ips;
		specs[i].n_ips = k->n_ips;
		specs[i].selectors = (const char *const *)k->selectors;
		specs[i].n_selectors = k->n_selectors;
		specs[i].dnsbl = (const char *const *)k->dnsbl;
		specs[i].n_dnsbl = k->n_dnsbl;
	}
	return specs;
}

/* Offers each spec the relay IPs of the probes (as --from-probes or each
 * section's dnsbl_from_probes says), read from the config's store when
 * it has a database. Returns 0, or -1 after printing why when
 * --from-probes was asked for and the store cannot be read; without
 * --from-probes that is a note on stderr (a user running `check` by hand
 * may not be allowed to read the daemon's state) and the configured IPs
 * are checked alone. */
static int add_probe_ips(const struct check_args *a, const char *domain,
			 const struct mc_config *cfg,
			 struct mc_check_spec *specs, size_t n,
			 struct check_probe_ips *pips)
{
	struct mc_store *st = NULL;
	struct mc_err err = {0};
	double now = mc_now_real();
	int rc = 0;

	if (domain && (a->from_probes < 0 || a->from_probes == MC_PROBE_IPS_NO))
		return 0;
	if (check_store_open_existing(cfg, &st, &err)) {
		if (a->from_probes >= 0) {
			cli_fail("check: probes' relay IPs: %s", err.msg);
			return -1;
		}
		fprintf(stderr, "mailcanary: check: relay IPs of the probes not checked: %s\n",
			err.msg);
		return 0;
	}
	if (!st) {
		if (domain)
			fprintf(stderr, "mailcanary: check: --from-probes: no probes recorded in %s yet\n",
				cfg->state_dir);
		return 0;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const struct mc_check_cfg *k = domain ? NULL : &cfg->checks[i];
		int mode = a->from_probes >= 0 ? a->from_probes
					       : (int)k->dnsbl_from_probes;
		int window = k ? k->dnsbl_probe_window
			       : CHECK_PROBE_WINDOW_DEFAULT;

		if (mode == MC_PROBE_IPS_NO)
			continue;
		rc = check_probe_ips_load(st, cfg, specs[i].domain, window, now,
					  &pips[i], &err);
		if (rc)
			cli_fail("check: probes' relay IPs: %s", err.msg);
		specs[i].probe_ips = pips[i].ips;
		specs[i].n_probe_ips = pips[i].n;
		specs[i].probe_ips_all = mode == MC_PROBE_IPS_ALL;
	}
	store_close(st);
	return rc;
}

int cmd_check(const struct mc_cli *cli, int argc, char **argv)
{
	struct check_args a;
	struct mc_dns_opts dopts = {0};
	struct mc_check_spec *specs = NULL;
	struct mc_check_report **reps = NULL;
	struct check_probe_ips *pips = NULL;
	struct mc_config *cfg = NULL;
	struct mc_psl *psl = NULL;
	struct mc_dns *dns = NULL;
	struct mc_dns_cache *cache = NULL;
	struct mc_err err = {0};
	const char *domain;
	size_t n = 0;
	int rc = MC_EXIT_UNKNOWN, worst = MC_CHK_OK;

	memset(&a, 0, sizeof(a));
	a.from_probes = -1;
	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc > 0 ? MC_EXIT_OK : MC_EXIT_UNKNOWN;
	rc = MC_EXIT_UNKNOWN;
	domain = optind < argc ? argv[optind] : NULL;
	if (domain && a.from_probes >= 0 && a.from_probes != MC_PROBE_IPS_NO) {
		/* The probes are the config's: it must load. */
		cfg = config_load(cli->config_path, &err);
		if (!cfg)
			return cli_fail("check: --from-probes: %s", err.msg);
	} else if (domain) {
		if (!a.dns.timeout_ms || !a.dns.tries)
			cfg = check_config_optional(cli, "check");
	} else {
		cfg = config_load(cli->config_path, &err);
		if (!cfg)
			return cli_fail("check: %s", err.msg);
		if (cfg->n_checks == 0) {
			rc = cli_fail("check: no DOMAIN given and %s has no [check] section",
				      cli->config_path);
			goto out;
		}
	}
	if (a.psl_file && !(psl = orgdomain_load(a.psl_file, &err))) {
		rc = cli_fail("check: %s", err.msg);
		goto out;
	}
	specs = make_specs(&a, domain, cfg, &n);
	reps = calloc(n ? n : 1, sizeof(*reps));
	pips = calloc(n ? n : 1, sizeof(*pips));
	if (!specs || !reps || !pips) {
		rc = cli_fail("check: out of memory");
		goto out;
	}
	if (add_probe_ips(&a, domain, cfg, specs, n, pips)) {
		rc = MC_EXIT_UNKNOWN;
		goto out;
	}
	check_dns_opts(cli, &a.dns, cfg, &dopts);
	dns = dns_new(&dopts, &err);
	if (!dns) {
		rc = cli_fail("check: %s", err.msg);
		goto out;
	}
	/* One run asks some questions twice (an SPF include several domains
	 * share; SPF's mx/a after the MX check): answers are reused for
	 * their TTL within the run. Without memory for it: no cache. */
	if ((cache = dns_cache_new(NULL)))
		dns_set_cache(dns, cache);
	if (check_run(dns, psl, specs, n, 0, reps, &err)) {
		rc = cli_fail("check: %s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		worst = check_severity_worse(worst, reps[i]->severity);
	if (cli->json) {
		json_t *doc;

		if (domain) {
			doc = check_report_json(reps[0]);
		} else {
			json_t *arr = json_array();

			for (size_t i = 0; arr && i < n; i++)
				json_array_append_new(arr,
					check_report_json(reps[i]));
			doc = json_pack("{s:o,s:i}", "checks", arr,
					"severity", worst);
		}
		if (cli_print_json(doc)) {
			rc = cli_fail("check: cannot write JSON");
			goto out;
		}
	} else {
		print_text(reps, n, worst);
	}
	rc = worst;
out:
	for (size_t i = 0; reps && i < n; i++)
		check_report_free(reps[i]);
	for (size_t i = 0; pips && i < n; i++)
		check_probe_ips_clear(&pips[i]);
	free(pips);
	free(reps);
	free(specs);
	dns_free(dns);
	dns_cache_free(cache);
	orgdomain_free(psl);
	config_free(cfg);
	return rc;
}
