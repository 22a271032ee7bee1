/* DNSBL queries and the meaning of their answers. One A query per (target,
 * list), all at once; a listing's callback asks for its TXT reason. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dnsbl.h"
#include "checks/ipaddr.h"

/* A short, commonly used set: Spamhaus ZEN (SBL+XBL+PBL), SpamCop,
 * Barracuda, SORBS, PSBL, and the Spamhaus domain list. Spamhaus answers
 * 127.255.255.254 through public resolvers: that is reported as an error
 * for the list, not as a listing. */
const char *const mc_dnsbl_default_lists[] = {
	"zen.spamhaus.org",
	"bl.spamcop.net",
	"b.barracudacentral.org",
	"dnsbl.sorbs.net",
	"psbl.surriel.com",
	MC_DNSBL_DOMAIN_PREFIX "dbl.spamhaus.org",
	NULL,
};

struct dnsbl_slot {
	struct mc_dnsbl_lookup *l;
	size_t entry;
	char *name;                    /* the query name, for the TXT */
};

struct mc_dnsbl_lookup {
	struct mc_dns *dns;
	struct mc_dnsbl_result *r;
	struct dnsbl_slot *slots;      /* one per entry */
	size_t n_slots;
	char (*why)[128];              /* per entry: the A answer's trouble */
	size_t outstanding;
	int oom;
};

int dnsbl_list_parse(const char *spec, struct mc_dnsbl_list *out,
		     struct mc_err *err)
{
	size_t pn = strlen(MC_DNSBL_DOMAIN_PREFIX);
	const char *zone = spec;

	memset(out, 0, sizeof(*out));
	if (strncmp(spec, MC_DNSBL_DOMAIN_PREFIX, pn) == 0) {
		out->domain = 1;
		zone = spec + pn;
	}
	if (!check_name_valid(zone) ||
	    check_name_normalize(zone, out->zone, sizeof(out->zone)))
		return mc_err_set(err, -1, MC_COMP_BLOCKLIST,
				  "'%.80s' is not a DNSBL zone name", spec);
	return 0;
}

const char *dnsbl_status_name(enum mc_dnsbl_status st)
{
	switch (st) {
	case MC_DNSBL_CLEAN:
		return "clean";
	case MC_DNSBL_LISTED:
		return "listed";
	case MC_DNSBL_ERROR:
		break;
	case MC_DNSBL_TIMEOUT:
		return "timeout";
	}
	return "error";
}

/* What an answer address means when it is not a listing; NULL if it is
 * one. */
static const char *error_code(const unsigned char b[4])
{
	if (b[0] != 127)
		return "outside 127.0.0.0/8: not a DNSBL answer (a lapsed or wildcarded zone, or a rewriting resolver)";
	if (b[1] == 255 && b[2] == 255) {
		switch (b[3]) {
		case 252:
			return "typing error in the list's name (Spamhaus)";
		case 254:
			return "queries through a public or open resolver are refused (Spamhaus)";
		case 255:
			return "too many queries: rate limited (Spamhaus)";
		default:
			return "an error code of the list (127.255.255.0/24, Spamhaus)";
		}
	}
	if (b[1] == 0 && b[2] == 1 && b[3] == 255)
		return "the query is not allowed (Spamhaus DBL 127.0.1.255)";
	if (b[1] == 0 && b[2] == 0 && b[3] == 1)
		return "127.0.0.1 is no listing (RFC 5782 section 5); URIBL and SURBL answer it when they refuse queries";
	return NULL;
}

enum mc_dnsbl_status dnsbl_classify(const struct in_addr *a, size_t n,
				    char *why, size_t why_size)
{
	if (why_size)
		why[0] = '\0';
	if (n == 0)
		return MC_DNSBL_CLEAN;
	for (size_t i = 0; i < n; i++) {
		unsigned char b[4];
		const char *e;

		memcpy(b, &a[i], 4);
		e = error_code(b);
		if (e) {
			snprintf(why, why_size, "%u.%u.%u.%u: %s", b[0], b[1],
				 b[2], b[3], e);
			return MC_DNSBL_ERROR;
		}
	}
	return MC_DNSBL_LISTED;
}

