/* The check report as JSON (DESIGN.md "check --json") and its problems
 * list. */
#include <stdlib.h>
#include <string.h>

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

/* The dnsbl entries with the source of each target (check.h). */
static json_t *dnsbl_json(const struct mc_check_report *r)
{
	json_t *arr;

	if (!r->dnsbl)
		return json_array();
	arr = dnsbl_result_json(r->dnsbl);
	for (size_t i = 0; arr && i < r->dnsbl->n && i < json_array_size(arr);
	     i++) {
		const struct mc_dnsbl_entry *e = &r->dnsbl->entries[i];
		json_t *o = json_array_get(arr, i);
		const struct mc_check_probe_ip_report *p = NULL;

		for (size_t k = 0; !e->domain && k < r->n_probe_ips; k++)
			if (!r->probe_ips[k].skipped &&
			    strcmp(r->probe_ips[k].ip, e->target) == 0)
				p = &r->probe_ips[k];
		json_object_set_new(o, "source", json_string(
			e->domain ? "domain" : p ? "probe" : "config"));
		if (p) {
			json_object_set_new(o, "probe_id", json_string(p->probe_id));
			json_object_set_new(o, "route", json_string(p->route));
		}
	}
	return arr;
}

static json_t *probe_ips_json(const struct mc_check_report *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < r->n_probe_ips; i++) {
		const struct mc_check_probe_ip_report *p = &r->probe_ips[i];

		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b,s:o}",
			"ip", p->ip, "probe_id", p->probe_id, "route", p->route,
			"used", !p->skipped,
			"skipped", p->skipped ? json_string(p->skipped)
					      : json_null()));
	}
	return arr;
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
		"dnsbl", dnsbl_json(r),
		"problems", problems,
		"dns_queries", (json_int_t)r->dns_queries);
	if (doc && r->name)
		json_object_set_new(doc, "check", check_json_str(r->name));
	if (doc)
		json_object_set_new(doc, "probe_ips", probe_ips_json(r));
	return doc;
}
