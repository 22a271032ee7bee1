/* SPF's side of DNS: queries on the shared channel (several at once where
 * the answers are independent: the addresses of MX and PTR names), the
 * lookup limits of RFC 7208 §4.6.4, the validated names of §5.5 used by
 * "ptr" and %{p}, macro expansion in evaluation context, and the trace.
 *
 * Design: check_host() is sequential by definition (terms are tried in
 * order, the first match wins and the limits count in that order), so the
 * evaluator simply waits in dns_run() for each answer it needs. Waiting
 * drives the whole channel, so any other check's queries progress at the
 * same time; fan-outs within one term are issued together. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "checks/spf_eval.h"
#include "mc_time.h"

/* The trace's strings are copied into chunks the outcome owns
 * (o->strings), not into two malloc()s per line: a batch question writes
 * about twenty lines, and those allocations and frees were a tenth of its
 * time. A line evaluating the same domain as the line before shares its
 * copy. */
struct spf_chunk {
	struct spf_chunk *next;
	size_t used, cap;
	char data[];
};

#define SPF_CHUNK_FIRST 2048

static const char *chunk_dup(struct mc_spf_outcome *o, const char *s,
			     size_t n)
{
	struct spf_chunk *c = o->strings;
	char *d;

	if (!c || c->cap - c->used < n + 1) {
		size_t cap = c ? 2 * c->cap : SPF_CHUNK_FIRST;

		if (cap < n + 1)
			cap = n + 1;
		if (!(c = malloc(sizeof(*c) + cap)))
			return NULL;
		c->next = o->strings;
		c->used = 0;
		c->cap = cap;
		o->strings = c;
	}
	d = c->data + c->used;
	memcpy(d, s, n);
	d[n] = '\0';
	c->used += n + 1;
	return d;
}

void spf_trace_strings_free(struct spf_chunk *c)
{
	while (c) {
		struct spf_chunk *next = c->next;

		free(c);
		c = next;
	}
}

/* printf for trace lines: %s, %.*s, %d and %zu, which are all the trace
 * uses (the format attribute on spf_trace() checks the arguments), into
 * out (n bytes, NUL-terminated, truncated to fit). Returns the length
 * written. Ours because glibc's vsnprintf() goes through its stdio
 * machinery: it was a fifth of a cached `spf --batch` question, for
 * twenty lines of a few words each. Any other conversion is copied as
 * written, which a test would show. */
static size_t trace_format(char *out, size_t n, const char *fmt, va_list ap)
{
	size_t len = 0;

#define TRACE_PUT(p, k)                                                   \
	do {                                                              \
		size_t k_ = (k);                                          \
		if (k_ > n - 1 - len)                                     \
			k_ = n - 1 - len;                                 \
		memcpy(out + len, (p), k_);                               \
		len += k_;                                                \
	} while (0)
	for (const char *f = fmt; *f && len < n - 1; f++) {
		const char *s;
		char num[24], *e = num + sizeof(num), *d = e;
		unsigned long long v;
		int neg = 0;

		if (*f != '%') {
			const char *run = f;

			while (f[1] && f[1] != '%')
				f++;
			TRACE_PUT(run, (size_t)(f - run) + 1);
			continue;
		}
		switch (*++f) {
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			TRACE_PUT(s, strlen(s));
			continue;
		case '.':
			if (f[1] == '*' && f[2] == 's') {
				int k = va_arg(ap, int);

				s = va_arg(ap, const char *);
				f += 2;
				TRACE_PUT(s, k > 0 ? strnlen(s, (size_t)k) : 0);
				continue;
			}
			break;
		case 'd': {
			int x = va_arg(ap, int);

			neg = x < 0;
			v = neg ? 0ull - (unsigned long long)x :
				  (unsigned long long)x;
			goto number;
		}
		case 'z':
			if (f[1] == 'u') {
				f++;
				v = va_arg(ap, size_t);
				goto number;
			}
			break;
		case '%':
			TRACE_PUT("%", 1);
			continue;
		}
		/* not ours: copy the rest as it is */
		TRACE_PUT(f - 1, strlen(f - 1));
		break;
number:
		do
			*--d = (char)('0' + v % 10);
		while (v /= 10);
		if (neg)
			*--d = '-';
		TRACE_PUT(d, (size_t)(e - d));
	}
#undef TRACE_PUT
	out[len] = '\0';
	return len;
}

