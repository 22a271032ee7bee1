/* DMARC (RFC 7489, with the DMARCbis np/psd/t tags): the record parser,
 * policy discovery at _dmarc.<domain> with the organisational-domain
 * fallback (§6.6.3) on the shared c-ares channel, identifier alignment
 * (§3.1) and the pass/fail verdict from SPF and DKIM results (§6.6.2).
 * Hand-written because no C library fits: libopendmarc does its own
 * blocking DNS and its own suffix list. It judges records; it never
 * decides what to do with mail and never prints. */
#ifndef MC_DMARC_H
#define MC_DMARC_H

#include <jansson.h>
#include <stddef.h>

#include "checks/checkutil.h"
#include "checks/dns.h"
#include "checks/orgdomain.h"
#include "checks/spf.h"
#include "mc_err.h"

#define MC_DMARC_MAX_RECORD 4096   /* bytes of one record we parse */
#define MC_DMARC_MAX_URIS 16       /* rua/ruf entries kept */
#define MC_DMARC_MAX_URI 512       /* bytes of one URI */

enum mc_dmarc_policy {
	MC_DMARC_P_UNSET = 0,      /* tag absent or invalid */
	MC_DMARC_P_NONE,
	MC_DMARC_P_QUARANTINE,
	MC_DMARC_P_REJECT,
};

/* One record, parsed. Tags absent from the record hold their RFC 7489
 * defaults (pct 100, adkim/aspf 'r', fo "0", rf "afrf", ri 86400). */
struct mc_dmarc_record {
	int valid;                 /* usable as a policy: v=DMARC1 first and
				    * a valid p (or, §6.6.3, none with a
				    * valid rua) */
	enum mc_dmarc_policy p;
	enum mc_dmarc_policy sp;   /* UNSET: p applies */
	enum mc_dmarc_policy np;   /* UNSET: sp (else p) applies */
	int pct;
	char adkim, aspf;          /* 'r' or 's' */
	char **rua, **ruf;         /* URIs as written (size limits kept) */
	size_t n_rua, n_ruf;
	char fo[16];
	char rf[32];
	unsigned long ri;
	struct mc_findings errors; /* each names the tag and what is wrong */
};

/* Parses p/n (one TXT record's text; untrusted). Never fails on syntax:
 * errors go to rec->errors and valid says whether a policy is usable.
 * Returns a new record the caller frees with dmarc_record_free(), or NULL
 * when out of memory. */
struct mc_dmarc_record *dmarc_record_parse(const char *p, size_t n);
void dmarc_record_free(struct mc_dmarc_record *rec);

/* 1 if p/n is meant as a DMARC record: it starts with "v" *WSP "=" *WSP
 * "DMARC1" (any case) followed by ';', WSP or the end. Records that do
 * not are not DMARC's (§6.6.3) and are ignored in discovery. */
int dmarc_record_is_dmarc(const char *p, size_t n);

/* "none", "quarantine", "reject"; "" for UNSET. */
const char *dmarc_policy_name(enum mc_dmarc_policy p);

/* What discovery found for a domain. */
struct mc_dmarc_result {
	char *domain;              /* as asked, lower-cased */
	char *org_domain;          /* its organisational domain */
	char *record_domain;       /* where the record was found, or NULL */
	char *record;              /* the record's text, or NULL */
	struct mc_dmarc_record *rec; /* parsed record, or NULL */
	enum mc_dns_status status; /* of the query that decided: OK when a
				    * record was found, NXDOMAIN/NODATA when
				    * there is none, else the failure */
	enum mc_dmarc_policy policy;          /* p (UNSET without a valid
					       * record) */
	enum mc_dmarc_policy subdomain_policy;/* sp, else p */
	struct mc_findings problems;          /* errors of discovery and of
					       * the record; severity: the
					       * DMARC part's */
};

struct mc_dmarc_lookup;

/* Starts discovery for domain on dns: _dmarc.<domain> TXT and, when the
 * organisational domain differs, _dmarc.<org> TXT at the same time (the
 * latter is used only if the former has no DMARC record). psl NULL: the
 * default list. Returns a lookup to finish, or NULL with err filled (bad
 * domain name, no suffix list, out of memory). */
struct mc_dmarc_lookup *dmarc_lookup_start(struct mc_dns *dns,
					   const struct mc_psl *psl,
					   const char *domain,
					   struct mc_err *err);

/* Ends the lookup (after its queries are answered, i.e. dns_run()
 * returned; any still pending are cancelled with the channel's) and
 * frees it. Returns a new result the caller frees with
 * dmarc_result_free(), or NULL when out of memory. */
struct mc_dmarc_result *dmarc_lookup_finish(struct mc_dmarc_lookup *l);

/* Both in one: starts, runs the channel until done or deadline (mc_now_mono
 * seconds; <= 0: none), finishes. */
struct mc_dmarc_result *dmarc_lookup(struct mc_dns *dns,
				     const struct mc_psl *psl,
				     const char *domain, double deadline,
				     struct mc_err *err);

void dmarc_result_free(struct mc_dmarc_result *r);

/* DESIGN.md "dmarc --json": {"domain","record_domain","record","policy",
 * "subdomain_policy","pct","adkim","aspf","rua","ruf","errors",
 * "severity"}. NULL when out of memory. */
json_t *dmarc_result_json(const struct mc_dmarc_result *r);

/* Identifier alignment (§3.1): strict ('s') wants the same name, relaxed
 * ('r') the same organisational domain (with psl; NULL: the default
 * list; exact matches align even without a list). Case and a final dot
 * do not matter. Returns 1 if aligned, else 0. */
int dmarc_aligned(const char *from_domain, const char *auth_domain,
		  char mode);
int dmarc_aligned_psl(const struct mc_psl *psl, const char *from_domain,
		      const char *auth_domain, char mode);

enum mc_dmarc_verdict {
	MC_DMARC_PASS = 0,
	MC_DMARC_FAIL,
	MC_DMARC_NONE,             /* no usable policy: nothing to judge */
	MC_DMARC_TEMPERROR,        /* the policy could not be fetched */
};

struct mc_dmarc_judgement {
	enum mc_dmarc_verdict verdict;
	int spf_aligned;           /* SPF passed for an aligned domain */
	int dkim_aligned;          /* a DKIM pass for an aligned domain */
	enum mc_dmarc_policy disposition; /* on fail: the policy to apply
					   * (p, or sp for a subdomain
					   * under its org's record) */
};

/* §6.6.2: pass when SPF passed for spf_domain (the MAIL FROM domain) and
 * it aligns with the From domain under aspf, or any of the n_dkim domains
 * whose DKIM signatures passed aligns under adkim. r is the discovery
 * result for the From domain. j may be NULL. */
enum mc_dmarc_verdict dmarc_verdict(const struct mc_dmarc_result *r,
				    enum mc_spf_result spf_result,
				    const char *spf_domain,
				    const char *const *dkim_pass_domains,
				    size_t n_dkim,
				    struct mc_dmarc_judgement *j);

const char *dmarc_verdict_name(enum mc_dmarc_verdict v);

#endif
