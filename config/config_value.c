#include "config_value.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int config_value_quoted_name(const char *s, char *out, size_t out_size)
{
	size_t n = 0;

	if (*s++ != '"')
		return -1;
	while (*s && *s != '"') {
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return -1;
		if (n + 1 >= out_size)
			return -1;
		out[n++] = *s++;
	}
	if (*s != '"' || s[1] != '\0' || n == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

const char *config_value_long(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	if (!*s || isspace((unsigned char)*s))
		return "expected a number";
	v = strtol(s, &end, 10);
	if (errno || *end)
		return "expected a whole number";
	*out = v;
	return NULL;
}

const char *config_value_duration(const char *s, long *out)
{
	static const struct {
		char unit;
		long scale;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char *end;
	long v;

	errno = 0;
	if (!*s || !isdigit((unsigned char)*s))
		return "expected seconds, or a number with unit s, m, h or d";
	v = strtol(s, &end, 10);
	if (errno)
		return "number too large";
	if (*end == '\0') {
		*out = v;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (end[0] == units[i].unit && end[1] == '\0') {
			if (v > 100L * 365 * 86400 / units[i].scale)
				return "duration too large";
			*out = v * units[i].scale;
			return NULL;
		}
	}
	return "expected seconds, or a number with unit s, m, h or d";
}

int config_value_bool(const char *s)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

void config_value_list_free(char **list)
{
	if (!list)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

char **config_value_list(const char *s, size_t *n)
{
	size_t cap = 1, count = 0;
	char **list;

	for (const char *p = s; *p; p++)
		cap += *p == ',';
	list = calloc(cap + 1, sizeof(*list));
	if (!list)
		return NULL;
	while (*s) {
		const char *end = strchr(s, ',');
		const char *e = end ? end : s + strlen(s);
		const char *b = s;

		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (e > b && !(list[count++] = strndup(b, (size_t)(e - b)))) {
			config_value_list_free(list);
			return NULL;
		}
		if (!end)
			break;
		s = end + 1;
	}
	*n = count;
	return list;
}

int config_value_address(const char *s)
{
	const char *at = strrchr(s, '@');

	if (!at || at == s || !at[1] || strlen(s) > 254)
		return -1;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[],;\\\"", *p) ||
		    (unsigned char)*p == 0x7f)
			return -1;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

const char *config_value_imap_url(const char *url, char **host, int *port,
				  char **folder, enum mc_tls_mode *tls)
{
	const char *p, *h, *he, *path;
	char *dec;
	size_t n = 0;
	long v;

	if (strncasecmp(url, "imaps://", 8) == 0) {
		*tls = MC_TLS_IMPLICIT;
		*port = 993;
		p = url + 8;
	} else if (strncasecmp(url, "imap://", 7) == 0) {
		*tls = MC_TLS_STARTTLS;
		*port = 143;
		p = url + 7;
	} else {
		return "expected imap://host/FOLDER or imaps://host/FOLDER";
	}
	if (strchr(p, '@'))
		return "put the user in 'user', not in the url";
	if (*p == '[') {
		h = p + 1;
		he = strchr(h, ']');
		if (!he)
			return "unclosed [ in IPv6 host";
		p = he + 1;
	} else {
		h = p;
		p += strcspn(p, ":/");
		he = p;
	}
	if (he == h)
		return "missing host";
	if (*p == ':') {
		char buf[8];
		size_t pl = strcspn(p + 1, "/");
		if (pl == 0 || pl >= sizeof(buf))
			return "bad port";
		memcpy(buf, p + 1, pl);
		buf[pl] = '\0';
		if (config_value_long(buf, &v) || v < 1 || v > 65535)
			return "bad port";
		*port = (int)v;
		p += 1 + pl;
	}
	if (*p && *p != '/')
		return "bad host";
	path = *p ? p + 1 : "";
	if (strpbrk(path, "?#;"))
		return "query, fragment and ;parameters are not supported";
	dec = malloc(strlen(path) + 6);
	if (!dec)
		return "out of memory";
	for (const char *q = path; *q; q++) {
		if (*q == '%') {
			int a = hexval(q[1]), b = a < 0 ? -1 : hexval(q[2]);
			if (a < 0 || b < 0 || (a == 0 && b == 0)) {
				free(dec);
				return "bad %-escape in folder";
			}
			dec[n++] = (char)(a * 16 + b);
			q += 2;
		} else {
			dec[n++] = *q;
		}
	}
	if (n == 0)
		memcpy(dec, "INBOX", (n = 5));
	dec[n] = '\0';
	*host = strndup(h, (size_t)(he - h));
	*folder = dec;
	if (!*host) {
		free(dec);
		*folder = NULL;
		return "out of memory";
	}
	return NULL;
}
