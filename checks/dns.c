/* The shared c-ares channel: options, the sockets c-ares asks us to watch
 * (ARES_OPT_SOCK_STATE_CB), the poll() plumbing and the query callback that
 * hands each answer to dns_answer_convert(). c-ares does the protocol work:
 * retries over tries, and the retry over TCP when a UDP answer comes back
 * truncated (its default unless ARES_FLAG_IGNTC, which we never set). */
#include <ares.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "checks/dns.h"
#include "checks/dns_cache.h"
#include "mc_time.h"

struct dns_socket {
	ares_socket_t fd;
	short events;
};

/* Queries on the wire at once. More are queued and sent as answers come
 * in: a burst of a thousand UDP queries (100 IPs x 10 blocklists)
 * overflowed a real rbldnsd's receive buffer, and every dropped query
 * then cost a full timeout. */
#define DNS_MAX_IN_FLIGHT 100

struct mc_dns {
	ares_channel channel;
	int lib_init;
	int destroying;               /* dns_free(): drop callbacks */
	int holding;                  /* dns_cancel()/launching: do not send
				       * queued queries from callbacks */
	size_t pending;               /* in flight + queued */
	size_t in_flight;
	size_t started;
	size_t sent;
	size_t hits;
	double waited;                /* seconds in dns_run()'s poll() */
	struct mc_dns_cache *cache;   /* borrowed; may be NULL */
	struct dns_req *wait_head, *wait_tail;
	/* dns_prefetch()'s queries not yet answered, queued or on the wire:
	 * a dns_query() for the same name and type waits on one of these
	 * instead of asking again. */
	struct dns_req *prefetching;
	/* Answers from the cache, delivered by dns_run()/dns_process(). */
	struct dns_req *ready_head, *ready_tail;
	struct dns_socket socks[MC_DNS_MAX_SOCKETS];
	size_t n_socks;
};

struct dns_req {
	struct mc_dns *dns;
	struct mc_dns_result *res;
	mc_dns_cb cb;
	void *arg;
	char *name;                   /* while queued; a prefetch keeps it */
	int type;
	int prefetch;                 /* dns_prefetch(): no callback, not
				       * pending, fills the cache */
	struct dns_req *next;         /* the wait or ready queue */
	/* A prefetch: its place on dns->prefetching, and the queries
	 * waiting for its answer (linked by next). */
	struct dns_req *pf_next;
	struct dns_req *followers;
};

static void sock_state(void *data, ares_socket_t fd, int readable,
		       int writable)
{
	struct mc_dns *dns = data;
	short events = (short)((readable ? POLLIN : 0) |
			       (writable ? POLLOUT : 0));
	size_t i;

	for (i = 0; i < dns->n_socks; i++)
		if (dns->socks[i].fd == fd)
			break;
	if (!events) {
		if (i < dns->n_socks)
			dns->socks[i] = dns->socks[--dns->n_socks];
		return;
	}
	if (i == dns->n_socks) {
		/* More sockets than we watch cannot happen with the handful
		 * of servers c-ares reads; if it did, that socket's queries
		 * would simply time out. */
		if (dns->n_socks == MC_DNS_MAX_SOCKETS)
			return;
		dns->n_socks++;
	}
	dns->socks[i].fd = fd;
	dns->socks[i].events = events;
}

/* ---- c-ares' memory ----
 * c-ares 1.18 makes each channel one block of about 74 KB (fixed tables
 * of 3072 query-list heads) and writes all of it at once: 18 page faults
 * in a row, and a fault is dear on a virtual machine (about 17 us on the
 * one we measure on: a fifth of an `spf` process, and most of the 5-9 ms
 * sixteen `spf --batch` workers took to start). Blocks of DNS_BIG_BLOCK
 * bytes or more therefore come from mmap(MAP_POPULATE), which maps all
 * their pages in one system call; smaller ones from malloc(). A header in
 * front of each block says which and how big.
 * A mapped block that c-ares frees is not unmapped but kept (spare_blocks)
 * for the next channel: unmapping 19 pages cost 80-170 us there, most of
 * what a command asking one question spends after its answer, and the
 * exit unmaps everything at once anyway. Channels are made and freed in
 * pairs, so the spares never outnumber the most channels alive at once
 * (seventeen, in `spf --batch`). (c-ares 1.20 made those tables grow as
 * needed; Debian 12 has 1.18.) */
#define DNS_BIG_BLOCK (32u << 10)

struct ares_block {
	size_t size;                /* mapped: the bytes after the header;
				     * else the caller's size */
	size_t mapped;              /* 1: mmap()ed, header included */
};

