/* mailcanary run: one scheduler tick, what the systemd timer calls.
 *   1. take the state directory's run lock (a second run waits briefly,
 *      then skips the tick with a note: never two senders at once);
 *   2. look again for every outstanding probe of earlier ticks, and send a
 *      probe for each route whose interval is due, all at once; each new
 *      probe is committed to the store before it is submitted, so a crash
 *      never leaves a probe nobody knows about;
 *   3. record final states (lost once crit has passed), keep the rest
 *      outstanding for the next tick;
 *   4. run the [check] sections that are due, their blocklists also asked
 *      about the relay IPs of recent probes (dnsbl_from_probes);
 *   5. prune old history, write the metrics file.
 * Exit code: the worst current severity of the routes. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "alert/hooks.h"
#include "checks/check.h"
#include "cli/check_opts.h"
#include "cli/cli.h"
#include "cli/probe_run.h"
#include "config/config_value.h"
#include "mc_time.h"
#include "store/metrics.h"
#include "store/store.h"

#define RUN_WAIT_DEFAULT 50     /* s: fits a minutely timer */
#define RUN_LOCK_WAIT 5.0       /* s a second run waits for the lock */
#define DUE_SLACK 5.0           /* s: timer jitter still counts as due */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailcanary [-c FILE] [--json] run [--wait SECONDS]\n"
		"One scheduler tick: sends probes for routes whose interval is due,\n"
		"collects arrivals and bounces of every outstanding probe (also those\n"
		"of earlier runs), marks probes lost past crit, writes metrics.\n"
		"--wait caps how long this tick waits for arrivals (default %d s);\n"
		"probes not seen yet stay outstanding for the next tick.\n",
		RUN_WAIT_DEFAULT);
}

struct tick {
	struct mc_store *st;
	double now;
};

static int record_pending(void *arg, struct probe_job *job)
{
	struct tick *t = arg;

	if (store_probe_insert_pending(t->st, job->id, job->route->name,
				       mc_now_real(), &job->err))
		return -1;
	job->recorded = 1;
	return 0;
}

static int is_due(const struct mc_route *r, const struct store_route_state *rs,
		  size_t n, double now)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rs[i].route, r->name) == 0)
			return isnan(rs[i].last_sent_at) ||
			       now - rs[i].last_sent_at >= r->interval - DUE_SLACK;
	return 1;
}

static void save_hops(struct mc_store *st, const struct probe_job *job)
{
	size_t n = job->hops ? hops_count(job->hops) : 0;
	struct store_hop *v;
	struct mc_err err = {0};

	if (n == 0 || !(v = calloc(n, sizeof(*v))))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct hop *h = hops_get(job->hops, i);
		v[i] = (struct store_hop){
			.from_host = h->r.from_host[0] ? h->r.from_host : h->r.from_helo,
			.by_host = h->r.by_host, .with = h->r.with,
			.ip = h->r.from_ip, .tls = h->r.tls_version,
			.at = h->r.at, .delay = h->delay};
	}
	if (store_hops_add(st, job->id, v, n, &err) != 0)
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);
	free(v);
}

static void save_events(struct mc_store *st, const struct probe_job *job)
{
	struct mc_err err = {0};

	for (size_t i = 0; i < job->n_events; i++) {
		json_t *d = json_pack("{s:s}", "detail", job->events[i].detail);
		char *txt = d ? json_dumps(d, JSON_COMPACT) : NULL;
		if (txt && store_event_add(st, job->id, job->events[i].at,
					   job->events[i].type, txt, &err) != 0)
			fprintf(stderr, "mailcanary: run: %s\n", err.msg);
		free(txt);
		json_decref(d);
	}
}

