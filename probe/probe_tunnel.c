/* The loopback tunnel between libesmtp and the relay (see
 * probe_internal.h for why it exists). One thread per submission: it
 * accepts libesmtp's single connection on 127.0.0.1, checks it comes from
 * this process, and copies bytes both ways until either side hangs up,
 * the gate closes, or the relay goes quiet for longer than the timeout. */
#include "probe/probe_internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_net.h"
#include "mc_time.h"
#include "probe/probe.h"

#define TUNNEL_BUF 16384
#define TUNNEL_MAX_FDS 65536       /* /proc/self/fd entries looked at */
#define TUNNEL_MAX_ROUNDS 1000000  /* poll rounds; the clock ends it first */

void probe_tunnel_init(struct probe_tunnel *tn)
{
	memset(tn, 0, sizeof(*tn));
	tn->listen_fd = tn->local_fd = tn->remote_fd = -1;
	tn->wake[0] = tn->wake[1] = -1;
	atomic_init(&tn->gate, 0);
}

int probe_tunnel_connect(struct probe_tunnel *tn, const struct mc_relay *relay,
			 double deadline, char *peer, size_t peer_size,
			 struct mc_err *err)
{
	char why[200];

	tn->remote_fd = mc_net_connect(relay->host, relay->port, deadline,
				       relay->timeout, peer, peer_size, why,
				       sizeof(why));
	if (tn->remote_fd < 0)
		return mc_err_set(err, -1, MC_COMP_RELAY, "%s", why);
	return 0;
}

int probe_tunnel_handshake(struct probe_tunnel *tn, struct mc_tls *tls,
			   const struct mc_relay *relay, double deadline,
			   struct mc_err *err)
{
	char why[200];
	int timed_out;

	tn->ssl = mc_tls_handshake(tls, tn->remote_fd, deadline, &timed_out,
				   why, sizeof(why));
	if (tn->ssl)
		return 0;
	if (timed_out)
		return mc_err_set(err, -1, MC_COMP_TLS,
				  "TLS handshake: no answer within %.3gs",
				  relay->timeout);
	return mc_err_set(err, -1, MC_COMP_TLS, "TLS %s", why);
}

int probe_tunnel_write(struct probe_tunnel *tn, const char *p, size_t n,
		       double deadline)
{
	size_t off = 0;

	for (int round = 0; off < n && round < 10000; round++) {
		struct pollfd pf = {.fd = tn->remote_fd, .events = POLLOUT};
		long w = send(tn->remote_fd, p + off, n - off, MSG_NOSIGNAL);
		int ms;

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			tn->remote_closed = 1;
			snprintf(tn->why, sizeof(tn->why), "%s", strerror(errno));
			return -1;
		}
		ms = mc_ms_until(deadline);
		if (ms == 0) {
			tn->stalled = 1;
			return -1;
		}
		poll(&pf, 1, ms);
	}
	return off == n ? 0 : -1;
}

long probe_tunnel_read_reply(struct probe_tunnel *tn, char *buf, size_t size,
			     size_t *have, double deadline)
{
	for (int round = 0; round < 100000; round++) {
		struct probe_reply r;
		struct pollfd pf = {.fd = tn->remote_fd, .events = POLLIN};
		long got = *have ? probe_reply_parse(buf, *have, &r) : 0;
		int ms;

		if (got > 0)
			return got;
		if (got < 0 || *have == size)
			return -2;
		got = recv(tn->remote_fd, buf + *have, size - *have, 0);
		if (got > 0) {
			*have += (size_t)got;
			continue;
		}
		if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
			tn->remote_closed = 1;
			snprintf(tn->why, sizeof(tn->why), "%s",
				 got == 0 ? "closed" : strerror(errno));
			return -1;
		}
		ms = mc_ms_until(deadline);
		if (ms == 0) {
			tn->stalled = 1;
			return -1;
		}
		poll(&pf, 1, ms);
	}
	return -2;
}

/* 1 if the peer of the accepted socket fd is a socket of this process
 * (libesmtp's), so no other local user can take over the tunnel by
 * connecting first. When /proc is not there we cannot tell, and allow. */
static int peer_is_ours(int fd)
{
	struct sockaddr_in peer, mine;
	socklen_t len = sizeof(peer);
	DIR *d;
	struct dirent *e;
	int found = 0, seen = 0;

	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
		return 0;
	d = opendir("/proc/self/fd");
	if (!d)
		return 1;
	while (!found && seen++ < TUNNEL_MAX_FDS && (e = readdir(d))) {
		char *end;
		long other = strtol(e->d_name, &end, 10);

		if (*end || end == e->d_name || other == fd ||
		    other == dirfd(d))
			continue;
		len = sizeof(mine);
		if (getsockname((int)other, (struct sockaddr *)&mine, &len) == 0 &&
		    len == sizeof(mine) && mine.sin_family == AF_INET &&
		    mine.sin_port == peer.sin_port &&
		    mine.sin_addr.s_addr == peer.sin_addr.s_addr)
			found = 1;
	}
	closedir(d);
	return found;
}

