/* libFuzzer target: the DKIM key record judgement that `check` uses for
 * now (checks/check_dkim_stub.c, to be replaced by checks/dkim's key
 * parser): the input is one TXT record's text, or several separated by
 * NUL bytes, as one answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/check_dkim_stub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_dns_result *res = dns_result_new("s._domainkey.example.com",
						   MC_DNS_TXT);
	struct mc_dkim_key_report k = {0};
	struct mc_dns_rr rr[8];
	size_t n = 0, start = 0;
	json_t *j;

	if (!res || size > 16384) {
		dns_result_free(res);
		return 0;
	}
	memset(rr, 0, sizeof(rr));
	for (size_t i = 0; i <= size && n < 8; i++) {
		if (i == size || data[i] == 0) {
			rr[n].txt = strndup((const char *)data + start, i - start);
			rr[n].txt_len = rr[n].txt ? strlen(rr[n].txt) : 0;
			if (!rr[n].txt)
				break;
			n++;
			start = i + 1;
		}
	}
	res->status = n ? MC_DNS_OK : MC_DNS_NODATA;
	res->rr = rr;
	res->n_rr = n;
	k.selector = strdup("s");
	k.name = strdup("s._domainkey.example.com");
	if (k.selector && k.name) {
		check_dkim_key_stub(res, &k);
		j = check_dkim_key_json(&k);
		json_decref(j);
	}
	check_dkim_key_clear(&k);
	for (size_t i = 0; i < n; i++)
		free(rr[i].txt);
	res->rr = NULL;
	res->n_rr = 0;
	dns_result_free(res);
	return 0;
}
