/* mailcanary's state (DESIGN.md "store/"): probes and their events and hops,
 * DNS check results, alert state, per-route state and the counters behind
 * the Prometheus metrics, in one SQLite database, state_dir/mailcanary.db.
 * This module stores and reads; it never judges a probe, sends, waits or
 * prints. Time always comes in as an argument (`now`, epoch seconds), so
 * the caller's clock (mc_now_real(), or a fake one in tests) decides.
 *
 * Why SQLite: transactions make "a probe is recorded before its DATA ends"
 * and "final state, counters and route state change together" hold across
 * crashes and overlapping processes; WAL lets `status` read while `run`
 * writes. Durability: synchronous = FULL, every write committed before the
 * call returns (unless the caller holds a store_begin() transaction).
 *
 * Schema: versioned with PRAGMA user_version and an ordered list of forward
 * migrations in store.c, each applied in its own transaction. A database
 * newer than this binary is refused, never touched.
 *
 * Strings given to the store are borrowed for the call; NULL is stored as
 * SQL NULL. Doubles that are NAN are stored as NULL and read back as NAN.
 * Every function returns 0 (or a documented positive value) on success and
 * -1 with err filled (component store, naming the database file) on error. */
#ifndef MC_STORE_H
#define MC_STORE_H

#include <stddef.h>

#include "mc_err.h"
#include "probe/probe_state.h"

#define STORE_DB_NAME "mailcanary.db"
#define STORE_LOCK_NAME "run.lock"
/* The schema version this binary writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 3
/* Milliseconds SQLite waits for another process's write lock. */
#define STORE_BUSY_TIMEOUT_MS 10000

/* Upper bounds (seconds) of the delivery-time histogram buckets; +Inf is
 * implied. The store keeps the histogram as counters that only grow
 * (Prometheus histogram semantics), so pruning old probes never makes a
 * bucket go down. */
#define STORE_DELIVERY_BUCKETS \
	{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 900}
#define STORE_N_DELIVERY_BUCKETS 11

struct mc_store;

/* Opens (creating as needed) state_dir and state_dir/mailcanary.db. The
 * directory is created with mode 0700 (missing parents 0755); the database
 * file is created with mode 0600 whatever the umask, before SQLite sees it
 * (SQLite gives its -wal and -shm files the same mode). Sets WAL,
 * synchronous FULL, busy_timeout and foreign_keys, and migrates the schema
 * forward to STORE_SCHEMA_VERSION. Fails with a message naming the file
 * when the file is not a database or is corrupt, or when its schema is
 * newer than this binary's. Returns a new handle the caller closes with
 * store_close(). */
struct mc_store *store_open(const char *state_dir, struct mc_err *err);

/* Closes st (NULL is fine). An open store_begin() transaction is rolled
 * back. */
void store_close(struct mc_store *st);

/* The schema version of the open database (STORE_SCHEMA_VERSION). */
int store_schema_version(struct mc_store *st);

/* Groups several writes into one transaction (BEGIN IMMEDIATE). Calls made
 * inside it become savepoints and are committed by store_commit(). Not
 * nestable. */
int store_begin(struct mc_store *st, struct mc_err *err);
int store_commit(struct mc_store *st, struct mc_err *err);
void store_rollback(struct mc_store *st);

/* ---- probes ---- */

/* What is known of a probe. Every field but id may be "unknown": NULL
 * strings, NAN doubles, smtp_code 0, dsn_hard -1. */
struct store_probe {
	const char *id;
	enum mc_probe_state state;
	enum mc_severity severity;
	double found_at;           /* epoch seconds */
	const char *folder;
	double total_seconds;      /* submission -> noticed */
	int smtp_code;
	const char *smtp_enhanced;
	const char *smtp_text;
	const char *queue_id;
	const char *error_component; /* mc_component_name() */
	const char *error_message;   /* one line for humans; status shows it
				      * as the route's last_error */
	int greylisted;
	double greylist_delay;
	const char *dsn_status;      /* "5.1.1" */
	const char *dsn_reason;      /* dsn_reason_name() */
	int dsn_hard;                /* 1 hard, 0 soft, -1 unknown */
};

/* A store_probe with everything unknown: state pending, severity OK. */
void store_probe_init(struct store_probe *p, const char *id);

/* Records a new probe of route in state pending, sent at sent_at, and the
 * route's last_sent_at, committed when this returns (or with the caller's
 * store_begin() transaction). The contract with the sending side
 * (DESIGN.md "No state is lost"): call this, and let it return 0, before
 * the SMTP DATA of the probe completes -- in practice before submitting --
 * and do not send when it fails; a crash after it leaves the probe
 * outstanding for the next tick. An id already recorded is an error. */
