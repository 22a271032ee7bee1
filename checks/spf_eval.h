/* Inside the SPF module: the evaluation state shared by spf_eval.c
 * (check_host() and the mechanisms) and spf_lookup.c (DNS on the shared
 * channel, the lookup limits, %{p} and the trace). Not for other modules. */
#ifndef MC_SPF_EVAL_H
#define MC_SPF_EVAL_H

#include "checks/dns.h"
#include "checks/ipaddr.h"
#include "checks/spf.h"
#include "checks/spf_parse.h"

/* Trace lines allocated at first; the array doubles up to
 * MC_SPF_MAX_TRACE (both powers of two). */
#define SPF_TRACE_FIRST 16

/* At most this many queries asked ahead per evaluation (see
 * lookahead() in spf_eval.c): as many as the lookup limit lets one record
 * ask. */
#define SPF_LOOKAHEAD_MAX 10
/* How one term or lookup came out. */
enum spf_match {
	SPF_NO_MATCH = 0,
	SPF_MATCH,
	SPF_ERROR,            /* ev->error holds TEMPERROR or PERMERROR */
};

struct spf_eval {
	struct mc_dns *dns;
	struct mc_spf_outcome *out;
	struct mc_ipaddr ip;
	int ip_upper;
	const char *sender, *local, *sender_domain, *helo, *receiver;
	long long now;
	double deadline;               /* mc_now_coarse() limit */
	enum mc_spf_result error;      /* for SPF_ERROR */
	/* §5.5 validated names of ip, fetched once (ptr and %{p}). */
	int ptr_done;
	enum mc_dns_status ptr_status;
	char **ptr_names;
	size_t n_ptr_names;
	char *exp_domain;              /* d of the record that failed */
	/* Queries spf_eval_check_host() may still ask ahead of need
	 * (SPF_LOOKAHEAD_MAX per evaluation). */
	int lookahead_left;
	int oom;
};

/* check_host(<ip>, domain, <sender>) at include/redirect depth; with
 * want_exp, a fail fills ev->out->explanation from exp= (§6.2). */
enum mc_spf_result spf_eval_check_host(struct spf_eval *ev,
				       const char *domain, int depth,
				       int want_exp);

/* Appends a trace line (printf-style); its strings go to the outcome's
 * chunks (out->strings), which spf_trace_strings_free() frees. */
void spf_trace(struct spf_eval *ev, int depth, const char *domain,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void spf_trace_strings_free(struct spf_chunk *c);

/* Sets ev->error and out->problem (first problem wins); returns
 * SPF_ERROR. */
enum spf_match spf_fail(struct spf_eval *ev, enum mc_spf_result r,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Counts a DNS-querying term (§4.6.4); SPF_ERROR (permerror) past 10. */
enum spf_match spf_count_lookup(struct spf_eval *ev, int depth,
				const char *domain);

/* Counts a void answer (NXDOMAIN/NODATA) of a term's query; SPF_ERROR
 * (permerror) past 2. */
enum spf_match spf_count_void(struct spf_eval *ev, int depth,
			      const char *domain, enum mc_dns_status st);

/* Queries n names of one type at once and waits for all answers (or the
 * evaluation deadline). res[i] is a new result the caller frees with
 * dns_result_free(); a name that cannot be a query name gets NXDOMAIN
 * without a query. names are literal text (escaped here for c-ares), or,
 * with from_dns, names as the dns module returned them (already in
 * presentation form). */
void spf_lookup_many(struct spf_eval *ev, char *const *names, size_t n,
		     enum mc_dns_type type, int from_dns,
		     struct mc_dns_result **res);

/* One name; never NULL unless out of memory. */
struct mc_dns_result *spf_lookup(struct spf_eval *ev, const char *name,
				 enum mc_dns_type type);

/* The §5.5 validated names of ev->ip, fetched once and kept in ev. */
void spf_validate_ptr(struct spf_eval *ev, int depth, const char *domain);

/* 1 if name equals domain or is a subdomain of it (case-insensitive,
 * trailing dots ignored). */
int spf_name_within(const char *name, const char *domain);

/* Expands a macro-string for domain d, resolving %{p} first if used.
 * Returns a new string (caller frees) or NULL with ev->error set. */
char *spf_expand(struct spf_eval *ev, int depth, const char *d,
		 const char *spec, int exp_text);

#endif
