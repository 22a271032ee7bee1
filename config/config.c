/* Config loading: libinih splits the INI syntax; everything else (section
 * names, keys, values, cross-references, secrets) is checked here in one
 * pass, and every error names file:line. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_value.h"

#define CONFIG_MAX_SECTIONS 4096
#define CONFIG_MAX_FILE (4u * 1024 * 1024)
#define SECRET_MAX 1024

enum section_type { SEC_NONE, SEC_GLOBAL, SEC_RELAY, SEC_MAILBOX, SEC_ROUTE,
		   SEC_CHECK, SEC_ALERT, SEC_REPORT };

/* Names of referenced sections, resolved once every section is known. */
struct route_refs {
	char *relay, *mailbox, *bounces;
	int relay_line, mailbox_line, bounces_line;
	char **alerts;             /* names given to alert = */
	size_t n_alerts;
	int alerts_line;
};

/* What an [alert] section said that is checked once it is complete. */
struct alert_refs {
	int type_set;
	char *routing_key_file, *api_key_file;
};

struct parse_ctx {
	struct mc_config *cfg;
	const char *name;          /* file name for messages */
	const char *secrets_dir;   /* $CREDENTIALS_DIRECTORY or NULL */
	int inline_secret_ok;      /* file not readable by group/other */
	/* the reader's view of the text */
	const char *text;
	size_t len, pos;
	int line;
	int long_line;             /* line number of a line over INI_MAX_LINE */
	/* the current section */
	enum section_type type;
	void *cur;
	struct route_refs *refs;   /* parallel to cfg->routes */
	struct alert_refs *arefs;  /* parallel to cfg->alerts */
	char *report_relay;        /* [report] relay = */
	int report_relay_line;
	char seen[64][32];         /* keys seen in this section */
	int n_seen;
	struct mc_err *err;
};

static int fail(struct parse_ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse_ctx *c, int line, const char *fmt, ...)
{
	char msg[MC_ERR_MSG_MAX];
	va_list ap;

	if (c->err->code)          /* keep the first error */
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mc_err_set(c->err, -1, MC_COMP_CONFIG, "%s:%d: %s", c->name, line, msg);
	return 0;
}

static int open_section(struct parse_ctx *c, const char *section);

/* Sections are opened here, as their header line is read, rather than when
 * inih hands us the first key (Debian's libinih is built without
 * INI_CALL_HANDLER_ON_NEW_SECTION): that way an empty or repeated section is
 * seen too. A malformed header is left for inih to report. */
static void section_header(struct parse_ctx *c, const char *line)
{
	const char *p = line, *end;
	char name[256];

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[' || !(end = strchr(p, ']')))
		return;
	p++;
	if ((size_t)(end - p) >= sizeof(name)) {
		fail(c, c->line, "section name too long");
		return;
	}
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	open_section(c, name);
}

