/* DNS answers to result structs: c-ares' status and raw message in, a
 * bounded struct mc_dns_result out. The records are parsed by c-ares'
 * ares_parse_*_reply functions; this file only maps statuses, checks the
 * header once more (the fuzz target feeds it raw bytes) and enforces our
 * limits. No I/O. */
#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dns.h"

#define HEADER_LEN 12

static void set_why(struct mc_dns_result *res, enum mc_dns_status st,
		    const char *why)
{
	res->status = st;
	snprintf(res->why, sizeof(res->why), "%s", why);
}

/* Drops res's records (a packed result's stay in its one block, unused,
 * until dns_result_free()). */
static void clear_records(struct mc_dns_result *res)
{
	if (!res->packed) {
		for (size_t i = 0; i < res->n_rr; i++) {
			free(res->rr[i].name);
			free(res->rr[i].txt);
		}
		free(res->rr);
		free(res->canonical);
	}
	res->rr = NULL;
	res->n_rr = 0;
	res->canonical = NULL;
}

/* c-ares names the end of a CNAME chain in the hostent it builds: h_name
 * is that name, and h_aliases holds the aliases on the way. An answer
 * without CNAMEs has no aliases. Keeps the name only when the queried
 * name was an alias. Returns -1 (res set to ERROR) when out of memory. */
static int keep_canonical(struct mc_dns_result *res, const struct hostent *h)
{
	size_t n = strlen(res->name);

	if (!h || !h->h_name || !h->h_aliases || !h->h_aliases[0])
		return 0;
	if (n && res->name[n - 1] == '.')
		n--;
	if (strncasecmp(h->h_name, res->name, n) == 0 &&
	    (h->h_name[n] == '\0' || strcmp(h->h_name + n, ".") == 0))
		return 0;
	res->canonical = strdup(h->h_name);
	if (!res->canonical) {
		set_why(res, MC_DNS_ERROR, "out of memory");
		return -1;
	}
	return 0;
}

/* Allocates n zeroed records; returns -1 (res set to ERROR) on failure. */
static int alloc_records(struct mc_dns_result *res, size_t n)
{
	if (n > MC_DNS_MAX_RR) {
		char why[64];

		snprintf(why, sizeof(why), "answer has more than %d records",
			 MC_DNS_MAX_RR);
		set_why(res, MC_DNS_ERROR, why);
		return -1;
	}
	res->rr = calloc(n ? n : 1, sizeof(*res->rr));
	if (!res->rr) {
		set_why(res, MC_DNS_ERROR, "out of memory");
		return -1;
	}
	res->n_rr = n;
	return 0;
}

/* c-ares statuses from a parser that are not about the server. */
static void parse_failed(struct mc_dns_result *res, int st)
{
	if (st == ARES_ENODATA)
		set_why(res, MC_DNS_NODATA, "");
	else if (st == ARES_ENOMEM)
		set_why(res, MC_DNS_ERROR, "out of memory");
	else
		set_why(res, MC_DNS_ERROR, "malformed answer");
}

static void parse_a(struct mc_dns_result *res, const unsigned char *abuf,
		    int alen)
{
	/* One more slot than we keep, to notice an oversized answer. */
	struct ares_addrttl ttl[MC_DNS_MAX_RR + 1];
	struct hostent *host = NULL;
	int n = MC_DNS_MAX_RR + 1;
	int st = ares_parse_a_reply(abuf, alen, &host, ttl, &n);

	if (st != ARES_SUCCESS) {
		if (host)
			ares_free_hostent(host);
		return parse_failed(res, st);
	}
	if (n <= 0)
		set_why(res, MC_DNS_NODATA, "");
	else if (!alloc_records(res, (size_t)n) &&
		 !keep_canonical(res, host)) {
		for (int i = 0; i < n; i++)
			res->rr[i].addr.a = ttl[i].ipaddr;
		res->status = MC_DNS_OK;
	}
	ares_free_hostent(host);
}

static void parse_aaaa(struct mc_dns_result *res, const unsigned char *abuf,
		       int alen)
{
	struct ares_addr6ttl ttl[MC_DNS_MAX_RR + 1];
	struct hostent *host = NULL;
	int n = MC_DNS_MAX_RR + 1;
	int st = ares_parse_aaaa_reply(abuf, alen, &host, ttl, &n);

	if (st != ARES_SUCCESS) {
		if (host)
			ares_free_hostent(host);
		return parse_failed(res, st);
	}
	if (n <= 0)
		set_why(res, MC_DNS_NODATA, "");
	else if (!alloc_records(res, (size_t)n) &&
		 !keep_canonical(res, host)) {
		for (int i = 0; i < n; i++)
			memcpy(&res->rr[i].addr.aaaa, &ttl[i].ip6addr,
			       sizeof(res->rr[i].addr.aaaa));
		res->status = MC_DNS_OK;
	}
	ares_free_hostent(host);
}

