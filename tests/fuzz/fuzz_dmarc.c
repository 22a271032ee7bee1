/* libFuzzer target: the DMARC record parser (RFC 7489 §6.3, §6.4) on a
 * TXT record's joined text, the record detection used in discovery, the
 * result's JSON, and the verdict over the parsed record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct mc_dmarc_record *rec;
	struct mc_dmarc_result r = {0};
	const char *dkim[] = {"example.com"};
	char *text;
	json_t *j;

	(void)dmarc_record_is_dmarc(p, size);
	rec = dmarc_record_parse(p, size);
	if (!rec)
		return 0;
	/* The result as discovery builds it, for the JSON and verdict. */
	text = strndup(p, size);
	r.domain = "example.com";
	r.org_domain = "example.com";
	r.record_domain = "example.com";
	r.record = text;
	r.rec = rec;
	r.status = MC_DNS_OK;
	if (rec->valid) {
		r.policy = rec->p;
		r.subdomain_policy = rec->sp ? rec->sp : rec->p;
	}
	for (size_t i = 0; i < rec->errors.n; i++)
		findings_add(&r.problems, rec->errors.v[i].severity, "%s",
			     rec->errors.v[i].message);
	j = dmarc_result_json(&r);
	if (j) {
		char *s = json_dumps(j, JSON_COMPACT);

		free(s);
		json_decref(j);
	}
	(void)dmarc_verdict(&r, MC_SPF_FAIL, "example.com", dkim, 1, NULL);
	(void)dmarc_verdict(&r, MC_SPF_PASS, "mail.example.com", NULL, 0, NULL);
	findings_clear(&r.problems);
	free(text);
	dmarc_record_free(rec);
	return 0;
}