/* Writes what this tick learnt about job. */
static void save_job(struct mc_store *st, const struct probe_job *job,
		     double now)
{
	struct store_probe p;
	struct mc_err err = {0};
	const struct mc_dsn_rcpt *r = job->dsn && job->dsn->nrcpt
					      ? &job->dsn->rcpt[0] : NULL;
	int rc;

	if (!job->id[0] || job->unreachable)
		return;
	if (job->state == PROBE_PENDING && job->collect)
		return;                /* nothing new */
	/* Judged before it could be sent (its mailbox unreachable, say):
	 * still a result of this tick, kept like any other. */
	if (!job->collect && !job->recorded &&
	    store_probe_insert_pending(st, job->id, job->route->name, now,
				       &err) != 0) {
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);
		return;
	}
	store_probe_init(&p, job->id);
	p.state = job->state;
	p.severity = job->severity;
	if (job->arrival.found) {
		p.found_at = job->arrival.noticed_at;
		p.folder = job->arrival.folder;
		p.total_seconds = job->total_seconds;
	}
	if (job->submitted) {
		p.smtp_code = job->smtp.reply.code;
		p.smtp_enhanced = job->smtp.reply.enhanced;
		p.smtp_text = job->smtp.reply.text;
		p.queue_id = job->smtp.queue_id;
	}
	if (job->state == PROBE_ERROR || job->state == PROBE_REJECTED) {
		p.error_component = mc_component_name(
			job->err.component ? job->err.component : job->smtp.component);
		p.error_message = job->err.msg[0] ? job->err.msg : job->smtp.reply.text;
	} else if (job->state == PROBE_LOST) {
		p.error_component = "mailbox";
		p.error_message = "nothing arrived and nothing came back within crit";
	}
	p.greylisted = job->greylisted;
	p.greylist_delay = job->greylist_delay;
	if (r) {
		p.dsn_status = r->status;
		p.dsn_reason = dsn_reason_name(r->reason);
		p.dsn_hard = r->hard;
	}
	if (job->state == PROBE_PENDING || job->state == PROBE_DEFERRED)
		rc = store_probe_update(st, &p, now, &err);
	else
		rc = store_probe_finish(st, &p, now, &err);
	if (rc != 0)
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);
	save_events(st, job);
	if (job->arrival.found)
		save_hops(st, job);
}

/* Which piece of the path a judged probe blames, for the alert event. */
static const char *blame(const struct probe_job *job)
{
	if (job->err.code)
		return mc_component_name(job->err.component);
	switch (job->state) {
	case PROBE_ERROR:
	case PROBE_REJECTED:
		return mc_component_name(job->smtp.component ? job->smtp.component
							     : MC_COMP_RELAY);
	case PROBE_GREYLISTED:
		return "greylisting";
	case PROBE_BOUNCED:
		return "mx";
	case PROBE_DEFERRED:
		/* A delay DSN: the relay took it and cannot hand it on, so
		 * the next hop is at fault; a 4xx at submission: the relay. */
		return job->dsn ? "mx" : "relay";
	default:
		return "mailbox";
	}
}

/* Retries, for every route with no new result this tick, a notification
 * an earlier tick could not deliver. */
static void retry_route_alerts(struct mc_store *st, const struct mc_config *cfg,
			       const struct probe_job *jobs, size_t n, double now)
{
	for (size_t r = 0; r < cfg->n_routes; r++) {
		const struct mc_route *route = &cfg->routes[r];
		int judged = 0;

		for (size_t i = 0; i < n; i++)
			judged |= jobs[i].route == route && !jobs[i].unreachable &&
				  jobs[i].id[0] && jobs[i].state != PROBE_PENDING;
		for (size_t a = 0; !judged && a < route->n_alerts; a++) {
			struct mc_err err = {0};
			if (hooks_retry_pending(st, route->alerts[a], ALERT_ROUTE,
						route->name, now, &err) < 0)
				fprintf(stderr, "mailcanary: run: alert \"%s\": %s\n",
					route->alerts[a]->name, err.msg);
		}
	}
}

/* Feeds each route's newest result of this tick to its [alert] sections.
 * Routes with nothing new this tick are left as they are (a result is
 * counted once, so `failures` counts probes, not ticks). */
/* Has a probe sent after job been judged already: later in this tick's
 * jobs, or by an earlier tick (rs: the route states before this tick)?
 * Then job's result, however late it came, is not the route's news. */
