/* libFuzzer target: raw DNS answer bytes through dns_answer_convert(),
 * the function the resolver's c-ares callback uses, i.e. c-ares' own
 * ares_parse_*_reply parsers plus our status mapping and limits. The first
 * byte picks the query type; the rest is the message. */
#include <ares.h>
#include <stdint.h>
#include <string.h>

#include "checks/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mc_dns_type types[] = {
		MC_DNS_A, MC_DNS_AAAA, MC_DNS_MX, MC_DNS_TXT, MC_DNS_PTR,
	};
	struct mc_dns_result *res;
	size_t sum = 0;

	if (size < 1 || size > 65536)
		return 0;
	res = dns_result_new("fuzz.example.com",
			     types[data[0] % (sizeof(types) / sizeof(types[0]))]);
	if (!res)
		return 0;
	dns_answer_convert(res, ARES_SUCCESS, data + 1, (int)(size - 1));
	/* Touch what a caller reads, so the sanitizers see every byte. */
	for (size_t i = 0; i < res->n_rr; i++) {
		if (res->rr[i].name)
			sum += strlen(res->rr[i].name);
		if (res->rr[i].txt)
			sum += res->rr[i].txt_len + (size_t)res->rr[i].txt[0];
	}
	sum += strlen(res->why);
	(void)sum;
	dns_result_free(res);
	return 0;
}
