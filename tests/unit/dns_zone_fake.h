/* A table-driven fake DNS server for the DNS checks' unit tests (mx, ptr,
 * dmarc, dnsbl, check): UDP on 127.0.0.1, a port of its own, in a thread,
 * answering from a table of records. Unlike dns_fake.h (first-label
 * behaviours for the channel's own tests) it serves real-looking zones:
 * names with other types give NODATA, unknown names NXDOMAIN, CNAMEs are
 * followed, and a name can be made to SERVFAIL, REFUSE or stay silent.
 * Header-only (static inline) so a test uses what it needs; include it
 * after cmocka.h. */
#ifndef MC_TEST_DNS_ZONE_FAKE_H
#define MC_TEST_DNS_ZONE_FAKE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/dns.h"

enum {
	ZT_A = 1, ZT_CNAME = 5, ZT_PTR = 12, ZT_MX = 15, ZT_TXT = 16,
	ZT_AAAA = 28,
	/* Behaviours of a name, for any type: */
	ZT_SERVFAIL = 1000, ZT_REFUSED, ZT_DROP,
};

/* One record. data: A/AAAA address text; MX "PREF NAME" ("0 ." is a null
 * MX); PTR/CNAME a name; TXT the text (split into 255-byte strings). */
struct zrec {
	const char *name;
	int type;
	const char *data;
};

struct zfake {
	int udp, stop_pipe[2];
	unsigned short port;
	pthread_t thread;
	const struct zrec *zone;       /* terminated by a NULL name */
	pthread_mutex_t lock;
	int queries;
};

struct zpkt {
	unsigned char b[4096];
	size_t n;
	int full;
};

static inline void zput8(struct zpkt *p, unsigned v)
{
	if (p->n < sizeof(p->b))
		p->b[p->n++] = (unsigned char)v;
	else
		p->full = 1;
}

static inline void zput16(struct zpkt *p, unsigned v)
{
	zput8(p, v >> 8);
	zput8(p, v & 0xff);
}

static inline void zput_name(struct zpkt *p, const char *name)
{
	if (strcmp(name, ".") == 0)
		name = "";
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		zput8(p, (unsigned)len);
		for (size_t i = 0; i < len; i++)
			zput8(p, (unsigned char)name[i]);
		name += len + (dot ? 1 : 0);
	}
	zput8(p, 0);
}

static inline int zname_eq(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na && a[na - 1] == '.')
		na--;
	if (nb && b[nb - 1] == '.')
		nb--;
	return na == nb && strncasecmp(a, b, na) == 0;
}

/* Appends one RR of r (owner r->name). */
static inline void zput_rr(struct zpkt *p, const struct zrec *r)
{
	size_t len_at;

	zput_name(p, r->name);
	zput16(p, (unsigned)r->type);
	zput16(p, 1);
	zput16(p, 0);
	zput16(p, 300);
	len_at = p->n;
	zput16(p, 0);
	switch (r->type) {
	case ZT_A: {
		unsigned char a[4];

		inet_pton(AF_INET, r->data, a);
		for (int i = 0; i < 4; i++)
			zput8(p, a[i]);
		break;
	}
	case ZT_AAAA: {
		unsigned char a[16];

		inet_pton(AF_INET6, r->data, a);
		for (int i = 0; i < 16; i++)
			zput8(p, a[i]);
		break;
	}
	case ZT_MX: {
		char *end;
		unsigned long pref = strtoul(r->data, &end, 10);

		zput16(p, (unsigned)pref);
		zput_name(p, end + (*end == ' '));
		break;
	}
	case ZT_PTR:
	case ZT_CNAME:
		zput_name(p, r->data);
		break;
	case ZT_TXT: {
		size_t n = strlen(r->data);

		for (size_t off = 0; off < n || (n == 0 && off == 0);
		     off += 255) {
			size_t k = n - off > 255 ? 255 : n - off;

			zput8(p, (unsigned)k);
			for (size_t i = 0; i < k; i++)
				zput8(p, (unsigned char)r->data[off + i]);
			if (n == 0)
				break;
		}
		break;
	}
	}
	if (len_at + 2 <= sizeof(p->b)) {
		p->b[len_at] = (unsigned char)((p->n - len_at - 2) >> 8);
		p->b[len_at + 1] = (unsigned char)(p->n - len_at - 2);
	}
}