/* inih reads through this so that we know the line being handled (Debian's
 * libinih is built without INI_HANDLER_LINENO) and can reject lines longer
 * than inih's fixed buffer instead of having them split silently. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	size_t i = 0, max = (size_t)num - 1;

	if (c->pos >= c->len)
		return NULL;
	c->line++;
	while (c->pos < c->len && i < max) {
		char ch = c->text[c->pos++];
		str[i++] = ch;
		if (ch == '\n')
			break;
	}
	if (i == max && str[i - 1] != '\n' && c->pos < c->len) {
		if (!c->long_line)
			c->long_line = c->line;
		while (c->pos < c->len && c->text[c->pos++] != '\n')
			;
	}
	str[i] = '\0';
	section_header(c, str);
	return str;
}

static void *grow(void **arr, size_t *n, size_t size)
{
	char *p;

	if (*n >= CONFIG_MAX_SECTIONS)
		return NULL;
	p = realloc(*arr, (*n + 1) * size);
	if (!p)
		return NULL;
	*arr = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

static int name_taken(const struct parse_ctx *c, enum section_type t,
		      const char *name)
{
	const struct mc_config *cfg = c->cfg;

	for (size_t i = 0; t == SEC_RELAY && i < cfg->n_relays; i++)
		if (strcmp(cfg->relays[i].name, name) == 0)
			return 1;
	for (size_t i = 0; t == SEC_MAILBOX && i < cfg->n_mailboxes; i++)
		if (strcmp(cfg->mailboxes[i].name, name) == 0)
			return 1;
	for (size_t i = 0; t == SEC_ROUTE && i < cfg->n_routes; i++)
		if (strcmp(cfg->routes[i].name, name) == 0)
			return 1;
	for (size_t i = 0; t == SEC_CHECK && i < cfg->n_checks; i++)
		if (strcmp(cfg->checks[i].name, name) == 0)
			return 1;
	for (size_t i = 0; t == SEC_ALERT && i < cfg->n_alerts; i++)
		if (strcmp(cfg->alerts[i].name, name) == 0)
			return 1;
	return 0;
}

/* `[relay "corp"]` arrives from inih as `relay "corp"`. */
static int open_section(struct parse_ctx *c, const char *section)
{
	static const struct {
		const char *word;
		enum section_type type;
	} types[] = {{"global", SEC_GLOBAL}, {"relay", SEC_RELAY},
		     {"mailbox", SEC_MAILBOX}, {"route", SEC_ROUTE},
		     {"check", SEC_CHECK},
		     {"alert", SEC_ALERT}, {"report", SEC_REPORT}};
	char word[32], name[128];
	const char *sp = strchr(section, ' ');
	size_t wl = sp ? (size_t)(sp - section) : strlen(section);
	struct mc_config *cfg = c->cfg;
	int line = c->line;

	c->type = SEC_NONE;
	c->cur = NULL;
	c->n_seen = 0;
	if (wl >= sizeof(word))
		return fail(c, line, "unknown section [%.40s]", section);
	memcpy(word, section, wl);
	word[wl] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(word, types[i].word) == 0)
			c->type = types[i].type;
	if (c->type == SEC_NONE)
		return fail(c, line,
			    "unknown section type '%s' (expected global, relay, mailbox, route, check, alert or report)",
			    word);
	if (c->type == SEC_GLOBAL) {
		if (sp)
			return fail(c, line, "[global] takes no name");
		c->cur = cfg;
		return 1;
	}
	if (c->type == SEC_REPORT) {
		if (sp)
			return fail(c, line, "[report] takes no name");
		if (cfg->report.line)
			return fail(c, line, "[report] is given twice (first at line %d)",
				    cfg->report.line);
		cfg->report.line = line;
		c->cur = &cfg->report;
		return 1;
	}
	if (!sp || config_value_quoted_name(sp + 1, name, sizeof(name)))
		return fail(c, line,
			    "section [%s] needs a name: [%s \"NAME\"] (letters, digits, . _ -)",
			    word, word);
	if (name_taken(c, c->type, name))
		return fail(c, line, "%s \"%s\" is defined twice", word, name);
	switch (c->type) {
	case SEC_RELAY: {
		struct mc_relay *r = grow((void **)&cfg->relays, &cfg->n_relays,
					  sizeof(*r));
		if (!r)
			break;
		r->tls_verify = 1;
		r->timeout = 30;
		r->port = -1;
		r->line = line;
		r->name = strdup(name);
		c->cur = r;
		break;
	}
	case SEC_MAILBOX: {
		struct mc_mailbox *m = grow((void **)&cfg->mailboxes,
					    &cfg->n_mailboxes, sizeof(*m));
		if (!m)
			break;
		m->tls_verify = 1;
		m->idle = 1;
		m->timeout = 30;
		m->line = line;
		m->name = strdup(name);
		c->cur = m;
		break;
	}
	case SEC_ROUTE: {
		size_t n = cfg->n_routes;
		struct route_refs *refs;
		struct mc_route *r = grow((void **)&cfg->routes, &cfg->n_routes,
					  sizeof(*r));
		if (!r)
			break;
		refs = realloc(c->refs, (n + 1) * sizeof(*refs));
		if (!refs)
			break;
		c->refs = refs;
		memset(&refs[n], 0, sizeof(refs[n]));
		r->interval = 300;
		r->warn = 120;
		r->crit = 900;
		r->line = line;
		r->name = strdup(name);
		c->cur = r;
		break;
	}
	case SEC_CHECK: {
		struct mc_check_cfg *k = grow((void **)&cfg->checks,
					      &cfg->n_checks, sizeof(*k));
		if (!k)
			break;
		k->interval = 3600;
		k->dnsbl_probe_window = 7 * 86400;
		k->line = line;
		k->name = strdup(name);
		c->cur = k;
		break;
	}
	case SEC_ALERT: {
		size_t n = cfg->n_alerts;
		struct alert_refs *arefs;
		struct mc_alert *a = grow((void **)&cfg->alerts, &cfg->n_alerts,
					  sizeof(*a));
		if (!a)
			break;
		arefs = realloc(c->arefs, (n + 1) * sizeof(*arefs));
		if (!arefs)
			break;
		c->arefs = arefs;
		memset(&arefs[n], 0, sizeof(arefs[n]));
		a->failures = 1;
		a->repeat = 3600;
		a->timeout = 10;
		a->line = line;
		a->name = strdup(name);
		c->cur = a;
		break;
	}
	default:
		break;
	}
	if (!c->cur)
		return fail(c, line, "out of memory or too many sections");
	return 1;
}

static int set_str(struct parse_ctx *c, char **dst, const char *key,
		   const char *value)
{
	free(*dst);
	*dst = *value ? strdup(value) : NULL;
	if (*value && !*dst)
		return fail(c, c->line, "%s: out of memory", key);
	return 1;
}

static int set_int(struct parse_ctx *c, int *dst, const char *key,
		   const char *value, long min, long max, int duration)
{
	long v;
	const char *why = duration ? config_value_duration(value, &v)
				   : config_value_long(value, &v);

	if (why)
		return fail(c, c->line, "%s: %s", key, why);
	if (v < min || v > max)
		return fail(c, c->line, "%s: %ld is out of range %ld..%ld", key,
			    v, min, max);
	*dst = (int)v;
	return 1;
}

static int set_seconds(struct parse_ctx *c, double *dst, const char *key,
		       const char *value)
{
	int v = 0;

	if (!set_int(c, &v, key, value, 1, 3600, 1))
		return 0;
	*dst = v;
	return 1;
}

static int set_bool(struct parse_ctx *c, int *dst, const char *key,
		    const char *value)
{
	int v = config_value_bool(value);

	if (v < 0)
		return fail(c, c->line, "%s: expected yes or no, not '%s'", key,
			    value);
	*dst = v;
	return 1;
}

