/* mailcanary dsn FILE...: parse bounce/DSN/NDR messages and print, per
 * recipient, what the report says and how receiver/dsn classifies it.
 * The command reports; it does not judge: exit 0 when every file was
 * parsed, 3 when one could not be read (the others are still printed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "receiver/dsn.h"

/* Whole files are read up to this size; dsn_parse() itself only looks at
 * the first DSN_MAX_INPUT bytes. */
#define DSN_FILE_LIMIT (64u * 1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [--json] dsn FILE...\n"
		"Parses bounce messages (RFC 3464/6533 DSNs, NDRs of common MTAs,\n"
		"ARF reports, auto-replies); '-' reads standard input.\n"
		"One line per recipient: file, recipient, action, status, reason,\n"
		"hard/soft, probe ID, diagnostic.\n");
}

static const char *dash(const char *s)
{
	return s && s[0] ? s : "-";
}

/* Column widths over every row, so the text lines up. */
struct widths {
	int file, rcpt, action, status, reason;
};

static int width(const char *s, int cur)
{
	int n = (int)strlen(dash(s));

	return n > cur ? (n > 60 ? 60 : n) : cur;
}

static void measure(struct widths *w, const char *file, const struct mc_dsn *d)
{
	w->file = width(file, w->file);
	w->reason = width(dsn_kind_name(d->kind), w->reason);
	for (size_t i = 0; i < d->nrcpt; i++) {
		const struct mc_dsn_rcpt *r = &d->rcpt[i];

		w->rcpt = width(r->recipient, w->rcpt);
		w->action = width(dsn_action_name(r->action), w->action);
		w->status = width(r->status, w->status);
		w->reason = width(dsn_reason_name(r->reason), w->reason);
	}
}

static void print_text(const struct widths *w, const char *file,
		       const struct mc_dsn *d)
{
	if (d->nrcpt == 0) {
		/* no recipients: say what the message was instead */
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-4s  %s  %s\n", w->file,
		       file, w->rcpt, "-", w->action, "-", w->status, "-",
		       w->reason, dsn_kind_name(d->kind), "-", dash(d->probe_id),
		       d->kind == DSN_KIND_UNKNOWN ? "(not a bounce we recognise)"
						   : "(no recipients found)");
		return;
	}
	for (size_t i = 0; i < d->nrcpt; i++) {
		const struct mc_dsn_rcpt *r = &d->rcpt[i];

		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-4s  %s  %s\n", w->file,
		       file, w->rcpt, dash(r->recipient), w->action,
		       dash(dsn_action_name(r->action)), w->status,
		       dash(r->status), w->reason, dsn_reason_name(r->reason),
		       r->hard ? "hard" : "soft", dash(d->probe_id),
		       dash(r->diagnostic));
	}
}

int cmd_dsn(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mc_dsn **res = NULL;
	struct widths w = {4, 9, 6, 6, 6};
	json_t *doc = NULL, *list = NULL;
	int json = cli->json, rc = MC_EXIT_OK, c, nfiles;

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
	nfiles = argc - optind;
	if (nfiles < 1) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	res = calloc((size_t)nfiles, sizeof(*res));
	if (!res)
		return cli_fail("dsn: out of memory");
	for (int i = 0; i < nfiles; i++) {
		const char *path = argv[optind + i];
		struct mc_err err = {0};
		size_t len = 0;
		char *buf = cli_read_file(path, DSN_FILE_LIMIT, &len);

		if (!buf) {
			rc = MC_EXIT_UNKNOWN;     /* cli_read_file said why */
			continue;
		}
		if (dsn_parse(buf, len, &res[i], &err) < 0) {
			cli_fail("%s: %s", path, err.msg);
			rc = MC_EXIT_UNKNOWN;
		}
		free(buf);
	}

	if (json) {
		doc = json_object();
		list = json_array();
		if (!doc || !list || json_object_set(doc, "messages", list)) {
			rc = cli_fail("dsn: out of memory");
			goto out;
		}
		for (int i = 0; i < nfiles; i++) {
			if (res[i] && json_array_append_new(
					      list, dsn_to_json(res[i], argv[optind + i]))) {
				rc = cli_fail("dsn: out of memory");
				goto out;
			}
		}
		if (cli_print_json(doc) < 0)
			rc = cli_fail("dsn: cannot write output");
		doc = NULL;
	} else {
		for (int i = 0; i < nfiles; i++)
			if (res[i])
				measure(&w, argv[optind + i], res[i]);
		for (int i = 0; i < nfiles; i++)
			if (res[i])
				print_text(&w, argv[optind + i], res[i]);
		if (fflush(stdout))
			rc = cli_fail("dsn: cannot write output");
	}
out:
	json_decref(list);
	json_decref(doc);
	for (int i = 0; i < nfiles; i++)
		dsn_free(res[i]);
	free(res);
	return rc;
}