/* Freed mapped blocks; each one's first bytes point to the next. */
static struct ares_block *spare_blocks;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;

/* A spare mapped block of at least n bytes, or NULL. */
static struct ares_block *spare_take(size_t n)
{
	struct ares_block **pp, *h = NULL;

	pthread_mutex_lock(&spare_lock);
	for (pp = &spare_blocks; *pp; pp = (struct ares_block **)(*pp + 1))
		if ((*pp)->size >= n) {
			h = *pp;
			*pp = *(struct ares_block **)(h + 1);
			break;
		}
	pthread_mutex_unlock(&spare_lock);
	return h;
}

static void *ares_block_alloc(size_t n)
{
	struct ares_block *h;

	if (n > SIZE_MAX - sizeof(*h))
		return NULL;
	if (n >= DNS_BIG_BLOCK) {
		if ((h = spare_take(n)))
			return h + 1;
		h = mmap(NULL, n + sizeof(*h), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (h == MAP_FAILED)
			return NULL;
		h->mapped = 1;
	} else {
		if (!(h = malloc(n + sizeof(*h))))
			return NULL;
		h->mapped = 0;
	}
	h->size = n;
	return h + 1;
}

static void ares_block_free(void *p)
{
	struct ares_block *h = p ? (struct ares_block *)p - 1 : NULL;

	if (h && h->mapped) {
		pthread_mutex_lock(&spare_lock);
		*(struct ares_block **)p = spare_blocks;
		spare_blocks = h;
		pthread_mutex_unlock(&spare_lock);
	} else {
		free(h);
	}
}

static void *ares_block_realloc(void *p, size_t n)
{
	struct ares_block *h = p ? (struct ares_block *)p - 1 : NULL;
	void *q;

	if (!h)
		return ares_block_alloc(n);
	if (!h->mapped && n < DNS_BIG_BLOCK) {
		if (!(h = realloc(h, n + sizeof(*h))))
			return NULL;
		h->size = n;
		return h + 1;
	}
	if (!(q = ares_block_alloc(n)))
		return NULL;
	memcpy(q, p, h->size < n ? h->size : n);
	ares_block_free(p);
	return q;
}

struct mc_dns *dns_new(const struct mc_dns_opts *opts, struct mc_err *err)
{
	struct ares_options ao;
	struct mc_dns *dns;
	char csv[INET6_ADDRSTRLEN + 16];
	int timeout = opts && opts->timeout_ms ? opts->timeout_ms :
		MC_DNS_DEFAULT_TIMEOUT_MS;
	int tries = opts && opts->tries ? opts->tries : MC_DNS_DEFAULT_TRIES;
	int st, mask;

	if (timeout < 1 || timeout > MC_DNS_MAX_TIMEOUT_MS) {
		mc_err_set(err, -1, MC_COMP_DNS,
			   "DNS timeout must be 1..%d ms", MC_DNS_MAX_TIMEOUT_MS);
		return NULL;
	}
	if (tries < 1 || tries > MC_DNS_MAX_TRIES) {
		mc_err_set(err, -1, MC_COMP_DNS, "DNS tries must be 1..%d",
			   MC_DNS_MAX_TRIES);
		return NULL;
	}
	if (opts && opts->server &&
	    dns_server_csv(opts->server, csv, sizeof(csv), err))
		return NULL;
	dns = calloc(1, sizeof(*dns));
	if (!dns) {
		mc_err_set(err, -1, MC_COMP_DNS, "out of memory");
		return NULL;
	}
	st = ares_library_init_mem(ARES_LIB_INIT_ALL, ares_block_alloc,
				   ares_block_free, ares_block_realloc);
	if (st != ARES_SUCCESS)
		goto fail;
	dns->lib_init = 1;
	memset(&ao, 0, sizeof(ao));
	/* c-ares 1.18 reports a SERVFAIL (or REFUSED) that it has retried
	 * as ARES_ECONNREFUSED, indistinguishable from an unreachable
	 * server; passing such answers through lets us say SERVFAIL. The
	 * cost: a SERVFAIL from the first of several system resolvers is
	 * not retried on the next (it rarely differs: they ask the same
	 * authoritative servers).
	 * STAYOPEN: without it c-ares closes its sockets whenever no query
	 * is in flight, and a caller asking one question after another
	 * (an SPF evaluation, `spf --batch` in one thread) paid socket(),
	 * three fcntl(), connect() and close() for every query. Queries in
	 * flight together share a socket anyway; a channel lives for one
	 * command, and every query still gets a random ID. */
	ao.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_STAYOPEN;
	ao.timeout = timeout;
	ao.tries = tries;
	ao.sock_state_cb = sock_state;
	ao.sock_state_cb_data = dns;
	/* "b": DNS only. The lookup order matters to ares_gethostbyname(),
	 * which nothing here calls; given, it spares each channel reading
	 * /etc/nsswitch.conf. */
	ao.lookups = (char *)"b";
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	       ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS;
	/* Given a server, nothing in /etc/resolv.conf applies (ares_query()
	 * uses no search list), and with every setting given c-ares does not
	 * read it: no servers yet (ares_set_servers_ports_csv() below sets
	 * them, with ports and IPv6), no search domains, no sortlist. It
	 * spares each channel an fopen() with a 4 KB buffer and five system
	 * calls; a command asking one question is mostly start-up. */
	if (opts && opts->server) {
		ao.ndots = 1;
		mask |= ARES_OPT_SERVERS | ARES_OPT_DOMAINS |
			ARES_OPT_SORTLIST | ARES_OPT_NDOTS;
	}
	st = ares_init_options(&dns->channel, &ao, mask);
	if (st != ARES_SUCCESS) {
		dns->channel = NULL;
		goto fail;
	}
	if (opts && opts->server) {
		st = ares_set_servers_ports_csv(dns->channel, csv);
		if (st != ARES_SUCCESS)
			goto fail;
	}
	return dns;
fail:
	mc_err_set(err, -1, MC_COMP_DNS, "cannot start the resolver: %s",
		   ares_strerror(st));
	dns_free(dns);
	return NULL;
}

static void req_free(struct dns_req *req)
{
	while (req->followers) {      /* only when the channel goes */
		struct dns_req *f = req->followers;

		req->followers = f->next;
		req_free(f);
	}
	dns_result_free(req->res);
	free(req->name);
	free(req);
}

/* Appends req to a queue (the wait or the ready one). */
static void queue_push(struct dns_req **head, struct dns_req **tail,
		       struct dns_req *req)
{
	req->next = NULL;
	if (*tail)
		(*tail)->next = req;
	else
		*head = req;
	*tail = req;
}

/* Takes a prefetch off dns->prefetching. */
static void pf_unlink(struct mc_dns *dns, struct dns_req *req)
{
	for (struct dns_req **pp = &dns->prefetching; *pp; pp = &(*pp)->pf_next)
		if (*pp == req) {
			*pp = req->pf_next;
			break;
		}
}

/* The unanswered prefetch of name and type, or NULL. A few at a time are
 * in flight (an SPF record's lookups), so a list will do. */
static struct dns_req *pf_find(struct mc_dns *dns, const char *name,
			       int type)
{
	for (struct dns_req *r = dns->prefetching; r; r = r->pf_next)
		if (r->type == type && strcasecmp(r->name, name) == 0)
			return r;
	return NULL;
}

void dns_free(struct mc_dns *dns)
{
	if (!dns)
		return;
	dns->destroying = 1;
	while (dns->wait_head) {
		struct dns_req *req = dns->wait_head;
		dns->wait_head = req->next;
		req_free(req);
	}
	while (dns->ready_head) {
		struct dns_req *req = dns->ready_head;
		dns->ready_head = req->next;
		req_free(req);
	}
	if (dns->channel)
		ares_destroy(dns->channel);
	if (dns->lib_init)
		ares_library_cleanup();
	free(dns);
}

static void on_answer(void *arg, int status, int timeouts,
		      unsigned char *abuf, int alen);

/* A prefetch's answer, for each query that waited on it: its own copy of
 * the same message, delivered from the ready queue like a cached answer
 * (so that dns_cancel() still finds it). */
static void deliver_followers(struct mc_dns *dns, struct dns_req *pf,
			      int status, const unsigned char *abuf, int alen)
{
	while (pf->followers) {
		struct dns_req *f = pf->followers;

		pf->followers = f->next;
		dns_answer_convert(f->res, status, abuf, alen);
		queue_push(&dns->ready_head, &dns->ready_tail, f);
	}
}

/* Sends queued queries while there is room on the wire. A loop, not
 * recursion: c-ares may answer (fail) inside ares_query(). */
static void launch_waiting(struct mc_dns *dns)
{
	if (dns->holding)
		return;
	dns->holding = 1;
	while (dns->wait_head && dns->in_flight < DNS_MAX_IN_FLIGHT &&
	       !dns->destroying) {
		struct dns_req *req = dns->wait_head;
		char *name = req->name;
		/* read now: c-ares may answer, and req be freed, inside
		 * ares_query(); a prefetch keeps its name (pf_find()) */
		int keep = req->prefetch;

		dns->wait_head = req->next;
		if (!dns->wait_head)
			dns->wait_tail = NULL;
		req->next = NULL;
		if (!keep)
			req->name = NULL;
		dns->in_flight++;
		dns->sent++;
		ares_query(dns->channel, name, 1 /* C_IN */, req->type,
			   on_answer, req);
		if (!keep)
			free(name);
	}
	dns->holding = 0;
}

static void on_answer(void *arg, int status, int timeouts,
		      unsigned char *abuf, int alen)
{
	struct dns_req *req = arg;
	struct mc_dns *dns = req->dns;

	(void)timeouts;
	if (!req->prefetch)
		dns->pending--;
	dns->in_flight--;
	if (dns->destroying) {
		req_free(req);
		return;
	}
	dns_answer_convert(req->res, status, abuf, alen);
	/* Out of memory here only means the next asker goes to the
	 * server. */
	if (dns->cache && alen > 0)
		(void)dns_cache_put(dns->cache, req->res, abuf, (size_t)alen);
	if (req->prefetch) {
		pf_unlink(dns, req);
		deliver_followers(dns, req, status, abuf, alen);
		req_free(req);
	} else {
		req->cb(req->arg, req->res);
		req->res = NULL;          /* the callback owns it */
		req_free(req);
	}
	launch_waiting(dns);
}

/* Delivers the cached answers queued when this call starts; those that
 * the callbacks queue wait for the next call, so one call is bounded. One
 * at a time from the queue, so that a callback's dns_cancel() still finds
 * the rest. */
static void deliver_ready(struct mc_dns *dns)
{
	size_t n = 0;

	for (struct dns_req *r = dns->ready_head; r; r = r->next)
		n++;
	while (n-- > 0 && dns->ready_head) {
		struct dns_req *req = dns->ready_head;

		dns->ready_head = req->next;
		if (!dns->ready_head)
			dns->ready_tail = NULL;
		dns->pending--;
		req->cb(req->arg, req->res);
		req->res = NULL;
		req_free(req);
	}
}

int dns_query(struct mc_dns *dns, const char *name, enum mc_dns_type type,
	      mc_dns_cb cb, void *arg)
{
	struct dns_req *req = calloc(1, sizeof(*req)), *lead;
	struct mc_dns_result *hit;

	if (!req)
		return -1;
	if (dns->cache && (hit = dns_cache_get(dns->cache, name, type))) {
		req->res = hit;
		req->cb = cb;
		req->arg = arg;
		req->dns = dns;
		dns->pending++;
		dns->started++;
		dns->hits++;
		queue_push(&dns->ready_head, &dns->ready_tail, req);
		return 0;
	}
	req->res = dns_result_new(name, type);
	if (!req->res) {
		req_free(req);
		return -1;
	}
	req->dns = dns;
	req->cb = cb;
	req->arg = arg;
	req->type = (int)type;
	if ((lead = pf_find(dns, name, (int)type))) {
		/* asked already by dns_prefetch(): wait for that answer */
		dns->pending++;
		dns->started++;
		req->next = lead->followers;
		lead->followers = req;
		return 0;
	}
	req->name = strdup(name);
	if (!req->name) {
		req_free(req);
		return -1;
	}
	/* Counted first: c-ares may call back before returning. */
	dns->pending++;
	dns->started++;
	queue_push(&dns->wait_head, &dns->wait_tail, req);
	launch_waiting(dns);
	return 0;
}

int dns_prefetch(struct mc_dns *dns, const char *name, enum mc_dns_type type)
{
	struct dns_req *req;

	if (!dns->cache || dns->destroying ||
	    dns_cache_has(dns->cache, name, type) ||
	    pf_find(dns, name, (int)type))
		return 0;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -1;
	req->res = dns_result_new(name, type);
	req->name = strdup(name);
	if (!req->res || !req->name) {
		req_free(req);
		return -1;
	}
	req->dns = dns;
	req->type = (int)type;
	req->prefetch = 1;
	req->pf_next = dns->prefetching;
	dns->prefetching = req;
	queue_push(&dns->wait_head, &dns->wait_tail, req);
	launch_waiting(dns);
	return 0;
}

size_t dns_pending(const struct mc_dns *dns)
{
	return dns->pending;
}

size_t dns_query_count(const struct mc_dns *dns)
{
	return dns->started;
}

size_t dns_sent_count(const struct mc_dns *dns)
{
	return dns->sent;
}

size_t dns_cache_hit_count(const struct mc_dns *dns)
{
	return dns->hits;
}

double dns_waited(const struct mc_dns *dns)
{
	return dns->waited;
}

void dns_set_cache(struct mc_dns *dns, struct mc_dns_cache *cache)
{
	dns->cache = cache;
}

int dns_has_cache(const struct mc_dns *dns)
{
	return dns->cache != NULL;
}

size_t dns_pollfds(const struct mc_dns *dns, struct pollfd *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < dns->n_socks && n < max; i++, n++) {
		fds[n].fd = dns->socks[i].fd;
		fds[n].events = dns->socks[i].events;
		fds[n].revents = 0;
	}
	return n;
}