static void on_txt(void *arg, struct mc_dns_result *res)
{
	struct dnsbl_slot *s = arg;
	struct mc_dnsbl_lookup *l = s->l;
	struct mc_dnsbl_entry *e = &l->r->entries[s->entry];
	char buf[MC_DNSBL_MAX_TXT + 1];
	size_t used = 0;

	l->outstanding--;
	/* A reason that cannot be fetched leaves txt NULL: the listing
	 * stands on the A record alone. */
	for (size_t i = 0; res->status == MC_DNS_OK && i < res->n_rr; i++) {
		size_t room = MC_DNSBL_MAX_TXT - used;
		size_t n = res->rr[i].txt_len;

		if (i > 0 && room >= 2) {
			memcpy(buf + used, "; ", 2);
			used += 2;
			room -= 2;
		}
		if (n > room)
			n = room;
		memcpy(buf + used, res->rr[i].txt, n);
		used += n;
	}
	if (res->status == MC_DNS_OK) {
		buf[used] = '\0';
		if (!(e->txt = strdup(buf)))
			l->oom = 1;
	}
	dns_result_free(res);
}

static void on_a(void *arg, struct mc_dns_result *res)
{
	struct dnsbl_slot *s = arg;
	struct mc_dnsbl_lookup *l = s->l;
	struct mc_dnsbl_entry *e = &l->r->entries[s->entry];
	char *why = l->why[s->entry];
	struct in_addr addrs[MC_DNS_MAX_RR];
	size_t n = 0;

	l->outstanding--;
	switch (res->status) {
	case MC_DNS_NXDOMAIN:
	case MC_DNS_NODATA:
		e->status = MC_DNSBL_CLEAN;
		goto out;
	case MC_DNS_TIMEOUT:
		e->status = MC_DNSBL_TIMEOUT;
		snprintf(why, 128, "no answer: %s", res->why);
		goto out;
	case MC_DNS_SERVFAIL:
	case MC_DNS_ERROR:
		e->status = MC_DNSBL_ERROR;
		snprintf(why, 128, "%s", res->why);
		goto out;
	case MC_DNS_OK:
		break;
	}
	/* Every code is judged (an error code among listings makes the
	 * answer an error); MC_DNSBL_MAX_CODES are kept for show. */
	for (size_t i = 0; i < res->n_rr; i++)
		addrs[i] = res->rr[i].addr.a;
	e->status = dnsbl_classify(addrs, res->n_rr, why, 128);
	n = res->n_rr < MC_DNSBL_MAX_CODES ? res->n_rr : MC_DNSBL_MAX_CODES;
	e->codes = calloc(n, sizeof(*e->codes));
	if (!e->codes) {
		l->oom = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char text[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &addrs[i], text, sizeof(text));
		if (!(e->codes[i] = strdup(text))) {
			l->oom = 1;
			goto out;
		}
		e->n_codes++;
	}
	if (e->status == MC_DNSBL_LISTED) {
		l->outstanding++;
		if (dns_query(l->dns, s->name, MC_DNS_TXT, on_txt, s)) {
			l->outstanding--;
			l->oom = 1;
		}
	}
out:
	dns_result_free(res);
}

/* "4.3.2.1.zone", 32 nibbles + ".zone", or "domain.zone"; NULL if the
 * result is too long to be a name. */
static char *query_name(const char *target, const struct mc_ipaddr *ip,
			const char *zone)
{
	char rev[MC_IPADDR_REVERSE_MAX];
	const char *left = ip ? ipaddr_reverse(ip, 0, 0, rev) : target;
	size_t a = strlen(left), b = strlen(zone);
	char *s;

	if (a + 1 + b > MC_CHK_NAME_MAX)
		return NULL;
	s = malloc(a + b + 2);
	if (s)
		snprintf(s, a + b + 2, "%s.%s", left, zone);
	return s;
}