static int tunnel_accept(struct probe_tunnel *tn)
{
	for (int round = 0; round < 64; round++) {
		struct pollfd p[2] = {
			{.fd = tn->wake[0], .events = POLLIN},
			{.fd = tn->listen_fd, .events = POLLIN},
		};
		int n = poll(p, 2, mc_ms_until(mc_now_mono() + tn->timeout));
		int fd;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || p[0].revents)
			return -1;
		fd = accept4(tn->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (peer_is_ours(fd)) {
			tn->local_fd = fd;
			return 0;
		}
		close(fd);
	}
	return -1;
}

struct pipe_buf {
	char b[TUNNEL_BUF];
	size_t len;
};

static int down_has_room(const struct pipe_buf *buf)
{
	return sizeof(buf->b) - buf->len > PROBE_MASK_HEAD;
}

/* Reads from the relay into buf, through the EHLO keyword mask. Returns
 * bytes read, 0 if nothing now, -1 at end of stream or error. */
static long remote_read(struct probe_tunnel *tn, struct pipe_buf *buf)
{
	char raw[TUNNEL_BUF];
	size_t room = sizeof(buf->b) - buf->len;
	long n;

	if (!down_has_room(buf))
		return 0;
	room -= PROBE_MASK_HEAD;
	if (tn->ssl) {
		int r = SSL_read(tn->ssl, raw, (int)room);

		if (r > 0) {
			buf->len += probe_ehlo_mask(&tn->mask, raw, (size_t)r,
						    buf->b + buf->len);
			return r;
		}
		switch (SSL_get_error(tn->ssl, r)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			return 0;
		default:
			ERR_clear_error();
			return -1;
		}
	}
	n = recv(tn->remote_fd, raw, room, 0);
	if (n > 0) {
		buf->len += probe_ehlo_mask(&tn->mask, raw, (size_t)n,
					    buf->b + buf->len);
		return n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

static long remote_write(struct probe_tunnel *tn, struct pipe_buf *buf)
{
	long n;

	if (!buf->len)
		return 0;
	if (tn->ssl) {
		int r = SSL_write(tn->ssl, buf->b, (int)buf->len);

		if (r <= 0) {
			int e = SSL_get_error(tn->ssl, r);

			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE)
				return 0;
			ERR_clear_error();
			return -1;
		}
		n = r;
	} else {
		n = send(tn->remote_fd, buf->b, buf->len, MSG_NOSIGNAL);
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	}
	memmove(buf->b, buf->b + n, buf->len - (size_t)n);
	buf->len -= (size_t)n;
	return n;
}

static void tunnel_relay(struct probe_tunnel *tn)
{
	struct pipe_buf *up = calloc(1, sizeof(*up));    /* libesmtp -> relay */
	struct pipe_buf *down = calloc(1, sizeof(*down)); /* relay -> libesmtp */
	int local_eof = 0, remote_eof = 0, local_shut = 0;
	double last = mc_now_mono();

	if (!up || !down) {
		snprintf(tn->why, sizeof(tn->why), "out of memory");
		goto out;
	}
	if (tn->prefix_len) {
		memcpy(down->b, tn->prefix, tn->prefix_len);
		down->len = tn->prefix_len;
	}
	for (int round = 0; round < TUNNEL_MAX_ROUNDS; round++) {
		struct pollfd p[3];
		double limit = last + tn->timeout;
		int n, moved = 0;

		if (limit > tn->hard_deadline)
			limit = tn->hard_deadline;
		p[0] = (struct pollfd){.fd = tn->wake[0], .events = POLLIN};
		/* A side that has hung up would make poll() spin on POLLHUP. */
		p[1] = (struct pollfd){.fd = local_eof && !down->len
						     ? -1 : tn->local_fd};
		p[2] = (struct pollfd){.fd = remote_eof ? -1 : tn->remote_fd};
		if (!local_eof && up->len < sizeof(up->b))
			p[1].events |= POLLIN;
		if (down->len)
			p[1].events |= POLLOUT;
		if (!remote_eof)
			p[2].events |= POLLIN;
		if (up->len)
			p[2].events |= POLLOUT;
		/* OpenSSL may hold decrypted bytes poll() cannot see. */
		n = (tn->ssl && SSL_pending(tn->ssl) && down_has_room(down))
			    ? 0 : mc_ms_until(limit);
		n = poll(p, 3, n);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(tn->why, sizeof(tn->why), "poll: %s",
				 strerror(errno));
			break;
		}
		if (atomic_load(&tn->gate) || p[0].revents)
			break;
		if (!local_eof && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			long r = recv(tn->local_fd, up->b + up->len,
				      sizeof(up->b) - up->len, 0);

			if (r > 0) {
				up->len += (size_t)r;
				moved = 1;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				local_eof = 1;
			}
		}
		/* The gate is closed before libesmtp writes what it must not
		 * send, so check again now that those bytes may be here. */
		if (atomic_load(&tn->gate))
			break;
		if (up->len && !remote_eof) {
			long w = remote_write(tn, up);

			if (w < 0)
				remote_eof = tn->remote_closed = 1;
			moved |= w > 0;
		}
		if (!remote_eof) {
			long r;

			do {
				r = remote_read(tn, down);
				moved |= r > 0;
			} while (r > 0 && tn->ssl && SSL_pending(tn->ssl));
			if (r < 0) {
				struct probe_ehlo_mask *m = &tn->mask;

				remote_eof = tn->remote_closed = 1;
				/* A last line that ended without a newline. */
				if (m->col < PROBE_MASK_HEAD && down_has_room(down)) {
					memcpy(down->b + down->len, m->head, m->col);
					down->len += m->col;
					m->col = 0;
				}
			}
		}
		if (down->len) {
			long w = send(tn->local_fd, down->b, down->len,
				      MSG_NOSIGNAL);

			if (w > 0) {
				memmove(down->b, down->b + w, down->len - (size_t)w);
				down->len -= (size_t)w;
				moved = 1;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				local_eof = 1;
				down->len = 0;
			}
		}
		if (remote_eof && !down->len && !local_shut) {
			/* Let libesmtp see the relay hang up. */
			shutdown(tn->local_fd, SHUT_WR);
			local_shut = 1;
		}
		if (local_eof && (!up->len || remote_eof))
			break;
		if (moved) {
			last = mc_now_mono();
		} else if (mc_now_mono() >= limit) {
			/* Once the relay has gone, waiting is libesmtp's. */
			tn->stalled = !remote_eof;
			break;
		}
	}
out:
	/* Hang up on libesmtp at once, whatever ended the loop: it must not
	 * wait out its own (longer) timeouts. */
	if (tn->local_fd >= 0)
		shutdown(tn->local_fd, SHUT_RDWR);
	if (tn->remote_fd >= 0)
		shutdown(tn->remote_fd, SHUT_RDWR);
	free(up);
	free(down);
}

