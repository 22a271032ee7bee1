/* Fuzz target: SMTP replies as probe submission reads them from a relay —
 * framing and parsing of consecutive replies (resynchronising on the next
 * line after garbage, as probe_session.c does), queue-ID extraction and the
 * greylisting judgement. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probe/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t pos = 0;

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