static void lookup_free(struct mc_dnsbl_lookup *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_slots; i++)
		free(l->slots[i].name);
	free(l->slots);
	free(l->why);
	dnsbl_result_free(l->r);
	free(l);
}

struct mc_dnsbl_lookup *dnsbl_lookup_start(struct mc_dns *dns,
					   const char *const *targets,
					   size_t n_targets,
					   const char *const *lists,
					   size_t n_lists,
					   struct mc_err *err)
{
	struct mc_dnsbl_list *parsed = NULL;
	struct mc_ipaddr *ips = NULL;
	char (*names)[MC_CHK_NAME_MAX + 2] = NULL;
	int *is_ip = NULL;
	struct mc_dnsbl_lookup *l = NULL;
	size_t pairs = 0;

	if ((n_lists && n_targets > MC_DNSBL_MAX_QUERIES / n_lists)) {
		mc_err_set(err, -1, MC_COMP_BLOCKLIST,
			   "more than %d DNSBL queries asked for",
			   MC_DNSBL_MAX_QUERIES);
		return NULL;
	}
	parsed = calloc(n_lists ? n_lists : 1, sizeof(*parsed));
	ips = calloc(n_targets ? n_targets : 1, sizeof(*ips));
	names = calloc(n_targets ? n_targets : 1, sizeof(*names));
	is_ip = calloc(n_targets ? n_targets : 1, sizeof(*is_ip));
	l = calloc(1, sizeof(*l));
	if (!parsed || !ips || !names || !is_ip || !l)
		goto oom;
	for (size_t i = 0; i < n_lists; i++)
		if (dnsbl_list_parse(lists[i], &parsed[i], err))
			goto fail;
	for (size_t i = 0; i < n_targets; i++) {
		const char *t = targets[i];

		if (ipaddr_parse(t, strlen(t), &ips[i]) == 0) {
			char text[MC_IPADDR_TEXT_MAX];

			ipaddr_unmap(&ips[i]);
			is_ip[i] = 1;
			snprintf(names[i], sizeof(names[i]), "%s",
				 ipaddr_format(&ips[i], text));
		} else if (!check_name_valid(t) ||
			   check_name_normalize(t, names[i], sizeof(names[i]))) {
			mc_err_set(err, -1, MC_COMP_BLOCKLIST,
				   "'%.80s' is neither an IP address nor a domain name",
				   t);
			goto fail;
		}
		for (size_t k = 0; k < n_lists; k++)
			pairs += parsed[k].domain == !is_ip[i];
	}
	l->dns = dns;
	l->r = calloc(1, sizeof(*l->r));
	if (!l->r)
		goto oom;
	l->r->entries = calloc(pairs ? pairs : 1, sizeof(*l->r->entries));
	l->slots = calloc(pairs ? pairs : 1, sizeof(*l->slots));
	l->why = calloc(pairs ? pairs : 1, sizeof(*l->why));
	if (!l->r->entries || !l->slots || !l->why)
		goto oom;
	for (size_t i = 0; i < n_targets; i++) {
		for (size_t k = 0; k < n_lists; k++) {
			struct mc_dnsbl_entry *e;
			struct dnsbl_slot *s;

			if (parsed[k].domain != !is_ip[i])
				continue;
			e = &l->r->entries[l->r->n];
			s = &l->slots[l->r->n];
			l->r->n++;
			l->n_slots++;
			e->target = strdup(names[i]);
			e->list = strdup(parsed[k].zone);
			e->domain = parsed[k].domain;
			e->status = MC_DNSBL_ERROR;
			s->l = l;
			s->entry = (size_t)(e - l->r->entries);
			s->name = query_name(names[i],
					     is_ip[i] ? &ips[i] : NULL,
					     parsed[k].zone);
			if (!e->target || !e->list)
				goto oom;
			if (!s->name) {
				snprintf(l->why[s->entry], 128,
					 "the query name is too long for %s",
					 parsed[k].zone);
			}
		}
	}
	/* Only now, with every entry in place, can answers arrive. */
	for (size_t i = 0; i < l->r->n; i++) {
		if (!l->slots[i].name)
			continue;
		l->outstanding++;
		if (dns_query(dns, l->slots[i].name, MC_DNS_A, on_a,
			      &l->slots[i])) {
			l->outstanding--;
			l->oom = 1;
		}
	}
	goto out;
oom:
	mc_err_set(err, -1, MC_COMP_BLOCKLIST, "out of memory");
fail:
	lookup_free(l);
	l = NULL;
out:
	free(parsed);
	free(ips);
	free(names);
	free(is_ip);
	return l;
}

