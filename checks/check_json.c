/* The check report as JSON (DESIGN.md "check --json") and its problems
 * list. */
#include <stdlib.h>

#include "checks/check.h"

typedef void (*problem_fn)(void *arg, const char *part,
			   const struct mc_finding *f);

static void emit(problem_fn fn, void *arg, const char *part,
		 const struct mc_findings *f)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (f->v[i].severity != MC_CHK_OK)
			fn(arg, part, &f->v[i]);
}

void check_report_problems(const struct mc_check_report *r, problem_fn fn,
			   void *arg)
{
	emit(fn, arg, "mx", r->mx ? &r->mx->problems : NULL);
	for (size_t i = 0; i < r->n_ptr; i++)
		emit(fn, arg, "ptr", &r->ptr[i]->problems);
	emit(fn, arg, "spf", &r->spf.problems);
	for (size_t i = 0; i < r->n_dkim; i++)
		emit(fn, arg, "dkim", &r->dkim[i].problems);
	emit(fn, arg, "dmarc", r->dmarc ? &r->dmarc->problems : NULL);
	emit(fn, arg, "dnsbl", r->dnsbl ? &r->dnsbl->problems : NULL);
}

static void add_problem(void *arg, const char *part,
			const struct mc_finding *f)
{
	json_array_append_new(arg, json_pack("{s:s,s:i,s:o}", "check", part,
					     "severity", f->severity,
					     "message",
					     check_json_str(f->message)));
}

static json_t *spf_json(const struct mc_check_spf *spf)
{
	json_t *ips = json_array();

	for (size_t i = 0; ips && i < spf->n_ips; i++)
		json_array_append_new(ips, json_pack("{s:s,s:s,s:o,s:o,s:i}",
			"ip", spf->ips[i].ip,
			"result", spf_result_name(spf->ips[i].result),
			"explanation", check_json_str(spf->ips[i].explanation),
			"problem", check_json_str(spf->ips[i].problem),
			"severity", spf->ips[i].severity));
	return json_pack("{s:i,s:o,s:s,s:i,s:i,s:o}",
			 "severity", spf->problems.severity,
			 "record", check_json_str(spf->record),
			 "result", spf_result_name(spf->result),
			 "dns_lookups", (int)spf->dns_lookups,
			 "void_lookups", (int)spf->void_lookups,
			 "ips", ips);
}

json_t *check_report_json(const struct mc_check_report *r)
{
	json_t *ptr = json_array(), *dkim = json_array(), *problems = json_array();
	json_t *doc;

	for (size_t i = 0; ptr && i < r->n_ptr; i++)
		json_array_append_new(ptr, ptr_result_json(r->ptr[i]));
	for (size_t i = 0; dkim && i < r->n_dkim; i++)
		json_array_append_new(dkim, check_dkim_key_json(&r->dkim[i]));
	if (problems)
		check_report_problems(r, add_problem, problems);
	doc = json_pack("{s:o,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I}",
		"domain", check_json_str(r->domain),
		"severity", r->severity,
		"mx", r->mx ? mx_result_json(r->mx) : json_null(),
		"ptr", ptr,
		"spf", spf_json(&r->spf),
		"dkim", dkim,
		"dmarc", r->dmarc ? dmarc_result_json(r->dmarc) : json_null(),
		"dnsbl", r->dnsbl ? dnsbl_result_json(r->dnsbl) : json_array(),
		"problems", problems,
		"dns_queries", (json_int_t)r->dns_queries);
	if (doc && r->name)
		json_object_set_new(doc, "check", check_json_str(r->name));
	return doc;
}