int store_probe_insert_pending(struct mc_store *st, const char *id,
			       const char *route, double sent_at,
			       struct mc_err *err);

/* Records what is known of an outstanding probe without finishing it
 * (the SMTP reply and queue ID after submission; state deferred after a
 * delay DSN). Every field of p is written (unknown ones as NULL). A state
 * other than pending also becomes the route's current state in
 * route_state (see store_probe_finish()); counters are not touched. The
 * probe stays outstanding. Finished or unknown ids are errors. */
int store_probe_update(struct mc_store *st, const struct store_probe *p,
		       double now, struct mc_err *err);

/* Gives an outstanding probe its final state, in one transaction: the
 * probe row (every field of p), the counter (route, state) + 1, the
 * delivery histogram (for found probes -- delivered, slow, junk,
 * greylisted -- with total_seconds known), and route_state: last_state,
 * last_severity, since (now, when the state differs from the previous
 * one), last_delivery_seconds (found probes), last_success_at (now, when
 * the severity is OK), last_error (error_message when the severity is not
 * OK, else NULL). route_state follows only the newest probe of the route:
 * finishing an older probe after a newer one was judged updates the
 * counters but not route_state. p->state pending is refused; so are
 * unknown ids and probes already finished (nothing is counted twice). */
int store_probe_finish(struct mc_store *st, const struct store_probe *p,
		       double now, struct mc_err *err);

/* A probe not finished yet (state pending or deferred). */
struct store_outstanding {
	char *id;
	char *route;
	double sent_at;
	enum mc_probe_state state;
};

/* Every outstanding probe of route (NULL: of every route), oldest first --
 * what a later tick collects, expires or finishes. Sets *out to a new
 * array of *n entries (NULL when 0) the caller frees with
 * store_outstanding_free(). */
int store_probe_outstanding(struct mc_store *st, const char *route,
			    struct store_outstanding **out, size_t *n,
			    struct mc_err *err);
void store_outstanding_free(struct store_outstanding *o, size_t n);

/* Appends an event (type e.g. "delay_dsn", "smtp_4xx"; detail NULL or a
 * JSON text, checked to be valid JSON) to a recorded probe. */
int store_event_add(struct mc_store *st, const char *probe_id, double at,
		    const char *type, const char *detail_json,
		    struct mc_err *err);

/* One hop of a probe's Received chain, oldest first (hop 1 first). */
struct store_hop {
	const char *from_host;
	const char *by_host;
	const char *with;          /* "ESMTPS" */
	const char *ip;
	const char *tls;           /* "TLSv1.3" */
	double at;                 /* epoch seconds, NAN */
	double delay;              /* seconds, NAN */
};

/* Replaces the hops of a recorded probe with hops[0..n) (numbered 1..n). */
int store_hops_add(struct mc_store *st, const char *probe_id,
		   const struct store_hop *hops, size_t n, struct mc_err *err);

/* ---- DNS checks ---- */

/* Records one result of check `check` (a [check] section name): its
 * severity, a one-line summary and the check's JSON document (NULL or
 * valid JSON; metrics count "dnsbl"[].status == "listed" in it, as in
 * DESIGN.md's check --json). */
int store_check_result_add(struct mc_store *st, const char *check, double at,
			   int severity, const char *summary,
			   const char *json, struct mc_err *err);

struct store_check_state {
	char *check;
	int severity;              /* of the newest result */
	double at;                 /* when the newest result was recorded */
	double since;              /* oldest result of the newest run of the
				    * same severity still kept */
	char *summary;             /* newest; may be NULL */
	char *json;                /* newest; may be NULL */
};

/* The current state of every check with a result, by name. Sets *out to
 * a new array (NULL when 0) freed with store_check_states_free(). */
int store_check_states(struct mc_store *st, struct store_check_state **out,
		       size_t *n, struct mc_err *err);
void store_check_states_free(struct store_check_state *c, size_t n);

/* ---- routes ---- */

struct store_route_state {
	char *route;
	double last_sent_at;       /* NAN: never sent */
	int judged;                /* 0: no probe has had a state yet */
	enum mc_probe_state state; /* valid when judged */
	enum mc_severity severity; /* valid when judged */
	double since;              /* when it entered state; NAN */
	double last_delivery_seconds; /* of the newest found probe; NAN */
	double last_success_at;    /* newest severity-OK judgement; NAN */
	char *last_error;          /* NULL when the state is OK */
	long long delivery_count;  /* histogram: found probes timed */
	double delivery_sum;       /* their seconds, added up */
	double judged_sent_at;     /* when the probe the state follows (the
				    * newest judged) was sent; NAN */
};

/* Every route the store knows, by name. Sets *out to a new array (NULL
 * when 0) freed with store_route_states_free(). */
int store_route_states(struct mc_store *st, struct store_route_state **out,
		       size_t *n, struct mc_err *err);
