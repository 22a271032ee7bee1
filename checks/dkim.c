/* DKIM verification of a whole message (RFC 6376 §6.1, RFC 8463 §3):
 * each DKIM-Signature field judged on its own, keys through the caller's
 * lookup, crypto through OpenSSL EVP. See dkim.h for why this is not
 * libopendkim. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dkim_parse.h"
#include "mc_time.h"

#define OOM -2

struct verifier {
	struct dkim_msg m;
	struct mc_buf body[2];          /* canonicalised body, by canon */
	int body_done[2];
	dkim_key_fn lookup;
	void *arg;
	double now;
	int oom;
};

static char *pdup(struct verifier *v, const char *s)
{
	char *p = dkim_printable(s ? s : "", s ? strlen(s) : 0);

	if (!p)
		v->oom = 1;
	return p;
}

static void set_reason(struct verifier *v, struct mc_dkim_sig_result *r,
		       enum mc_dkim_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_reason(struct verifier *v, struct mc_dkim_sig_result *r,
		       enum mc_dkim_status st, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->status = st;
	free(r->reason);
	r->reason = pdup(v, buf);
}

static void add_warning(struct verifier *v, struct mc_dkim_sig_result *r,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add_warning(struct verifier *v, struct mc_dkim_sig_result *r,
			const char *fmt, ...)
{
	char buf[200], *s, **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s = strdup(buf);
	grown = s ? realloc(r->warnings, (r->n_warnings + 1) *
			    sizeof(*r->warnings)) : NULL;
	if (!grown) {
		free(s);
		v->oom = 1;
		return;
	}
	grown[r->n_warnings++] = s;
	r->warnings = grown;
}

/* The strings of r from what the signature parse got, even a failed one. */
static void fill_from_sig(struct verifier *v, struct mc_dkim_sig_result *r,
			  const struct dkim_sig *sig)
{
	struct mc_buf h = {0};

	r->domain = pdup(v, sig->domain);
	r->selector = pdup(v, sig->selector);
	r->algorithm = pdup(v, sig->a);
	r->identity = pdup(v, sig->identity);
	r->canonicalization = pdup(v, sig->canon);
	for (size_t i = 0; i < sig->n_h; i++)
		if (mc_buf_printf(&h, "%s%s", i ? ":" : "", sig->h[i]))
			v->oom = 1;
	r->headers = pdup(v, h.data);
	mc_buf_free(&h);
	r->signed_at = sig->t >= 0 ? (double)sig->t : -1;
	r->expires_at = sig->x >= 0 ? (double)sig->x : -1;
	r->body_length = sig->l;
}

static const struct mc_buf *canon_body(struct verifier *v, enum dkim_canon c)
{
	struct mc_buf *b = &v->body[c];

	if (!v->body_done[c]) {
		b->limit = v->m.body_len + 64;
		if (dkim_canon_body(c, v->m.body, v->m.body_len, b))
			return NULL;
		v->body_done[c] = 1;
	}
	return b;
}

/* The header hash input (§3.7): the fields h= names, each the last one not
 * yet used (bottom-up, §5.4.2; a name listed more often than present adds
 * nothing), then this DKIM-Signature field with the b= value emptied and no
 * final CRLF. */
static int header_data(struct verifier *v, size_t self,
		       const struct dkim_sig *sig, size_t val_off,
		       struct mc_buf *out)
{
	const struct dkim_field *f = &v->m.fields[self];
	unsigned char *used = calloc(v->m.n_fields, 1);
	size_t end = f->n;
	int rc = -1;

	if (!used)
		return -1;
	for (size_t i = 0; i < sig->n_h; i++) {
		for (size_t k = v->m.n_fields; k-- > 0;) {
			if (used[k] || k == self ||
			    !dkim_field_is(&v->m.fields[k], sig->h[i]))
				continue;
			used[k] = 1;
			if (dkim_canon_header(sig->hcanon, v->m.fields[k].p,
					      v->m.fields[k].n, 1, out))
				goto out;
			break;
		}
	}
	if (end >= 2 && f->p[end - 2] == '\r' && f->p[end - 1] == '\n')
		end -= 2;
	{
		size_t bs = val_off + sig->b_start, be = val_off + sig->b_end;
		char *copy = malloc(end - (be - bs) + 1);

		if (!copy)
			goto out;
		memcpy(copy, f->p, bs);
		memcpy(copy + bs, f->p + be, end - be);
		rc = dkim_canon_header(sig->hcanon, copy, end - (be - bs), 0,
				       out);
		free(copy);
	}
out:
	free(used);
	return rc;
}

/* 1 verified, 0 not, -1 OpenSSL would not try. */
static int check_signature(const struct dkim_sig *sig, EVP_PKEY *pkey,
			   const struct mc_buf *data)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	int rc = -1;

	if (!ctx)
		return -1;
	if (sig->alg == DKIM_ALG_ED25519_SHA256) {
		/* RFC 8463 §3: Ed25519 signs the SHA-256 of the header data
		 * (PureEdDSA over the 32-byte hash, so no md here). */
		if (!EVP_Digest(data->data, data->len, hash, &hlen,
				EVP_sha256(), NULL) ||
		    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
			goto out;
		rc = EVP_DigestVerify(ctx, sig->b, sig->b_len, hash, hlen) == 1;
	} else {
		const EVP_MD *md = sig->alg == DKIM_ALG_RSA_SHA1 ?
			EVP_sha1() : EVP_sha256();

		if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) != 1)
			goto out;
		rc = EVP_DigestVerify(ctx, sig->b, sig->b_len,
				      (const unsigned char *)data->data,
				      data->len) == 1;
	}
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static int domain_equal(const char *identity, const char *d)
{
	const char *at = strrchr(identity, '@');

	return at && strcasecmp(at + 1, d) == 0;
}

static void verify_one(struct verifier *v, size_t self,
		       struct mc_dkim_sig_result *r)
{
	const struct dkim_field *f = &v->m.fields[self];
	size_t val_off = f->name_len + 1, val_len = f->n - val_off;
	struct mc_buf hd = {0};
	struct mc_err err = {0};
	struct dkim_sig sig;
	struct dkim_key key = {0};
	struct mc_dns_result *res;
	const struct mc_buf *body;
	enum mc_dkim_status st;
	unsigned char bh[EVP_MAX_MD_SIZE];
	unsigned bh_len = 0;
	char why[320], *name = NULL;
	size_t hashed;
	int ok;

	r->signed_at = r->expires_at = -1;
	r->body_length = r->body_bytes = -1;
	if (val_len >= 2 && f->p[f->n - 2] == '\r' && f->p[f->n - 1] == '\n')
		val_len -= 2;
	if (dkim_sig_parse(f->p + val_off, val_len, &sig, &err)) {
		fill_from_sig(v, r, &sig);
		if (err.code == OOM)
			v->oom = 1;
		set_reason(v, r, MC_DKIM_PERMERROR, "%s", err.msg);
		goto out;
	}
	fill_from_sig(v, r, &sig);
	if (v->m.too_many_fields) {
		set_reason(v, r, MC_DKIM_PERMERROR,
			   "message has more than %d header fields",
			   MC_DKIM_MAX_FIELDS);
		goto out;
	}
	/* §3.5 x=: past the expiry the signature is invalid. */
	if (sig.x >= 0 && (double)sig.x < v->now) {
		char when[MC_RFC3339_MAX];

		set_reason(v, r, MC_DKIM_PERMERROR, "expired at %s (x=)",
			   mc_time_rfc3339((double)sig.x, 0, when));
		goto out;
	}
	name = dkim_key_name(sig.domain, sig.selector);
	if (!name) {
		set_reason(v, r, MC_DKIM_PERMERROR,
			   "s= and d= are too long for a DNS name");
		goto out;
	}
	res = v->lookup(v->arg, name);
	st = dkim_key_from_answer(res, &key, NULL, why, sizeof(why));
	dns_result_free(res);
	r->key_type = key.type;
	r->key_bits = key.bits;
	r->testing = key.testing;
	if (key.testing)
		add_warning(v, r, "key in testing mode (t=y)");
	if (st != MC_DKIM_PASS) {
		set_reason(v, r, st, "%s", why);
		goto out;
	}
	if ((sig.alg == DKIM_ALG_ED25519_SHA256) !=
	    (key.type == MC_DKIM_KEY_ED25519)) {
		set_reason(v, r, MC_DKIM_PERMERROR,
			   "key type %s does not fit a=%s",
			   dkim_key_type_name(key.type), r->algorithm);
		goto out;
	}
	if (!(key.hashes & (sig.alg == DKIM_ALG_RSA_SHA1 ? DKIM_HASH_SHA1 :
			    DKIM_HASH_SHA256))) {
		set_reason(v, r, MC_DKIM_PERMERROR,
			   "key does not allow the hash of a=%s (h=%s)",
			   r->algorithm, key.h ? key.h : "");
		goto out;
	}
	/* §3.6.1 t=s: i= must be in d= itself, not a subdomain. */
	if (key.strict && !domain_equal(sig.identity, sig.domain)) {
		set_reason(v, r, MC_DKIM_PERMERROR,
			   "key requires the i= domain to be d= (t=s)");
		goto out;
	}
	if (key.type == MC_DKIM_KEY_RSA) {
		if (key.bits < MC_DKIM_RSA_MIN_BITS) {
			set_reason(v, r, MC_DKIM_PERMERROR,
				   "key too short (%u bits; RFC 8301 requires %d)",
				   key.bits, MC_DKIM_RSA_MIN_BITS);
			goto out;
		}
		if (key.bits < MC_DKIM_RSA_GOOD_BITS) {
			add_warning(v, r, "key too short (%u bits)", key.bits);
			r->weak = 1;
		}
	}
	if (sig.alg == DKIM_ALG_RSA_SHA1) {
		add_warning(v, r, "rsa-sha1 is weak (RFC 8301)");
		r->weak = 1;
	}
	body = canon_body(v, sig.bcanon);
	if (!body) {
		v->oom = 1;
		set_reason(v, r, MC_DKIM_TEMPERROR, "out of memory");
		goto out;
	}
	r->body_bytes = (long long)body->len;
	hashed = body->len;
	if (sig.l >= 0) {
		/* §3.4.5: only the first l= bytes are signed. A longer l=
		 * than the body cannot have been signed as it is. */
		if ((unsigned long long)sig.l > body->len) {
			set_reason(v, r, MC_DKIM_PERMERROR,
				   "l= (%lld) is longer than the body (%zu bytes)",
				   sig.l, body->len);
			goto out;
		}
		hashed = (size_t)sig.l;
		if (hashed < body->len)
			add_warning(v, r, "l= signs only %zu of %zu body bytes",
				    hashed, body->len);
	}
	if (!EVP_Digest(body->data ? body->data : "", hashed, bh, &bh_len,
			sig.alg == DKIM_ALG_RSA_SHA1 ? EVP_sha1() : EVP_sha256(),
			NULL)) {
		set_reason(v, r, MC_DKIM_TEMPERROR, "OpenSSL digest failed");
		goto out;
	}
	/* §6.1.3: a body that does not hash to bh= fails first. */
	if (bh_len != sig.bh_len || memcmp(bh, sig.bh, bh_len) != 0) {
		set_reason(v, r, MC_DKIM_FAIL, "body hash mismatch");
		goto out;
	}
	hd.limit = v->m.len * 2 + 4096;
	if (header_data(v, self, &sig, val_off, &hd)) {
		v->oom = 1;
		set_reason(v, r, MC_DKIM_TEMPERROR, "out of memory");
		goto out;
	}
	ok = check_signature(&sig, key.pkey, &hd);
	if (ok < 0) {
		set_reason(v, r, MC_DKIM_PERMERROR,
			   "OpenSSL cannot verify a=%s with this key",
			   r->algorithm);
		goto out;
	}
	if (!ok) {
		set_reason(v, r, MC_DKIM_FAIL, "signature mismatch");
		goto out;
	}
	r->status = MC_DKIM_PASS;
out:
	if (!r->reason) {
		struct mc_buf b = {0};

		for (size_t i = 0; i < r->n_warnings; i++)
			if (mc_buf_printf(&b, "%s%s", i ? "; " : "",
					  r->warnings[i]))
				v->oom = 1;
		r->reason = pdup(v, b.data);
		mc_buf_free(&b);
	}
	mc_buf_free(&hd);
	free(name);
	dkim_key_clear(&key);
	dkim_sig_clear(&sig);
}

/* Past the limit a signature is only read for its names. */
static void not_verified(struct verifier *v, size_t self,
			 struct mc_dkim_sig_result *r)
{
	const struct dkim_field *f = &v->m.fields[self];
	struct mc_err err = {0};
	struct dkim_sig sig;

	(void)dkim_sig_parse(f->p + f->name_len + 1, f->n - f->name_len - 1,
			     &sig, &err);
	fill_from_sig(v, r, &sig);
	dkim_sig_clear(&sig);
	set_reason(v, r, MC_DKIM_NEUTRAL,
		   "not verified: more than %d signatures",
		   MC_DKIM_MAX_SIGNATURES);
}

static void sig_result_clear(struct mc_dkim_sig_result *r)
{
	free(r->domain);
	free(r->selector);
	free(r->algorithm);
	free(r->identity);
	free(r->canonicalization);
	free(r->headers);
	free(r->reason);
	for (size_t i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
}

void dkim_result_free(struct mc_dkim_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_sigs; i++)
		sig_result_clear(&r->sigs[i]);
	free(r->sigs);
	free(r);
}

const struct mc_dkim_sig_result *dkim_result_find(
	const struct mc_dkim_result *r, const char *domain,
	const char *selector)
{
	const struct mc_dkim_sig_result *found = NULL;

	for (size_t i = 0; r && i < r->n_sigs; i++) {
		const struct mc_dkim_sig_result *s = &r->sigs[i];

		if (strcasecmp(s->selector, selector) != 0 ||
		    (domain && strcasecmp(s->domain, domain) != 0))
			continue;
		if (s->status == MC_DKIM_PASS)
			return s;
		if (!found)
			found = s;
	}
	return found;
}

static int sig_severity(const struct mc_dkim_sig_result *s)
{
	switch (s->status) {
	case MC_DKIM_PASS:
		return s->n_warnings ? 1 : 0;
	case MC_DKIM_NEUTRAL:
		return 1;
	case MC_DKIM_TEMPERROR:
		return 3;
	case MC_DKIM_FAIL:
	case MC_DKIM_PERMERROR:
		break;
	}
	return 2;
}

int dkim_result_severity(const struct mc_dkim_result *r)
{
	int worst = 0;

	if (!r || r->n_sigs == 0)
		return 2;
	for (size_t i = 0; i < r->n_sigs; i++) {
		int s = sig_severity(&r->sigs[i]);

		/* CRITICAL outranks UNKNOWN, which outranks WARNING. */
		if (s == 2)
			return 2;
		if (s == 3 || (s == 1 && worst == 0))
			worst = s;
	}
	return worst;
}

int dkim_verify_message(const char *msg, size_t len, dkim_key_fn lookup,
			void *arg, double now, struct mc_dkim_result **out,
			struct mc_err *err)
{
	struct verifier v = {.lookup = lookup, .arg = arg, .now = now};
	struct mc_dkim_result *r = calloc(1, sizeof(*r));
	size_t n = 0;

	*out = NULL;
	if (v.now <= 0)
		v.now = mc_now_real();
	if (!r || dkim_msg_parse(msg, len, &v.m)) {
		free(r);
		return mc_err_set(err, -1, MC_COMP_DKIM, "out of memory");
	}
	for (size_t i = 0; i < v.m.n_fields; i++)
		n += dkim_field_is(&v.m.fields[i], "DKIM-Signature");
	r->sigs = calloc(n ? n : 1, sizeof(*r->sigs));
	if (!r->sigs)
		v.oom = 1;
	for (size_t i = 0; r->sigs && i < v.m.n_fields; i++) {
		struct mc_dkim_sig_result *s;

		if (!dkim_field_is(&v.m.fields[i], "DKIM-Signature"))
			continue;
		s = &r->sigs[r->n_sigs++];
		if (r->n_sigs > MC_DKIM_MAX_SIGNATURES)
			not_verified(&v, i, s);
		else
			verify_one(&v, i, s);
	}
	dkim_msg_free(&v.m);
	mc_buf_free(&v.body[0]);
	mc_buf_free(&v.body[1]);
	if (v.oom) {
		dkim_result_free(r);
		return mc_err_set(err, -1, MC_COMP_DKIM, "out of memory");
	}
	r->severity = dkim_result_severity(r);
	*out = r;
	return 0;
}

static json_t *time_or_null(double t)
{
	char buf[MC_RFC3339_MAX];

	return t < 0 ? json_null() : json_string(mc_time_rfc3339(t, 0, buf));
}

static json_t *int_or_null(long long v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

json_t *dkim_result_to_json(const struct mc_dkim_result *r)
{
	json_t *doc = json_object(), *sigs = json_array();

	if (!doc || !sigs)
		goto fail;
	for (size_t i = 0; i < r->n_sigs; i++) {
		const struct mc_dkim_sig_result *s = &r->sigs[i];
		json_t *w = json_array(), *o;

		if (!w)
			goto fail;
		for (size_t k = 0; k < s->n_warnings; k++)
			json_array_append_new(w, json_string(s->warnings[k]));
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:b,"
			      "s:b,s:o,s:o,s:o,s:o,s:o}",
			      "domain", s->domain,
			      "selector", s->selector,
			      "algorithm", s->algorithm,
			      "result", dkim_status_name(s->status),
			      "reason", s->reason,
			      "identity", s->identity,
			      "canonicalization", s->canonicalization,
			      "headers", s->headers,
			      "key_type", s->key_type == MC_DKIM_KEY_UNKNOWN ?
			      json_null() :
			      json_string(dkim_key_type_name(s->key_type)),
			      "key_bits", (json_int_t)s->key_bits,
			      "testing", s->testing,
			      "weak", s->weak,
			      "warnings", w,
			      "signed_at", time_or_null(s->signed_at),
			      "expires_at", time_or_null(s->expires_at),
			      "body_length", int_or_null(s->body_length),
			      "body_bytes", int_or_null(s->body_bytes));
		if (!o || json_array_append_new(sigs, o))
			goto fail;
	}
	json_object_set_new(doc, "signatures", sigs);
	json_object_set_new(doc, "severity", json_integer(r->severity));
	return doc;
fail:
	json_decref(doc);
	json_decref(sigs);
	return NULL;
}

const char *dkim_status_name(enum mc_dkim_status s)
{
	switch (s) {
	case MC_DKIM_PASS:
		return "pass";
	case MC_DKIM_FAIL:
		return "fail";
	case MC_DKIM_NEUTRAL:
		return "neutral";
	case MC_DKIM_TEMPERROR:
		return "temperror";
	case MC_DKIM_PERMERROR:
		break;
	}
	return "permerror";
}
