/* The alert firings of a report period, rebuilt from the store's alert
 * history (table alert_events): each runs from a "firing" event to the
 * next "resolved" one of the same alert key, or is still firing. Used by
 * report_load(); the renderers read struct report_firing (report.h). */
#ifndef MC_REPORT_FIRINGS_H
#define MC_REPORT_FIRINGS_H

#include "mc_err.h"
#include "report/report.h"
#include "store/store.h"

/* Fills r->firings with the firings that overlap [r->since, r->until),
 * oldest start first. Returns 0, or -1 with err set. */
int report_firings_fill(struct report *r, struct mc_store *st,
			struct mc_err *err);

/* Frees r->firings. */
void report_firings_clear(struct report *r);

#endif
