/* Prometheus metrics from the store, in the text exposition format 0.0.4
 * (what node_exporter's textfile collector reads), written atomically so a
 * scrape never sees half a file. Reads the store; never writes it.
 *
 * Families (seconds and Unix timestamps as base units):
 *   mailcanary_probe_delivery_seconds{route}            histogram
 *   mailcanary_probe_state{route,state}                  gauge 1/0
 *   mailcanary_probe_severity{route}                     gauge 0..3
 *   mailcanary_probe_last_success_timestamp_seconds{route}
 *   mailcanary_probe_hop_delay_seconds{route,hop}        newest found probe
 *   mailcanary_probe_greylist_delay_seconds{route}       newest found probe
 *   mailcanary_probes_total{route,state}                 counter
 *   mailcanary_check_severity{check}
 *   mailcanary_dnsbl_listed{check}                       listings in the
 *                                                        newest result
 *   mailcanary_last_run_timestamp_seconds
 * A family with no sample is left out; a route never judged has only its
 * histogram and counters (all 0). */
#ifndef MC_METRICS_H
#define MC_METRICS_H

#include <stddef.h>

#include "mc_buf.h"
#include "mc_err.h"
#include "store/store.h"

struct metrics_opts {
	/* Routes to report, in this order (the config's); NULL: every route
	 * the store knows, by name. Borrowed. */
	const char *const *routes;
	size_t n_routes;
	/* The last run's time to report; 0: the store's (store_last_run). */
	double last_run;
};

/* What identifies a metrics file as written (see metrics_refresh): its
 * inode, size and modification time, and a hash of the route list. */
#define METRICS_SIG_MAX 96

/* Appends the exposition text to out. opts may be NULL (every route). */
int metrics_render(struct mc_store *st, const struct metrics_opts *opts,
		   struct mc_buf *out, struct mc_err *err);

/* Writes data[0..len) to path atomically: path.tmp.<pid> in the same
 * directory, mode 0644 (node_exporter runs as another user), renamed over
 * path (not synced: the next tick rewrites it). On failure path is
 * untouched and the
 * temporary file removed. */
int metrics_write_file(const char *path, const char *data, size_t len,
		       struct mc_err *err);

/* metrics_render() then metrics_write_file(). When sig is not NULL it
 * receives the written file's signature. */
int metrics_write(struct mc_store *st, const struct metrics_opts *opts,
		  const char *path, char *sig, struct mc_err *err);

/* For a tick that changed nothing in the store: when path is still the
 * file whose signature is sig, rendered for the same routes, rewrites it
 * (atomically, like metrics_write_file) with only the last-run sample
 * set to opts->last_run, and puts the new signature in newsig -- without
 * rendering, which is most of an idle tick with many routes. Returns 0
 * when done, 1 when the file is not that file any more (missing,
 * replaced, edited, other routes, sig NULL or unreadable: render it
 * instead), -1 on a write error (err filled). */
int metrics_refresh(const char *path, const struct metrics_opts *opts,
		    const char *sig, char *newsig, struct mc_err *err);

#endif
