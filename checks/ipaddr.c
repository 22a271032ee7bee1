/* IP address parsing, printing, CIDR matching and reverse names. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "checks/ipaddr.h"

/* RFC 7208 qnum: 0..255, no leading zeros. */
static int parse_v4(const char *p, size_t n, unsigned char out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= n || p[i] != '.')
				return -1;
			start = ++i;
		}
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(p[i++] - '0');
		if (i == start || v > 255 || (p[start] == '0' && i - start > 1))
			return -1;
		out[part] = (unsigned char)v;
	}
	return i == n ? 0 : -1;
}

int ipaddr_parse(const char *p, size_t n, struct mc_ipaddr *out)
{
	char buf[MC_IPADDR_TEXT_MAX];

	memset(out, 0, sizeof(*out));
	if (memchr(p, ':', n)) {
		if (n >= sizeof(buf) || memchr(p, '\0', n))
			return -1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, out->a) != 1)
			return -1;
		out->family = AF_INET6;
		return 0;
	}
	if (parse_v4(p, n, out->a))
		return -1;
	out->family = AF_INET;
	return 0;
}

int ipaddr_unmap(struct mc_ipaddr *ip)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0,
						 0, 0, 0xff, 0xff};

	if (ip->family != AF_INET6 || memcmp(ip->a, prefix, 12) != 0)
		return 0;
	memmove(ip->a, ip->a + 12, 4);
	memset(ip->a + 4, 0, 12);
	ip->family = AF_INET;
	return 1;
}

int ipaddr_match(const struct mc_ipaddr *ip, const struct mc_ipaddr *net,
		 unsigned prefix)
{
	unsigned bits = ip->family == AF_INET ? 32 : 128;
	unsigned full, rest;

	if (ip->family != net->family || prefix > bits)
		return 0;
	full = prefix / 8;
	rest = prefix % 8;
	if (memcmp(ip->a, net->a, full) != 0)
		return 0;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		if ((ip->a[full] & mask) != (net->a[full] & mask))
			return 0;
	}
	return 1;
}

char *ipaddr_format(const struct mc_ipaddr *ip, char *buf)
{
	if (!inet_ntop(ip->family, ip->a, buf, MC_IPADDR_TEXT_MAX))
		buf[0] = '\0';
	return buf;
}

char *ipaddr_reverse(const struct mc_ipaddr *ip, int upper, int arpa,
		     char *buf)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t j = 0;

	if (ip->family == AF_INET) {
		snprintf(buf, MC_IPADDR_REVERSE_MAX, "%u.%u.%u.%u%s",
			 ip->a[3], ip->a[2], ip->a[1], ip->a[0],
			 arpa ? ".in-addr.arpa" : "");
		return buf;
	}
	for (int i = 15; i >= 0; i--) {
		buf[j++] = hex[ip->a[i] & 0x0f];
		buf[j++] = '.';
		buf[j++] = hex[ip->a[i] >> 4];
		buf[j++] = '.';
	}
	buf[j - 1] = '\0';
	if (arpa)
		memcpy(buf + j - 1, ".ip6.arpa", sizeof(".ip6.arpa"));
	return buf;
}

int ipaddr_is_unspecified(const struct mc_ipaddr *ip)
{
	static const unsigned char zero[16];

	return memcmp(ip->a, zero, ip->family == AF_INET ? 4 : 16) == 0;
}

struct special_net {
	const char *net;
	unsigned prefix;
};

/* RFC 6890 (and updates) special-purpose blocks whose "Globally
 * Reachable" is False, plus multicast and the reserved 240/4. */
static const struct special_net not_global[] = {
	{"0.0.0.0", 8}, {"10.0.0.0", 8}, {"100.64.0.0", 10},
	{"127.0.0.0", 8}, {"169.254.0.0", 16}, {"172.16.0.0", 12},
	{"192.0.0.0", 24}, {"192.0.2.0", 24}, {"192.168.0.0", 16},
	{"198.18.0.0", 15}, {"198.51.100.0", 24}, {"203.0.113.0", 24},
	{"224.0.0.0", 4}, {"240.0.0.0", 4},
	{"::", 128}, {"::1", 128}, {"64:ff9b:1::", 48}, {"100::", 64},
	{"2001::", 23}, {"2001:db8::", 32}, {"fc00::", 7}, {"fe80::", 10},
	{"ff00::", 8},
};

int ipaddr_is_global(const struct mc_ipaddr *in)
{
	struct mc_ipaddr ip = *in, net;

	ipaddr_unmap(&ip);
	for (size_t i = 0; i < sizeof(not_global) / sizeof(not_global[0]); i++) {
		const char *t = not_global[i].net;

		if (ipaddr_parse(t, strlen(t), &net) == 0 &&
		    ipaddr_match(&ip, &net, not_global[i].prefix))
			return 0;
	}
	return 1;
}
