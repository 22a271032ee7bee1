/* mailcanary spf IP MAILFROM [HELO]: RFC 7208 check_host() with the
 * evaluation trace, as text or JSON (DESIGN.md "spf --json"); and
 * spf --batch FILE: many such questions in one process, evaluated
 * concurrently (one resolver per worker thread), answered in input
 * order -- an operator's list of outbound IPs against the domains they
 * send for. The batch's resolvers share one answer cache (checks/dns_cache.h)
 * that honours the answers' TTLs, as a real resolver would. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "checks/checkutil.h"
#include "checks/dns.h"
#include "checks/dns_cache.h"
#include "checks/spf.h"
#include "checks/spf_json.h"
#include "cli/check_opts.h"
#include "cli/cli.h"
#include "mc_buf.h"
#include "mc_io.h"
#include "mc_pool.h"
#include "mc_time.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] [--dns-server HOST[:PORT]] spf [--timeout SECONDS]\n"
		"                  [--tries N] [--no-cache] IP MAILFROM [HELO]\n"
		"       mailcanary [--json] [--dns-server HOST[:PORT]] spf [--timeout SECONDS]\n"
		"                  [--tries N] [--no-cache] --batch FILE\n"
		"\n"
		"Evaluates the SPF policy (RFC 7208 check_host()) for a client IP and the\n"
		"MAIL FROM address, or postmaster@HELO when MAILFROM is \"\". Prints the result,\n"
		"the DNS lookup counts and the evaluation trace.\n"
		"\n"
		"  --timeout SECONDS   DNS timeout per try (default %.0f)\n"
		"  --tries N           DNS tries per query (default %d)\n"
		"  --batch FILE        one question per line, \"IP MAILFROM [HELO]\" (MAILFROM\n"
		"                      <> for the HELO identity; # comments; - = stdin);\n"
		"                      evaluated concurrently, one result line per question\n"
		"                      in input order (--json: {\"results\": [...]})\n"
		"  --no-cache          ask the DNS server every time (default: an answer is\n"
		"                      reused for its TTL, at most %d s, within the\n"
		"                      evaluation or the batch; failures are never reused;\n"
		"                      a record's later lookups are asked ahead at once)\n"
		"\n"
		"Exit codes: 0 pass; 1 neutral, none, softfail; 2 fail, permerror;\n"
		"3 temperror (cannot tell) or bad usage. --batch: the worst of its results.\n",
		MC_DNS_DEFAULT_TIMEOUT_MS / 1000.0, MC_DNS_DEFAULT_TRIES,
		MC_DNS_CACHE_MAX_TTL);
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

/* ---- --batch ---- */

#define BATCH_MAX_BYTES (16u << 20)
#define BATCH_MAX_LINES 100000
#define BATCH_WORKERS 16       /* MC_POOL_MAX_THREADS */
/* Questions are answered one after another in the main thread, and the
 * workers start only when waiting on DNS servers (dns_waited(), not the
 * wall clock: a scheduler hiccup or a CPU-bound pace is no reason) looks
 * too slow: a question that waited longer than BATCH_SLOW_QUESTION, or,
 * once BATCH_SERIAL_MIN has passed, a pace at which the rest would wait
 * longer than BATCH_SERIAL_BUDGET. The pace is the wait per question
 * averaged over about the last BATCH_PACE_SPAN questions, not since the
 * start: the first questions miss the cache, and when the rest repeat
 * their names they wait for nothing (the whole-batch average projected
 * those first misses onto every later question, and under load started
 * the workers for a batch the cache answers).
 * Sixteen threads with a c-ares channel each cost 5-9 ms here (each
 * channel is 18 fresh pages), more than 580 questions answered from a
 * near or caching server take in one thread; with the wall clock as the
 * measure they started in a quarter of such runs. Seconds. */
#define BATCH_SLOW_QUESTION 0.010
#define BATCH_SERIAL_MIN 0.005
#define BATCH_SERIAL_BUDGET 0.02
#define BATCH_PACE_SPAN 16
#define BATCH_FLUSH 4096        /* bytes of results per write() */
#define BATCH_PREFETCH 100      /* DNS_MAX_IN_FLIGHT: one round */

struct batch_item {
	struct mc_spf_query q;
	struct mc_spf_outcome *o;
	char *why;                     /* when o is NULL: spf_check_host()'s
					* error, or NULL (out of memory) */
};

