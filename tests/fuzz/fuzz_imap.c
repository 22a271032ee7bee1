/* Fuzz target: IMAP server responses as mailcanary reads them — framing,
 * parsing, greeting/CAPABILITY lists (session opening), SEARCH lists and
 * header-field lookup. */
#include <stddef.h>
#include <stdint.h>

#include "receiver/imap_parse.h"
#include "receiver/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t pos = 0;

	while (pos < size) {
		struct imap_resp r;
		long len = imap_resp_frame(p + pos, size - pos);
		uint32_t uids[8];
		size_t n;
		char v[64];

		if (len <= 0)
			break;
		if (imap_resp_parse(p + pos, (size_t)len, &r) == 0) {
			imap_search_uids(r.text, r.text_len, uids, 8, &n);
			const char *caps;
			size_t cn;

			imap_has_capability(r.text, r.text_len, "IDLE");
			if (imap_capability_list(&r, &caps, &cn)) {
				imap_has_capability(caps, cn, "STARTTLS");
				imap_has_capability(caps, cn, "AUTH=PLAIN");
			}
			if (r.header)
				watch_header_field(r.header, r.header_len,
						   "X-Mailcanary-Probe", v, sizeof(v));
		}
		pos += (size_t)len;
	}
	return 0;
}
