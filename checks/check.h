/* The deliverability DNS audit of a domain (`mailcanary check`): MX and
 * their addresses, PTR/FCrDNS of the sending IPs, SPF (the record, and
 * check_host() for each IP), DKIM key records per selector, DMARC, and
 * DNS blocklists, for one or many domains in ONE pass on the shared
 * channel: every independent query is in flight at once (SPF, sequential
 * by definition, waits in the same loop). Each part and the whole get a
 * severity and a list of problems. Never sends mail, never prints. */
#ifndef MC_CHECK_H
#define MC_CHECK_H

#include <jansson.h>
#include <stddef.h>

#include "checks/check_dkim_stub.h"
#include "checks/checkutil.h"
#include "checks/dmarc.h"
#include "checks/dnsbl.h"
#include "checks/dns.h"
#include "checks/mx.h"
#include "checks/orgdomain.h"
#include "checks/ptr.h"
#include "checks/spf.h"
#include "mc_err.h"

#define MC_CHECK_MAX_IPS 64
#define MC_CHECK_MAX_SELECTORS 64
/* Without --ip, SPF is evaluated for this documentation address (RFC
 * 5737), which no record should authorise: it shows none, permerror,
 * temperror, the lookup counts, and records that pass anyone. */
#define MC_CHECK_SPF_PROBE_IP "192.0.2.0"

/* At most this many relay IPs from the probes are asked of the blocklists
 * per check (the newest first); more are listed as skipped. */
#define MC_CHECK_MAX_PROBE_IPS 16

/* A relay address seen in a probe's Received chain (store.h
 * store_recent_relay_ips()), offered to a check's DNSBL part. Borrowed. */
struct mc_check_probe_ip {
	const char *ip;                /* as the header gave it: judged here */
	const char *probe_id;          /* the newest probe showing it */
	const char *route;             /* that probe's route */
};

/* What to check; everything borrowed for the run. */
struct mc_check_spec {
	const char *name;              /* [check "name"], or NULL */
	const char *domain;
	const char *const *ips;
	size_t n_ips;
	const char *const *selectors;
	size_t n_selectors;
	const char *const *dnsbl;      /* list specs ("domain:ZONE" for
					* domain lists); NULL: the default
					* lists; non-NULL with n 0: none */
	size_t n_dnsbl;
	/* Relay IPs from the probes, newest first: asked of the address
	 * lists only (never PTR/SPF: a probe's relay may send for other
	 * domains too). Each is used unless it is not an IP address, is
	 * 0.0.0.0 or ::, is not globally routable (unless probe_ips_all:
	 * tests on loopback, private relays behind NAT are not), is one of
	 * ips already, or comes after MC_CHECK_MAX_PROBE_IPS used ones. */
	const struct mc_check_probe_ip *probe_ips;
	size_t n_probe_ips;
	int probe_ips_all;
};

struct mc_check_spf_ip {
	char *ip;
	enum mc_spf_result result;
	char *explanation;             /* for fail, else "" */
	char *problem;                 /* why permerror/temperror/none */
	int severity;
};

struct mc_check_spf {
	char *record;                  /* the domain's SPF record, or NULL */
	enum mc_spf_result result;     /* the worst of the IPs' results, or
					* the probe address's without IPs */
	unsigned dns_lookups, void_lookups;  /* the most of any evaluation */
	struct mc_check_spf_ip *ips;   /* one per --ip; none without */
	size_t n_ips;
	struct mc_findings problems;
};

/* What became of one offered probe IP. */
struct mc_check_probe_ip_report {
	char *ip;                      /* normalised when an address, else
					* as given (made visible) */
	char *probe_id;
	char *route;
	const char *skipped;           /* NULL: asked; else why not (static) */
};

struct mc_check_report {
	char *name;                    /* copied from the spec, or NULL */
	char *domain;
	struct mc_mx_result *mx;
	struct mc_ptr_result **ptr;    /* one per IP */
	size_t n_ptr;
	struct mc_check_spf spf;
	struct mc_dkim_key_report *dkim; /* one per selector */
	size_t n_dkim;
	struct mc_dmarc_result *dmarc;
	struct mc_dnsbl_result *dnsbl;
	struct mc_check_probe_ip_report *probe_ips; /* one per offered IP */
	size_t n_probe_ips;
	int severity;                  /* the worst of the parts */
	size_t dns_queries;            /* queries of the whole run */
	double seconds;                /* the whole run, wall time */
};

/* Runs the specs' checks together on dns until done or deadline
 * (mc_now_mono() seconds; <= 0: none), psl NULL: the default list.
 * Fills out[i] with a new report per spec (free each with
 * check_report_free()). Returns 0, or -1 with err filled when a spec is
 * unusable (bad domain, IP, selector or list: nothing is run then) or
 * out of memory. DNS trouble is never an error here: it is UNKNOWN in
 * the report. */
int check_run(struct mc_dns *dns, const struct mc_psl *psl,
	      const struct mc_check_spec *specs, size_t n, double deadline,
	      struct mc_check_report **out, struct mc_err *err);

void check_report_free(struct mc_check_report *r);

/* 1 if the mail address (or bare domain) from is in domain or a
 * subdomain of it, ASCII case-insensitively (a final dot ignored), else
 * 0: which routes' probes speak for a [check]'s domain. */
int check_address_in_domain(const char *from, const char *domain);

/* DESIGN.md "check --json": {"domain","severity","mx":{...},"ptr":[...],
 * "spf":{...},"dkim":[...],"dmarc":{...},"dnsbl":[...],"problems":[{
 * "check","severity","message"}]}, plus "check" (the name, if any) and
 * "dns_queries". Every "dnsbl" entry also says where its target came
 * from: "source" "config" (ips / --ip), "probe" (with "probe_id" and
 * "route": a relay IP from that probe's Received chain) or "domain" (a
 * domain list); and "probe_ips" lists every IP the probes offered:
 * [{"ip","probe_id","route","used":bool,"skipped":"why"|null}]. NULL when
 * out of memory. */
json_t *check_report_json(const struct mc_check_report *r);

/* Calls fn for every problem of the report (severity above OK) with its
 * part's name ("mx", "ptr", "spf", "dkim", "dmarc", "dnsbl"), in the
 * order of the parts. */
void check_report_problems(const struct mc_check_report *r,
			   void (*fn)(void *arg, const char *part,
				      const struct mc_finding *f),
			   void *arg);

#endif
