/* Severities, findings, visible text and name syntax for the DNS checks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checkutil.h"

static int rank(int sev)
{
	switch (sev) {
	case MC_CHK_OK:
		return 0;
	case MC_CHK_WARNING:
		return 1;
	case MC_CHK_UNKNOWN:
		return 2;
	default:
		return 3;
	}
}

int check_severity_worse(int a, int b)
{
	return rank(a) >= rank(b) ? a : b;
}

const char *check_severity_name(int sev)
{
	switch (sev) {
	case MC_CHK_OK:
		return "OK";
	case MC_CHK_WARNING:
		return "WARNING";
	case MC_CHK_CRITICAL:
		return "CRITICAL";
	default:
		return "UNKNOWN";
	}
}

void findings_add(struct mc_findings *f, int severity, const char *fmt, ...)
{
	char msg[512];
	struct mc_finding *v;
	va_list ap;

	f->severity = check_severity_worse(f->severity, severity);
	if (f->n >= MC_CHK_MAX_FINDINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v = realloc(f->v, (f->n + 1) * sizeof(*v));
	if (!v) {
		f->oom = 1;
		return;
	}
	f->v = v;
	v[f->n].severity = severity;
	v[f->n].message = strdup(msg);
	if (!v[f->n].message) {
		f->oom = 1;
		return;
	}
	f->n++;
}

void findings_clear(struct mc_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].message);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

char *check_visible(const char *s)
{
	size_t n, j = 0;
	char *out;

	if (!s)
		return NULL;
	n = strlen(s);
	out = malloc(4 * n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!check_byte_visible(c)) {
			snprintf(out + j, 5, "\\x%02x", c);
			j += 4;
		} else {
			out[j++] = (char)c;
		}
	}
	out[j] = '\0';
	return out;
}

json_t *check_json_str(const char *s)
{
	char *v;
	json_t *j;

	if (!s)
		return json_null();
	v = check_visible(s);
	j = v ? json_string(v) : NULL;
	free(v);
	return j;
}

int check_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0, label = 0;

	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > MC_CHK_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		/* ASCII only: isalnum() follows the locale. */
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

int check_name_normalize(const char *s, char *out, size_t n)
{
	size_t len = strlen(s);

	if (len && s[len - 1] == '.')
		len--;
	if (len >= n)
		return -1;
	for (size_t i = 0; i < len; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
			s[i];
	out[len] = '\0';
	return 0;
}
