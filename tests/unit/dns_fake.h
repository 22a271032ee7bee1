/* Test helpers for test_dns.c: crafting DNS messages, and a tiny fake DNS
 * server on 127.0.0.1 (UDP and TCP on one port) running in a thread.
 * Header-only on purpose (one test binary per test file); include it after
 * cmocka.h, whose assertions it uses. */
#ifndef MC_TEST_DNS_FAKE_H
#define MC_TEST_DNS_FAKE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- crafting packets ---- */

struct pkt {
	unsigned char b[70000];
	size_t n;
};

static void put8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)v;
}

static void put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put32(struct pkt *p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p, (unsigned)(v & 0xffff));
}

static void put_name(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		put8(p, (unsigned)len);
		memcpy(p->b + p->n, name, len);
		p->n += len;
		name += len + (dot ? 1 : 0);
	}
	put8(p, 0);
}

/* Header + question; flags 0x8180 = response, RD, RA. */
static void start(struct pkt *p, unsigned flags, unsigned an,
		  const char *qname, unsigned qtype)
{
	p->n = 0;
	put16(p, 0x1234);
	put16(p, flags);
	put16(p, 1);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
	put_name(p, qname);
	put16(p, qtype);
	put16(p, 1);
}

/* An RR owned by the question name (pointer 0xC00C). */
static void rr_head(struct pkt *p, unsigned type, unsigned rdlen)
{
	put16(p, 0xC00C);
	put16(p, type);
	put16(p, 1);
	put32(p, 300);
	put16(p, rdlen);
}

static void rr_a(struct pkt *p, const char *ip)
{
	rr_head(p, 1, 4);
	inet_pton(AF_INET, ip, p->b + p->n);
	p->n += 4;
}

static void put_txt(struct pkt *p, const char *const *strs, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += 1 + strlen(strs[i]);
	rr_head(p, 16, (unsigned)len);
	for (size_t i = 0; i < n; i++) {
		put8(p, (unsigned)strlen(strs[i]));
		memcpy(p->b + p->n, strs[i], strlen(strs[i]));
		p->n += strlen(strs[i]);
	}
}

/* ---- a fake server in a thread ---- */

struct fake {
	int udp, tcp, conns[4], stop_pipe[2];
	unsigned short port;
	pthread_t thread;
	pthread_mutex_t lock;
	int seen;                 /* queries received */
	int batch;                /* "batch" names: answer when this many */
	struct {
		unsigned char q[512];
		size_t n;
		struct sockaddr_in from;
	} held[64];
	int n_held;
};

/* Answers q (a query) into r according to its first label: ok* -> A
 * 192.0.2.1, servfail -> SERVFAIL, nx -> NXDOMAIN, tc -> over UDP an
 * empty TC answer and over TCP one 600-byte TXT, drop -> nothing. Returns
 * the length or 0 for no answer. */
static size_t fake_answer(const unsigned char *q, size_t n, int tcp,
			  unsigned char *r)
{
	struct pkt p;
	size_t qend = 12;
	char label[64] = "";

	if (n < 17)
		return 0;
	if (q[12] < sizeof(label)) {
		memcpy(label, q + 13, q[12]);
		label[q[12]] = '\0';
	}
	while (qend < n && q[qend])
		qend += q[qend] + 1u;
	qend += 5;
	if (qend > n || strncmp(label, "drop", 4) == 0)
		return 0;
	memcpy(p.b, q, qend);
	p.n = qend;
	p.b[2] = 0x81;
	p.b[3] = 0x80;
	p.b[6] = p.b[7] = 0;
	if (strcmp(label, "servfail") == 0) {
		p.b[3] = 0x82;
	} else if (strcmp(label, "nx") == 0) {
		p.b[3] = 0x83;
	} else if (strcmp(label, "tc") == 0 && !tcp) {
		p.b[2] |= 0x02;
	} else if (strcmp(label, "tc") == 0) {
		char s[200];
		const char *strs[3] = {s, s, s};

		memset(s, 't', 199);
		s[199] = '\0';
		p.b[7] = 1;
		put_txt(&p, strs, 3);
	} else {
		p.b[7] = 1;
		rr_a(&p, "192.0.2.1");
	}
	memcpy(r, p.b, p.n);
	return p.n;
}

