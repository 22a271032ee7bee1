/* See probe_run.h. Order of events for one round:
 *   1. an ID per route, then every watch opened (IMAP login, SELECT, IDLE)
 *      before anything is sent, so an arrival is pushed to us, not polled;
 *   2. all submissions at once on a small thread pool (libesmtp blocks);
 *   3. one poll() loop waits for every accepted probe until found, bounced
 *      or past its deadline;
 *   4. each probe judged; hops computed from the found copy's header. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/probe_run.h"
#include "mc_num.h"
#include "mc_pool.h"
#include "mc_time.h"

#define SUBMIT_THREADS 8

static void add_event_at(struct probe_job *job, double at, const char *type,
			 const char *detail);

/* Greylisting evidence goes into the probe's list and its timeline. */
static void add_evidence(struct probe_job *job, const char *fmt, const char *s)
{
	char e[sizeof(job->greylist_evidence[0])];

	if (job->n_evidence >= GREYLIST_EVIDENCE_MAX)
		return;
	snprintf(e, sizeof(e), fmt, s);
	memcpy(job->greylist_evidence[job->n_evidence++], e, sizeof(e));
	job->greylisted = 1;
	add_event_at(job, mc_now_real(), "greylist", e);
}

static void add_event_at(struct probe_job *job, double at, const char *type,
			 const char *detail)
{
	struct probe_event *e;

	if (job->n_events >= PROBE_EVENTS_MAX)
		return;
	e = &job->events[job->n_events++];
	e->at = at;
	snprintf(e->type, sizeof(e->type), "%s", type);
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

static void add_event(struct probe_job *job, const char *type,
		      const char *detail)
{
	add_event_at(job, mc_now_real(), type, detail);
}

static void submit_one(void *arg, size_t i)
{
	struct probe_job *job = ((struct probe_job **)arg)[i];
	const struct mc_route *r = job->route;
	char *msg;

	msg = probe_message_new(r, job->id, NULL, (time_t)mc_now_real(),
				&job->err);
	if (!msg) {
		job->state = PROBE_ERROR;
		return;
	}
	job->submitted = 1;
	probe_submit(r, msg, job->id, &job->smtp, &job->err);
	free(msg);
}

struct round {
	struct probe_job *jobs;
	size_t n;
};

/* The waiter's DSN callback: a bounce naming one of our probes. */
static int on_dsn(void *arg, struct mc_arrival *a, const char *msg, size_t len)
{
	const struct round *rd = arg;
	struct probe_job *job = NULL;
	struct mc_dsn *d = NULL;
	struct mc_err err = {0};
	int final = 0;

	for (size_t i = 0; i < rd->n && !job; i++)
		if (&rd->jobs[i].arrival == a)
			job = &rd->jobs[i];
	if (!job || dsn_parse(msg, len, &d, &err) != 0)
		return 0;
	for (size_t i = 0; i < d->nrcpt; i++) {
		if (d->rcpt[i].action == DSN_ACTION_FAILED) {
			char detail[200];
			final = 1;
			snprintf(detail, sizeof(detail), "%s %s",
				 d->rcpt[i].status,
				 d->rcpt[i].diagnostic ? d->rcpt[i].diagnostic : "");
			add_event(job, "bounce_dsn", detail);
		}
		else if (d->rcpt[i].action == DSN_ACTION_DELAYED) {
			char detail[200];
			job->deferred = 1;
			snprintf(detail, sizeof(detail), "%s %s",
				 d->rcpt[i].status,
				 d->rcpt[i].diagnostic ? d->rcpt[i].diagnostic : "");
			add_event(job, "delay_dsn", detail);
		}
		if (d->rcpt[i].reason == DSN_REASON_GREYLISTED)
			add_evidence(job, "delay DSN: %s",
				     d->rcpt[i].diagnostic ? d->rcpt[i].diagnostic
							   : "greylisted");
	}
	if (d->kind == DSN_KIND_AUTOREPLY || (!final && !job->deferred)) {
		dsn_free(d);
		return 0;
	}
	if (final || !job->dsn) {
		dsn_free(job->dsn);
		job->dsn = d;
	} else {
		dsn_free(d);
	}
	return final;
}

/* The submission's own verdict, for probes that were never accepted. */
static void judge_submission(struct probe_job *job)
{
	const struct mc_probe_result *s = &job->smtp;

	char detail[200];

	switch (s->outcome) {
	case PROBE_SUBMIT_QUEUED:
		snprintf(detail, sizeof(detail), "%d %s %s", s->reply.code,
			 s->reply.enhanced, s->reply.text);
		add_event_at(job, s->sent_at, "sent", detail);
		return;
	case PROBE_SUBMIT_GREYLISTED:
		add_evidence(job, "SMTP reply at submission: %s", s->reply.text);
		add_event(job, "smtp_4xx", s->reply.text);
		job->deferred = 1;
		job->state = PROBE_DEFERRED;
		return;
	case PROBE_SUBMIT_DEFERRED:
		add_event(job, "smtp_4xx", s->reply.text);
		job->deferred = 1;
		job->state = PROBE_DEFERRED;
		return;
	case PROBE_SUBMIT_REJECTED:
		snprintf(detail, sizeof(detail), "%d %s %s", s->reply.code,
			 s->reply.enhanced, s->reply.text);
		add_event(job, "smtp_5xx", detail);
		job->state = PROBE_REJECTED;
		return;
	case PROBE_SUBMIT_ERROR:
	default:
		job->state = PROBE_ERROR;
		return;
	}
}

/* postgrey's "X-Greylist: delayed 62 seconds by postgrey-1.37 at ..." and
 * milter-greylist's "... Delayed for 00:01:02 by milter-greylist-4.6". */
static void greylist_header_delay(struct probe_job *job, const char *v)
{
	const char *p;
	unsigned h, m, sec;

	if ((p = strstr(v, "delayed ")) && isdigit((unsigned char)p[8]))
		job->greylist_delay = strtod(p + 8, NULL);
	else if ((p = strstr(v, "Delayed for ")) &&
		 sscanf(p + 12, "%u:%u:%u", &h, &m, &sec) == 3)
		job->greylist_delay = h * 3600.0 + m * 60.0 + sec;
}

/* A greylisting MTA makes the previous hop retry: that shows as a gap in
 * the delay into the receiving MTA's hop (SMTP between MTAs, not the
 * submission or LMTP hop). */
static void hop_gap_evidence(struct probe_job *job)
{
	size_t n = hops_count(job->hops);
	double worst = 0;
	const struct hop *gap = NULL;
	char ev[160];

	for (size_t i = 1; i < n; i++) {
		const struct hop *h = hops_get(job->hops, i);
		if (isnan(h->delay) || h->delay < GREYLIST_GAP_MIN ||
		    strncasecmp(h->r.with, "ESMTP", 5) != 0 ||
		    strcasestr(h->r.with, "A"))   /* ESMTPA/ESMTPSA: submission */
			continue;
		if (h->delay > worst) {
			worst = h->delay;
			gap = h;
		}
	}
	if (!gap)
		return;
	if (!job->greylisted && worst < GREYLIST_GAP_ALONE)
		return;
	snprintf(ev, sizeof(ev), "%.0f s gap before the hop by %s", worst,
		 gap->r.by_host[0] ? gap->r.by_host : "?");
	add_evidence(job, "Received: %s", ev);
	if (isnan(job->greylist_delay))
		job->greylist_delay = worst;
}

static void judge_arrival(struct probe_job *job)
{
	struct mc_arrival *a = &job->arrival;
	const struct mc_route *r = job->route;
	char value[256];

	if (a->found) {
		char detail[200];

		snprintf(detail, sizeof(detail), "in %s, noticed by %s",
			 a->folder, a->idle ? "IDLE" : "polling");
		add_event_at(job, a->noticed_at, "found", detail);
		job->total_seconds = a->noticed_at - job->smtp.sent_at;
		if (a->header) {
			struct mc_err err = {0};
			job->hops = hops_from_header(a->header, a->header_len, &err);
			if (job->hops)
				hops_set_endpoints(job->hops, job->smtp.sent_at,
						   a->internaldate, a->noticed_at);
			if (watch_header_field(a->header, a->header_len,
					       "X-Greylist", value,
					       sizeof(value)) == 0) {
				add_evidence(job, "X-Greylist: %s", value);
				greylist_header_delay(job, value);
			}
			hop_gap_evidence(job);
		}
		job->state = probe_state_judge_found(a->junk, job->total_seconds,
						     r->warn);
		if (job->state == PROBE_DELIVERED && job->greylisted)
			job->state = PROBE_GREYLISTED;
		return;
	}
	if (a->dsn_final && job->dsn) {
		job->state = PROBE_BOUNCED;
		return;
	}
	if (a->err.code) {
		job->err = a->err;
		job->state = PROBE_ERROR;
		return;
	}
	job->state = job->deferred ? PROBE_DEFERRED : PROBE_LOST;
}

/* The address the destination saw the relay connect from: the client of
 * the newest hop received over SMTP between MTAs (ESMTP/ESMTPS/SMTP, not
 * an authenticated submission, not LMTP). */
static const char *mx_client_ip(const struct hops *h)
{
	for (size_t i = hops_count(h); i-- > 0;) {
		const struct hop *hp = hops_get(h, i);
		if (hp->r.from_ip[0] && strncasecmp(hp->r.with, "LMTP", 4) != 0 &&
		    strcasestr(hp->r.with, "SMTP") && !strcasestr(hp->r.with, "SMTPA") &&
		    !strcasestr(hp->r.with, "SMTPSA"))
			return hp->r.from_ip;
	}
	return NULL;
}

/* SPF of the relay's address for the envelope sender, then the From
 * domain's DMARC verdict from that and the DKIM passes (RFC 7489 §6.6.2):
 * what the destination would conclude about the probe. */
static void verify_dmarc(struct mc_dns *dns, struct probe_job *job)
{
	const char *ip = job->hops ? mx_client_ip(job->hops) : NULL;
	const char *from_domain = strrchr(job->route->from, '@');
	const char *pass[8];
	size_t n_pass = 0;
	struct mc_err err = {0};

	if (!from_domain)
		return;
	from_domain++;
	if (ip) {
		struct mc_spf_query q = {.ip = ip, .mailfrom = job->route->from,
					 .helo = NULL};
		struct mc_spf_opts so = {0};
		struct mc_spf_outcome *o = spf_check_host(dns, &q, &so, &err);
		if (o) {
			job->spf = o->result;
			job->spf_done = 1;
			snprintf(job->spf_ip, sizeof(job->spf_ip), "%s", ip);
			spf_outcome_free(o);
		}
	}
	for (size_t i = 0; job->dkim && i < job->dkim->n_sigs && n_pass < 8; i++)
		if (job->dkim->sigs[i].status == MC_DKIM_PASS)
			pass[n_pass++] = job->dkim->sigs[i].domain;
	job->dmarc = dmarc_lookup(dns, NULL, from_domain, mc_now_mono() + 10, &err);
	if (!job->dmarc)
		return;
	job->dmarc_j.verdict = dmarc_verdict(job->dmarc,
					     job->spf_done ? job->spf : MC_SPF_NONE,
					     from_domain, pass, n_pass,
					     &job->dmarc_j);
	job->dmarc_done = 1;
}

/* Judges every found probe whose route names a dkim_selector as its
 * receiver would: DKIM signatures (all key lookups on one c-ares channel),
 * SPF and DMARC (verify_dmarc). A missing, failed or unverifiable
 * signature with that selector, or a DMARC fail, makes a delivered probe
 * WARNING (component dkim or dmarc, judge_auth): it arrived, but mail like
 * it may be refused or filed as spam elsewhere. */
static void verify_auth(struct probe_job *jobs, size_t n,
			const struct probe_run_opts *o)
{
	struct mc_err err = {0};
	struct mc_dns *dns = NULL;
	struct mc_dkim_dns *kd = NULL;

	for (size_t i = 0; i < n; i++) {
		struct probe_job *job = &jobs[i];
		if (!job->arrival.found || !job->route->dkim_selector ||
		    !job->arrival.header)
			continue;
		if (!dns && (!(dns = dns_new(&o->dns, &err)) ||
			     !(kd = dkim_dns_new(dns)))) {
			job->err = err;
			continue;
		}
		dkim_dns_prefetch(kd, job->arrival.header, job->arrival.header_len);
	}
	for (size_t i = 0; dns && kd && i < n; i++) {
		struct probe_job *job = &jobs[i];
		if (!job->arrival.found || !job->route->dkim_selector ||
		    !job->arrival.header)
			continue;
		if (dkim_verify_message(job->arrival.header,
					job->arrival.header_len, dkim_dns_lookup,
					kd, 0, &job->dkim, &err) != 0)
			continue;
		job->dkim_sig = dkim_result_find(job->dkim, NULL,
						 job->route->dkim_selector);
		verify_dmarc(dns, job);
	}
	dns_free(dns);
	dkim_dns_free(kd);
}

static void judge_auth(struct probe_job *job)
{
	const struct mc_dkim_sig_result *s = job->dkim_sig;

	if (job->dmarc_done && job->dmarc_j.verdict == MC_DMARC_FAIL) {
		if (job->severity < MC_SEV_WARNING)
			job->severity = MC_SEV_WARNING;
		if (!job->err.code)
			mc_err_set(&job->err, -1, MC_COMP_DMARC,
				   "DMARC fails for %s (SPF %s, DKIM %s)",
				   strrchr(job->route->from, '@') + 1,
				   job->spf_done ? spf_result_name(job->spf) : "not checked",
				   job->dmarc_j.dkim_aligned ? "aligned" : "not aligned");
	}

	if (!job->route->dkim_selector || !job->arrival.found)
		return;
	if (s && s->status == MC_DKIM_PASS && !s->weak && !s->testing)
		return;
	if (job->severity < MC_SEV_WARNING)
		job->severity = MC_SEV_WARNING;
	if (!job->err.code)
		mc_err_set(&job->err, -1, MC_COMP_DKIM,
			   "DKIM selector %s: %s%s%s", job->route->dkim_selector,
			   s ? dkim_status_name(s->status) : "no signature",
			   s && s->reason[0] ? ": " : "", s ? s->reason : "");
}

/* Seconds an earlier probe is looked for at least, even past its crit:
 * long enough for the watch's first search of the mailbox. Without it a
 * probe that arrived between two ticks would be judged (lost, or left
 * deferred for ever) without anyone looking. */
#define COLLECT_MIN_LOOK 3.0

/* When the wait for job ends, as a monotonic time, and its length. */
static void set_deadline(struct probe_job *job, const struct probe_run_opts *o,
			 double now_mono, double now_real)
{
	/* Time left until crit, counted from the probe's submission. */
	double left = job->route->crit - (now_real - job->smtp.sent_at);

	if (o->wait > 0 && o->wait < left)
		left = o->wait;
	if (left < 0)
		left = 0;
	if (job->collect && left < COLLECT_MIN_LOOK)
		left = COLLECT_MIN_LOOK;
	job->arrival.deadline = now_mono + left;
	job->waited = left;
}

void probe_run(struct probe_job *jobs, size_t n, const struct probe_run_opts *o)
{
	struct mc_waiter *w = NULL;
	struct round rd = {jobs, n};
	struct probe_job **pending = NULL;
	size_t np = 0;

	for (size_t i = 0; i < n; i++) {
		struct probe_job *job = &jobs[i];
		job->state = PROBE_PENDING;
		job->total_seconds = NAN;
		job->greylist_delay = NAN;
		job->arrival.internaldate = NAN;
		if (!job->collect && probe_id_new(job->id, &job->err) != 0) {
			job->state = PROBE_ERROR;
			continue;
		}
		snprintf(job->arrival.id, sizeof(job->arrival.id), "%s", job->id);
		job->arrival.mailbox = job->route->mailbox;
		job->arrival.bounces = job->route->bounces;
	}

	/* Watches first: a probe that arrives during submission is pushed. */
	w = waiter_new(on_dsn, &rd);
	for (size_t i = 0; w && i < n; i++)
		if (jobs[i].state == PROBE_PENDING)
			waiter_add(w, &jobs[i].arrival);
	if (w)
		waiter_open(w);

	/* A mailbox that cannot be watched makes a new probe unjudgeable: it
	 * is not sent (it would only be left behind). A probe of an earlier
	 * tick stays outstanding for the next one. */
	for (size_t i = 0; i < n; i++) {
		struct probe_job *job = &jobs[i];
		if (job->state != PROBE_PENDING)
			continue;
		if (!w) {
			mc_err_set(&job->err, -1, MC_COMP_INTERNAL, "out of memory");
			job->state = PROBE_ERROR;
		} else if (job->arrival.err.code) {
			job->err = job->arrival.err;
			job->arrival.cancelled = 1;
			if (job->collect)
				job->unreachable = 1;
			else
				job->state = PROBE_ERROR;
		}
	}

	pending = calloc(n ? n : 1, sizeof(*pending));
	if (!pending) {
		for (size_t i = 0; i < n; i++) {
			mc_err_set(&jobs[i].err, -1, MC_COMP_INTERNAL, "out of memory");
			jobs[i].state = PROBE_ERROR;
		}
		waiter_free(w);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct probe_job *job = &jobs[i];
		if (job->state != PROBE_PENDING || job->collect)
			continue;
		/* The caller records the probe before it can be delivered. */
		if (o->before_submit && o->before_submit(o->arg, job) != 0) {
			job->state = PROBE_ERROR;
			job->arrival.cancelled = 1;
			continue;
		}
		pending[np++] = job;
	}
	mc_pool_run(np, SUBMIT_THREADS, submit_one, pending);

	double now = mc_now_mono(), now_real = mc_now_real();
	for (size_t i = 0; i < n; i++) {
		struct probe_job *job = &jobs[i];
		/* an earlier tick's probe: its submission was judged then */
		if (job->state == PROBE_PENDING && job->submitted &&
		    !job->collect)
			judge_submission(job);
		if (job->state != PROBE_PENDING || job->unreachable) {
			job->arrival.cancelled = 1;
			continue;
		}
		set_deadline(job, o, now, now_real);
	}
	if (w) {
		waiter_run(w);
		waiter_free(w);
	}
	now_real = mc_now_real();
	for (size_t i = 0; i < n; i++) {
		struct probe_job *job = &jobs[i];
		if (job->state != PROBE_PENDING || job->unreachable)
			continue;
		judge_arrival(job);
		/* Not found yet, but its route's crit has not passed: the next
		 * tick looks again. */
		if (o->keep_pending && (job->state == PROBE_LOST ||
					job->state == PROBE_DEFERRED) &&
		    now_real - job->smtp.sent_at < job->route->crit)
			job->state = job->state == PROBE_LOST ? PROBE_PENDING
							     : PROBE_DEFERRED;
	}
	free(pending);
	verify_auth(jobs, n, o);

	for (size_t i = 0; i < n; i++) {
		struct probe_job *job = &jobs[i];
		double secs = isnan(job->total_seconds) ? 0 : job->total_seconds;
		job->severity = probe_state_severity(job->state, secs,
						     job->route->warn);
		judge_auth(job);
	}
}

void probe_job_describe(const struct probe_job *job, char *buf, size_t size)
{
	const struct mc_probe_result *s = &job->smtp;
	const struct mc_arrival *a = &job->arrival;
	size_t nh = job->hops ? hops_count(job->hops) : 0;

	switch (job->state) {
	case PROBE_DELIVERED:
	case PROBE_SLOW:
	case PROBE_JUNK:
	case PROBE_GREYLISTED:
		snprintf(buf, size, "%.2f s to %s, %zu hop%s, noticed by %s%s%s%s%s",
			 job->total_seconds, a->folder, nh, nh == 1 ? "" : "s",
			 a->idle ? "IDLE" : "polling",
			 s->queue_id[0] ? ", relay queue id " : "", s->queue_id,
			 job->err.code ? "; " : "",
			 job->err.code ? job->err.msg : "");
		break;
	case PROBE_REJECTED:
	case PROBE_DEFERRED:
		if (job->dsn && job->dsn->nrcpt)
			snprintf(buf, size, "delay DSN %s: %s",
				 job->dsn->rcpt[0].status,
				 job->dsn->rcpt[0].diagnostic
					 ? job->dsn->rcpt[0].diagnostic : "");
		else if (job->collect && !s->reply.code)
			snprintf(buf, size, "still not delivered %.0f s after "
				 "it was sent (the deferral was seen by an "
				 "earlier run)", mc_now_real() - s->sent_at);
		else
			snprintf(buf, size, "%s at %s: %d %s %s", s->peer,
				 s->stage, s->reply.code, s->reply.enhanced,
				 s->reply.text);
		break;
	case PROBE_BOUNCED: {
		const struct mc_dsn_rcpt *r = job->dsn && job->dsn->nrcpt
						      ? &job->dsn->rcpt[0] : NULL;
		snprintf(buf, size, "%s bounce %s %s: %s",
			 r && r->hard ? "hard" : "soft",
			 r ? r->status : "", r ? dsn_reason_name(r->reason) : "",
			 r && r->diagnostic ? r->diagnostic : "");
		break;
	}
	case PROBE_LOST:
		snprintf(buf, size, "nothing arrived and nothing came back "
			 "within %.0f s", job->collect ? job->route->crit
						       : job->waited);
		break;
	case PROBE_ERROR:
	default:
		snprintf(buf, size, "%s: %s",
			 mc_component_name(job->err.component
					   ? job->err.component
					   : s->component),
			 job->err.msg[0] ? job->err.msg : s->reply.text);
		break;
	}
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *stage_time(double t)
{
	return t >= 0 ? json_real(t) : json_null();
}

static json_t *dkim_json(const struct probe_job *job)
{
	const struct mc_dkim_sig_result *s = job->dkim_sig;

	if (!job->route->dkim_selector || !job->arrival.found)
		return json_null();
	if (!s)
		return json_pack("{s:s, s:s, s:o, s:s}", "result", "none",
				 "selector", job->route->dkim_selector,
				 "domain", json_null(), "reason",
				 "no signature with this selector");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i}",
			 "result", dkim_status_name(s->status),
			 "selector", s->selector, "domain", s->domain,
			 "algorithm", s->algorithm, "reason", s->reason,
			 "weak", s->weak, "key_bits", (int)s->key_bits);
}

