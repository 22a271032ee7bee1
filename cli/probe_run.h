/* One on-demand round of probes: for each route, a probe submitted through
 * its relay (probe/) and waited for in its mailbox and bounce mailbox
 * (receiver/), all routes at once; then each probe judged to one final
 * state. This is the only place the sending and the arrival side meet for
 * the `probe` command (DESIGN.md: probe/ and receiver/ never call each
 * other). */
#ifndef MC_PROBE_RUN_H
#define MC_PROBE_RUN_H

#include <jansson.h>

#include "checks/dkim.h"
#include "checks/dmarc.h"
#include "checks/spf.h"
#include "checks/dns.h"
#include "config/config.h"
#include "probe/probe.h"
#include "probe/probe_state.h"
#include "receiver/dsn.h"
#include "receiver/hops.h"
#include "receiver/watch.h"

#define GREYLIST_EVIDENCE_MAX 4
#define PROBE_EVENTS_MAX 12
/* A hop into an MTA this much slower than the others is reported as a gap
 * consistent with a greylist retry; alone it marks the probe greylisted
 * only from GREYLIST_GAP_ALONE on (a slow filter can take seconds). */
#define GREYLIST_GAP_MIN 2.0
#define GREYLIST_GAP_ALONE 60.0

/* Something that happened to a probe before its final state. */
struct probe_event {
	double at;                             /* epoch seconds */
	char type[16];                         /* "sent", "smtp_4xx", "greylist",
						  "smtp_5xx", "delay_dsn",
						  "bounce_dsn", "found" */
	char detail[200];
};

/* Everything known about one route's probe. probe_run() fills it; the
 * caller owns the array and releases it with probe_job_clear(). */
struct probe_job {
	const struct mc_route *route;          /* borrowed from the config */
	char id[PROBE_ID_LEN + 1];
	struct mc_probe_result smtp;
	int submitted;                         /* probe_submit() was called */
	int recorded;                          /* set by the caller: the
						  store holds the probe */
	int collect;                           /* set by the caller: a probe of
						  an earlier tick (id and
						  smtp.sent_at set): only
						  look for it */
	int unreachable;                       /* collect, but its mailbox
						  could not be watched */
	struct mc_arrival arrival;
	struct hops *hops;                     /* from the found copy, or NULL */
	struct mc_dsn *dsn;                    /* the DSN that decided, or NULL */
	struct mc_dkim_result *dkim;           /* the found copy verified, when
						  the route has dkim_selector */
	const struct mc_dkim_sig_result *dkim_sig; /* its signature with that
						      selector, or NULL */
	/* SPF of the relay's address at the destination MX for the envelope
	 * sender, and the DMARC verdict of the From domain (routes with a
	 * dkim_selector only). */
	char spf_ip[64];
	enum mc_spf_result spf;
	int spf_done;
	struct mc_dmarc_result *dmarc;
	struct mc_dmarc_judgement dmarc_j;
	int dmarc_done;
	int deferred;                          /* a delay DSN or 4xx was seen */
	int greylisted;
	double greylist_delay;                 /* seconds, NAN if unknown */
	struct probe_event events[PROBE_EVENTS_MAX];
	size_t n_events;
	char greylist_evidence[GREYLIST_EVIDENCE_MAX][160];
	size_t n_evidence;
	enum mc_probe_state state;
	enum mc_severity severity;
	double total_seconds;                  /* submission -> noticed; NAN */
	double waited;                         /* the wait's length, seconds */
	struct mc_err err;                     /* the error behind state error */
};

struct probe_run_opts {
	double wait;            /* > 0: cap on every wait, seconds; else each
				   waits until its route's crit */
	struct mc_dns_opts dns; /* for DKIM key lookups */
	int keep_pending;       /* 1 (the run tick): a probe not found by the
				   end of the wait but still within crit stays
				   pending (or deferred), not lost */
	/* Called in this thread for each new probe, after its ID is made and
	 * its mailbox watched, before it is submitted; non-zero: not sent
	 * (set job->err). May be NULL. */
	int (*before_submit)(void *arg, struct probe_job *job);
	void *arg;
};

/* Sends and waits for n jobs whose route is set (collect jobs are only
 * looked for). Never fails as a whole: each job ends in a state (error
 * with err set when something could not be judged; pending when
 * keep_pending says so). */
void probe_run(struct probe_job *jobs, size_t n, const struct probe_run_opts *o);

/* The DESIGN.md `probe --json` object of one job (new reference). */
json_t *probe_job_json(const struct probe_job *job);

/* One line for humans: where a found probe went and how fast, or what
 * failed and where ("tls: relay x (host:port): ..."). */
void probe_job_describe(const struct probe_job *job, char *buf, size_t size);

void probe_job_clear(struct probe_job *job);

#endif
