/* libFuzzer target for receiver/hops and receiver/received: any bytes as a
 * header block -- field finding, unfolding, clause and date parsing, the
 * delay arithmetic with endpoints, and the JSON form (so every string kept
 * must be valid UTF-8). Never a crash, a leak or undefined behaviour. The
 * first bytes also go straight to the date parser. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "receiver/hops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct mc_err err = {0};
	struct hops *h;
	json_t *j;
	double t;
	int tz, fd;

	if (received_parse_date(p, size < 256 ? size : 256, &t, &tz, &fd) == 0 &&
	    (!isfinite(t) || fd < 0 || fd > 6))
		abort();
	h = hops_from_header(p, size, &err);
	if (!h)
		abort();    /* only memory exhaustion may fail, and it did not */
	for (size_t i = 0; i < hops_count(h); i++) {
		const struct hop *hp = hops_get(h, i);

		if (!hp || (hp->r.parsed != 0 && hp->r.parsed != 1))
			abort();
	}
	j = hops_doc_to_json(h);
	if (!j)
		abort();
	json_decref(j);
	hops_set_endpoints(h, 1795514400.25, 1795514405, 1795514405.5);
	j = hops_doc_to_json(h);
	if (!j)
		abort();
	json_decref(j);
	hops_free(h);
	return 0;
}