static int judged_newer(const struct probe_job *jobs, size_t n, size_t i,
			const struct store_route_state *rs, size_t n_rs)
{
	const struct probe_job *job = &jobs[i];

	for (size_t k = i + 1; k < n; k++)
		if (jobs[k].route == job->route && !jobs[k].unreachable &&
		    jobs[k].state != PROBE_PENDING)
			return 1;
	for (size_t k = 0; job->collect && k < n_rs; k++)
		if (strcmp(rs[k].route, job->route->name) == 0)
			return rs[k].judged_sent_at > job->smtp.sent_at;
	return 0;
}

static void evaluate_alerts(struct mc_store *st, const struct probe_job *jobs,
			    size_t n, const struct store_route_state *rs,
			    size_t n_rs, double now)
{
	for (size_t i = 0; i < n; i++) {
		const struct probe_job *job = &jobs[i];
		const struct mc_route *r = job->route;

		if (!r->n_alerts || job->unreachable || !job->id[0] ||
		    job->state == PROBE_PENDING ||
		    judged_newer(jobs, n, i, rs, n_rs))
			continue;

		char line[1024], summary[1200];
		probe_job_describe(job, line, sizeof(line));
		snprintf(summary, sizeof(summary), "%s: %s — %s", r->name,
			 probe_state_name(job->state), line);
		json_t *ev = probe_job_json(job);
		char *evidence = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
		struct alert_result res = {
			.kind = ALERT_ROUTE, .subject = r->name,
			.severity = (int)job->severity,
			.state = probe_state_name(job->state),
			.component = blame(job), .summary = summary,
			.evidence_json = evidence, .probe_id = job->id};
		for (size_t a = 0; a < r->n_alerts; a++) {
			struct mc_err err = {0};
			if (hooks_process(st, r->alerts[a], &res, now, &err) < 0)
				fprintf(stderr, "mailcanary: run: alert \"%s\": %s\n",
					r->alerts[a]->name, err.msg);
		}
		free(evidence);
		json_decref(ev);
	}
}

#define CHECK_DEADLINE 50.0     /* s a tick gives its DNS checks */

struct worst_finding {
	int severity;
	char part[32];
	char message[300];
};

static void keep_worst(void *arg, const char *part, const struct mc_finding *f)
{
	struct worst_finding *w = arg;

	if (f->severity <= w->severity && w->message[0])
		return;
	w->severity = f->severity;
	snprintf(w->part, sizeof(w->part), "%s", part);
	snprintf(w->message, sizeof(w->message), "%s", f->message);
}

/* The component an alert names for a check's worst finding. */
static const char *check_component(const char *part)
{
	if (strcmp(part, "dnsbl") == 0)
		return "blocklist";
	if (strcmp(part, "ptr") == 0)
		return "dns";
	return part;            /* mx, spf, dkim, dmarc */
}

/* Runs the [check] sections whose interval is due, all in one concurrent
 * DNS pass, stores each result and feeds the check's [alert] sections.
 * Returns the worst severity of the checks run. */
static int run_checks(const struct mc_cli *cli, const struct mc_config *cfg,
		      struct mc_store *st, double now)
{
	struct store_check_state *cs = NULL;
	size_t n_cs = 0, n = 0;
	struct mc_err err = {0};
	struct mc_check_spec *specs = NULL;
	struct mc_check_report **reps = NULL;
	const struct mc_check_cfg **due = NULL;
	struct check_probe_ips *pips = NULL;
	struct mc_dns *dns = NULL;
	int worst = 0;