static int set_tls(struct parse_ctx *c, enum mc_tls_mode *dst,
		   const char *value)
{
	if (strcmp(value, "starttls") == 0)
		*dst = MC_TLS_STARTTLS;
	else if (strcmp(value, "tls") == 0)
		*dst = MC_TLS_IMPLICIT;
	else if (strcmp(value, "none") == 0)
		*dst = MC_TLS_NONE;
	else
		return fail(c, c->line,
			    "tls: expected starttls, tls or none, not '%s'",
			    value);
	return 1;
}

static int set_list(struct parse_ctx *c, char ***dst, size_t *n,
		    const char *key, const char *value)
{
	config_value_list_free(*dst);
	*dst = config_value_list(value, n);
	if (!*dst)
		return fail(c, c->line, "%s: out of memory", key);
	return 1;
}

/* An inline secret is allowed only where nobody but the owner can read it. */
static int set_secret(struct parse_ctx *c, char **dst, const char *key,
		      const char *value)
{
	if (!c->inline_secret_ok)
		return fail(c, c->line,
			    "%s: refusing an inline secret in a file readable by group or others; use password_file or chmod 600",
			    key);
	return set_str(c, dst, key, value);
}

static int global_key(struct parse_ctx *c, const char *k, const char *v)
{
	struct mc_config *g = c->cfg;

	if (strcmp(k, "state_dir") == 0)
		return set_str(c, &g->state_dir, k, v);
	if (strcmp(k, "metrics_file") == 0)
		return set_str(c, &g->metrics_file, k, v);
	if (strcmp(k, "retention_days") == 0)
		return set_int(c, &g->retention_days, k, v, 1, 36500, 0);
	if (strcmp(k, "dns_timeout") == 0)
		return set_seconds(c, &g->dns_timeout, k, v);
	if (strcmp(k, "dns_tries") == 0)
		return set_int(c, &g->dns_tries, k, v, 1, 10, 0);
	return -1;
}

/* Keys shared by relays and mailboxes (the TLS and login part). */
struct endpoint {
	char **ca_file, **user, **password, **password_file;
	int *tls_verify;
	double *timeout;
};

static int endpoint_key(struct parse_ctx *c, struct endpoint *e,
			const char *k, const char *v)
{
	if (strcmp(k, "ca_file") == 0)
		return set_str(c, e->ca_file, k, v);
	if (strcmp(k, "tls_verify") == 0)
		return set_bool(c, e->tls_verify, k, v);
	if (strcmp(k, "user") == 0)
		return set_str(c, e->user, k, v);
	if (strcmp(k, "password") == 0)
		return set_secret(c, e->password, k, v);
	if (strcmp(k, "password_file") == 0)
		return set_str(c, e->password_file, k, v);
	if (strcmp(k, "timeout") == 0)
		return set_seconds(c, e->timeout, k, v);
	return -1;
}

static int relay_key(struct parse_ctx *c, struct mc_relay *r, const char *k,
		     const char *v)
{
	struct endpoint e = {&r->ca_file, &r->user, &r->password,
			     &r->password_file, &r->tls_verify, &r->timeout};
	int rc = endpoint_key(c, &e, k, v);

	if (rc >= 0)
		return rc;
	if (strcmp(k, "host") == 0)
		return set_str(c, &r->host, k, v);
	if (strcmp(k, "port") == 0)
		return set_int(c, &r->port, k, v, 1, 65535, 0);
	if (strcmp(k, "tls") == 0)
		return set_tls(c, &r->tls, v);
	if (strcmp(k, "helo") == 0)
		return set_str(c, &r->helo, k, v);
	return -1;
}

static int mailbox_key(struct parse_ctx *c, struct mc_mailbox *m,
		       const char *k, const char *v)
{
	struct endpoint e = {&m->ca_file, &m->user, &m->password,
			     &m->password_file, &m->tls_verify, &m->timeout};
	int rc = endpoint_key(c, &e, k, v);

	if (rc >= 0)
		return rc;
	if (strcmp(k, "url") == 0)
		return set_str(c, &m->url, k, v);
	if (strcmp(k, "junk_folders") == 0)
		return set_list(c, &m->junk_folders, &m->n_junk, k, v);
	if (strcmp(k, "bounce_mailbox") == 0)
		return set_bool(c, &m->bounce_mailbox, k, v);
	if (strcmp(k, "keep") == 0)
		return set_bool(c, &m->keep, k, v);
	if (strcmp(k, "idle") == 0)
		return set_bool(c, &m->idle, k, v);
	return -1;
}

static int ref(struct parse_ctx *c, char **dst, int *line, const char *k,
	       const char *v)
{
	*line = c->line;
	return set_str(c, dst, k, v);
}

static int route_key(struct parse_ctx *c, struct mc_route *r, const char *k,
		     const char *v)
{
	struct route_refs *refs = &c->refs[r - c->cfg->routes];

	if (strcmp(k, "relay") == 0)
		return ref(c, &refs->relay, &refs->relay_line, k, v);
	if (strcmp(k, "mailbox") == 0)
		return ref(c, &refs->mailbox, &refs->mailbox_line, k, v);
	if (strcmp(k, "bounces") == 0)
		return ref(c, &refs->bounces, &refs->bounces_line, k, v);
	if (strcmp(k, "from") == 0)
		return set_str(c, &r->from, k, v);
	if (strcmp(k, "to") == 0)
		return set_str(c, &r->to, k, v);
	if (strcmp(k, "interval") == 0)
		return set_int(c, &r->interval, k, v, 10, 7 * 86400, 1);
	if (strcmp(k, "warn") == 0)
		return set_int(c, &r->warn, k, v, 1, 7 * 86400, 1);
	if (strcmp(k, "crit") == 0)
		return set_int(c, &r->crit, k, v, 1, 7 * 86400, 1);
	if (strcmp(k, "dkim_selector") == 0)
		return set_str(c, &r->dkim_selector, k, v);
	if (strcmp(k, "alert") == 0) {
		refs->alerts_line = c->line;
		return set_list(c, &refs->alerts, &refs->n_alerts, k, v);
	}
	return -1;
}

