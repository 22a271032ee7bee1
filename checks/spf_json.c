/* See spf_json.h. */
#include <string.h>

#include "checks/checkutil.h"
#include "checks/spf_json.h"

/* 1 for the bytes put_str() copies as they are. */
static int plain(unsigned char c)
{
	return check_byte_visible(c) && c != '"' && c != '\\';
}

/* A JSON string of check_visible(s), or null for NULL, written in one
 * pass without check_visible()'s copy: the bytes it would turn into the
 * four characters \xNN come out so (their backslash escaped for JSON),
 * and '"' and '\' get JSON's escapes. Runs of plain bytes go in with one
 * memcpy. */
static int put_str(struct mc_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	if (!s)
		return mc_buf_append(b, "null", 4);
	/* room for the worst case at once: 5 bytes per input byte */
	if (mc_buf_reserve(b, 5 * strlen(s) + 2))
		return -1;
	b->data[b->len++] = '"';
	while (*p) {
		const unsigned char *run = p;
		char *d;

		while (plain(*p))
			p++;
		memcpy(b->data + b->len, run, (size_t)(p - run));
		b->len += (size_t)(p - run);
		if (!*p)
			break;
		d = b->data + b->len;
		if (*p == '"' || *p == '\\') {
			d[0] = '\\';
			d[1] = (char)*p;
			b->len += 2;
		} else {
			memcpy(d, "\\\\x", 3);
			d[3] = hex[*p >> 4];
			d[4] = hex[*p & 15];
			b->len += 5;
		}
		p++;
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
	return 0;
}

/* A literal piece of JSON. */
#define PUT(b, lit) mc_buf_append((b), (lit), sizeof(lit) - 1)

/* An unsigned number in decimal. */
static int put_uint(struct mc_buf *b, unsigned long v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *p = e;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return mc_buf_append(b, p, (size_t)(e - p));
}

/* ,"key": then the string; key is ours (plain ASCII). */
static int put_key_str(struct mc_buf *b, const char *key, const char *s)
{
	return PUT(b, ",\"") || mc_buf_puts(b, key) || PUT(b, "\":") ||
	       put_str(b, s) ? -1 : 0;
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

	if (PUT(out, "{\"result\":\"") ||
	    mc_buf_puts(out, spf_result_name(o->result)) || PUT(out, "\"") ||
	    put_key_str(out, "explanation", o->explanation) ||
	    PUT(out, ",\"explanation_source\":\"") || mc_buf_puts(out, source) ||
	    PUT(out, "\",\"dns_lookups\":") || put_uint(out, o->dns_lookups) ||
	    PUT(out, ",\"void_lookups\":") || put_uint(out, o->void_lookups) ||
	    PUT(out, ",\"trace\":["))
		return -1;
	for (size_t i = 0; i < o->n_trace; i++) {
		int depth = o->trace[i].depth;

		if ((i && PUT(out, ",")) || PUT(out, "{\"depth\":") ||
		    (depth < 0 && PUT(out, "-")) ||
		    put_uint(out, depth < 0 ? 0ul - (unsigned long)depth
					    : (unsigned long)depth) ||
		    PUT(out, ",\"domain\":") || put_str(out, o->trace[i].domain) ||
		    put_key_str(out, "text", o->trace[i].text) || PUT(out, "}"))
			return -1;
	}
	if (PUT(out, "],\"trace_truncated\":") ||
	    (o->trace_truncated ? PUT(out, "true") : PUT(out, "false")) ||
	    put_question(out, ip, mailfrom, helo) ||
	    put_key_str(out, "identity", o->identity) ||
	    put_key_str(out, "domain", o->domain) ||
	    put_key_str(out, "record", o->record) ||
	    put_key_str(out, "problem", o->problem) || PUT(out, "}"))
		return -1;
	return 0;
}

int spf_json_failed(struct mc_buf *out, const char *ip, const char *mailfrom,
		    const char *helo, const char *problem)
{
	if (PUT(out, "{\"result\":\"temperror\"") ||
	    put_question(out, ip, mailfrom, helo) ||
	    put_key_str(out, "problem", problem) ||
	    mc_buf_append(out, "}", 1))
		return -1;
	return 0;
}