static void fake_udp(struct fake *f)
{
	unsigned char q[512], r[4096];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(f->udp, q, sizeof(q), 0,
			     (struct sockaddr *)&from, &fl);
	size_t rn;

	if (n <= 0)
		return;
	pthread_mutex_lock(&f->lock);
	f->seen++;
	pthread_mutex_unlock(&f->lock);
	if (n > 17 && memcmp(q + 13, "batch", 5) == 0 && f->n_held < 64) {
		memcpy(f->held[f->n_held].q, q, (size_t)n);
		f->held[f->n_held].n = (size_t)n;
		f->held[f->n_held].from = from;
		if (++f->n_held < f->batch)
			return;
		/* All of them in flight at once: answer them all now. */
		for (int i = 0; i < f->n_held; i++) {
			rn = fake_answer(f->held[i].q, f->held[i].n, 0, r);
			sendto(f->udp, r, rn, 0,
			       (struct sockaddr *)&f->held[i].from,
			       sizeof(f->held[i].from));
		}
		f->n_held = 0;
		return;
	}
	rn = fake_answer(q, (size_t)n, 0, r);
	if (rn)
		sendto(f->udp, r, rn, 0, (struct sockaddr *)&from, fl);
}

static void fake_tcp(struct fake *f, int i)
{
	unsigned char len[2], q[512], r[4096 + 2];
	size_t qn, rn;

	if (recv(f->conns[i], len, 2, MSG_WAITALL) != 2)
		goto drop;
	qn = (size_t)len[0] << 8 | len[1];
	if (qn > sizeof(q) || recv(f->conns[i], q, qn, MSG_WAITALL) != (ssize_t)qn)
		goto drop;
	rn = fake_answer(q, qn, 1, r + 2);
	if (!rn)
		return;
	r[0] = (unsigned char)(rn >> 8);
	r[1] = (unsigned char)rn;
	if (send(f->conns[i], r, rn + 2, 0) != (ssize_t)(rn + 2))
		goto drop;
	return;
drop:
	close(f->conns[i]);
	f->conns[i] = -1;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (int rounds = 0; rounds < 100000; rounds++) {
		struct pollfd p[7];
		int n = 0;

		p[n++] = (struct pollfd){.fd = f->stop_pipe[0], .events = POLLIN};
		p[n++] = (struct pollfd){.fd = f->udp, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = f->tcp, .events = POLLIN};
		for (int i = 0; i < 4; i++)
			p[n++] = (struct pollfd){.fd = f->conns[i],
						 .events = POLLIN};
		if (poll(p, (nfds_t)n, 5000) <= 0 || p[0].revents)
			break;
		if (p[1].revents)
			fake_udp(f);
		if (p[2].revents) {
			int c = accept(f->tcp, NULL, NULL);

			for (int i = 0; c >= 0 && i < 4; i++) {
				if (f->conns[i] < 0) {
					f->conns[i] = c;
					c = -1;
				}
			}
			if (c >= 0)
				close(c);
		}
		for (int i = 0; i < 4; i++)
			if (f->conns[i] >= 0 && p[3 + i].revents)
				fake_tcp(f, i);
	}
	return NULL;
}

static struct fake *fake_start(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int one = 1;

	assert_non_null(f);
	pthread_mutex_init(&f->lock, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* The UDP port picks the number; TCP must get the same one. A
	 * clash is unlikely; try a few times. */
	for (int tries = 0; tries < 20; tries++) {
		a.sin_port = 0;
		f->udp = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(f->udp >= 0);
		assert_int_equal(bind(f->udp, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(getsockname(f->udp, (struct sockaddr *)&a, &al), 0);
		f->tcp = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(f->tcp, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		    listen(f->tcp, 4) == 0)
			break;
		close(f->tcp);
		close(f->udp);
		f->tcp = f->udp = -1;
	}
	assert_true(f->tcp >= 0);
	f->port = ntohs(a.sin_port);
	for (int i = 0; i < 4; i++)
		f->conns[i] = -1;
	assert_int_equal(pipe(f->stop_pipe), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	return f;
}

/* Queries the server has received so far. */
static int fake_seen(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->seen;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static void fake_stop(struct fake *f)
{
	assert_int_equal(write(f->stop_pipe[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->udp);
	close(f->tcp);
	for (int i = 0; i < 4; i++)
		if (f->conns[i] >= 0)
			close(f->conns[i]);
	close(f->stop_pipe[0]);
	close(f->stop_pipe[1]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static struct mc_dns *fake_dns(struct fake *f, int timeout_ms, int tries)
{
	char server[32];
	struct mc_dns_opts o = {.timeout_ms = timeout_ms, .tries = tries,
				.server = server};
	struct mc_err err = {0};
	struct mc_dns *dns;

	snprintf(server, sizeof(server), "127.0.0.1:%u", f->port);
	dns = dns_new(&o, &err);
	if (!dns)
		fail_msg("dns_new: %s", err.msg);
	return dns;
}

#endif