void spf_trace(struct spf_eval *ev, int depth, const char *domain,
	       const char *fmt, ...)
{
	struct mc_spf_outcome *o = ev->out;
	struct mc_spf_trace *t;
	char line[512];
	va_list ap;
	size_t n;

	if (o->n_trace == MC_SPF_MAX_TRACE) {
		o->trace_truncated = 1;
		return;
	}
	/* The array holds SPF_TRACE_FIRST lines, then doubles: full when
	 * n_trace is SPF_TRACE_FIRST times a power of two. */
	if (o->n_trace >= SPF_TRACE_FIRST &&
	    (o->n_trace & (o->n_trace - 1)) == 0) {
		size_t cap = 2 * o->n_trace;

		if (cap > MC_SPF_MAX_TRACE)
			cap = MC_SPF_MAX_TRACE;
		t = realloc(o->trace, cap * sizeof(*t));
		if (!t) {
			ev->oom = 1;
			return;
		}
		o->trace = t;
	}
	va_start(ap, fmt);
	n = trace_format(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!domain)
		domain = "";
	t = &o->trace[o->n_trace];
	t->depth = depth;
	t->domain = o->n_trace && strcmp(t[-1].domain, domain) == 0 ?
		t[-1].domain : chunk_dup(o, domain, strlen(domain));
	t->text = chunk_dup(o, line, n);
	if (!t->domain || !t->text) {
		ev->oom = 1;
		return;
	}
	o->n_trace++;
}

enum spf_match spf_fail(struct spf_eval *ev, enum mc_spf_result r,
			const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	ev->error = r;
	if (ev->out->problem && !*ev->out->problem) {
		char *p;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		p = strdup(msg);
		if (p) {
			free(ev->out->problem);
			ev->out->problem = p;
		}
	}
	return SPF_ERROR;
}

enum spf_match spf_count_lookup(struct spf_eval *ev, int depth,
				const char *domain)
{
	if (++ev->out->dns_lookups > MC_SPF_MAX_DNS_LOOKUPS) {
		spf_trace(ev, depth, domain, "limit: more than %d DNS lookups",
			  MC_SPF_MAX_DNS_LOOKUPS);
		return spf_fail(ev, MC_SPF_PERMERROR,
				"more than %d DNS-querying terms (RFC 7208 section 4.6.4)",
				MC_SPF_MAX_DNS_LOOKUPS);
	}
	return SPF_NO_MATCH;
}

enum spf_match spf_count_void(struct spf_eval *ev, int depth,
			      const char *domain, enum mc_dns_status st)
{
	if (st != MC_DNS_NXDOMAIN && st != MC_DNS_NODATA)
		return SPF_NO_MATCH;
	if (++ev->out->void_lookups > MC_SPF_MAX_VOID_LOOKUPS) {
		spf_trace(ev, depth, domain, "limit: more than %d void lookups",
			  MC_SPF_MAX_VOID_LOOKUPS);
		return spf_fail(ev, MC_SPF_PERMERROR,
				"more than %d void DNS lookups (RFC 7208 section 4.6.4)",
				MC_SPF_MAX_VOID_LOOKUPS);
	}
	return SPF_NO_MATCH;
}

struct batch {
	size_t left;
	int done;
};

struct slot {
	struct batch *batch;
	struct mc_dns_result *res;
};

static void on_result(void *arg, struct mc_dns_result *res)
{
	struct slot *s = arg;

	s->res = res;
	if (--s->batch->left == 0)
		s->batch->done = 1;
}

static struct mc_dns_result *error_result(const char *name,
					  enum mc_dns_type type,
					  enum mc_dns_status st,
					  const char *why)
{
	struct mc_dns_result *r = dns_result_new(name, type);

	if (r) {
		r->status = st;
		snprintf(r->why, sizeof(r->why), "%s", why);
	}
	return r;
}

void spf_lookup_many(struct spf_eval *ev, char *const *names, size_t n,
		     enum mc_dns_type type, int from_dns,
		     struct mc_dns_result **res)
{
	struct batch b = {0, 0};
	struct slot *slots = calloc(n ? n : 1, sizeof(*slots));
	struct mc_err err = {0};

	for (size_t i = 0; i < n; i++)
		res[i] = NULL;
	if (!slots) {
		ev->oom = 1;
		goto fill;
	}
	/* Past the deadline nothing new is asked; an answer already on its
	 * way is still awaited (c-ares ends it within timeout x tries). */
	if (mc_now_coarse() > ev->deadline)
		goto fill;
	for (size_t i = 0; i < n; i++) {
		char *q;

		if (!from_dns &&
		    !spf_domain_queryable(names[i], strlen(names[i]))) {
			res[i] = error_result(names[i], type, MC_DNS_NXDOMAIN,
					      "");
			continue;
		}
		q = from_dns ? strdup(names[i]) :
			dns_name_escape(names[i], strlen(names[i]));
		slots[i].batch = &b;
		b.left++;
		if (!q || dns_query(ev->dns, q, type, on_result, &slots[i])) {
			b.left--;
			slots[i].batch = NULL;
			ev->oom = 1;
		}
		free(q);
	}
	if (b.left && dns_run(ev->dns, 0, &b.done, &err) < 0) {
		/* poll() failed: the answers cannot arrive; abandon the
		 * channel's queries so no callback writes to slots later. */
		dns_cancel(ev->dns);
	}
	for (size_t i = 0; i < n; i++)
		if (slots[i].batch)
			res[i] = slots[i].res;
fill:
	for (size_t i = 0; i < n; i++) {
		if (!res[i])
			res[i] = error_result(names[i], type, MC_DNS_TIMEOUT,
					      "evaluation time limit reached");
		if (!res[i])
			ev->oom = 1;
	}
	free(slots);
}

