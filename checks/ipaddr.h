/* IP addresses as the DNS checks need them: parse, print, match against a
 * CIDR network, and spell as reverse-DNS labels (PTR, DNSBL, SPF %{i}).
 * Pure functions on bytes; no resolving, no I/O. */
#ifndef MC_IPADDR_H
#define MC_IPADDR_H

#include <stddef.h>

/* Longest text an address takes: an IPv6 reverse name of 32 nibbles,
 * "ip6.arpa" and the NUL. */
#define MC_IPADDR_REVERSE_MAX 74
#define MC_IPADDR_TEXT_MAX 46     /* INET6_ADDRSTRLEN */

struct mc_ipaddr {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char a[16];        /* network order; 4 bytes used for IPv4 */
};

/* Parses p/n as a dotted-quad IPv4 or an RFC 4291 IPv6 address. IPv4
 * takes exactly four decimal parts 0..255 without leading zeros (RFC 7208
 * qnum). Returns 0, or -1 if it is neither. */
int ipaddr_parse(const char *p, size_t n, struct mc_ipaddr *out);

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 address;
 * anything else is left alone. Returns 1 if it changed ip. */
int ipaddr_unmap(struct mc_ipaddr *ip);

/* 1 if ip lies in net/prefix (same family, prefix 0..32 or 0..128),
 * else 0. */
int ipaddr_match(const struct mc_ipaddr *ip, const struct mc_ipaddr *net,
		 unsigned prefix);

/* 1 if ip is a globally routable unicast address -- one a receiver on the
 * Internet can have seen mail come from, and a public DNS blocklist can
 * judge -- else 0: unspecified, loopback, private (RFC 1918, RFC 4193
 * ULA), shared (RFC 6598), link-local, documentation and benchmarking
 * (RFC 5737, 3849, 2544), multicast, reserved, and IPv4-mapped forms of
 * those (RFC 6890 special-purpose registries, the "not global" rows). */
int ipaddr_is_global(const struct mc_ipaddr *ip);

/* 1 for 0.0.0.0 and ::, else 0. */
int ipaddr_is_unspecified(const struct mc_ipaddr *ip);

/* The usual text form (inet_ntop, RFC 5952 for IPv6) into buf, which must
 * hold MC_IPADDR_TEXT_MAX bytes. Returns buf. */
char *ipaddr_format(const struct mc_ipaddr *ip, char *buf);

/* Reverse labels into buf (MC_IPADDR_REVERSE_MAX bytes): "4.3.2.1" for
 * IPv4, 32 dot-separated nibbles lowest first for IPv6 (upper-case hex
 * digits if upper), plus ".in-addr.arpa"/".ip6.arpa" if arpa. Returns
 * buf. */
char *ipaddr_reverse(const struct mc_ipaddr *ip, int upper, int arpa,
		     char *buf);

#endif
