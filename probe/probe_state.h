/* The final states of a probe (DESIGN.md "Probe message and states"), their
 * names and severities, and the judgement of an arrival against a route's
 * thresholds. Pure: no I/O, no clock. */
#ifndef MC_PROBE_STATE_H
#define MC_PROBE_STATE_H

enum mc_probe_state {
	PROBE_PENDING = 0,      /* sent, nothing known yet */
	PROBE_DELIVERED,
	PROBE_SLOW,
	PROBE_JUNK,
	PROBE_GREYLISTED,
	PROBE_DEFERRED,
	PROBE_BOUNCED,
	PROBE_REJECTED,
	PROBE_LOST,
	PROBE_ERROR,
};

enum mc_severity {
	MC_SEV_OK = 0,
	MC_SEV_WARNING = 1,
	MC_SEV_CRITICAL = 2,
	MC_SEV_UNKNOWN = 3,
};

/* "delivered", "slow", ... (static storage). */
const char *probe_state_name(enum mc_probe_state st);

/* Parses a name back; returns -1 if unknown. */
int probe_state_parse(const char *name, enum mc_probe_state *st);

/* Severity of a final state per DESIGN.md (greylisted is judged by its
 * delay, so pass the delivery time and warn threshold). */
enum mc_severity probe_state_severity(enum mc_probe_state st,
				      double delivery_seconds, int warn);

/* Judges a found probe: in a junk folder -> junk; slower than warn ->
 * slow; else delivered. */
enum mc_probe_state probe_state_judge_found(int junk,
					    double delivery_seconds, int warn);

#endif