static json_t *auth_json(const struct probe_job *job)
{
	if (!job->dmarc_done && !job->spf_done)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:b, s:b}",
		"spf", job->spf_done ? json_string(spf_result_name(job->spf)) : json_null(),
		"spf_ip", job->spf_done ? json_string(job->spf_ip) : json_null(),
		"dmarc", job->dmarc_done
				 ? json_string(dmarc_verdict_name(job->dmarc_j.verdict))
				 : json_null(),
		"spf_aligned", job->dmarc_j.spf_aligned,
		"dkim_aligned", job->dmarc_j.dkim_aligned);
}

static json_t *smtp_json(const struct probe_job *job)
{
	const struct mc_probe_result *s = &job->smtp;

	if (!job->submitted)
		return json_null();
	return json_pack(
		"{s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o}}",
		"code", s->reply.code ? json_integer(s->reply.code) : json_null(),
		"enhanced", str_or_null(s->reply.enhanced),
		"text", str_or_null(s->reply.text),
		"outcome", probe_submit_outcome_name(s->outcome),
		"stage", str_or_null(s->stage),
		"queue_id", str_or_null(s->queue_id),
		"tls", str_or_null(s->tls_version),
		"cipher", str_or_null(s->tls_cipher),
		"peer", str_or_null(s->peer),
		"timings",
		"connected", stage_time(s->t.connected),
		"greeting", stage_time(s->t.greeting),
		"tls", stage_time(s->t.tls),
		"auth", stage_time(s->t.auth),
		"envelope", stage_time(s->t.envelope),
		"data", stage_time(s->t.data),
		"queued", stage_time(s->t.queued));
}