static void parse_mx(struct mc_dns_result *res, const unsigned char *abuf,
		     int alen)
{
	struct ares_mx_reply *mx = NULL, *m;
	size_t n = 0, i = 0;
	int st = ares_parse_mx_reply(abuf, alen, &mx);

	if (st != ARES_SUCCESS)
		return parse_failed(res, st);
	for (m = mx; m; m = m->next)
		n++;
	if (n == 0) {
		/* Only CNAMEs or other types in the answer section. */
		set_why(res, MC_DNS_NODATA, "");
		goto out;
	}
	if (alloc_records(res, n))
		goto out;
	for (m = mx; m; m = m->next, i++) {
		res->rr[i].pref = m->priority;
		res->rr[i].name = strdup(m->host ? m->host : "");
		if (!res->rr[i].name) {
			clear_records(res);
			set_why(res, MC_DNS_ERROR, "out of memory");
			goto out;
		}
	}
	res->status = MC_DNS_OK;
out:
	ares_free_data(mx);
}

static void parse_txt(struct mc_dns_result *res, const unsigned char *abuf,
		      int alen)
{
	struct ares_txt_ext *txt = NULL, *t;
	size_t n = 0, i = 0;
	int st = ares_parse_txt_reply_ext(abuf, alen, &txt);

	if (st != ARES_SUCCESS)
		return parse_failed(res, st);
	/* The first piece of each record has record_start set; a malformed
	 * list that does not start with one still counts as one record. */
	for (t = txt; t; t = t->next)
		if (t->record_start || t == txt)
			n++;
	if (n == 0) {
		set_why(res, MC_DNS_NODATA, "");
		goto out;
	}
	if (alloc_records(res, n))
		goto out;
	for (t = txt; t; t = t->next) {
		struct mc_dns_rr *rr;
		char *p;

		if (t->record_start && t != txt)
			i++;
		rr = &res->rr[i];
		if (t->length > MC_DNS_MAX_TXT - rr->txt_len) {
			char why[64];

			clear_records(res);
			snprintf(why, sizeof(why),
				 "TXT record longer than %d bytes",
				 MC_DNS_MAX_TXT);
			set_why(res, MC_DNS_ERROR, why);
			goto out;
		}
		p = realloc(rr->txt, rr->txt_len + t->length + 1);
		if (!p) {
			clear_records(res);
			set_why(res, MC_DNS_ERROR, "out of memory");
			goto out;
		}
		if (t->length)
			memcpy(p + rr->txt_len, t->txt, t->length);
		rr->txt = p;
		rr->txt_len += t->length;
		rr->txt[rr->txt_len] = '\0';
	}
	/* A record of zero character-strings still gets an empty text. */
	for (i = 0; i < res->n_rr; i++) {
		if (!res->rr[i].txt && !(res->rr[i].txt = strdup(""))) {
			clear_records(res);
			set_why(res, MC_DNS_ERROR, "out of memory");
			goto out;
		}
	}
	res->status = MC_DNS_OK;
out:
	ares_free_data(txt);
}

static void parse_ptr(struct mc_dns_result *res, const unsigned char *abuf,
		      int alen)
{
	struct hostent *host = NULL;
	size_t n = 0;
	int st = ares_parse_ptr_reply(abuf, alen, NULL, 0, AF_INET, &host);

	if (st != ARES_SUCCESS)
		return parse_failed(res, st);
	/* c-ares lists every PTR target among the aliases, in order. */
	while (host->h_aliases && host->h_aliases[n])
		n++;
	if (n == 0) {
		set_why(res, MC_DNS_NODATA, "");
		goto out;
	}
	if (alloc_records(res, n))
		goto out;
	for (size_t i = 0; i < n; i++) {
		res->rr[i].name = strdup(host->h_aliases[i]);
		if (!res->rr[i].name) {
			clear_records(res);
			set_why(res, MC_DNS_ERROR, "out of memory");
			goto out;
		}
	}
	res->status = MC_DNS_OK;
out:
	ares_free_hostent(host);
}

