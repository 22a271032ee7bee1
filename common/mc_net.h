/* A TCP connection to a configured host and port, bounded in time: the
 * system resolver (getaddrinfo: numeric IPv4/IPv6 or a name from DNS or
 * /etc/hosts), then each address in turn with a non-blocking connect().
 * Used for the relay (probe/) and the mailboxes (receiver/imap.c). */
#ifndef MC_NET_H
#define MC_NET_H

#include <stddef.h>

#define MC_NET_MAX_ADDRS 16        /* addresses of a host tried */
#define MC_NET_PEER_MAX 64         /* "[v6]:port" */

/* Connects to host:port, sharing what is left until deadline
 * (mc_now_mono()) between the addresses still to try. Returns a
 * non-blocking, close-on-exec socket the caller closes, and the address
 * it reached in peer ("ip:port", "[ip6]:port"); or -1 with why set:
 * "cannot resolve HOST: ...", "cannot connect: no answer from PEER within
 * Ns" (N = timeout, as configured) or "cannot connect to PEER: <errno>".
 * Name resolution is bounded by the resolver's own timeout, not ours. */
int mc_net_connect(const char *host, int port, double deadline,
		   double timeout, char *peer, size_t peer_size, char *why,
		   size_t why_size);

#endif
