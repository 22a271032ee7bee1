/* DKIM key lookups on the shared c-ares channel: a small cache of TXT
 * answers by name, filled ahead of time for all of a message's signatures
 * at once (dkim_dns_prefetch) so that several keys cost one round trip,
 * and a dkim_key_fn that waits for the answer it needs. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dkim_parse.h"

struct kd_entry {
	struct mc_dkim_dns *owner;
	char *name;
	struct mc_dns_result *res;      /* owned; NULL while pending */
	int done;
};

struct mc_dkim_dns {
	struct mc_dns *dns;             /* borrowed */
	struct kd_entry **e;
	size_t n, cap;
	size_t pending;
};

struct mc_dkim_dns *dkim_dns_new(struct mc_dns *dns)
{
	struct mc_dkim_dns *kd = calloc(1, sizeof(*kd));

	if (kd)
		kd->dns = dns;
	return kd;
}

void dkim_dns_free(struct mc_dkim_dns *kd)
{
	if (!kd)
		return;
	for (size_t i = 0; i < kd->n; i++) {
		free(kd->e[i]->name);
		dns_result_free(kd->e[i]->res);
		free(kd->e[i]);
	}
	free(kd->e);
	free(kd);
}

size_t dkim_dns_pending(const struct mc_dkim_dns *kd)
{
	return kd ? kd->pending : 0;
}

static void on_answer(void *arg, struct mc_dns_result *res)
{
	struct kd_entry *e = arg;

	e->res = res;
	e->done = 1;
	e->owner->pending--;
}

static struct kd_entry *find(struct mc_dkim_dns *kd, const char *name)
{
	for (size_t i = 0; i < kd->n; i++)
		if (strcasecmp(kd->e[i]->name, name) == 0)
			return kd->e[i];
	return NULL;
}

/* Starts a query for name unless one is known; NULL when out of memory. */
static struct kd_entry *start(struct mc_dkim_dns *kd, const char *name)
{
	struct kd_entry *e = find(kd, name);

	if (e)
		return e;
	if (kd->n == kd->cap) {
		size_t nc = kd->cap ? kd->cap * 2 : 4;
		struct kd_entry **grown = realloc(kd->e, nc * sizeof(*grown));

		if (!grown)
			return NULL;
		kd->e = grown;
		kd->cap = nc;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(name))) {
		free(e);
		return NULL;
	}
	e->owner = kd;
	kd->e[kd->n++] = e;
	kd->pending++;
	if (dns_query(kd->dns, name, MC_DNS_TXT, on_answer, e)) {
		/* Not sent: an ERROR answer stands in for it. */
		kd->pending--;
		e->done = 1;
		e->res = dns_result_new(name, MC_DNS_TXT);
		if (e->res)
			strcpy(e->res->why, "out of memory");
	}
	return e;
}

void dkim_dns_prefetch(struct mc_dkim_dns *kd, const char *msg, size_t len)
{
	struct dkim_taglist *tl = malloc(sizeof(*tl));
	struct dkim_msg m;
	size_t sigs = 0;

	if (!tl || dkim_msg_parse(msg, len, &m)) {
		free(tl);
		return;
	}
	for (size_t i = 0; i < m.n_fields && sigs < MC_DKIM_MAX_SIGNATURES;
	     i++) {
		const struct dkim_field *f = &m.fields[i];
		const struct dkim_tag *d, *s;
		struct mc_err err = {0};
		char *dom, *sel, *name;

		if (!dkim_field_is(f, "DKIM-Signature"))
			continue;
		sigs++;
		if (dkim_tags_parse(f->p + f->name_len + 1,
				    f->n - f->name_len - 1, tl, &err) ||
		    !(d = dkim_tag_find(tl, "d")) ||
		    !(s = dkim_tag_find(tl, "s")))
			continue;
		dom = strndup(d->val, d->val_len);
		sel = strndup(s->val, s->val_len);
		name = dom && sel ? dkim_key_name(dom, sel) : NULL;
		if (name)
			(void)start(kd, name);
		free(name);
		free(dom);
		free(sel);
	}
	dkim_msg_free(&m);
	free(tl);
}

static struct mc_dns_result *result_copy(const struct mc_dns_result *src)
{
	struct mc_dns_result *r = dns_result_new(src->name ? src->name : "",
						 src->type);

	if (!r)
		return NULL;
	r->status = src->status;
	memcpy(r->why, src->why, sizeof(r->why));
	if (src->n_rr == 0)
		return r;
	r->rr = calloc(src->n_rr, sizeof(*r->rr));
	if (!r->rr)
		goto fail;
	for (size_t i = 0; i < src->n_rr; i++) {
		r->n_rr++;
		r->rr[i] = src->rr[i];
		r->rr[i].name = NULL;
		r->rr[i].txt = NULL;
		if (src->rr[i].name && !(r->rr[i].name = strdup(src->rr[i].name)))
			goto fail;
		if (src->rr[i].txt) {
			r->rr[i].txt = malloc(src->rr[i].txt_len + 1);
			if (!r->rr[i].txt)
				goto fail;
			memcpy(r->rr[i].txt, src->rr[i].txt,
			       src->rr[i].txt_len + 1);
		}
	}
	return r;
fail:
	dns_result_free(r);
	return NULL;
}

struct mc_dns_result *dkim_dns_lookup(void *arg, const char *name)
{
	struct mc_dkim_dns *kd = arg;
	struct kd_entry *e = start(kd, name);
	struct mc_err err = {0};

	if (!e)
		return NULL;
	if (!e->done && dns_run(kd->dns, 0, &e->done, &err) < 0)
		dns_cancel(kd->dns);    /* poll() failed: end every query */
	if (!e->done) {
		/* Cannot happen: dns_run returns when nothing is pending.
		 * Stay safe rather than hand out a pending entry. */
		dns_cancel(kd->dns);
	}
	return e->res ? result_copy(e->res) : NULL;
}
