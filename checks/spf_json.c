/* See spf_json.h. */
#include <stdio.h>
#include <string.h>

#include "checks/spf_json.h"

/* A JSON string of check_visible(s), or null for NULL: bytes outside
 * 0x20..0x7e become the four characters \xNN (their backslash escaped
 * for JSON), and '"' and '\' get JSON's escapes. */
static int put_str(struct mc_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s)
		return mc_buf_append(b, "null", 4);
	/* room for the worst case at once: 5 bytes per input byte */
	n = strlen(s);
	if (mc_buf_reserve(b, 5 * n + 2))
		return -1;
	b->data[b->len++] = '"';
	for (; *p; p++) {
		char *d = b->data + b->len;

		if (*p < 0x20 || *p >= 0x7f) {
			memcpy(d, "\\\\x", 3);
			d[3] = hex[*p >> 4];
			d[4] = hex[*p & 15];
			b->len += 5;
		} else if (*p == '"' || *p == '\\') {
			d[0] = '\\';
			d[1] = (char)*p;
			b->len += 2;
		} else {
			d[0] = (char)*p;
			b->len++;
		}
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
	return 0;
}

/* ,"key": then the string; key is ours (plain ASCII). */
static int put_key_str(struct mc_buf *b, const char *key, const char *s)
{
	return mc_buf_append(b, ",\"", 2) || mc_buf_puts(b, key) ||
	       mc_buf_append(b, "\":", 2) || put_str(b, s) ? -1 : 0;
}

static int put_question(struct mc_buf *b, const char *ip,
			const char *mailfrom, const char *helo)
{
	return put_key_str(b, "ip", ip) || put_key_str(b, "mailfrom", mailfrom) ||
	       put_key_str(b, "helo", helo) ? -1 : 0;
}

int spf_json_outcome(struct mc_buf *out, const struct mc_spf_outcome *o,
		     const char *ip, const char *mailfrom, const char *helo)
{
	const char *source = o->result != MC_SPF_FAIL ? "" :
			     o->explanation_default ? "default" : "exp";

	if (mc_buf_printf(out, "{\"result\":\"%s\"",
			  spf_result_name(o->result)) < 0 ||
	    put_key_str(out, "explanation", o->explanation) ||
	    mc_buf_printf(out, ",\"explanation_source\":\"%s\""
			  ",\"dns_lookups\":%u,\"void_lookups\":%u"
			  ",\"trace\":[", source, o->dns_lookups,
			  o->void_lookups) < 0)
		return -1;
	for (size_t i = 0; i < o->n_trace; i++) {
		char head[48];
		int n = snprintf(head, sizeof(head), "%s{\"depth\":%d,\"domain\":",
				 i ? "," : "", o->trace[i].depth);

		if (mc_buf_append(out, head, (size_t)n) ||
		    put_str(out, o->trace[i].domain) ||
		    put_key_str(out, "text", o->trace[i].text) ||
		    mc_buf_append(out, "}", 1))
			return -1;
	}
	if (mc_buf_printf(out, "],\"trace_truncated\":%s",
			  o->trace_truncated ? "true" : "false") < 0 ||
	    put_question(out, ip, mailfrom, helo) ||
	    put_key_str(out, "identity", o->identity) ||
	    put_key_str(out, "domain", o->domain) ||
	    put_key_str(out, "record", o->record) ||
	    put_key_str(out, "problem", o->problem) ||
	    mc_buf_append(out, "}", 1))
		return -1;
	return 0;
}

int spf_json_failed(struct mc_buf *out, const char *ip, const char *mailfrom,
		    const char *helo, const char *problem)
{
	if (mc_buf_puts(out, "{\"result\":\"temperror\"") ||
	    put_question(out, ip, mailfrom, helo) ||
	    put_key_str(out, "problem", problem) ||
	    mc_buf_append(out, "}", 1))
		return -1;
	return 0;
}