void store_route_states_free(struct store_route_state *r, size_t n);

/* ---- alerts ---- */

enum store_alert_status {
	STORE_ALERT_OK = 0,
	STORE_ALERT_FIRING,
};

/* The state of one alert. key: "route/NAME/ALERT" or "check/NAME/ALERT"
 * by convention of the alert module (the store does not parse it). */
struct store_alert {
	char *key;
	enum store_alert_status status;
	double since;              /* status entered at; NAN */
	double last_notified;      /* NAN: never */
	int consecutive_failures;
	char *last_error;          /* may be NULL */
	char *pending_delivery;    /* JSON text of a notification not yet
				    * delivered, or NULL */
};

/* Reads the alert with key into *out (strings new, freed with
 * store_alert_clear()). Returns 1 when found, 0 when not (out is then OK,
 * since and last_notified NAN, 0 failures, key copied), -1 on error. */
int store_alert_get(struct mc_store *st, const char *key,
		    struct store_alert *out, struct mc_err *err);

/* Inserts or replaces a->key's state (a borrowed; pending_delivery must
 * be NULL or valid JSON). */
int store_alert_put(struct mc_store *st, const struct store_alert *a,
		    struct mc_err *err);

/* One entry of an alert's history (table alert_events). */
enum store_alert_event_kind {
	STORE_AEV_FIRING = 0,      /* OK -> firing */
	STORE_AEV_REPEAT,          /* a reminder while firing */
	STORE_AEV_RESOLVED,        /* firing -> OK */
	STORE_AEV_DELIVERED,       /* a hook took the pending notification */
	STORE_AEV_DELIVERY_FAILED, /* it did not; detail says why */
};

struct store_alert_event {
	const char *key;           /* as struct store_alert's */
	double at;
	enum store_alert_event_kind kind;
	int severity;              /* of the result behind it; -1 unknown */
	const char *detail;        /* summary or error, one line; NULL */
};

/* "firing", "repeat", "resolved", "delivered", "delivery_failed". */
const char *store_alert_event_name(enum store_alert_event_kind k);

/* Records a's new state and appends ev[0..n_ev) to the alert's history
 * (key NULL: a->key), in one transaction (all borrowed). */
int store_alert_record(struct mc_store *st, const struct store_alert *a,
		       const struct store_alert_event *ev, size_t n_ev,
		       struct mc_err *err);

/* An alert history entry as read back (strings new). */
struct store_alert_event_row {
	char *key;
	double at;
	enum store_alert_event_kind kind;
	int severity;              /* -1 unknown */
	char *detail;              /* may be NULL */
};

/* Every history entry with at < until, by key then time (the firings of
 * a report period may have begun before it). *out new (NULL when 0),
 * freed with store_alert_events_free(). */
int store_alert_events(struct mc_store *st, double until,
		       struct store_alert_event_row **out, size_t *n,
		       struct mc_err *err);
void store_alert_events_free(struct store_alert_event_row *e, size_t n);

/* Every alert state, by key; *out new (NULL when 0), freed with
 * store_alerts_free(). */
int store_alert_list(struct mc_store *st, struct store_alert **out,
		     size_t *n, struct mc_err *err);
void store_alert_clear(struct store_alert *a);
void store_alerts_free(struct store_alert *a, size_t n);

/* ---- history for reports (store_report.c) ---- */

/* A probe as `report` reads it. Strings are new (freed with
 * store_report_probes_free()); unknown values as in struct store_probe
 * (severity -1 when not judged yet). */
struct store_report_probe {
	char *id;
	char *route;
	double sent_at;
	double found_at;           /* NAN */
	enum mc_probe_state state;
	int final;                 /* 0: outstanding */
	int severity;              /* -1: unknown */
	double total_seconds;      /* NAN */
	int smtp_code;             /* 0: unknown */
	char *smtp_enhanced;
	char *smtp_text;
	char *queue_id;
	char *folder;
	char *dsn_status;
	char *dsn_reason;
	char *error_component;
	char *error_message;
	int greylisted;
	double greylist_delay;     /* NAN */
};

/* Every probe sent in [since, until), oldest first (ties by id). Sets
 * *out to a new array (NULL when 0). */
int store_report_probes(struct mc_store *st, double since, double until,
			struct store_report_probe **out, size_t *n,
			struct mc_err *err);
void store_report_probes_free(struct store_report_probe *p, size_t n);

/* One hop delay of a probe sent in [since, until). */
struct store_report_hop {
	char *route;               /* new */
	int n;                     /* hop index, 1 = oldest */
	double delay;              /* seconds, known */
};

/* Every hop with a known delay of the probes sent in [since, until), by
 * route and hop index. Sets *out to a new array (NULL when 0). */
