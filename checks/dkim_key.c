/* DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4): parsing a record into
 * an OpenSSL key, choosing the key from a TXT answer, and the `dkim key`
 * report of one selector. */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dkim_parse.h"

#define OOM -2

static int list_has(const char *p, size_t n, const char *word)
{
	size_t wl = strlen(word);

	/* Colon-separated, FWS allowed around the items. */
	for (size_t i = 0; i < n;) {
		size_t s = i, e;

		while (i < n && p[i] != ':')
			i++;
		e = i;
		while (s < e && (p[s] == ' ' || p[s] == '\t' || p[s] == '\r' ||
				 p[s] == '\n'))
			s++;
		while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\t' ||
				 p[e - 1] == '\r' || p[e - 1] == '\n'))
			e--;
		if (e - s == wl && strncasecmp(p + s, word, wl) == 0)
			return 1;
		i++;
	}
	return 0;
}

static char *dup_tag(const struct dkim_tag *t)
{
	return dkim_printable(t->val, t->val_len);
}

/* DER of an RSA key: SubjectPublicKeyInfo (what RFC 6376 §3.6.1 says p=
 * holds), or a bare RSAPublicKey (which some signers publish). The whole
 * input must be the key. */
static EVP_PKEY *rsa_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	EVP_PKEY *k;

	if (len > (size_t)LONG_MAX)
		return NULL;
	k = d2i_PUBKEY(NULL, &q, (long)len);
	if (k && (q != der + len || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	if (!k) {
		q = der;
		k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)len);
		if (k && q != der + len) {
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	ERR_clear_error();
	return k;
}

int dkim_key_parse(const char *p, size_t n, struct dkim_key *key,
		   struct mc_err *err)
{
	struct dkim_taglist *tl = malloc(sizeof(*tl));
	const struct dkim_tag *t;
	unsigned char *der = NULL;
	size_t der_len = 0;
	int rc = -1, oom = 0;

	memset(key, 0, sizeof(*key));
	key->hashes = DKIM_HASH_SHA1 | DKIM_HASH_SHA256;
	if (!tl)
		return mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory");
	if (n > MC_DKIM_MAX_KEY_RECORD) {
		mc_err_set(err, -1, MC_COMP_DKIM,
			   "key record longer than %d bytes",
			   MC_DKIM_MAX_KEY_RECORD);
		goto out;
	}
	if (dkim_tags_parse(p, n, tl, err))
		goto out;
	if ((t = dkim_tag_find(tl, "v"))) {
		/* §3.6.1 v=: if present, it MUST be the first tag. */
		if (t != &tl->tags[0]) {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "v= is not the first tag");
			goto out;
		}
		if (t->val_len != 5 || memcmp(t->val, "DKIM1", 5) != 0) {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "v= is not DKIM1");
			goto out;
		}
	}
	key->type = MC_DKIM_KEY_RSA;
	if ((t = dkim_tag_find(tl, "k"))) {
		if (t->val_len == 3 && strncasecmp(t->val, "rsa", 3) == 0)
			key->type = MC_DKIM_KEY_RSA;
		else if (t->val_len == 7 && strncasecmp(t->val, "ed25519", 7) == 0)
			key->type = MC_DKIM_KEY_ED25519;
		else {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "unknown key type k=%.*s",
				   (int)(t->val_len > 20 ? 20 : t->val_len),
				   t->val);
			key->type = MC_DKIM_KEY_UNKNOWN;
			goto out;
		}
	}
	if ((t = dkim_tag_find(tl, "h"))) {
		/* Unknown hash names are ignored (§3.6.1). */
		key->hashes = (list_has(t->val, t->val_len, "sha1") ?
			       DKIM_HASH_SHA1 : 0) |
			(list_has(t->val, t->val_len, "sha256") ?
			 DKIM_HASH_SHA256 : 0);
		if (!(key->h = dup_tag(t)))
			goto nomem;
	}
	if ((t = dkim_tag_find(tl, "s"))) {
		if (!(key->s = dup_tag(t)))
			goto nomem;
		if (!list_has(t->val, t->val_len, "*") &&
		    !list_has(t->val, t->val_len, "email")) {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "key is not for email (s=%.40s)", key->s);
			goto out;
		}
	}
	if ((t = dkim_tag_find(tl, "t"))) {
		key->testing = list_has(t->val, t->val_len, "y");
		key->strict = list_has(t->val, t->val_len, "s");
	}
	if (!(t = dkim_tag_find(tl, "p"))) {
		mc_err_set(err, -1, MC_COMP_DKIM, "no p= tag");
		goto out;
	}
	/* §3.6.1 p=: an empty value means the key has been revoked. */
	if (t->val_len == 0) {
		key->revoked = 1;
		rc = 0;
		goto out;
	}
	der = dkim_base64_decode(t->val, t->val_len, &der_len, &oom);
	if (!der) {
		if (oom)
			goto nomem;
		mc_err_set(err, -1, MC_COMP_DKIM, "p= is not base64");
		goto out;
	}
	if (key->type == MC_DKIM_KEY_ED25519) {
		/* RFC 8463 §4: the raw 32-byte public key, not SPKI. */
		if (der_len != 32) {
			mc_err_set(err, -1, MC_COMP_DKIM,
				   "ed25519 p= is %zu bytes, not the raw 32-byte key (RFC 8463 section 4)",
				   der_len);
			goto out;
		}
		key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							der, der_len);
	} else {
		key->pkey = rsa_from_der(der, der_len);
	}
	ERR_clear_error();
	if (!key->pkey) {
		mc_err_set(err, -1, MC_COMP_DKIM, "p= is not an %s public key",
			   key->type == MC_DKIM_KEY_RSA ? "RSA" : "Ed25519");
		goto out;
	}
	key->bits = (unsigned)EVP_PKEY_get_bits(key->pkey);
	rc = 0;
	goto out;