int dns_timeout_ms(struct mc_dns *dns, int max_ms)
{
	struct timeval maxtv, tv, *t;
	long ms;

	if (dns->pending == 0)
		return -1;
	if (dns->ready_head)
		return 0;
	maxtv.tv_sec = max_ms / 1000;
	maxtv.tv_usec = (max_ms % 1000) * 1000;
	t = ares_timeout(dns->channel, max_ms >= 0 ? &maxtv : NULL, &tv);
	if (!t)   /* c-ares has no timer; should not happen while pending */
		return max_ms >= 0 && max_ms < 1000 ? max_ms : 1000;
	/* Round up so that poll() does not wake a moment too early. */
	ms = (long)t->tv_sec * 1000 + (t->tv_usec + 999) / 1000;
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

void dns_process(struct mc_dns *dns, const struct pollfd *fds, size_t n)
{
	int any = 0;

	deliver_ready(dns);
	for (size_t i = 0; i < n; i++) {
		ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

		/* Errors and hang-ups are read events: c-ares learns of them
		 * from the failing read. */
		if (fds[i].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
			rfd = fds[i].fd;
		if (fds[i].revents & POLLOUT)
			wfd = fds[i].fd;
		if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD) {
			ares_process_fd(dns->channel, rfd, wfd);
			any = 1;
		}
	}
	if (!any)   /* timeouts only */
		ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

int dns_run(struct mc_dns *dns, double deadline, const int *stop,
	    struct mc_err *err)
{
	struct pollfd fds[MC_DNS_MAX_SOCKETS];

	while (dns->pending > 0 && !(stop && *stop)) {
		int max_ms = -1, rc;
		size_t n;

		if (dns->ready_head) {     /* no poll() for cached answers */
			deliver_ready(dns);
			continue;
		}
		if (deadline > 0) {
			double left = deadline - mc_now_mono();

			if (left <= 0)
				return 1;
			max_ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
		}
		n = dns_pollfds(dns, fds, MC_DNS_MAX_SOCKETS);
		double t0 = mc_now_mono();
		rc = poll(fds, n, dns_timeout_ms(dns, max_ms));
		dns->waited += mc_now_mono() - t0;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return mc_err_set(err, -1, MC_COMP_DNS, "poll: %s",
					  strerror(errno));
		}
		dns_process(dns, fds, rc > 0 ? n : 0);
	}
	return 0;
}

/* Ends every request of a detached list with ARES_ECANCELLED (a
 * prefetch just goes). */
static void cancel_list(struct mc_dns *dns, struct dns_req *req)
{
	while (req) {
		struct dns_req *next = req->next;

		if (req->prefetch) {
			pf_unlink(dns, req);
			req_free(req);
			req = next;
			continue;
		}
		dns->pending--;
		dns_answer_convert(req->res, ARES_ECANCELLED, NULL, 0);
		req->cb(req->arg, req->res);
		req->res = NULL;
		req_free(req);
		req = next;
	}
}

void dns_cancel(struct mc_dns *dns)
{
	struct dns_req *queued = dns->wait_head, *ready = dns->ready_head;
	struct dns_req *waiting = NULL;

	/* Queued queries are cancelled too, and none is sent meanwhile. */
	dns->wait_head = dns->wait_tail = NULL;
	dns->ready_head = dns->ready_tail = NULL;
	dns->holding = 1;
	/* So are the queries waiting on a prefetch's answer, before the
	 * prefetches themselves end. */
	for (struct dns_req *pf = dns->prefetching; pf; pf = pf->pf_next)
		while (pf->followers) {
			struct dns_req *f = pf->followers;

			pf->followers = f->next;
			f->next = waiting;
			waiting = f;
		}
	if (dns->in_flight)
		ares_cancel(dns->channel);
	cancel_list(dns, queued);
	cancel_list(dns, waiting);
	/* Cached answers not yet delivered end the same way: the contract
	 * is that every pending query is cancelled. */
	cancel_list(dns, ready);
	dns->holding = 0;
	launch_waiting(dns);    /* queries the callbacks started anew */
}