struct batch {
	struct batch_item *items;
	size_t n;
	struct mc_dns *dns[BATCH_WORKERS];
	struct mc_dns_cache *cache;    /* shared by the workers; or NULL */
	size_t workers;
	size_t start;                  /* the first item the workers take */
	/* output */
	const struct mc_cli *cli;
	size_t printed;
	int worst;                     /* exit code so far */
	int write_failed;
	struct mc_buf out;             /* results not written yet */
};

/* Splits line into at most 4 fields on blanks (in place); returns the
 * count. */
static size_t fields(char *line, char *f[4])
{
	size_t n = 0;

	for (char *p = line; *p && n < 4;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		f[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Parses the whole input before anything is asked: a bad line is bad
 * usage, named by file:line. The strings point into buf. */
static int batch_parse(const char *path, char *buf, struct batch *b)
{
	size_t lineno = 0;

	for (char *line = buf, *next; line && *line; line = next) {
		char *f[4];
		size_t n;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if ((n = fields(line, f)) == 0 || f[0][0] == '#')
			continue;
		if (n < 2 || n > 3)
			return cli_fail("spf: %s:%zu: want \"IP MAILFROM [HELO]\", "
					"got %zu field%s", path, lineno, n,
					n == 1 ? "" : "s");
		if (b->n == BATCH_MAX_LINES)
			return cli_fail("spf: %s:%zu: more than %d questions",
					path, lineno, BATCH_MAX_LINES);
		struct batch_item *it = &b->items[b->n++];
		it->q.ip = f[0];
		it->q.mailfrom = strcmp(f[1], "<>") == 0 ? "" : f[1];
		it->q.helo = n == 3 ? f[2] : NULL;
		if (!*it->q.mailfrom && !it->q.helo)
			return cli_fail("spf: %s:%zu: MAILFROM <> needs a HELO",
					path, lineno);
	}
	return 0;
}

/* Answers question i of the batch with resolver dns. */
static void batch_answer(struct batch *b, size_t i, struct mc_dns *dns)
{
	const struct mc_spf_opts sopts = {0};
	struct batch_item *it = &b->items[i];
	struct mc_err err = {0};

	it->o = spf_check_host(dns, &it->q, &sopts, &err);
	if (!it->o)
		it->why = strdup(err.msg);
}

/* Worker w answers the items from start + w on, every workers-th one,
 * with its own resolver. */
static void batch_worker(void *arg, size_t w)
{
	struct batch *b = arg;

	for (size_t i = b->start + w; i < b->n; i += b->workers)
		batch_answer(b, i, b->dns[w]);
}

/* Appends item's JSON object to b. */
static int item_json(struct mc_buf *b, const struct batch_item *it)
{
	if (it->o)
		return spf_json_outcome(b, it->o, it->q.ip, it->q.mailfrom,
					it->q.helo);
	return spf_json_failed(b, it->q.ip, it->q.mailfrom, it->q.helo,
			       it->why ? it->why : "out of memory");
}

/* Appends item's text line to b. */
static int item_text(struct mc_buf *b, const struct batch_item *it)
{
	char *ip = check_visible(it->q.ip),
	     *from = check_visible(*it->q.mailfrom ? it->q.mailfrom : "<>"),
	     *why = check_visible(!it->o ? (it->why ? it->why : "out of memory")
				  : *it->o->problem ? it->o->problem : "");
	int rc = mc_buf_printf(b, "%-9s %s %s%s%s\n",
			       it->o ? spf_result_name(it->o->result) :
				       "temperror",
			       ip ? ip : "?", from ? from : "?",
			       why && *why ? "  " : "", why ? why : "");

	free(ip);
	free(from);
	free(why);
	return rc;
}

/* Writes what b->out holds once it holds at least least bytes (and
 * something). Stdio is not used: it would copy every result once more. */
static void batch_flush(struct batch *b, size_t least)
{
	if (b->out.len && b->out.len >= least) {
		if (mc_write_all(STDOUT_FILENO, b->out.data, b->out.len))
			b->write_failed = 1;
		mc_buf_reset(&b->out);
	}
}

/* Prints the answered items from b->printed up to end, in input order,
 * and frees their outcomes: results go out as soon as they are known (in
 * writes of BATCH_FLUSH bytes, as stdio's buffer did), and a long batch
 * never holds every trace in memory. --json writes {"results": [...]} one
 * result at a time. */
static void batch_emit(struct batch *b, size_t end)
{
	for (; b->printed < end; b->printed++) {
		struct batch_item *it = &b->items[b->printed];
		int rc = it->o ? exit_code(it->o->result) : MC_EXIT_UNKNOWN;

		if (rc > b->worst)
			b->worst = rc;
		if (b->cli->json ?
			    (b->printed && mc_buf_append(&b->out, ",", 1)) ||
				    item_json(&b->out, it) :
			    item_text(&b->out, it))
			b->write_failed = 1;
		batch_flush(b, BATCH_FLUSH);
		spf_outcome_free(it->o);
		it->o = NULL;
		free(it->why);
		it->why = NULL;
	}
}

/* Makes the batch's resolvers up to n (sharing its cache) and sets
 * b->workers to how many there are: fewer than n when one cannot be made
 * (err says why). Returns 0 when there is at least one, else -1. */
static int batch_resolvers(struct batch *b, size_t n,
			   const struct mc_dns_opts *dopts, struct mc_err *err)
{
	size_t w = b->workers;

	for (; w < n; w++) {
		if (!(b->dns[w] = dns_new(dopts, err)))
			break;
		dns_set_cache(b->dns[w], b->cache);
	}
	if (w > b->workers)
		b->workers = w;
	return b->workers > 0 ? 0 : -1;
}

/* A question's identity domain, as spf_identity_domain() gives it. */
struct batch_domain {
	const char *p;
	size_t n;
};

/* Orders domain names as DNS matches them: in any case. */
static int domain_cmp(const void *a, const void *b)
{
	const struct batch_domain *x = a, *y = b;
	int c = strncasecmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Asks at once for the TXT records that BATCH_PREFETCH of the batch's
 * distinct domains start with (the first in name order, not input
 * order), and waits for them: in one thread, each question's first
 * lookup used to wait its own round trip, one after another (a tenth of
 * a millisecond each on loopback, the whole relay delay through a far
 * resolver). The answers go to the cache, where the questions find them;
 * the lookup counts do not change. Only BATCH_PREFETCH: a domain whose
 * server does not answer costs its timeout here and again when its
 * question asks, so at most one round of them. */
static void batch_prefetch(struct batch *b)
{
	struct batch_domain *dom = calloc(b->n ? b->n : 1, sizeof(*dom));
	struct mc_err err = {0};
	size_t n = 0, asked = 0;

	if (!dom)
		return;                  /* the questions ask for themselves */
	for (size_t i = 0; i < b->n; i++)
		if ((dom[n].p = spf_identity_domain(&b->items[i].q, &dom[n].n)))
			n++;
	qsort(dom, n, sizeof(*dom), domain_cmp);
	for (size_t i = 0; i < n && asked < BATCH_PREFETCH; i++)
		if ((i == 0 || domain_cmp(&dom[i - 1], &dom[i]) != 0) &&
		    spf_prefetch(b->dns[0], dom[i].p, dom[i].n) == 0)
			asked++;
	free(dom);
	if (asked)
		(void)dns_run(b->dns[0], 0, NULL, &err);
}

/* Lines in buf: an upper bound on its questions. */
static size_t batch_lines(const char *buf, size_t len)
{
	size_t n = 1;

	for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf)));
	     p++)
		n++;
	return n < BATCH_MAX_LINES ? n : BATCH_MAX_LINES;
}