nomem:
	rc = mc_err_set(err, OOM, MC_COMP_DKIM, "out of memory");
out:
	free(der);
	free(tl);
	return rc;
}

void dkim_key_clear(struct dkim_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key->h);
	free(key->s);
	memset(key, 0, sizeof(*key));
}

enum mc_dkim_status dkim_key_from_answer(const struct mc_dns_result *res,
					 struct dkim_key *key, char **record,
					 char *why, size_t why_size)
{
	struct mc_err first = {0};
	size_t first_i = 0;

	memset(key, 0, sizeof(*key));
	if (record)
		*record = NULL;
	why[0] = '\0';
	if (!res) {
		snprintf(why, why_size, "out of memory looking up the key");
		return MC_DKIM_TEMPERROR;
	}
	switch (res->status) {
	case MC_DNS_OK:
		break;
	case MC_DNS_NXDOMAIN:
	case MC_DNS_NODATA:
		snprintf(why, why_size, "no key: %s has no TXT record (%s)",
			 res->name ? res->name : "?",
			 dns_status_name(res->status));
		return MC_DKIM_PERMERROR;
	case MC_DNS_TIMEOUT:
	case MC_DNS_SERVFAIL:
	case MC_DNS_ERROR:
	default:
		/* RFC 6376 §6.1.2: no answer is TEMPFAIL, never "no key". */
		snprintf(why, why_size, "DNS %s looking up %s%s%s",
			 dns_status_name(res->status),
			 res->name ? res->name : "?", res->why[0] ? ": " : "",
			 res->why);
		return MC_DKIM_TEMPERROR;
	}
	if (res->n_rr == 0) {
		snprintf(why, why_size, "no key: %s has no TXT record",
			 res->name ? res->name : "?");
		return MC_DKIM_PERMERROR;
	}
	/* §6.1.2: with several records the verifier may pick one; take the
	 * first that parses, report the first problem otherwise. */
	for (size_t i = 0; i < res->n_rr; i++) {
		struct mc_err e = {0};
		const char *txt = res->rr[i].txt ? res->rr[i].txt : "";

		if (dkim_key_parse(txt, res->rr[i].txt_len, key, &e) == 0) {
			if (record)
				*record = dkim_printable(txt, res->rr[i].txt_len);
			if (key->revoked) {
				snprintf(why, why_size, "key revoked (p= is empty)");
				return MC_DKIM_PERMERROR;
			}
			return MC_DKIM_PASS;
		}
		dkim_key_clear(key);
		if (e.code == OOM) {
			snprintf(why, why_size, "out of memory reading the key");
			return MC_DKIM_TEMPERROR;
		}
		if (!first.msg[0]) {
			first = e;
			first_i = i;
		}
	}
	if (record && res->rr[first_i].txt)
		*record = dkim_printable(res->rr[first_i].txt,
					 res->rr[first_i].txt_len);
	snprintf(why, why_size, "bad key record: %s", first.msg);
	return MC_DKIM_PERMERROR;
}

static int add_warning(char ***list, size_t *n, const char *text)
{
	char *s = strdup(text), **grown;

	grown = s ? realloc(*list, (*n + 1) * sizeof(**list)) : NULL;
	if (!grown) {
		free(s);
		return -1;
	}
	grown[(*n)++] = s;
	*list = grown;
	return 0;
}

struct mc_dkim_keyinfo *dkim_key_check(dkim_key_fn lookup, void *arg,
				       const char *domain,
				       const char *selector,
				       struct mc_err *err)
{
	struct mc_dkim_keyinfo *ki = calloc(1, sizeof(*ki));
	struct mc_dns_result *res = NULL;
	struct dkim_key key;
	enum mc_dkim_status st;
	char why[256];
	int oom = 0;

