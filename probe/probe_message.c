/* Probe IDs and the probe message itself (DESIGN.md "Probe message and
 * states"). Everything that goes into a header is checked here, because
 * route names and addresses come from a config file and a CR or LF in one
 * would let it write headers of its own (RFC 5322 §2.2). */
#include "probe/probe.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"

/* RFC 5322 §2.1.1: a line must be no longer than 998 characters. */
#define PROBE_LINE_MAX 998
#define PROBE_MSG_LIMIT (64u * 1024)

int probe_id_new(char out[PROBE_ID_LEN + 1], struct mc_err *err)
{
	/* RFC 4648 §6 alphabet, lower-cased: IDs end up in local parts and
	 * Message-IDs, where case may not survive. */
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char raw[16];
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (RAND_bytes(raw, (int)sizeof(raw)) != 1) {
		out[0] = '\0';
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "probe ID: the random generator failed");
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

/* Printable US-ASCII without the characters that would let a value end
 * its header or its angle-address. */
static int header_safe(const char *s, int allow_space)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '<' || *p == '>')
			return 0;
		if (*p == ' ' && !allow_space)
			return 0;
	}
	return 1;
}

static int check_value(const char *what, const char *v, int allow_space,
		       struct mc_err *err)
{
	if (!v || !*v)
		return mc_err_set(err, -1, MC_COMP_CONFIG,
				  "probe message: %s is empty", what);
	if (!header_safe(v, allow_space))
		return mc_err_set(err, -1, MC_COMP_CONFIG,
				  "probe message: %s holds a control, 8-bit, "
				  "'<' or '>' character%s; refusing to put it "
				  "in a header", what,
				  allow_space ? "" : " or a space");
	if (strlen(v) > PROBE_LINE_MAX - 32)
		return mc_err_set(err, -1, MC_COMP_CONFIG,
				  "probe message: %s is longer than a header "
				  "line may be", what);
	return 0;
}

static int check_addr(const char *what, const char *addr, struct mc_err *err)
{
	const char *at;

	if (check_value(what, addr, 0, err) < 0)
		return -1;
	at = strrchr(addr, '@');
	if (!at || at == addr || !at[1])
		return mc_err_set(err, -1, MC_COMP_CONFIG,
				  "probe message: %s '%s' is not "
				  "local@domain", what, addr);
	return 0;
}

/* RFC 5322 §3.3 date-time in UTC, with English names whatever the locale. */
static void format_date(time_t date, char out[40])
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
					   "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
					     "May", "Jun", "Jul", "Aug",
					     "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (!gmtime_r(&date, &tm)) {
		date = 0;
		gmtime_r(&date, &tm);
	}
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *probe_message_new(const struct mc_route *route, const char *id,
			const char *domain, time_t date, struct mc_err *err)
{
	struct mc_buf b = {.limit = PROBE_MSG_LIMIT};
	char when[40];
	char *out;
	int rc = 0;

	if (!route)
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "probe message: no route"), NULL;
	if (check_value("route name", route->name, 0, err) < 0 ||
	    check_addr("from address", route->from, err) < 0 ||
	    check_addr("to address", route->to, err) < 0 ||
	    check_value("probe ID", id, 0, err) < 0)
		return NULL;
	if (!domain)
		domain = strrchr(route->from, '@') + 1;
	if (check_value("Message-ID domain", domain, 0, err) < 0)
		return NULL;
	if (strchr(domain, '@') ||
	    strlen(id) + strlen(domain) > PROBE_LINE_MAX - 16)
		return mc_err_set(err, -1, MC_COMP_CONFIG,
				  "probe message: bad Message-ID domain"),
		       NULL;
	format_date(date, when);

	rc |= mc_buf_printf(&b, "From: %s\r\n", route->from);
	rc |= mc_buf_printf(&b, "To: %s\r\n", route->to);
	rc |= mc_buf_printf(&b, "Subject: mailcanary probe %s\r\n", id);
	rc |= mc_buf_printf(&b, "Date: %s\r\n", when);
	rc |= mc_buf_printf(&b, "Message-ID: <%s@%s>\r\n", id, domain);
	rc |= mc_buf_printf(&b, "X-Mailcanary-Probe: %s\r\n", id);
	rc |= mc_buf_printf(&b, "X-Mailcanary-Route: %s\r\n", route->name);
	rc |= mc_buf_puts(&b, "MIME-Version: 1.0\r\n"
			      "Content-Type: text/plain; charset=us-ascii\r\n"
			      "Content-Transfer-Encoding: 7bit\r\n"
			      "Auto-Submitted: auto-generated\r\n"
			      "\r\n");
	rc |= mc_buf_puts(&b, "This is a mailcanary delivery probe: a test "
			      "message that measures\r\n"
			      "whether and how fast mail gets through. It "
			      "needs no reply.\r\n\r\n");
	rc |= mc_buf_printf(&b, "Probe ID: %s\r\n", id);
	rc |= mc_buf_printf(&b, "Route:    %s\r\n", route->name);
	rc |= mc_buf_printf(&b, "Sent:     %s\r\n", when);
	if (rc) {
		mc_buf_free(&b);
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "probe message: out of memory"), NULL;
	}
	out = mc_buf_steal(&b);
	if (!out)
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "probe message: out of memory");
	return out;
}
