/* Bounded TCP connect (see mc_net.h). Moved out of probe/probe_tunnel.c
 * when receiver/imap.c stopped letting libcurl connect. */
#include "mc_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_time.h"

static void format_peer(const struct sockaddr *sa, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

/* One non-blocking connect, waited for until deadline. Returns the socket
 * or -1 with *why set (an errno). */
static int connect_one(const struct addrinfo *ai, double deadline, int *why)
{
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	struct pollfd p;
	socklen_t len = sizeof(*why);

	if (fd < 0) {
		*why = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*why = errno;
		close(fd);
		return -1;
	}
	for (;;) {
		int n, ms = mc_ms_until(deadline);

		if (ms == 0) {
			*why = ETIMEDOUT;
			close(fd);
			return -1;
		}
		p = (struct pollfd){.fd = fd, .events = POLLOUT};
		n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = errno;
			close(fd);
			return -1;
		}
		if (n > 0)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, why, &len) < 0)
		*why = errno;
	if (*why) {
		close(fd);
		return -1;
	}
	return fd;
}

int mc_net_connect(const char *host, int port, double deadline,
		   double timeout, char *peer, size_t peer_size, char *why,
		   size_t why_size)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL, *ai;
	char port_s[8];
	int rc, err = 0, n = 0, tried = 0;

	snprintf(port_s, sizeof(port_s), "%d", port);
	snprintf(peer, peer_size, "%s:%d", host, port);
	/* Name resolution is the system resolver's (nsswitch, /etc/hosts:
	 * relays and mail servers are often "localhost" or names only
	 * /etc/hosts knows), and so bounded by its own timeout and
	 * attempts, not by ours. */
	rc = getaddrinfo(host, port_s, &hints, &res);
	if (rc != 0) {
		snprintf(why, why_size, "cannot resolve %s: %s", host,
			 gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next)
		n++;
	if (n > MC_NET_MAX_ADDRS)
		n = MC_NET_MAX_ADDRS;
	for (ai = res; ai && tried < n; ai = ai->ai_next, tried++) {
		/* Share what is left between the addresses still to try, so
		 * one black-holed address does not use up all of it. */
		double left = deadline - mc_now_mono();
		double until = mc_now_mono() + left / (double)(n - tried);
		int fd;

		if (left <= 0) {
			err = ETIMEDOUT;
			break;
		}
		fd = connect_one(ai, until, &err);
		format_peer(ai->ai_addr, peer, peer_size);
		if (fd >= 0) {
			freeaddrinfo(res);
			return fd;
		}
	}
	freeaddrinfo(res);
	if (err == ETIMEDOUT)
		snprintf(why, why_size,
			 "cannot connect: no answer from %s within %.3gs", peer,
			 timeout);
	else
		snprintf(why, why_size, "cannot connect to %s: %s", peer,
			 strerror(err));
	return -1;
}