static void judge(struct mc_dnsbl_lookup *l)
{
	struct mc_dnsbl_result *r = l->r;

	for (size_t i = 0; i < r->n; i++) {
		struct mc_dnsbl_entry *e = &r->entries[i];

		if (e->status == MC_DNSBL_ERROR || e->status == MC_DNSBL_TIMEOUT) {
			/* The trouble goes where the reason would: txt. */
			if (!e->txt && !(e->txt = strdup(l->why[i][0] ?
					  l->why[i] : "no answer")))
				l->oom = 1;
			findings_add(&r->problems, MC_CHK_UNKNOWN,
				     "%s on %s: %s (%s)", e->target, e->list,
				     dnsbl_status_name(e->status),
				     e->txt ? e->txt : "");
		} else if (e->status == MC_DNSBL_LISTED) {
			char *reason = check_visible(e->txt);

			r->n_listed++;
			findings_add(&r->problems, MC_CHK_CRITICAL,
				     "%s is listed on %s (%s)%s%s", e->target,
				     e->list, e->n_codes ? e->codes[0] : "",
				     reason ? ": " : "", reason ? reason : "");
			free(reason);
		}
	}
}

struct mc_dnsbl_result *dnsbl_lookup_finish(struct mc_dnsbl_lookup *l)
{
	struct mc_dnsbl_result *r = NULL;

	if (!l)
		return NULL;
	if (l->outstanding)
		dns_cancel(l->dns);
	judge(l);
	if (!l->oom && !l->r->problems.oom) {
		r = l->r;
		l->r = NULL;
	}
	lookup_free(l);
	return r;
}

struct mc_dnsbl_result *dnsbl_lookup(struct mc_dns *dns,
				     const char *const *targets,
				     size_t n_targets,
				     const char *const *lists, size_t n_lists,
				     double deadline, struct mc_err *err)
{
	struct mc_dnsbl_lookup *l = dnsbl_lookup_start(dns, targets, n_targets,
						       lists, n_lists, err);
	struct mc_dnsbl_result *r;
	struct mc_err run_err = {0};

	if (!l)
		return NULL;
	if (dns_run(dns, deadline, NULL, &run_err))
		dns_cancel(dns);
	r = dnsbl_lookup_finish(l);
	if (!r)
		mc_err_set(err, -1, MC_COMP_BLOCKLIST, "out of memory");
	return r;
}

void dnsbl_result_free(struct mc_dnsbl_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct mc_dnsbl_entry *e = &r->entries[i];

		free(e->target);
		free(e->list);
		for (size_t k = 0; k < e->n_codes; k++)
			free(e->codes[k]);
		free(e->codes);
		free(e->txt);
	}
	free(r->entries);
	findings_clear(&r->problems);
	free(r);
}

json_t *dnsbl_result_json(const struct mc_dnsbl_result *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->n; i++) {
		const struct mc_dnsbl_entry *e = &r->entries[i];
		json_t *codes = json_array();

		for (size_t k = 0; codes && k < e->n_codes; k++)
			json_array_append_new(codes, json_string(e->codes[k]));
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o,s:o}",
			"ip", e->target, "list", e->list,
			"status", dnsbl_status_name(e->status),
			"codes", codes, "txt", check_json_str(e->txt)));
	}
	return a;
}