static const char *const alert_type_names[] = {
	"exec", "webhook", "pagerduty", "opsgenie", "slack", "alertmanager"};

const char *config_alert_type_name(enum mc_alert_type t)
{
	if ((unsigned)t < sizeof(alert_type_names) / sizeof(alert_type_names[0]))
		return alert_type_names[t];
	return "?";
}

static int alert_key(struct parse_ctx *c, struct mc_alert *a, const char *k,
		     const char *v)
{
	struct alert_refs *refs = &c->arefs[a - c->cfg->alerts];

	if (strcmp(k, "type") == 0) {
		for (size_t i = 0; i < sizeof(alert_type_names) /
				       sizeof(alert_type_names[0]); i++)
			if (strcmp(v, alert_type_names[i]) == 0) {
				a->type = (enum mc_alert_type)i;
				refs->type_set = 1;
				return 1;
			}
		return fail(c, c->line,
			    "type: expected exec, webhook, pagerduty, opsgenie, slack or alertmanager, not '%.40s'",
			    v);
	}
	if (strcmp(k, "command") == 0)
		return set_str(c, &a->command, k, v);
	if (strcmp(k, "url") == 0)
		return set_str(c, &a->url, k, v);
	if (strcmp(k, "routing_key_file") == 0)
		return set_str(c, &refs->routing_key_file, k, v);
	if (strcmp(k, "api_key_file") == 0)
		return set_str(c, &refs->api_key_file, k, v);
	if (strcmp(k, "failures") == 0)
		return set_int(c, &a->failures, k, v, 1, 1000, 0);
	if (strcmp(k, "repeat") == 0)
		return set_int(c, &a->repeat, k, v, 0, 30 * 86400, 1);
	if (strcmp(k, "ca_file") == 0)
		return set_str(c, &a->ca_file, k, v);
	if (strcmp(k, "timeout") == 0)
		return set_seconds(c, &a->timeout, k, v);
	return -1;
}

const char *config_probe_ips_name(enum mc_probe_ips m)
{
	switch (m) {
	case MC_PROBE_IPS_ALL:
		return "all";
	case MC_PROBE_IPS_NO:
		return "no";
	case MC_PROBE_IPS_PUBLIC:
		break;
	}
	return "public";
}

/* public | all | no; "yes" means the default, public. */
static int set_probe_ips(struct parse_ctx *c, enum mc_probe_ips *dst,
			 const char *value)
{
	int b = config_value_bool(value);

	if (strcmp(value, "public") == 0 || b == 1)
		*dst = MC_PROBE_IPS_PUBLIC;
	else if (strcmp(value, "all") == 0)
		*dst = MC_PROBE_IPS_ALL;
	else if (b == 0)
		*dst = MC_PROBE_IPS_NO;
	else
		return fail(c, c->line,
			    "dnsbl_from_probes: expected public, all or no, not '%s'",
			    value);
	return 1;
}

static int check_key(struct parse_ctx *c, struct mc_check_cfg *k,
		     const char *key, const char *v)
{
	if (strcmp(key, "domain") == 0)
		return set_str(c, &k->domain, key, v);
	if (strcmp(key, "ips") == 0)
		return set_list(c, &k->ips, &k->n_ips, key, v);
	if (strcmp(key, "selectors") == 0)
		return set_list(c, &k->selectors, &k->n_selectors, key, v);
	if (strcmp(key, "dnsbl") == 0)
		return set_list(c, &k->dnsbl, &k->n_dnsbl, key, v);
	if (strcmp(key, "dnsbl_from_probes") == 0)
		return set_probe_ips(c, &k->dnsbl_from_probes, v);
	if (strcmp(key, "dnsbl_probe_window") == 0)
		return set_int(c, &k->dnsbl_probe_window, key, v, 3600,
			       365 * 86400, 1);
	if (strcmp(key, "interval") == 0)
		return set_int(c, &k->interval, key, v, 60, 7 * 86400, 1);
	if (strcmp(key, "alert") == 0)
		return set_list(c, &k->alerts, &k->n_alerts, key, v);
	return -1;
}