	if (!ki) {
		mc_err_set(err, -1, MC_COMP_DKIM, "out of memory");
		return NULL;
	}
	ki->domain = dkim_printable(domain, strlen(domain));
	ki->selector = dkim_printable(selector, strlen(selector));
	ki->name = dkim_key_name(domain, selector);
	if (!ki->domain || !ki->selector) {
		mc_err_set(err, -1, MC_COMP_DKIM, "out of memory");
		goto fail;
	}
	if (!ki->name) {
		mc_err_set(err, -1, MC_COMP_USAGE,
			   "'%s' / '%s' is not a usable domain and selector",
			   ki->domain, ki->selector);
		goto fail;
	}
	res = lookup(arg, ki->name);
	st = dkim_key_from_answer(res, &key, &ki->record, why, sizeof(why));
	dns_result_free(res);
	ki->key_type = key.type;
	ki->key_bits = key.bits;
	ki->testing = key.testing;
	ki->strict = key.strict;
	ki->hashes = key.h;
	ki->services = key.s;
	key.h = key.s = NULL;
	if (st == MC_DKIM_TEMPERROR) {
		ki->state = MC_DKIM_KEYSTATE_TEMPERROR;
		ki->severity = 3;
	} else if (key.revoked) {
		ki->state = MC_DKIM_KEYSTATE_REVOKED;
		ki->severity = 2;
	} else if (st != MC_DKIM_PASS) {
		ki->state = strncmp(why, "no key", 6) == 0 ?
			MC_DKIM_KEYSTATE_NONE : MC_DKIM_KEYSTATE_INVALID;
		ki->severity = 2;
	} else if (key.type == MC_DKIM_KEY_RSA &&
		   key.bits < MC_DKIM_RSA_MIN_BITS) {
		ki->state = MC_DKIM_KEYSTATE_INVALID;
		ki->severity = 2;
		snprintf(why, sizeof(why),
			 "key too short (%u bits; RFC 8301 requires %d)",
			 key.bits, MC_DKIM_RSA_MIN_BITS);
	} else {
		ki->state = MC_DKIM_KEYSTATE_OK;
		if (key.type == MC_DKIM_KEY_RSA &&
		    key.bits < MC_DKIM_RSA_GOOD_BITS) {
			char w[64];

			snprintf(w, sizeof(w), "key too short (%u bits)",
				 key.bits);
			oom |= add_warning(&ki->warnings, &ki->n_warnings, w);
		}
		if (key.testing)
			oom |= add_warning(&ki->warnings, &ki->n_warnings,
					   "key in testing mode (t=y)");
		if (!(key.hashes & DKIM_HASH_SHA256))
			oom |= add_warning(&ki->warnings, &ki->n_warnings,
					   "key allows no sha256 signatures (h=)");
		ki->severity = ki->n_warnings ? 1 : 0;
	}
	dkim_key_clear(&key);
	ki->problem = dkim_printable(why, strlen(why));
	if (!ki->problem || oom) {
		mc_err_set(err, -1, MC_COMP_DKIM, "out of memory");
		goto fail;
	}
	return ki;
fail:
	dkim_keyinfo_free(ki);
	return NULL;
}

void dkim_keyinfo_free(struct mc_dkim_keyinfo *ki)
{
	if (!ki)
		return;
	free(ki->domain);
	free(ki->selector);
	free(ki->name);
	free(ki->record);
	free(ki->hashes);
	free(ki->services);
	free(ki->problem);
	for (size_t i = 0; i < ki->n_warnings; i++)
		free(ki->warnings[i]);
	free(ki->warnings);
	free(ki);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *dkim_keyinfo_to_json(const struct mc_dkim_keyinfo *ki)
{
	json_t *w = json_array();

	if (!w)
		return NULL;
	for (size_t i = 0; i < ki->n_warnings; i++)
		json_array_append_new(w, json_string(ki->warnings[i]));
	return json_pack("{s:s,s:s,s:o,s:s,s:o,s:I,s:b,s:b,s:b,s:o,s:o,s:o,"
			 "s:s,s:o,s:i}",
			 "domain", ki->domain,
			 "selector", ki->selector,
			 "name", str_or_null(ki->name),
			 "status", dkim_key_state_name(ki->state),
			 "key_type", ki->key_type == MC_DKIM_KEY_UNKNOWN ?
			 json_null() : json_string(dkim_key_type_name(ki->key_type)),
			 "key_bits", (json_int_t)ki->key_bits,
			 "testing", ki->testing,
			 "strict", ki->strict,
			 "revoked", ki->state == MC_DKIM_KEYSTATE_REVOKED,
			 "record", str_or_null(ki->record),
			 "hashes", str_or_null(ki->hashes),
			 "services", str_or_null(ki->services),
			 "problem", ki->problem ? ki->problem : "",
			 "warnings", w,
			 "severity", ki->severity);
}

const char *dkim_key_type_name(enum mc_dkim_key_type t)
{
	switch (t) {
	case MC_DKIM_KEY_RSA:
		return "rsa";
	case MC_DKIM_KEY_ED25519:
		return "ed25519";
	case MC_DKIM_KEY_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *dkim_key_state_name(enum mc_dkim_key_state s)
{
	switch (s) {
	case MC_DKIM_KEYSTATE_OK:
		return "ok";
	case MC_DKIM_KEYSTATE_NONE:
		return "none";
	case MC_DKIM_KEYSTATE_REVOKED:
		return "revoked";
	case MC_DKIM_KEYSTATE_INVALID:
		return "invalid";
	case MC_DKIM_KEYSTATE_TEMPERROR:
		break;
	}
	return "temperror";
}