struct mc_dns_result *spf_lookup(struct spf_eval *ev, const char *name,
				 enum mc_dns_type type)
{
	struct mc_dns_result *res = NULL;
	char *names[1] = {(char *)name};

	spf_lookup_many(ev, names, 1, type, 0, &res);
	return res;
}

int spf_name_within(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n && name[n - 1] == '.')
		n--;
	if (d && domain[d - 1] == '.')
		d--;
	if (n < d || strncasecmp(name + n - d, domain, d) != 0)
		return 0;
	return n == d || (d > 0 && name[n - d - 1] == '.');
}

static int has_addr(const struct mc_dns_result *r, const struct mc_ipaddr *ip)
{
	if (r->status != MC_DNS_OK)
		return 0;
	for (size_t i = 0; i < r->n_rr; i++) {
		const void *a = ip->family == AF_INET ?
			(const void *)&r->rr[i].addr.a :
			(const void *)&r->rr[i].addr.aaaa;

		if (memcmp(a, ip->a, ip->family == AF_INET ? 4 : 16) == 0)
			return 1;
	}
	return 0;
}

void spf_validate_ptr(struct spf_eval *ev, int depth, const char *domain)
{
	char rev[MC_IPADDR_REVERSE_MAX];
	struct mc_dns_result *ptr, **addrs = NULL;
	char **names = NULL;
	size_t n = 0;

	if (ev->ptr_done)
		return;
	ev->ptr_done = 1;
	ipaddr_reverse(&ev->ip, 0, 1, rev);
	ptr = spf_lookup(ev, rev, MC_DNS_PTR);
	if (!ptr) {
		ev->ptr_status = MC_DNS_ERROR;
		return;
	}
	ev->ptr_status = ptr->status;
	spf_trace(ev, depth, domain, "PTR %s: %s (%zu names)", rev,
		  dns_status_name(ptr->status), ptr->n_rr);
	if (ptr->status != MC_DNS_OK)
		goto out;
	/* §4.6.4: at most 10 PTR names are looked at; the rest ignored. */
	n = ptr->n_rr < MC_SPF_MAX_PTR_NAMES ? ptr->n_rr : MC_SPF_MAX_PTR_NAMES;
	names = calloc(n, sizeof(*names));
	addrs = calloc(n, sizeof(*addrs));
	ev->ptr_names = calloc(n, sizeof(*ev->ptr_names));
	if (!names || !addrs || !ev->ptr_names) {
		ev->oom = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = ptr->rr[i].name;
	spf_lookup_many(ev, names, n,
			ev->ip.family == AF_INET ? MC_DNS_A : MC_DNS_AAAA, 1,
			addrs);
	for (size_t i = 0; i < n; i++) {
		if (!addrs[i] || !has_addr(addrs[i], &ev->ip))
			continue;
		ev->ptr_names[ev->n_ptr_names] = strdup(names[i]);
		if (!ev->ptr_names[ev->n_ptr_names]) {
			ev->oom = 1;
			break;
		}
		spf_trace(ev, depth, domain, "validated name %s", names[i]);
		ev->n_ptr_names++;
	}
out:
	for (size_t i = 0; addrs && i < n; i++)
		dns_result_free(addrs[i]);
	free(addrs);
	free(names);
	dns_result_free(ptr);
}

/* §7.3 p: the domain itself if validated, else a validated subdomain of
 * it, else any validated name, else "unknown". */
static const char *choose_p(struct spf_eval *ev, const char *d)
{
	for (size_t i = 0; i < ev->n_ptr_names; i++)
		if (spf_name_within(ev->ptr_names[i], d) &&
		    spf_name_within(d, ev->ptr_names[i]))
			return ev->ptr_names[i];
	for (size_t i = 0; i < ev->n_ptr_names; i++)
		if (spf_name_within(ev->ptr_names[i], d))
			return ev->ptr_names[i];
	return ev->n_ptr_names ? ev->ptr_names[0] : "unknown";
}

char *spf_expand(struct spf_eval *ev, int depth, const char *d,
		 const char *spec, int exp_text)
{
	struct mc_spf_macro_ctx ctx = {
		.sender = ev->sender, .local = ev->local,
		.sender_domain = ev->sender_domain, .domain = d,
		.ip = &ev->ip, .ip_upper = ev->ip_upper, .helo = ev->helo,
		.ptr = NULL, .receiver = ev->receiver, .now = ev->now,
	};
	struct mc_buf buf = {0};
	struct mc_err err = {0};
	char *s;

	if (spf_macro_uses_p(spec, strlen(spec))) {
		spf_validate_ptr(ev, depth, d);
		ctx.ptr = choose_p(ev, d);
	}
	if (spf_macro_expand(spec, strlen(spec), &ctx, exp_text, &buf,
			     &err)) {
		spf_fail(ev, MC_SPF_PERMERROR, "%s", err.msg);
		mc_buf_free(&buf);
		return NULL;
	}
	s = mc_buf_steal(&buf);
	if (!s) {
		ev->oom = 1;
		spf_fail(ev, MC_SPF_TEMPERROR, "out of memory");
	}
	return s;
}