/* [report]: relay and From: of `report --mail-to`. */
static int report_key(struct parse_ctx *c, struct mc_report_cfg *r,
		      const char *k, const char *v)
{
	if (strcmp(k, "relay") == 0)
		return ref(c, &c->report_relay, &c->report_relay_line, k, v);
	if (strcmp(k, "from") == 0)
		return set_str(c, &r->from, k, v);
	return -1;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	static const char *const type_names[] = {"", "global", "relay",
						 "mailbox", "route", "check",
						 "alert", "report"};
	struct parse_ctx *c = user;
	int rc = -1;

	if (c->err->code)
		return 1;
	if (!c->cur) {
		if (c->type == SEC_NONE && !section[0])
			fail(c, c->line, "%s: key outside a section", key);
		return 1;  /* the section header was wrong: already reported */
	}
	for (int i = 0; i < c->n_seen; i++)
		if (strcmp(c->seen[i], key) == 0)
			return fail(c, c->line, "%s: key given twice", key), 1;
	if (c->n_seen < (int)(sizeof(c->seen) / sizeof(c->seen[0])))
		snprintf(c->seen[c->n_seen++], sizeof(c->seen[0]), "%s", key);
	switch (c->type) {
	case SEC_GLOBAL:
		rc = global_key(c, key, value);
		break;
	case SEC_RELAY:
		rc = relay_key(c, c->cur, key, value);
		break;
	case SEC_MAILBOX:
		rc = mailbox_key(c, c->cur, key, value);
		break;
	case SEC_ROUTE:
		rc = route_key(c, c->cur, key, value);
		break;
	case SEC_CHECK:
		rc = check_key(c, c->cur, key, value);
		break;
	case SEC_ALERT:
		rc = alert_key(c, c->cur, key, value);
		break;
	case SEC_REPORT:
		rc = report_key(c, c->cur, key, value);
		break;
	default:
		break;
	}
	if (rc < 0)
		fail(c, c->line, "unknown key '%s' in [%s]", key,
		     type_names[c->type]);
	return 1;
}

/* Reads a secret file: at most SECRET_MAX bytes, one trailing newline
 * dropped, must not be readable by others. */
static int read_secret(struct parse_ctx *c, int line, const char *what,
		       const char *path, char **out)
{
	char buf[SECRET_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(c, line, "%s: cannot read password file %s: %s",
			    what, path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(c, line, "%s: password file %s is not a regular file",
			    what, path);
	}
	if (st.st_mode & S_IROTH) {
		close(fd);
		return fail(c, line,
			    "%s: password file %s is readable by others; chmod o-r it",
			    what, path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return fail(c, line, "%s: cannot read password file %s: %s",
			    what, path, strerror(errno));
	if (n > SECRET_MAX)
		return fail(c, line, "%s: password file %s is longer than %d bytes",
			    what, path, SECRET_MAX);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0 || memchr(buf, '\n', (size_t)n))
		return fail(c, line, "%s: password file %s must hold one non-empty line",
			    what, path);
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return *out ? 1 : fail(c, line, "out of memory");
}

/* A login's secret: inline, password_file, or $CREDENTIALS_DIRECTORY/<name>
 * (systemd LoadCredential=). */
static int load_secret(struct parse_ctx *c, int line, const char *kind,
		       const char *name, const char *user, char **password,
		       char **password_file)
{
	char what[160], path[PATH_MAX];

	snprintf(what, sizeof(what), "%s \"%s\"", kind, name);
	if (!user) {
		if (*password || *password_file)
			return fail(c, line, "%s: a password needs a user", what);
		return 1;
	}
	if (*password && *password_file)
		return fail(c, line, "%s: give password or password_file, not both",
			    what);
	if (*password)
		return 1;
	if (!*password_file && c->secrets_dir) {
		snprintf(path, sizeof(path), "%s/%s", c->secrets_dir, name);
		*password_file = strdup(path);
	}
	if (!*password_file)
		return fail(c, line,
			    "%s: user is set but there is no password_file (nor $CREDENTIALS_DIRECTORY/%s)",
			    what, name);
	return read_secret(c, line, what, *password_file, password);
}

static int validate_relay(struct parse_ctx *c, struct mc_relay *r)
{
	if (!r->host)
		return fail(c, r->line, "relay \"%s\": host is required", r->name);
	if (r->port < 0)
		r->port = r->tls == MC_TLS_IMPLICIT ? 465 : 587;
	return load_secret(c, r->line, "relay", r->name, r->user, &r->password,
			   &r->password_file);
}

static int validate_mailbox(struct parse_ctx *c, struct mc_mailbox *m)
{
	const char *why;

	if (!m->url)
		return fail(c, m->line, "mailbox \"%s\": url is required", m->name);
	why = config_value_imap_url(m->url, &m->host, &m->port, &m->folder,
				    &m->tls);
	if (why)
		return fail(c, m->line, "mailbox \"%s\": url: %s", m->name, why);
	if (!m->user)
		return fail(c, m->line, "mailbox \"%s\": user is required",
			    m->name);
	if (!m->junk_folders && !(m->junk_folders = calloc(1, sizeof(char *))))
		return fail(c, m->line, "out of memory");
	return load_secret(c, m->line, "mailbox", m->name, m->user,
			   &m->password, &m->password_file);
}

static struct mc_relay *find_relay(const struct mc_config *cfg, const char *n)
{
	for (size_t i = 0; i < cfg->n_relays; i++)
		if (strcmp(cfg->relays[i].name, n) == 0)
			return &cfg->relays[i];
	return NULL;
}

static struct mc_mailbox *find_mailbox(const struct mc_config *cfg,
				       const char *n)
{
	for (size_t i = 0; i < cfg->n_mailboxes; i++)
		if (strcmp(cfg->mailboxes[i].name, n) == 0)
			return &cfg->mailboxes[i];
	return NULL;
}

static int validate_route(struct parse_ctx *c, struct mc_route *r,
			  const struct route_refs *refs)
{
	const char *what = r->name;

	if (!refs->relay)
		return fail(c, r->line, "route \"%s\": relay is required", what);
	if (!(r->relay = find_relay(c->cfg, refs->relay)))
		return fail(c, refs->relay_line,
			    "route \"%s\": relay \"%s\" is not defined", what,
			    refs->relay);
	if (!refs->mailbox)
		return fail(c, r->line, "route \"%s\": mailbox is required", what);
	if (!(r->mailbox = find_mailbox(c->cfg, refs->mailbox)))
		return fail(c, refs->mailbox_line,
			    "route \"%s\": mailbox \"%s\" is not defined", what,
			    refs->mailbox);
	if (refs->bounces && !(r->bounces = find_mailbox(c->cfg, refs->bounces)))
		return fail(c, refs->bounces_line,
			    "route \"%s\": bounces mailbox \"%s\" is not defined",
			    what, refs->bounces);
	if (!r->from || config_value_address(r->from))
		return fail(c, r->line, "route \"%s\": from must be an address like probe@example.net",
			    what);
	if (!r->to || config_value_address(r->to))
		return fail(c, r->line, "route \"%s\": to must be an address like canary@example.com",
			    what);
	if (r->warn >= r->crit)
		return fail(c, r->line, "route \"%s\": warn (%d s) must be less than crit (%d s)",
			    what, r->warn, r->crit);
	if (!(r->alerts = calloc(refs->n_alerts + 1, sizeof(*r->alerts))))
		return fail(c, r->line, "out of memory");
	for (size_t i = 0; i < refs->n_alerts; i++) {
		struct mc_alert *a = config_alert(c->cfg, refs->alerts[i]);

		if (!a)
			return fail(c, refs->alerts_line,
				    "route \"%s\": alert \"%s\" is not defined",
				    what, refs->alerts[i]);
		for (size_t j = 0; j < r->n_alerts; j++)
			if (r->alerts[j] == a)
				return fail(c, refs->alerts_line,
					    "route \"%s\": alert \"%s\" is listed twice",
					    what, a->name);
		r->alerts[r->n_alerts++] = a;
	}
	return 1;
}

/* A host or zone name: labels of letters, digits, '-' and '_' (1..63
 * bytes), 1..253 bytes in all, one final dot allowed. */
static int host_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!label)
				return 0;
			label = 0;
		} else if (!(s[i] >= 'a' && s[i] <= 'z') &&
			   !(s[i] >= 'A' && s[i] <= 'Z') &&
			   !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' &&
			   s[i] != '_') {
			return 0;
		} else if (++label > 63) {
			return 0;
		}
	}
	return label > 0;
}

