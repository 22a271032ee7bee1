/* Fuzz target: SMTP replies as probe submission reads them from a relay —
 * framing and parsing of consecutive replies (resynchronising on the next
 * line after garbage, as probe_session.c does), queue-ID extraction, the
 * greylisting judgement, and the tunnel's EHLO keyword mask (fed in
 * uneven pieces; nothing may be lost or grow). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"
#include "probe/probe_internal.h"

static void fuzz_mask(const char *p, size_t size)
{
	struct probe_ehlo_mask m = {0};
	char *out = malloc(size + PROBE_MASK_HEAD);
	size_t o = 0, step = size ? (unsigned char)p[0] % 17 + 1 : 1;

	if (!out)
		return;
	for (size_t i = 0; i < size; i += step) {
		size_t k = size - i < step ? size - i : step;

		o += probe_ehlo_mask(&m, p + i, k, out + o);
		if (o + (m.col < PROBE_MASK_HEAD ? m.col : 0) != i + k)
			__builtin_trap();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t pos = 0;

	fuzz_mask(p, size);
	while (pos < size) {
		struct probe_reply r;
		char id[PROBE_QUEUE_ID_MAX];
		long len = probe_reply_parse(p + pos, size - pos, &r);

		if (len == 0)
			break;
		if (len < 0) {
			const char *nl = memchr(p + pos, '\n', size - pos);

			if (!nl)
				break;
			pos = (size_t)(nl - p) + 1;
			continue;
		}
		if (strlen(r.text) >= sizeof(r.text) || r.code < 200 ||
		    r.code > 599)
			__builtin_trap();
		probe_reply_queue_id(r.text, id, sizeof(id));
		if (strlen(id) >= sizeof(id))
			__builtin_trap();
		probe_reply_is_greylisting(&r);
		pos += (size_t)len;
	}
	return 0;
}