json_t *probe_job_json(const struct probe_job *job)
{
	const struct mc_arrival *a = &job->arrival;
	char sent[MC_RFC3339_MAX], found[MC_RFC3339_MAX];
	json_t *o, *ev = json_array(), *err = json_null(), *dsn = json_null();

	for (size_t i = 0; i < job->n_evidence; i++)
		json_array_append_new(ev, json_string(job->greylist_evidence[i]));
	if (job->state == PROBE_ERROR || job->state == PROBE_REJECTED ||
	    (job->err.code && job->state != PROBE_BOUNCED)) {
		json_decref(err);
		err = json_pack("{s:s, s:s}", "component",
				mc_component_name(job->err.component
						  ? job->err.component
						  : job->smtp.component),
				"message", job->err.msg[0] ? job->err.msg
							   : job->smtp.reply.text);
	}
	if (job->dsn) {
		json_decref(dsn);
		dsn = dsn_to_json(job->dsn, NULL);
	}
	o = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o}",
		"route", job->route->name,
		"id", job->id,
		"state", probe_state_name(job->state),
		"severity", (int)job->severity,
		"sent_at", job->submitted && job->smtp.sent_at > 0
				? json_string(mc_time_rfc3339(job->smtp.sent_at, 3, sent))
				: json_null(),
		"found_at", a->found ? json_string(mc_time_rfc3339(a->noticed_at, 3, found))
				     : json_null(),
		"total_seconds", isnan(job->total_seconds) ? json_null()
							   : json_real(job->total_seconds),
		"detect_lag_seconds",
		a->found && !isnan(a->internaldate)
			? json_real(mc_fmax(0, a->noticed_at - a->internaldate))
			: json_null(),
		"folder", a->found ? json_string(a->folder) : json_null(),
		"greylisted", job->greylisted,
		"greylist_evidence", ev,
		"smtp", smtp_json(job),
		"hops", job->hops ? hops_to_json(job->hops) : json_array(),
		"dkim", dkim_json(job),
		"dsn", dsn,
		"error", err);
	if (o && a->found) {
		json_object_set_new(o, "noticed_by", json_string(a->idle ? "idle" : "poll"));
		/* Our own reaction: the server's push -> the probe fetched. */
		json_object_set_new(o, "idle_reaction_seconds",
				    a->idle && !isnan(a->pushed_at)
					    ? json_real(a->noticed_at - a->pushed_at)
					    : json_null());
		if (job->hops)
			json_object_set_new(o, "mailbox", hops_mailbox_to_json(job->hops));
	}
	if (o) {
		json_t *evs = json_array();
		for (size_t i = 0; i < job->n_events; i++) {
			char at[MC_RFC3339_MAX];
			json_array_append_new(evs, json_pack("{s:s, s:s, s:s}",
				"at", mc_time_rfc3339(job->events[i].at, 3, at),
				"type", job->events[i].type,
				"detail", job->events[i].detail));
		}
		json_object_set_new(o, "events", evs);
		json_object_set_new(o, "auth", auth_json(job));
		json_object_set_new(o, "greylist_delay_seconds",
				    isnan(job->greylist_delay)
					    ? json_null()
					    : json_real(job->greylist_delay));
	}
	return o;
}

void probe_job_clear(struct probe_job *job)
{
	arrival_clear(&job->arrival);
	hops_free(job->hops);
	job->hops = NULL;
	dsn_free(job->dsn);
	job->dsn = NULL;
	dkim_result_free(job->dkim);
	job->dkim = NULL;
	dmarc_result_free(job->dmarc);
	job->dmarc = NULL;
	job->dkim_sig = NULL;
}
