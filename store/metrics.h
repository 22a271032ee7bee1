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
};

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

/* metrics_render() then metrics_write_file(). */
int metrics_write(struct mc_store *st, const struct metrics_opts *opts,
		  const char *path, struct mc_err *err);

#endif