static int validate_check(struct parse_ctx *c, struct mc_check_cfg *k)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *what = k->name;

	if (!k->domain)
		return fail(c, k->line, "check \"%s\": domain is required", what);
	if (!host_name_ok(k->domain))
		return fail(c, k->line, "check \"%s\": domain '%s' is not a domain name",
			    what, k->domain);
	for (size_t i = 0; i < k->n_ips; i++)
		if (inet_pton(AF_INET, k->ips[i], buf) != 1 &&
		    inet_pton(AF_INET6, k->ips[i], buf) != 1)
			return fail(c, k->line, "check \"%s\": ips: '%s' is not an IP address",
				    what, k->ips[i]);
	for (size_t i = 0; i < k->n_selectors; i++)
		if (!host_name_ok(k->selectors[i]))
			return fail(c, k->line, "check \"%s\": selectors: '%s' is not a DKIM selector",
				    what, k->selectors[i]);
	for (size_t i = 0; i < k->n_dnsbl; i++) {
		const char *z = k->dnsbl[i];

		if (strncmp(z, "domain:", 7) == 0)
			z += 7;
		if (!host_name_ok(z))
			return fail(c, k->line, "check \"%s\": dnsbl: '%s' is not a zone (ZONE or domain:ZONE)",
				    what, k->dnsbl[i]);
	}
	for (size_t i = 0; i < k->n_alerts; i++)
		if (!config_alert(c->cfg, k->alerts[i]))
			return fail(c, k->line, "check \"%s\": alert \"%s\" is not defined",
				    what, k->alerts[i]);
	if ((!k->ips && !(k->ips = calloc(1, sizeof(char *)))) ||
	    (!k->selectors && !(k->selectors = calloc(1, sizeof(char *)))) ||
	    (!k->alerts && !(k->alerts = calloc(1, sizeof(char *)))))
		return fail(c, k->line, "out of memory");
	return 1;
}

/* https://, or http:// to a loopback host only (tests, local relays):
 * alert payloads name routes and failures and must not cross a network
 * in cleartext. */
static const char *alert_url_check(const char *url)
{
	const char *h, *end;
	size_t n;

	if (strncmp(url, "https://", 8) == 0)
		return url[8] && url[8] != '/' ? NULL : "no host";
	if (strncmp(url, "http://", 7) != 0)
		return "expected an https:// URL (or http:// to a loopback address)";
	h = url + 7;
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)))
		return "credentials in the URL are not allowed";
	n = (size_t)(end - h);
	if ((n >= 4 && strncmp(h, "127.", 4) == 0) ||
	    (n >= 9 && strncmp(h, "localhost", 9) == 0 &&
	     (n == 9 || h[9] == ':')) ||
	    (n >= 5 && strncmp(h, "[::1]", 5) == 0))
		return NULL;
	return "http:// is allowed to loopback addresses only; use https://";
}

