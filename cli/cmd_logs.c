/* mailcanary logs FILE...: statistics, search and trace over Postfix and
 * Sendmail logs (report/maillog). The command reports; it does not judge:
 * exit 0 when every file was read, 3 on bad usage or an unreadable file
 * (what could be read is still reported). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mc_time.h"
#include "report/maillog.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] logs [--format sendmail|postfix|auto]\n"
		"         [--status delivered|deferred|bounced|expired|rejected|all]\n"
		"         [--since T] [--until T] [--rcpt ADDR] [--from ADDR]\n"
		"         [--trace QUEUE-ID|MESSAGE-ID|PROBE-ID] [--year Y] [--limit N] FILE...\n"
		"Reads Postfix and Sendmail logs (plain or .gz; '-' = standard input)\n"
		"and prints pflogsumm-style counts. --status/--since/--until/--rcpt/\n"
		"--from print the matching delivery lines; --trace every line of one\n"
		"message across its queue ids. T is RFC 3339 or YYYY-MM-DD. Timestamps\n"
		"without a zone are read as UTC; without a year, as the latest year\n"
		"that is not in the future, or with --year Y from Y on, stepping to\n"
		"the next year when the month goes back (files in time order).\n");
}

/* RFC 3339, or YYYY-MM-DD (the whole day: end_of_day picks its last
 * instant). Returns 0 and *t, or -1. */
static int parse_when(const char *s, int end_of_day, double *t)
{
	int y, mo, d;
	char tail;

	if (mc_time_parse_rfc3339(s, strlen(s), t) == 0)
		return 0;
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 ||
	    s[4] != '-' || s[7] != '-' || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	*t = (double)mc_time_from_utc(y, mo, d, 0, 0, 0);
	if (end_of_day)
		*t += 86400 - 1e-6;
	return 0;
}

static int parse_status(const char *s, unsigned *mask)
{
	static const struct { const char *name; unsigned mask; } names[] = {
		{"delivered", ML_STATUS_MASK(ML_ST_SENT)},
		{"sent", ML_STATUS_MASK(ML_ST_SENT)},
		{"deferred", ML_STATUS_MASK(ML_ST_DEFERRED)},
		{"bounced", ML_STATUS_MASK(ML_ST_BOUNCED)},
		{"expired", ML_STATUS_MASK(ML_ST_EXPIRED)},
		{"rejected", ML_STATUS_MASK(ML_ST_REJECTED)},
		{"forwarded", ML_STATUS_MASK(ML_ST_FORWARDED)},
		{"all", ~0u},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*mask |= names[i].mask;
			return 0;
		}
	return -1;
}

/* A --trace needs several passes; standard input is spooled to a
 * temporary file first (disk, not memory). Returns an fd or -1. */
static int spool_stdin(void)
{
	FILE *tmp = tmpfile();
	char buf[65536];
	size_t n;
	int fd;

	if (!tmp)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fwrite(buf, 1, n, tmp) != n) {
			fclose(tmp);
			return -1;
		}
	if (ferror(stdin) || fflush(tmp) != 0) {
		fclose(tmp);
		return -1;
	}
	fd = dup(fileno(tmp));
	fclose(tmp);
	return fd;
}

int cmd_logs(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'F'},
		{"status", required_argument, NULL, 's'},
		{"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'},
		{"rcpt", required_argument, NULL, 'r'},
		{"from", required_argument, NULL, 'f'},
		{"trace", required_argument, NULL, 't'},
		{"year", required_argument, NULL, 'y'},
		{"limit", required_argument, NULL, 'l'},
		{"max-queue", required_argument, NULL, 'q'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct maillog_opts o = {.since = -1, .until = -1};
	struct maillog *m = NULL;
	int json = cli->json, rc = MC_EXIT_OK, c, nfiles, stdin_fd = -1;
	char *end;
	long v;

	o.now = mc_now_real();
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (strcmp(optarg, "postfix") == 0)
				o.format = MAILLOG_POSTFIX;
			else if (strcmp(optarg, "sendmail") == 0)
				o.format = MAILLOG_SENDMAIL;
			else if (strcmp(optarg, "auto") == 0)
				o.format = MAILLOG_AUTO;
			else
				return cli_fail("logs: --format must be sendmail, postfix or auto, not '%s'", optarg);
			break;
		case 's':
			if (parse_status(optarg, &o.status_mask) < 0)
				return cli_fail("logs: unknown --status '%s' (delivered, deferred, bounced, expired, rejected, all)", optarg);
			o.search = 1;
			break;
		case 'S':
		case 'U':
			if (parse_when(optarg, c == 'U', c == 'S' ? &o.since : &o.until) < 0)
				return cli_fail("logs: --%s wants RFC 3339 or YYYY-MM-DD, not '%s'",
						c == 'S' ? "since" : "until", optarg);
			o.search = 1;
			break;
		case 'r':
			o.rcpt = optarg;
			o.search = 1;
			break;
		case 'f':
			o.from = optarg;
			o.search = 1;
			break;
		case 't':
			if (!optarg[0])
				return cli_fail("logs: --trace wants a queue id or Message-ID");
			o.trace = optarg;
			break;
		case 'y':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1970 || v > 9999)
				return cli_fail("logs: --year wants a year, not '%s'", optarg);
			o.year = (int)v;
			break;
		case 'l':
		case 'q':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 10000000)
				return cli_fail("logs: --%s wants a number 1..10000000, not '%s'",
						c == 'l' ? "limit" : "max-queue", optarg);
			if (c == 'l')
				o.matches_max = (size_t)v;
			else
				o.queue_max = (size_t)v;
			break;
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
	nfiles = argc - optind;
	if (nfiles < 1) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	if (o.since >= 0 && o.until >= 0 && o.until < o.since)
		return cli_fail("logs: --until is before --since");
	if (!o.status_mask)
		o.status_mask = ~0u;
	m = maillog_new(&o);
	if (!m)
		return cli_fail("logs: out of memory");

	for (int i = 0; i < nfiles; i++)
		if (o.trace && strcmp(argv[optind + i], "-") == 0 && stdin_fd < 0) {
			stdin_fd = spool_stdin();
			if (stdin_fd < 0) {
				rc = cli_fail("logs: cannot spool standard input for --trace");
				goto out;
			}
		}
	do {
		for (int i = 0; i < nfiles; i++) {
			const char *path = argv[optind + i];
			struct mc_err err = {0};
			int r;

			if (stdin_fd >= 0 && strcmp(path, "-") == 0) {
				lseek(stdin_fd, 0, SEEK_SET);
				r = maillog_read_fd(m, stdin_fd, "standard input", &err);
			} else {
				r = maillog_read_path(m, path, &err);
			}
			if (r < 0) {
				cli_fail("logs: %s", err.msg);
				rc = MC_EXIT_UNKNOWN;
			}
		}
	} while (maillog_pass_done(m));

	if (json) {
		json_t *doc = maillog_to_json(m);

		if (!doc || cli_print_json(doc) < 0)
			rc = cli_fail("logs: cannot write output");
	} else {
		maillog_print_text(m, stdout);
		if (fflush(stdout) != 0)
			rc = cli_fail("logs: cannot write output");
	}
out:
	if (stdin_fd >= 0)
		close(stdin_fd);
	maillog_free(m);
	return rc;
}