int store_report_hops(struct mc_store *st, double since, double until,
		      struct store_report_hop **out, size_t *n,
		      struct mc_err *err);
void store_report_hops_free(struct store_report_hop *h, size_t n);

/* For a report's probe details: the hops and the events of the newest
 * `limit` probes sent in [since, until). Strings new; unknown ones NULL,
 * unknown times NAN. */
struct store_report_hop_row {
	char *probe_id;
	int n;                     /* 1 = oldest */
	char *from_host, *by_host, *with, *ip, *tls;
	double at, delay;
};

struct store_report_event {
	char *probe_id;
	double at;
	char *type;
	char *detail;              /* JSON text or NULL */
};

/* Sets *hops (by probe, then hop) and *events (by probe, then time) to
 * new arrays (NULL when empty), freed with store_report_details_free(). */
int store_report_details(struct mc_store *st, double since, double until,
			 int limit, struct store_report_hop_row **hops,
			 size_t *n_hops, struct store_report_event **events,
			 size_t *n_events, struct mc_err *err);
void store_report_details_free(struct store_report_hop_row *h, size_t nh,
			       struct store_report_event *e, size_t ne);

/* ---- relay IPs for the DNS checks (store_relay_ips.c) ---- */

/* An address a probe's Received chain shows mail came from. */
struct store_relay_ip {
	char *ip;                  /* as stored from the Received header */
	char *probe_id;            /* the newest probe whose chain shows it */
	char *route;               /* that probe's route */
	double sent_at;            /* that probe's send time */
};

/* The distinct hop IPs of the probes of routes[0..n_routes) (routes NULL:
 * every route) sent at or after since: the addresses receivers saw the
 * probes come from -- our relays' outbound addresses among them, which is
 * what DNS blocklists judge. Left out: hops without an IP, and hops whose
 * protocol is an authenticated submission (RFC 3848/6531 `with` ESMTPA,
 * ESMTPSA, LMTPA, LMTPSA and their UTF8 forms): their IP is the client's
 * (the probe host's own), not a relay's. Newest first (by the newest probe
 * showing each IP; ties by IP), at most max. The store does not judge the
 * addresses (private, malformed): the caller does. Sets *out to a new
 * array (NULL when 0) freed with store_relay_ips_free(). */
int store_recent_relay_ips(struct mc_store *st, const char *const *routes,
			   size_t n_routes, double since, size_t max,
			   struct store_relay_ip **out, size_t *n,
			   struct mc_err *err);
void store_relay_ips_free(struct store_relay_ip *v, size_t n);

/* ---- run bookkeeping and retention ---- */

/* Records / reads when the last `run` tick finished. store_last_run()
 * returns 0 and sets *t, or 1 when no run was recorded. metrics_sig, when
 * not NULL, is recorded with it in one commit: the signature of the
 * metrics file the tick wrote (metrics.h), for the next tick's
 * store_take_metrics_sig(). */
int store_set_last_run(struct mc_store *st, double now,
		       const char *metrics_sig, struct mc_err *err);
int store_last_run(struct mc_store *st, double *t, struct mc_err *err);

/* Reads and forgets the recorded metrics file signature: *sig is a new
 * string the caller frees, or NULL when none is recorded. Forgotten at
 * the start of a tick, a signature comes back only with a tick that got
 * as far as writing the file, so a tick that dies halfway never lets the
 * next one trust a file that misses its changes. */
int store_take_metrics_sig(struct mc_store *st, char **sig,
			   struct mc_err *err);

/* Rows this connection has inserted, updated or deleted so far: a tick
 * that compares it before and after knows whether it changed anything. */
long long store_changes(struct mc_store *st);

/* Deletes probes (with their events and hops) sent more than
 * retention_days before now -- outstanding ones too, which the run has
 * long expired by then -- and check results recorded before that, except
 * each check's newest. Counters, the histogram, route and alert state are
 * kept. Sets *deleted (may be NULL) to the number of probes deleted. */
int store_prune(struct mc_store *st, int retention_days, double now,
		long long *deleted, struct mc_err *err);

/* ---- the run lock ---- */

struct store_lock;

/* err->code when store_lock() returns 1. */
#define STORE_ERR_BUSY (-2)

/* Takes an exclusive flock() on state_dir/run.lock (created 0600, and
 * state_dir as store_open() does), waiting up to wait_seconds (0: try
 * once) for another holder to let go. Returns 0 with *lock set (release
 * it with store_unlock()), 1 when still busy after the wait (err says so),
 * -1 on error. The lock dies with the process, so a crash never leaves it
 * taken. */
int store_lock(const char *state_dir, double wait_seconds,
	       struct store_lock **lock, struct mc_err *err);
void store_unlock(struct store_lock *lock);

#endif
