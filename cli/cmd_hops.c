/* mailcanary hops FILE: the Received chain of a message, oldest hop first,
 * with per-hop delay, protocol, hosts and TLS. The command reports; it does
 * not judge: exit 0 when the file was read (unrecognised Received fields
 * are shown raw, not fatal), 3 when it could not be read. */
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "mc_num.h"
#include "mc_time.h"
#include "receiver/hops.h"

/* A message is read whole up to this size; hops_from_header() itself only
 * scans the first HOPS_MAX_INPUT bytes (the header comes first). */
#define HOPS_FILE_LIMIT (64u * 1024 * 1024)
/* Text columns are cut to this many bytes. */
#define COL_MAX 60

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] hops FILE\n"
		"Lists the Received chain of a message (or of its header block),\n"
		"oldest hop first: hop, time (UTC), delay since the previous hop,\n"
		"protocol, from -> by, TLS; unrecognised fields are shown raw.\n"
		"'-' reads standard input. A delay marked SKEW is negative: the\n"
		"two hosts' clocks disagree.\n");
}

static const char *dash(const char *s)
{
	return s && s[0] ? s : "-";
}

static void fmt_delay(double d, int skew, char *buf, size_t size)
{
	if (isnan(d))
		snprintf(buf, size, "-");
	else if (d == mc_floor(d) && fabs(d) < 1e9)
		snprintf(buf, size, "%+.0fs%s", d, skew ? " SKEW" : "");
	else
		snprintf(buf, size, "%+.3fs%s", d, skew ? " SKEW" : "");
}

/* "helo (rdns [ip])" shortened to what is known: "rdns [ip]". */
static void fmt_from(const struct received *r, char *buf, size_t size)
{
	const char *name = r->from_host[0] ? r->from_host : r->from_helo;

	if (name[0] == '[' && r->from_ip[0])      /* a literal HELO */
		snprintf(buf, size, "[%s]", r->from_ip);
	else if (name[0] && r->from_ip[0])
		snprintf(buf, size, "%.*s [%s]", COL_MAX, name, r->from_ip);
	else if (r->from_ip[0])
		snprintf(buf, size, "[%s]", r->from_ip);
	else
		snprintf(buf, size, "%.*s", COL_MAX, name[0] ? name : "-");
}

static void fmt_at(const struct received *r, char *buf, size_t size)
{
	char t[MC_RFC3339_MAX];

	if (isnan(r->at))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%s", mc_time_rfc3339(r->at, r->at_frac, t));
}

struct widths {
	int at, delay, with, from, by;
};

static int width(const char *s, int cur)
{
	int n = (int)strlen(s);

	return n > cur ? (n > COL_MAX ? COL_MAX : n) : cur;
}

static void print_text(const struct hops *h)
{
	const char *arrow;
	struct widths w = {2, 5, 4, 4, 2};
	char at[MC_RFC3339_MAX], delay[32], from[COL_MAX + 80], tot[32];
	size_t n = hops_count(h);

	/* The locale's character set picks the arrow. Only this command reads
	 * the locale (LC_CTYPE alone: LC_ALL would also print "1,5" into
	 * numbers under de_DE); setting it in main() cost every other command
	 * three file opens at start. */
	setlocale(LC_CTYPE, "");
	arrow = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "\xe2\x86\x92" : "->";
	for (size_t i = 0; i < n; i++) {
		const struct hop *hp = hops_get(h, i);

		fmt_at(&hp->r, at, sizeof(at));
		fmt_delay(hp->delay, hp->skew, delay, sizeof(delay));
		fmt_from(&hp->r, from, sizeof(from));
		w.at = width(at, w.at);
		w.delay = width(delay, w.delay);
		w.with = width(dash(hp->r.with), w.with);
		w.from = width(from, w.from);
		w.by = width(dash(hp->r.by_host), w.by);
	}
	printf("%3s  %-*s  %-*s  %-*s  %-*s %s %-*s  %s\n", "hop", w.at, "at",
	       w.delay, "delay", w.with, "with", w.from, "from", arrow, w.by,
	       "by", "tls");
	for (size_t i = 0; i < n; i++) {
		const struct hop *hp = hops_get(h, i);
		const struct received *r = &hp->r;

		fmt_at(r, at, sizeof(at));
		fmt_delay(hp->delay, hp->skew, delay, sizeof(delay));
		if (!r->parsed) {
			printf("%3zu  %-*s  %-*s  (unrecognised) %s\n", i + 1,
			       w.at, at, w.delay, delay, r->raw);
			continue;
		}
		fmt_from(r, from, sizeof(from));
		printf("%3zu  %-*s  %-*s  %-*.*s  %-*s %s %-*.*s  %s%s%s%s%s\n",
		       i + 1, w.at, at, w.delay, delay, w.with, COL_MAX,
		       dash(r->with), w.from, from, arrow, w.by, COL_MAX,
		       dash(r->by_host), dash(r->tls_version),
		       r->tls_cipher[0] ? " " : "", r->tls_cipher,
		       r->note[0] ? "  " : "", r->note);
	}
	if (n == 0)
		printf("(no Received fields)\n");
	fmt_delay(hops_total(h), 0, tot, sizeof(tot));
	printf("total %s%s\n", strcmp(tot, "-") == 0 ? "unknown" : tot + 1,
	       hops_truncated(h) ? " (oldest hops dropped: too many)" : "");
}

int cmd_hops(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mc_err err = {0};
	struct hops *h = NULL;
	int json = cli->json, rc = MC_EXIT_OK, c;
	size_t len = 0;
	char *buf;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
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
	buf = cli_read_file(argv[optind], HOPS_FILE_LIMIT, &len);
	if (!buf)
		return MC_EXIT_UNKNOWN;     /* cli_read_file said why */
	h = hops_from_header(buf, len, &err);
	free(buf);
	if (!h)
		return cli_fail("%s: %s", argv[optind], err.msg);
	if (json) {
		if (cli_print_json(hops_doc_to_json(h)) < 0)
			rc = cli_fail("hops: cannot write output");
	} else {
		print_text(h);
		if (fflush(stdout))
			rc = cli_fail("hops: cannot write output");
	}
	hops_free(h);
	return rc;
}