static void *tunnel_main(void *arg)
{
	struct probe_tunnel *tn = arg;

	if (tunnel_accept(tn) == 0) {
		tn->accepted = 1;
		tunnel_relay(tn);
	}
	close(tn->listen_fd);
	tn->listen_fd = -1;
	return NULL;
}

int probe_tunnel_start(struct probe_tunnel *tn, const char *prefix, size_t n,
		       struct mc_err *err)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	sigset_t block, old;
	int rc;

	if (n > TUNNEL_BUF)
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "tunnel: greeting too long to replay");
	if (n) {
		tn->prefix = malloc(n);
		if (!tn->prefix)
			return mc_err_set(err, -1, MC_COMP_INTERNAL,
					  "tunnel: out of memory");
		memcpy(tn->prefix, prefix, n);
		tn->prefix_len = n;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tn->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (tn->listen_fd < 0 ||
	    bind(tn->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(tn->listen_fd, 4) < 0 ||
	    getsockname(tn->listen_fd, (struct sockaddr *)&a, &len) < 0 ||
	    pipe2(tn->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "tunnel: cannot listen on 127.0.0.1: %s",
				  strerror(errno));
	tn->port = ntohs(a.sin_port);
	/* The thread writes to sockets whose peer may be gone; OpenSSL's
	 * socket BIO uses plain write(). It inherits this mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&tn->thread, NULL, tunnel_main, tn);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "tunnel: cannot start a thread: %s",
				  strerror(rc));
	tn->started = 1;
	return 0;
}

void probe_tunnel_gate(struct probe_tunnel *tn)
{
	atomic_store(&tn->gate, 1);
	if (tn->wake[1] >= 0 && write(tn->wake[1], "g", 1) < 0) {
		/* Full or closed: the thread is already on its way out. */
	}
}

void probe_tunnel_stop(struct probe_tunnel *tn)
{
	if (tn->started) {
		if (write(tn->wake[1], "x", 1) < 0) {
			/* The gate byte is already there. */
		}
		pthread_join(tn->thread, NULL);
		tn->started = 0;
	}
	if (tn->ssl)
		SSL_free(tn->ssl);
	tn->ssl = NULL;
	free(tn->prefix);
	tn->prefix = NULL;
	tn->prefix_len = 0;
	if (tn->listen_fd >= 0)
		close(tn->listen_fd);
	if (tn->local_fd >= 0)
		close(tn->local_fd);
	if (tn->remote_fd >= 0)
		close(tn->remote_fd);
	for (int i = 0; i < 2; i++)
		if (tn->wake[i] >= 0)
			close(tn->wake[i]);
	/* Descriptors only: what the thread saw stays for the verdict. */
	tn->listen_fd = tn->local_fd = tn->remote_fd = -1;
	tn->wake[0] = tn->wake[1] = -1;
}
