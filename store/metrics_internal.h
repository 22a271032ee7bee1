/* Shared by metrics.c (rendering) and metrics_file.c (writing). */
#ifndef MC_METRICS_INTERNAL_H
#define MC_METRICS_INTERNAL_H

/* The last family of every rendered file, and so its last line. */
#define METRICS_LAST_RUN "mailcanary_last_run_timestamp_seconds"

/* v as the exposition format wants it: integers without a fraction,
 * others with the fewest digits that read back exactly, +Inf/-Inf/NaN. */
void metrics_fmt_num(double v, char buf[40]);

#endif