	if (cfg->n_checks == 0)
		return 0;
	if (store_check_states(st, &cs, &n_cs, &err) != 0)
		goto fail;
	specs = calloc(cfg->n_checks, sizeof(*specs));
	reps = calloc(cfg->n_checks, sizeof(*reps));
	due = calloc(cfg->n_checks, sizeof(*due));
	pips = calloc(cfg->n_checks, sizeof(*pips));
	if (!specs || !reps || !due || !pips) {
		mc_err_set(&err, -1, MC_COMP_INTERNAL, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_checks; i++) {
		const struct mc_check_cfg *k = &cfg->checks[i];
		int is_due = 1;
		for (size_t j = 0; j < n_cs; j++)
			if (strcmp(cs[j].check, k->name) == 0)
				is_due = now - cs[j].at >= k->interval - DUE_SLACK;
		if (!is_due) {
			for (size_t a = 0; a < k->n_alerts; a++) {
				const struct mc_alert *al = config_alert(cfg, k->alerts[a]);
				struct mc_err aerr = {0};
				if (al && hooks_retry_pending(st, al, ALERT_CHECK, k->name,
							      now, &aerr) < 0)
					fprintf(stderr, "mailcanary: run: alert \"%s\": %s\n",
						al->name, aerr.msg);
			}
			continue;
		}
		/* The relays the probes went through are asked of the
		 * blocklists too (dnsbl_from_probes). A store that cannot
		 * say leaves the configured IPs alone, with a note. */
		if (k->dnsbl_from_probes != MC_PROBE_IPS_NO &&
		    check_probe_ips_load(st, cfg, k->domain,
					 k->dnsbl_probe_window, now, &pips[n],
					 &err) != 0)
			fprintf(stderr, "mailcanary: run: check \"%s\": relay IPs of the probes: %s\n",
				k->name, err.msg);
		due[n] = k;
		specs[n] = (struct mc_check_spec){
			.name = k->name, .domain = k->domain,
			.ips = (const char *const *)k->ips, .n_ips = k->n_ips,
			.selectors = (const char *const *)k->selectors,
			.n_selectors = k->n_selectors,
			.dnsbl = (const char *const *)k->dnsbl,
			.n_dnsbl = k->n_dnsbl,
			.probe_ips = pips[n].ips, .n_probe_ips = pips[n].n,
			.probe_ips_all = k->dnsbl_from_probes == MC_PROBE_IPS_ALL};
		n++;
	}
	if (n == 0)
		goto out;
	struct mc_dns_opts dopts = {.server = cli->dns_server,
				    .timeout_ms = (int)(cfg->dns_timeout * 1000),
				    .tries = cfg->dns_tries};
	if (!(dns = dns_new(&dopts, &err)) ||
	    check_run(dns, NULL, specs, n, mc_now_mono() + CHECK_DEADLINE, reps,
		      &err) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct worst_finding wf = {0};
		json_t *j = check_report_json(reps[i]);
		char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
		char summary[400];

		check_report_problems(reps[i], keep_worst, &wf);
		snprintf(summary, sizeof(summary), "%s: %s", due[i]->domain,
			 wf.message[0] ? wf.message : "all checks pass");
		if (store_check_result_add(st, due[i]->name, now,
					   reps[i]->severity, summary, txt, &err) != 0)
			fprintf(stderr, "mailcanary: run: %s\n", err.msg);
		if (reps[i]->severity > worst)
			worst = reps[i]->severity;
		for (size_t a = 0; a < due[i]->n_alerts; a++) {
			const struct mc_alert *al = config_alert(cfg, due[i]->alerts[a]);
			struct alert_result res = {
				.kind = ALERT_CHECK, .subject = due[i]->name,
				.severity = reps[i]->severity,
				.state = reps[i]->severity ? "failing" : "ok",
				.component = check_component(wf.part[0] ? wf.part : "dns"),
				.summary = summary, .evidence_json = txt};
			struct mc_err aerr = {0};
			if (al && hooks_process(st, al, &res, now, &aerr) < 0)
				fprintf(stderr, "mailcanary: run: alert \"%s\": %s\n",
					al->name, aerr.msg);
		}
		free(txt);
		json_decref(j);
	}
	goto out;
fail:
	fprintf(stderr, "mailcanary: run: checks: %s\n", err.msg);
	worst = MC_SEV_UNKNOWN;
out:
	for (size_t i = 0; reps && i < n; i++)
		check_report_free(reps[i]);
	for (size_t i = 0; pips && i < n; i++)
		check_probe_ips_clear(&pips[i]);
	free(pips);
	dns_free(dns);
	free(reps);
	free(specs);
	free(due);
	store_check_states_free(cs, n_cs);
	return worst;
}

/* The metrics file for the tick that ends at now. A tick that changed
 * nothing in the store (the timer's usual idle tick) only rewrites the
 * last-run sample of the file the previous tick wrote, when that file is
 * still the one old_sig names; otherwise the store is rendered. sig gets
 * the new file's signature, or "" when none was written. */
static void write_metrics(const struct mc_config *cfg, struct mc_store *st,
			  double now, int unchanged, const char *old_sig,
			  char sig[METRICS_SIG_MAX])
{
	const char **names = calloc(cfg->n_routes + 1, sizeof(*names));
	struct mc_err err = {0};
	int rc = 1;

	for (size_t i = 0; names && i < cfg->n_routes; i++)
		names[i] = cfg->routes[i].name;
	struct metrics_opts mo = {names, names ? cfg->n_routes : 0, now};
	if (unchanged && names)
		rc = metrics_refresh(cfg->metrics_file, &mo, old_sig, sig, &err);
	if (rc == 1)
		rc = metrics_write(st, &mo, cfg->metrics_file, sig, &err);
	if (rc != 0) {
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);
		sig[0] = '\0';
	}
	free(names);
}