/* exec: argv split on spaces and tabs; no shell, no quoting. */
static int alert_split_command(struct parse_ctx *c, struct mc_alert *a)
{
	size_t n = 0;
	char *copy, *tok, *save = NULL;

	if (!(copy = strdup(a->command)) ||
	    !(a->argv = calloc(strlen(a->command) / 2 + 2, sizeof(char *)))) {
		free(copy);
		return fail(c, a->line, "out of memory");
	}
	for (tok = strtok_r(copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save))
		if (!(a->argv[n++] = strdup(tok))) {
			free(copy);
			return fail(c, a->line, "out of memory");
		}
	free(copy);
	if (n == 0 || a->argv[0][0] != '/')
		return fail(c, a->line,
			    "alert \"%s\": command must start with an absolute path (it is run without a shell)",
			    a->name);
	return 1;
}

static int validate_alert(struct parse_ctx *c, struct mc_alert *a,
			  struct alert_refs *refs)
{
	const char *what = a->name, *why;
	char **file = NULL;
	const char *fkey = NULL;

	if (!refs->type_set)
		return fail(c, a->line, "alert \"%s\": type is required", what);
	if (refs->routing_key_file && a->type != MC_ALERT_PAGERDUTY)
		return fail(c, a->line, "alert \"%s\": routing_key_file is for type = pagerduty",
			    what);
	if (refs->api_key_file && a->type != MC_ALERT_OPSGENIE)
		return fail(c, a->line, "alert \"%s\": api_key_file is for type = opsgenie",
			    what);
	if (a->type == MC_ALERT_EXEC) {
		if (a->url || a->ca_file)
			return fail(c, a->line, "alert \"%s\": type = exec takes command, not url or ca_file",
				    what);
		if (!a->command)
			return fail(c, a->line, "alert \"%s\": command is required for type = exec",
				    what);
		return alert_split_command(c, a);
	}
	if (a->command)
		return fail(c, a->line, "alert \"%s\": command is for type = exec",
			    what);
	if (!a->url && a->type == MC_ALERT_PAGERDUTY)
		a->url = strdup("https://events.pagerduty.com/v2/enqueue");
	if (!a->url && a->type == MC_ALERT_OPSGENIE)
		a->url = strdup("https://api.opsgenie.com");
	if (!a->url)
		return fail(c, a->line, "alert \"%s\": url is required for type = %s",
			    what, config_alert_type_name(a->type));
	/* Slack webhook URLs are secrets themselves: not echoed in errors. */
	if ((why = alert_url_check(a->url)))
		return fail(c, a->line, "alert \"%s\": url: %s", what, why);
	if (a->type == MC_ALERT_PAGERDUTY) {
		file = &refs->routing_key_file;
		fkey = "routing_key_file";
	} else if (a->type == MC_ALERT_OPSGENIE) {
		file = &refs->api_key_file;
		fkey = "api_key_file";
	}
	if (!file)
		return 1;
	if (*file)
		a->secret_file = strdup(*file);
	else if (c->secrets_dir) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", c->secrets_dir, a->name);
		a->secret_file = strdup(path);
	}
	if (!a->secret_file)
		return fail(c, a->line,
			    "alert \"%s\": %s is required (or $CREDENTIALS_DIRECTORY/%s)",
			    what, fkey, a->name);
	{
		char label[160];

		snprintf(label, sizeof(label), "alert \"%s\"", what);
		return read_secret(c, a->line, label, a->secret_file,
				   &a->secret);
	}
}

/* [report] relay/from, defaulting to the first route's (config order). */
static int validate_report(struct parse_ctx *c, struct mc_report_cfg *r)
{
	const struct mc_config *cfg = c->cfg;

	if (c->report_relay) {
		if (!(r->relay = find_relay(cfg, c->report_relay)))
			return fail(c, c->report_relay_line,
				    "report: relay \"%s\" is not defined",
				    c->report_relay);
	} else if (cfg->n_routes) {
		r->relay = cfg->routes[0].relay;
	}
	if (r->from) {
		if (config_value_address(r->from))
			return fail(c, r->line,
				    "report: from must be an address like mailcanary@example.net");
	} else if (cfg->n_routes &&
		   !(r->from = strdup(cfg->routes[0].from))) {
		return fail(c, r->line, "out of memory");
	}
	return 1;
}

static int validate(struct parse_ctx *c)
{
	struct mc_config *cfg = c->cfg;

	if (!cfg->state_dir && !(cfg->state_dir = strdup("/var/lib/mailcanary")))
		return fail(c, 0, "out of memory");
	if (!cfg->retention_days)
		cfg->retention_days = 60;
	if (!cfg->dns_timeout)
		cfg->dns_timeout = 5;
	if (!cfg->dns_tries)
		cfg->dns_tries = 2;
	for (size_t i = 0; i < cfg->n_relays && !c->err->code; i++)
		validate_relay(c, &cfg->relays[i]);
	for (size_t i = 0; i < cfg->n_mailboxes && !c->err->code; i++)
		validate_mailbox(c, &cfg->mailboxes[i]);
	for (size_t i = 0; i < cfg->n_alerts && !c->err->code; i++)
		validate_alert(c, &cfg->alerts[i], &c->arefs[i]);
	for (size_t i = 0; i < cfg->n_routes && !c->err->code; i++)
		validate_route(c, &cfg->routes[i], &c->refs[i]);
	for (size_t i = 0; i < cfg->n_checks && !c->err->code; i++)
		validate_check(c, &cfg->checks[i]);
	if (!c->err->code)
		validate_report(c, &cfg->report);
	return !c->err->code;
}

static struct mc_config *parse(struct parse_ctx *c)
{
	int rc;