static int batch_run(const struct mc_cli *cli, const char *path,
		     const struct mc_dns_opts *dopts, int use_cache)
{
	struct batch b = {.cli = cli, .worst = MC_EXIT_OK};
	struct mc_err err = {0};
	size_t len;
	char *buf = cli_read_file(path, BATCH_MAX_BYTES, &len);
	int rc = MC_EXIT_UNKNOWN;

	if (!buf)
		return MC_EXIT_UNKNOWN;
	if (memchr(buf, '\0', len)) {
		free(buf);
		return cli_fail("spf: %s: a NUL byte: not a text file", path);
	}
	b.items = calloc(batch_lines(buf, len), sizeof(*b.items));
	if (!b.items) {
		free(buf);
		return cli_fail("spf: out of memory");
	}
	if (batch_parse(path, buf, &b))
		goto out;
	if (use_cache && !(b.cache = dns_cache_new(NULL))) {
		rc = cli_fail("spf: out of memory");
		goto out;
	}
	/* c-ares' library set-up is not thread-safe: every resolver is made
	 * (and freed) here, in this thread. */
	if (batch_resolvers(&b, 1, dopts, &err)) {
		rc = cli_fail("spf: %s", err.msg);
		goto out;
	}
	if (cli->json && mc_buf_puts(&b.out, "{\"results\":["))
		b.write_failed = 1;
	if (b.cache)
		batch_prefetch(&b);
	double t0 = mc_now_mono(), waited = dns_waited(b.dns[0]), pace = -1;
	while (b.start < b.n) {
		double w, wq;

		batch_answer(&b, b.start++, b.dns[0]);
		batch_emit(&b, b.start);
		w = dns_waited(b.dns[0]);
		wq = w - waited;
		waited = w;
		pace = pace < 0 ? wq : pace + (wq - pace) / BATCH_PACE_SPAN;
		if (wq > BATCH_SLOW_QUESTION ||
		    (mc_now_mono() - t0 > BATCH_SERIAL_MIN &&
		     pace * (double)(b.n - b.start) > BATCH_SERIAL_BUDGET))
			break;
	}
	size_t serial = b.start;
	if (b.start < b.n) {
		size_t left = b.n - b.start;

		/* Workers that cannot all be made (no memory, no sockets)
		 * are fewer; the first resolver always remains. */
		batch_resolvers(&b, left < BATCH_WORKERS ? left : BATCH_WORKERS,
				dopts, &err);
		mc_pool_run(b.workers, BATCH_WORKERS, batch_worker, &b);
		batch_emit(&b, b.n);
	}
	if (cli->verbose)
		fprintf(stderr, "mailcanary: spf: %zu question%s: %zu answered "
			"in one thread, %zu by %zu worker%s\n", b.n,
			b.n == 1 ? "" : "s", serial, b.n - serial,
			serial < b.n ? b.workers : 0,
			serial < b.n && b.workers == 1 ? "" : "s");
	if (cli->json && mc_buf_puts(&b.out, "]}\n"))
		b.write_failed = 1;
	batch_flush(&b, 0);
	if (b.write_failed)
		rc = cli_fail("spf: cannot write the results");
	else
		rc = b.worst;
out:
	for (size_t i = 0; i < b.n; i++) {
		spf_outcome_free(b.items[i].o);
		free(b.items[i].why);
	}
	for (size_t w = 0; w < BATCH_WORKERS; w++)
		dns_free(b.dns[w]);
	dns_cache_free(b.cache);     /* after the channels that borrow it */
	mc_buf_free(&b.out);
	free(b.items);
	free(buf);
	return rc;
}

