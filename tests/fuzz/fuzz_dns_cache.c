/* libFuzzer target: raw DNS answer bytes through the cache's TTL reader
 * (dns_cache_ttl(), our own wire parser: names, RR headers, the SOA of a
 * negative answer) and, with the result dns_answer_convert() makes of the
 * same bytes, through dns_cache_put()/dns_cache_get(). The first byte picks
 * the query type and the status c-ares would have reported (success,
 * NXDOMAIN, NODATA); the rest is the message. */
#include <ares.h>
#include <stdint.h>
#include <string.h>

#include "checks/dns.h"
#include "checks/dns_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum mc_dns_type types[] = {
		MC_DNS_A, MC_DNS_AAAA, MC_DNS_MX, MC_DNS_TXT, MC_DNS_PTR,
	};
	static const int statuses[] = {
		ARES_SUCCESS, ARES_ENOTFOUND, ARES_ENODATA,
	};
	struct mc_dns_cache *cache;
	struct mc_dns_result *res, *hit;
	unsigned ttl = 0;
	size_t sum = 0;

	if (size < 1 || size > 65536)
		return 0;
	/* The reader alone, under every status it knows. */
	for (int st = MC_DNS_OK; st <= MC_DNS_ERROR; st++)
		if (dns_cache_ttl((enum mc_dns_status)st, data + 1, size - 1,
				  &ttl) == 0)
			sum += ttl;
	res = dns_result_new("fuzz.example.com",
			     types[data[0] % (sizeof(types) / sizeof(types[0]))]);
	/* A small table: a fresh one per input, cheap to make. */
	cache = dns_cache_new(&(struct mc_dns_cache_opts){.max_entries = 4});
	if (!res || !cache)
		goto out;
	dns_answer_convert(res, statuses[(data[0] / 5) % 3], data + 1,
			   (int)(size - 1));
	if (dns_cache_put(cache, res, data + 1, size - 1) == 1) {
		hit = dns_cache_get(cache, "FUZZ.example.com", res->type);
		/* Whatever was kept comes back whole. */
		if (!hit || hit->status != res->status || hit->n_rr != res->n_rr)
			__builtin_trap();
		for (size_t i = 0; i < hit->n_rr; i++) {
			if (hit->rr[i].name)
				sum += strlen(hit->rr[i].name);
			if (hit->rr[i].txt)
				sum += hit->rr[i].txt_len +
				       (size_t)hit->rr[i].txt[0];
		}
		dns_result_free(hit);
	}
	(void)sum;
out:
	dns_cache_free(cache);
	dns_result_free(res);
	return 0;
}
