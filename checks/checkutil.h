/* What the deliverability checks (mx, ptr, dmarc, dnsbl, check) share:
 * severities and a list of findings ("problems"), DNS text made safe for
 * terminals and JSON, and the syntax check of names given by users. Pure
 * helpers; nothing here does DNS or I/O. */
#ifndef MC_CHECKUTIL_H
#define MC_CHECKUTIL_H

#include <jansson.h>
#include <stddef.h>

/* Severities as the monitoring-plugins exit codes (DESIGN.md). Named apart
 * from probe_state.h's enum so both can be included together. */
enum {
	MC_CHK_OK = 0,
	MC_CHK_WARNING = 1,
	MC_CHK_CRITICAL = 2,
	MC_CHK_UNKNOWN = 3,
};

#define MC_CHK_MAX_FINDINGS 256      /* per list; more are dropped */
#define MC_CHK_NAME_MAX 253          /* a domain name, without a final dot */

struct mc_finding {
	int severity;
	char *message;
};

/* A list of findings and the worst severity among them. Starts zeroed. */
struct mc_findings {
	struct mc_finding *v;
	size_t n;
	int severity;
	int oom;                     /* an add failed for lack of memory */
};

/* The worse of two severities: CRITICAL > UNKNOWN > WARNING > OK. UNKNOWN
 * ranks above WARNING because "cannot tell" may hide a failure; CRITICAL
 * stays on top because a known failure is worth more than a doubt. */
int check_severity_worse(int a, int b);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *check_severity_name(int sev);

/* Appends a finding (printf-style, truncated at 512 bytes). Severity OK
 * is recorded too (a note) but does not raise f->severity. */
void findings_add(struct mc_findings *f, int severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Frees the messages and the array; f is left zeroed. NULL is ok. */
void findings_clear(struct mc_findings *f);

/* The bytes check_visible() keeps as they are: printable ASCII. */
static inline int check_byte_visible(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* DNS data may hold any byte: control and non-ASCII bytes become \xNN so
 * terminals and JSON (UTF-8) get plain text. Returns a new string (caller
 * frees), or NULL when out of memory. s NULL gives NULL. */
char *check_visible(const char *s);

/* A JSON string of check_visible(s); JSON null for s NULL. NULL only when
 * out of memory. */
json_t *check_json_str(const char *s);

/* 1 if s is a host or zone name a user may give: 1..253 bytes (one final
 * dot allowed and not counted), labels 1..63 bytes of letters, digits,
 * '-' and '_', no empty label. Else 0. */
int check_name_valid(const char *s);

/* Copies s lower-cased (ASCII) without a final dot into out (size n).
 * Returns 0, or -1 if it does not fit. */
int check_name_normalize(const char *s, char *out, size_t n);

#endif