static const char *severity_word(enum mc_severity s)
{
	static const char *const w[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

	return s <= MC_SEV_UNKNOWN ? w[s] : "UNKNOWN";
}

int cmd_run(const struct mc_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long wait = RUN_WAIT_DEFAULT;
	const char *why;
	int c, rc = MC_EXIT_UNKNOWN;

	while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			why = config_value_duration(optarg, &wait);
			if (why || wait <= 0)
				return cli_fail("run: --wait '%s': %s", optarg,
						why ? why : "must be at least 1 second");
			break;
		case 'h':
			usage(stdout);
			return MC_EXIT_OK;
		default:
			usage(stderr);
			return MC_EXIT_UNKNOWN;
		}
	}
	if (optind < argc)
		return cli_fail("run: unexpected argument '%s'", argv[optind]);

	struct mc_err err = {0};
	struct mc_config *cfg = config_load(cli->config_path, &err);
	struct store_lock *lock = NULL;
	struct mc_store *st = NULL;
	struct store_outstanding *out = NULL;
	struct store_route_state *rs = NULL;
	struct probe_job *jobs = NULL;
	char *old_msig = NULL;
	size_t n_out = 0, n_rs = 0, n = 0;

	if (!cfg)
		return cli_fail("%s", err.msg);
	int lr = store_lock(cfg->state_dir, RUN_LOCK_WAIT, &lock, &err);
	if (lr == STORE_ERR_BUSY || lr == 1) {
		fprintf(stderr, "mailcanary: run: another run holds the lock in %s; "
			"skipping this tick\n", cfg->state_dir);
		config_free(cfg);
		return MC_EXIT_OK;
	}
	if (lr != 0) {
		rc = cli_fail("run: %s", err.msg);
		goto out;
	}
	if (!(st = store_open(cfg->state_dir, &err)) ||
	    store_take_metrics_sig(st, &old_msig, &err) != 0 ||
	    store_probe_outstanding(st, NULL, &out, &n_out, &err) != 0 ||
	    store_route_states(st, &rs, &n_rs, &err) != 0) {
		rc = cli_fail("run: %s", err.msg);
		goto out;
	}
	long long changes0 = store_changes(st);

	double now = mc_now_real();
	jobs = calloc(n_out + cfg->n_routes + 1, sizeof(*jobs));
	if (!jobs) {
		rc = cli_fail("run: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_out; i++) {
		const struct mc_route *r = config_route(cfg, out[i].route);
		if (!r) {
			/* Its route left the config: nothing can judge it. */
			struct store_probe p;
			store_probe_init(&p, out[i].id);
			p.state = PROBE_ERROR;
			p.severity = MC_SEV_UNKNOWN;
			p.error_component = "config";
			p.error_message = "route no longer in the config";
			store_probe_finish(st, &p, now, &err);
			continue;
		}
		struct probe_job *job = &jobs[n++];
		job->route = r;
		job->collect = 1;
		job->submitted = 1;
		job->smtp.sent_at = out[i].sent_at;
		job->deferred = out[i].state == PROBE_DEFERRED;
		snprintf(job->id, sizeof(job->id), "%s", out[i].id);
	}
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (is_due(&cfg->routes[i], rs, n_rs, now))
			jobs[n++].route = &cfg->routes[i];

	struct tick t = {st, now};
	struct probe_run_opts ro = {
		.wait = (double)wait, .keep_pending = 1,
		.dns = {.server = cli->dns_server,
			.timeout_ms = (int)(cfg->dns_timeout * 1000),
			.tries = cfg->dns_tries},
		.before_submit = record_pending, .arg = &t};
	probe_run(jobs, n, &ro);
	now = mc_now_real();
	/* One transaction for the tick's results: one sync instead of one
	 * per probe (100 routes: 215 -> ~10 ms). Each probe was committed
	 * before its DATA; this only adds what the tick learnt. */
	int grouped = store_begin(st, &err) == 0;
	if (!grouped)
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);
	for (size_t i = 0; i < n; i++)
		save_job(st, &jobs[i], now);
	if (grouped && store_commit(st, &err) != 0)
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);

	evaluate_alerts(st, jobs, n, rs, n_rs, now);
	retry_route_alerts(st, cfg, jobs, n, now);
	run_checks(cli, cfg, st, now);

	long long pruned = 0;
	if (store_prune(st, cfg->retention_days, now, &pruned, &err) != 0)
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);
	char msig[METRICS_SIG_MAX] = "";
	if (cfg->metrics_file)
		write_metrics(cfg, st, now, store_changes(st) == changes0,
			      old_msig, msig);
	if (store_set_last_run(st, now, msig[0] ? msig : NULL, &err) != 0)
		fprintf(stderr, "mailcanary: run: %s\n", err.msg);

	/* The exit code: the worst current state of the configured routes. */
	store_route_states_free(rs, n_rs);
	rs = NULL;
	enum mc_severity worst = MC_SEV_OK;
	if (store_route_states(st, &rs, &n_rs, &err) == 0) {
		for (size_t i = 0; i < n_rs; i++)
			if (config_route(cfg, rs[i].route) && rs[i].judged &&
			    rs[i].severity > worst)
				worst = rs[i].severity;
	}
	struct store_check_state *cs = NULL;
	size_t n_cs = 0;
	if (store_check_states(st, &cs, &n_cs, &err) == 0) {
		for (size_t i = 0; i < n_cs; i++)
			if (config_check(cfg, cs[i].check) &&
			    cs[i].severity > (int)worst)
				worst = (enum mc_severity)cs[i].severity;
		store_check_states_free(cs, n_cs);
	}
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, probe_job_json(&jobs[i]));
		cli_print_json(json_pack("{s:o, s:i}", "probes", arr,
					 "severity", (int)worst));
	} else {
		size_t n_collect = 0, n_sent = 0;
		char unsent[48] = "";
		for (size_t i = 0; i < n; i++) {
			n_collect += jobs[i].collect;
			n_sent += !jobs[i].collect && jobs[i].submitted;
		}
		if (n - n_collect > n_sent)
			snprintf(unsent, sizeof(unsent), " (%zu could not be)",
				 n - n_collect - n_sent);
		printf("MAILCANARY %s - run: %zu sent%s, %zu earlier probe%s looked for\n",
		       severity_word(worst), n_sent, unsent, n_collect,
		       n_collect == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			char line[1024];
			if (jobs[i].unreachable)
				snprintf(line, sizeof(line), "not looked for: %s",
					 jobs[i].err.msg);
			else if (jobs[i].state == PROBE_PENDING)
				snprintf(line, sizeof(line), "not seen yet; "
					 "the next run looks again");
			else
				probe_job_describe(&jobs[i], line, sizeof(line));
			printf("%-12s %-10s %s%s  id=%s\n", jobs[i].route->name,
			       probe_state_name(jobs[i].state),
			       jobs[i].collect ? "(earlier probe) " : "", line,
			       jobs[i].id[0] ? jobs[i].id : "-");
		}
	}
	rc = (int)worst;
out:
	for (size_t i = 0; jobs && i < n; i++)
		probe_job_clear(&jobs[i]);
	free(jobs);
	store_route_states_free(rs, n_rs);
	store_outstanding_free(out, n_out);
	free(old_msig);
	store_close(st);
	store_unlock(lock);
	config_free(cfg);
	return rc;
}