/* Builds the answer to q/n into p; returns 0 to stay silent. */
static inline int zanswer(const struct zrec *zone, const unsigned char *q,
			  size_t n, struct zpkt *p)
{
	char qname[256], cur[256];
	size_t i = 12, j = 0, qend;
	unsigned qtype, an = 0;
	int exists = 0, rcode = 0;

	if (n < 17)
		return 0;
	while (i < n && q[i]) {
		size_t len = q[i];

		if (i + 1 + len > n || j + len + 1 >= sizeof(qname))
			return 0;
		if (j)
			qname[j++] = '.';
		memcpy(qname + j, q + i + 1, len);
		j += len;
		i += len + 1;
	}
	qname[j] = '\0';
	qend = i + 5;
	if (qend > n)
		return 0;
	qtype = (unsigned)q[i + 1] << 8 | q[i + 2];
	memcpy(p->b, q, qend);
	p->n = qend;
	p->b[2] = 0x84 | (q[2] & 0x01);  /* QR, AA, RD copied */
	p->b[3] = 0x00;
	p->b[6] = p->b[7] = p->b[8] = p->b[9] = p->b[10] = p->b[11] = 0;
	snprintf(cur, sizeof(cur), "%s", qname);
	for (int hops = 0; hops < 8; hops++) {
		const struct zrec *cname = NULL;
		unsigned found = 0;
		int here = 0;

		for (const struct zrec *r = zone; r->name; r++) {
			if (!zname_eq(r->name, cur))
				continue;
			if (r->type == ZT_DROP)
				return 0;
			if (r->type == ZT_SERVFAIL)
				rcode = 2;
			else if (r->type == ZT_REFUSED)
				rcode = 5;
			here = 1;
			if ((unsigned)r->type == qtype) {
				zput_rr(p, r);
				found++;
			} else if (r->type == ZT_CNAME) {
				cname = r;
			}
		}
		if (rcode) {
			p->n = qend;
			an = 0;
			break;
		}
		exists = here;
		an += found;
		if (!here || found || !cname || qtype == ZT_CNAME)
			break;
		zput_rr(p, cname);
		an++;
		snprintf(cur, sizeof(cur), "%s", cname->data);
	}
	if (!rcode && !exists)
		rcode = 3;
	if (p->full)
		return 0;
	if (p->n > 512) {
		/* UDP without EDNS: say TC (this fake has no TCP, so the
		 * query ends in an error, as it should). */
		p->n = qend;
		p->b[2] |= 0x02;
		an = 0;
	}
	p->b[3] = (unsigned char)rcode;
	p->b[6] = (unsigned char)(an >> 8);
	p->b[7] = (unsigned char)an;
	return 1;
}

static inline void *zfake_main(void *arg)
{
	struct zfake *f = arg;

	for (int rounds = 0; rounds < 100000; rounds++) {
		struct pollfd pf[2] = {
			{.fd = f->stop_pipe[0], .events = POLLIN},
			{.fd = f->udp, .events = POLLIN},
		};
		unsigned char q[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		struct zpkt p;
		ssize_t n;

		if (poll(pf, 2, 10000) <= 0 || pf[0].revents)
			break;
		n = recvfrom(f->udp, q, sizeof(q), 0, (struct sockaddr *)&from,
			     &fl);
		if (n <= 0)
			continue;
		pthread_mutex_lock(&f->lock);
		f->queries++;
		pthread_mutex_unlock(&f->lock);
		memset(&p, 0, sizeof(p));
		if (zanswer(f->zone, q, (size_t)n, &p))
			sendto(f->udp, p.b, p.n, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static inline struct zfake *zfake_start(const struct zrec *zone)
{
	struct zfake *f = calloc(1, sizeof(*f));
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	assert_non_null(f);
	f->zone = zone;
	pthread_mutex_init(&f->lock, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->udp >= 0);
	assert_int_equal(bind(f->udp, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(f->udp, (struct sockaddr *)&a, &al), 0);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pipe(f->stop_pipe), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, zfake_main, f), 0);
	return f;
}

static inline void zfake_stop(struct zfake *f)
{
	assert_int_equal(write(f->stop_pipe[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->udp);
	close(f->stop_pipe[0]);
	close(f->stop_pipe[1]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* A channel to the fake: short timeouts so that ZT_DROP names end fast. */
static inline struct mc_dns *zfake_dns(struct zfake *f, int timeout_ms,
				       int tries)
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
