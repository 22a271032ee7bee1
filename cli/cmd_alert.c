/* mailcanary alert test NAME: sends a synthetic firing and then resolved
 * event through one [alert] section, so that an operator can check the
 * wiring end to end. The store is not touched. Exit 0 when both were
 * delivered, 2 when one failed, 3 on bad usage or config. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "alert/hooks.h"
#include "cli/cli.h"
#include "config/config.h"
#include "mc_time.h"

/* The synthetic subject: a route name no real section can have taken
 * by accident, and one an operator recognises on a pager. */
#define ALERT_TEST_ROUTE "mailcanary-alert-test"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] [--json] alert test [--only firing|resolved] NAME\n"
		"\n"
		"Sends a synthetic firing alert, then its resolution, for route\n"
		"\"" ALERT_TEST_ROUTE "\" through the [alert \"NAME\"] section.\n"
		"--only sends one of the two (see the alert open, then close it).\n"
		"Exit codes: 0 both delivered, 2 a delivery failed, 3 bad usage or config.\n");
}

static json_t *result_json(int ok, const struct mc_err *err)
{
	json_t *o = json_object();

	json_object_set_new(o, "delivered", json_boolean(ok));
	json_object_set_new(o, "error", ok ? json_null() : json_string(err->msg));
	return o;
}

int cmd_alert(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"only", required_argument, NULL, 'o'},
					     {NULL, 0, NULL, 0}};
	int send_firing = 1, send_resolved = 1;
	struct alert_result res = {
		.kind = ALERT_ROUTE,
		.subject = ALERT_TEST_ROUTE,
		.severity = 2,
		.state = "lost",
		.component = "relay",
		.summary = "mailcanary alert test: this is a test notification, no mail was lost",
		.evidence_json = "{\"test\":true}",
		.probe_id = NULL,
	};
	struct mc_err err = {0}, ferr = {0}, rerr = {0};
	struct mc_config *cfg = NULL;
	struct mc_alert *a;
	char *firing = NULL, *resolved = NULL;
	int c, fok = 0, rok = 0, rc = MC_EXIT_UNKNOWN;
	double now = mc_now_real();

	optind = 1;
	/* "alert test [options] NAME": skip "test" before option parsing */
	if (argc < 2 || strcmp(argv[1], "test") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
				  strcmp(argv[1], "-h") == 0)) {
			usage(stdout);
			return MC_EXIT_OK;
		}
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MC_EXIT_OK;
		}
		if (c == 'o' && strcmp(optarg, "firing") == 0) {
			send_resolved = 0;
			continue;
		}
		if (c == 'o' && strcmp(optarg, "resolved") == 0) {
			send_firing = 0;
			continue;
		}
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	if (argc - optind != 1) {
		usage(stderr);
		return MC_EXIT_UNKNOWN;
	}
	if (!(cfg = config_load(cli->config_path, &err)))
		return cli_fail("%s", err.msg);
	if (!(a = config_alert(cfg, argv[optind]))) {
		rc = cli_fail("%s: no [alert \"%s\"] section", cfg->path,
			      argv[optind]);
		goto out;
	}
	firing = alert_event_json(&res, ALERT_NOTIFY_FIRING, now, &err);
	res.severity = 0;
	res.state = "delivered";
	res.summary = "mailcanary alert test: resolved";
	resolved = alert_event_json(&res, ALERT_NOTIFY_RESOLVED, now, &err);
	if (!firing || !resolved) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	/* a resolution is sent even when the firing one failed: a receiver
	 * that took the first half must not be left with an open alert */
	fok = !send_firing || hooks_deliver(a, firing, now, &ferr) == 0;
	rok = !send_resolved ||
	      hooks_deliver(a, resolved, mc_now_real(), &rerr) == 0;
	if (cli->json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "alert", json_string(a->name));
		json_object_set_new(doc, "type",
				    json_string(config_alert_type_name(a->type)));
		json_object_set_new(doc, "firing", send_firing
				    ? result_json(fok, &ferr) : json_null());
		json_object_set_new(doc, "resolved", send_resolved
				    ? result_json(rok, &rerr) : json_null());
		if (cli_print_json(doc))
			goto out;
	} else {
		printf("alert %s (%s): firing %s, resolved %s\n", a->name,
		       config_alert_type_name(a->type),
		       !send_firing ? "not sent" : fok ? "delivered" : "FAILED",
		       !send_resolved ? "not sent" : rok ? "delivered" : "FAILED");
	}
	if (!fok)
		fprintf(stderr, "mailcanary: %s\n", ferr.msg);
	if (!rok)
		fprintf(stderr, "mailcanary: %s\n", rerr.msg);
	rc = fok && rok ? MC_EXIT_OK : MC_EXIT_CRITICAL;
out:
	free(firing);
	free(resolved);
	config_free(cfg);
	return rc;
}