	c->cfg = calloc(1, sizeof(*c->cfg));
	if (!c->cfg) {
		mc_err_set(c->err, -1, MC_COMP_CONFIG, "%s: out of memory", c->name);
		return NULL;
	}
	c->cfg->path = strdup(c->name);
	rc = ini_parse_stream(reader, c, handler, c);
	if (c->long_line)
		fail(c, c->long_line, "line longer than %d characters",
		     INI_MAX_LINE - 2);
	if (rc > 0)
		fail(c, rc, "syntax error (expected [section], key = value, or a comment)");
	else if (rc < 0)
		fail(c, 0, "cannot parse");
	if (!c->err->code)
		validate(c);
	for (size_t i = 0; i < c->cfg->n_routes; i++) {
		free(c->refs[i].relay);
		free(c->refs[i].mailbox);
		free(c->refs[i].bounces);
		config_value_list_free(c->refs[i].alerts);
	}
	free(c->refs);
	for (size_t i = 0; i < c->cfg->n_alerts; i++) {
		free(c->arefs[i].routing_key_file);
		free(c->arefs[i].api_key_file);
	}
	free(c->arefs);
	free(c->report_relay);
	if (c->err->code) {
		config_free(c->cfg);
		return NULL;
	}
	return c->cfg;
}

struct mc_config *config_load_string(const char *text, const char *name,
				     const char *secrets_dir,
				     struct mc_err *err)
{
	struct parse_ctx c = {.name = name, .secrets_dir = secrets_dir,
			      .inline_secret_ok = 1, .text = text,
			      .len = strlen(text), .err = err};

	mc_err_clear(err);
	return parse(&c);
}

struct mc_config *config_load(const char *path, struct mc_err *err)
{
	struct parse_ctx c = {.name = path, .err = err};
	struct mc_config *cfg = NULL;
	char *text = NULL;
	struct stat st;
	FILE *f;

	mc_err_clear(err);
	f = fopen(path, "re");
	if (!f) {
		mc_err_set(err, -1, MC_COMP_CONFIG, "%s: cannot open: %s", path,
			   strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_MAX_FILE) {
		mc_err_set(err, -1, MC_COMP_CONFIG,
			   "%s: not a regular file of at most %u bytes", path,
			   CONFIG_MAX_FILE);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text || fread(text, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		mc_err_set(err, -1, MC_COMP_CONFIG, "%s: cannot read", path);
		goto out;
	}
	text[st.st_size] = '\0';
	if (memchr(text, '\0', (size_t)st.st_size)) {
		mc_err_set(err, -1, MC_COMP_CONFIG, "%s: contains a NUL byte", path);
		goto out;
	}
	c.text = text;
	c.len = (size_t)st.st_size;
	c.inline_secret_ok = !(st.st_mode & (S_IRWXG | S_IRWXO));
	c.secrets_dir = getenv("CREDENTIALS_DIRECTORY");
	cfg = parse(&c);
out:
	free(text);
	fclose(f);
	return cfg;
}

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void config_free(struct mc_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_relays; i++) {
		struct mc_relay *r = &cfg->relays[i];
		free(r->name);
		free(r->host);
		free(r->ca_file);
		free(r->user);
		free_secret(r->password);
		free(r->password_file);
		free(r->helo);
	}
	for (size_t i = 0; i < cfg->n_mailboxes; i++) {
		struct mc_mailbox *m = &cfg->mailboxes[i];
		free(m->name);
		free(m->url);
		free(m->host);
		free(m->folder);
		free(m->ca_file);
		free(m->user);
		free_secret(m->password);
		free(m->password_file);
		config_value_list_free(m->junk_folders);
	}
	for (size_t i = 0; i < cfg->n_routes; i++) {
		struct mc_route *r = &cfg->routes[i];
		free(r->name);
		free(r->from);
		free(r->to);
		free(r->dkim_selector);
		free(r->alerts);
	}
	for (size_t i = 0; i < cfg->n_checks; i++) {
		struct mc_check_cfg *k = &cfg->checks[i];
		free(k->name);
		free(k->domain);
		config_value_list_free(k->ips);
		config_value_list_free(k->selectors);
		config_value_list_free(k->dnsbl);
		config_value_list_free(k->alerts);
	}
	for (size_t i = 0; i < cfg->n_alerts; i++) {
		struct mc_alert *a = &cfg->alerts[i];
		free(a->name);
		free(a->command);
		config_value_list_free(a->argv);
		free(a->url);
		free_secret(a->secret);
		free(a->secret_file);
		free(a->ca_file);
	}
	free(cfg->report.from);
	free(cfg->alerts);
	free(cfg->relays);
	free(cfg->mailboxes);
	free(cfg->routes);
	free(cfg->checks);
	free(cfg->path);
	free(cfg->state_dir);
	free(cfg->metrics_file);
	free(cfg);
}

struct mc_route *config_route(const struct mc_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (strcmp(cfg->routes[i].name, name) == 0)
			return &cfg->routes[i];
	return NULL;
}

struct mc_check_cfg *config_check(const struct mc_config *cfg,
				  const char *name)
{
	for (size_t i = 0; i < cfg->n_checks; i++)
		if (strcmp(cfg->checks[i].name, name) == 0)
			return &cfg->checks[i];
	return NULL;
}

struct mc_alert *config_alert(const struct mc_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_alerts; i++)
		if (strcmp(cfg->alerts[i].name, name) == 0)
			return &cfg->alerts[i];
	return NULL;
}