void dns_answer_convert(struct mc_dns_result *res, int ares_status,
			const unsigned char *abuf, int alen)
{
	int rcode;

	clear_records(res);
	res->why[0] = '\0';
	switch (ares_status) {
	case ARES_SUCCESS:
		break;
	case ARES_ENODATA:
		return set_why(res, MC_DNS_NODATA, "");
	case ARES_ENOTFOUND:
		return set_why(res, MC_DNS_NXDOMAIN, "");
	case ARES_ETIMEOUT:
		return set_why(res, MC_DNS_TIMEOUT, "no answer (timeout)");
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return set_why(res, MC_DNS_TIMEOUT, "cancelled");
	case ARES_ESERVFAIL:
		return set_why(res, MC_DNS_SERVFAIL, "server failure (SERVFAIL)");
	case ARES_EREFUSED:
		return set_why(res, MC_DNS_ERROR, "query refused (REFUSED)");
	case ARES_ECONNREFUSED:
		return set_why(res, MC_DNS_ERROR,
			       "no answer from the DNS server (unreachable or connection dropped)");
	case ARES_EBADNAME:
		return set_why(res, MC_DNS_ERROR, "name cannot be queried");
	case ARES_EBADRESP:
		return set_why(res, MC_DNS_ERROR, "malformed answer");
	default:
		return set_why(res, MC_DNS_ERROR, ares_strerror(ares_status));
	}

	/* c-ares already mapped the RCODE; check again so that raw bytes
	 * (fuzzing, tests) take the same road as live answers. */
	if (!abuf || alen < HEADER_LEN)
		return set_why(res, MC_DNS_ERROR, "malformed answer");
	if (!(abuf[2] & 0x80))
		return set_why(res, MC_DNS_ERROR, "malformed answer (not a response)");
	rcode = abuf[3] & 0x0F;
	if (rcode == 3)
		return set_why(res, MC_DNS_NXDOMAIN, "");
	if (rcode == 2)
		return set_why(res, MC_DNS_SERVFAIL, "server failure (SERVFAIL)");
	if (rcode != 0)
		return set_why(res, MC_DNS_ERROR, "error response from server");
	/* c-ares retries a truncated UDP answer over TCP; one that still
	 * says TC is incomplete and must not be taken for the whole set. */
	if (abuf[2] & 0x02)
		return set_why(res, MC_DNS_ERROR, "truncated answer");
	if (abuf[6] == 0 && abuf[7] == 0)
		return set_why(res, MC_DNS_NODATA, "");

	switch (res->type) {
	case MC_DNS_A:
		return parse_a(res, abuf, alen);
	case MC_DNS_AAAA:
		return parse_aaaa(res, abuf, alen);
	case MC_DNS_MX:
		return parse_mx(res, abuf, alen);
	case MC_DNS_TXT:
		return parse_txt(res, abuf, alen);
	case MC_DNS_PTR:
		return parse_ptr(res, abuf, alen);
	}
	set_why(res, MC_DNS_ERROR, "unsupported record type");
}

struct mc_dns_result *dns_result_new(const char *name, enum mc_dns_type type)
{
	struct mc_dns_result *res = calloc(1, sizeof(*res));

	if (!res)
		return NULL;
	res->name = strdup(name ? name : "");
	if (!res->name) {
		free(res);
		return NULL;
	}
	res->type = type;
	res->status = MC_DNS_ERROR;
	return res;
}

void dns_result_free(struct mc_dns_result *res)
{
	if (!res)
		return;
	if (!res->packed) {
		clear_records(res);
		free(res->name);
	}
	free(res);
}

int dns_server_csv(const char *spec, char *out, size_t n, struct mc_err *err)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *end;
	unsigned char buf[sizeof(struct in6_addr)];
	size_t hlen;
	long portnum = 53;
	int v6;

	if (!spec || !*spec)
		return mc_err_set(err, -1, MC_COMP_DNS, "empty DNS server");
	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (!end)
			goto bad;
		hlen = (size_t)(end - spec - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
		spec++;
	} else if (strchr(spec, ':') != strrchr(spec, ':')) {
		hlen = strlen(spec);   /* bare IPv6, no port */
	} else {
		end = strchr(spec, ':');
		hlen = end ? (size_t)(end - spec) : strlen(spec);
		if (end)
			port = end + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	v6 = strchr(host, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, buf) != 1)
		goto bad;
	if (port) {
		char *e;

		if (*port < '0' || *port > '9')
			goto bad;
		portnum = strtol(port, &e, 10);
		if (*e || portnum < 1 || portnum > 65535)
			goto bad;
	}
	if ((size_t)snprintf(out, n, v6 ? "[%s]:%ld" : "%s:%ld", host,
			     portnum) >= n)
		goto bad;
	return 0;
bad:
	return mc_err_set(err, -1, MC_COMP_DNS,
			  "bad DNS server '%s' (want IP, IP:PORT or [IPv6]:PORT)",
			  spec);
}

char *dns_name_escape(const char *p, size_t n)
{
	size_t extra = 0, j = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		extra += p[i] == '\\';
	out = malloc(n + extra + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			out[j++] = '\\';
		out[j++] = p[i];
	}
	out[j] = '\0';
	return out;
}

const char *dns_status_name(enum mc_dns_status status)
{
	switch (status) {
	case MC_DNS_OK:
		return "ok";
	case MC_DNS_NXDOMAIN:
		return "nxdomain";
	case MC_DNS_NODATA:
		return "nodata";
	case MC_DNS_TIMEOUT:
		return "timeout";
	case MC_DNS_SERVFAIL:
		return "servfail";
	case MC_DNS_ERROR:
		break;
	}
	return "error";
}

const char *dns_type_name(enum mc_dns_type type)
{
	switch (type) {
	case MC_DNS_A:
		return "A";
	case MC_DNS_PTR:
		return "PTR";
	case MC_DNS_MX:
		return "MX";
	case MC_DNS_TXT:
		return "TXT";
	case MC_DNS_AAAA:
		return "AAAA";
	}
	return "?";
}