int cmd_spf(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"tries", required_argument, NULL, 'n'},
		{"batch", required_argument, NULL, 'b'},
		{"no-cache", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mc_dns_opts dopts = {.server = cli->dns_server};
	struct check_dns_args dargs = {0};
	struct mc_spf_query q = {0};
	struct mc_spf_opts sopts = {0};
	struct mc_spf_outcome *o = NULL;
	struct mc_dns *dns = NULL;
	struct mc_dns_cache *cache = NULL;
	struct mc_err err = {0};
	const char *batch = NULL;
	int c, rc = MC_EXIT_UNKNOWN, use_cache = 1;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			batch = optarg;
			break;
		case 'C':
			use_cache = 0;
			break;
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
	if (batch) {
		if (optind != argc) {
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
		return batch_run(cli, batch, &dopts, use_cache);
	}
	if (argc - optind < 2 || argc - optind > 3) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	q.ip = argv[optind];
	q.mailfrom = argv[optind + 1];
	q.helo = argc - optind == 3 ? argv[optind + 2] : NULL;

	/* The cache serves one evaluation too: a name asked again (a
	 * redirect or include loop up to the lookup limit, the same host
	 * under a and mx) is answered without another round trip. */
	if (use_cache && !(cache = dns_cache_new(NULL)))
		return cli_fail("spf: out of memory");
	dns = dns_new(&dopts, &err);
	if (!dns) {
		dns_cache_free(cache);
		return cli_fail("spf: %s", err.msg);
	}
	dns_set_cache(dns, cache);
	o = spf_check_host(dns, &q, &sopts, &err);
	if (!o) {
		rc = cli_fail("spf: %s", err.msg);
		goto out;
	}
	if (cli->json) {
		struct mc_buf jb = {0};
		int bad = spf_json_outcome(&jb, o, q.ip, q.mailfrom, q.helo) ||
			  mc_buf_append(&jb, "\n", 1) ||
			  mc_write_all(STDOUT_FILENO, jb.data, jb.len);

		mc_buf_free(&jb);
		if (bad) {
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
	dns_cache_free(cache);       /* after the channel that borrows it */
	return rc;
}
