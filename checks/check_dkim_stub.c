/* STUB (see check_dkim_stub.h): a DKIM key record's tags, just enough for
 * `check`. The key size comes from OpenSSL: p= is base64 of a
 * SubjectPublicKeyInfo (RFC 6376 §3.6.1), or of a bare RSAPublicKey as
 * some generators publish; ed25519 keys are the raw 32 bytes (RFC 8463). */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/check_dkim_stub.h"

#define MAX_KEY_B64 8192

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The value of tag in a tag-list (RFC 6376 §3.2), trimmed, into out.
 * Returns 1 if present. */
static int tag_value(const char *rec, const char *tag, char *out, size_t n)
{
	const char *p = rec;
	size_t tl = strlen(tag);

	while (*p) {
		const char *semi = strchr(p, ';'), *end = semi ? semi : p + strlen(p);
		const char *eq;

		while (p < end && is_space(*p))
			p++;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq) {
			const char *t = eq;

			while (t > p && is_space(t[-1]))
				t--;
			if ((size_t)(t - p) == tl && strncmp(p, tag, tl) == 0) {
				const char *v = eq + 1, *ve = end;
				size_t j = 0;

				while (v < ve && is_space(*v))
					v++;
				while (ve > v && is_space(ve[-1]))
					ve--;
				/* Folding whitespace inside (base64) is dropped. */
				for (; v < ve && j + 1 < n; v++)
					if (!is_space(*v))
						out[j++] = *v;
				out[j] = '\0';
				return 1;
			}
		}
		p = semi ? semi + 1 : end;
	}
	return 0;
}

static unsigned char *b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out;
	int got;

	if (n == 0 || n % 4)
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (got < 0) {
		free(out);
		return NULL;
	}
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	*len = (size_t)got - pad;
	return out;
}

static int rsa_bits(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &q, (long)len);
	int bits = 0;

	if (!key) {
		q = der;
		key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)len);
	}
	if (key && EVP_PKEY_base_id(key) == EVP_PKEY_RSA)
		bits = EVP_PKEY_get_bits(key);
	EVP_PKEY_free(key);
	return bits;
}

static void judge_key(const char *rec, struct mc_dkim_key_report *k)
{
	struct mc_findings *f = &k->problems;
	char *p = malloc(MAX_KEY_B64 + 1), v[32], t[64];
	unsigned char *der = NULL;
	size_t len = 0;

	if (!p) {
		f->oom = 1;
		return;
	}
	if (tag_value(rec, "v", v, sizeof(v)) && strcmp(v, "DKIM1") != 0)
		findings_add(f, MC_CHK_CRITICAL, "%s: v=%s is not DKIM1",
			     k->name, v);
	if (!tag_value(rec, "k", k->key_type, sizeof(k->key_type)))
		snprintf(k->key_type, sizeof(k->key_type), "rsa");
	if (tag_value(rec, "t", t, sizeof(t))) {
		for (char *save = NULL, *s = strtok_r(t, ":", &save); s;
		     s = strtok_r(NULL, ":", &save))
			k->testing |= strcmp(s, "y") == 0;
	}
	if (k->testing)
		findings_add(f, MC_CHK_WARNING,
			     "%s: t=y, testing mode: receivers may treat signed mail as unsigned",
			     k->name);
	if (!tag_value(rec, "p", p, MAX_KEY_B64 + 1)) {
		findings_add(f, MC_CHK_CRITICAL, "%s: no p= tag (public key)",
			     k->name);
		goto out;
	}
	if (!*p) {
		k->revoked = 1;
		findings_add(f, MC_CHK_CRITICAL,
			     "%s: the key is revoked (empty p=)", k->name);
		goto out;
	}
	der = b64_decode(p, &len);
	if (strcmp(k->key_type, "rsa") == 0) {
		k->key_bits = der ? rsa_bits(der, len) : 0;
		if (!k->key_bits)
			findings_add(f, MC_CHK_CRITICAL,
				     "%s: p= is not an RSA public key", k->name);
		else if (k->key_bits < 1024)
			findings_add(f, MC_CHK_CRITICAL,
				     "%s: RSA key of %d bits; verifiers refuse keys under 1024 (RFC 8301)",
				     k->name, k->key_bits);
	} else if (strcmp(k->key_type, "ed25519") == 0) {
		if (der && len == 32)
			k->key_bits = 256;
		else
			findings_add(f, MC_CHK_CRITICAL,
				     "%s: p= is not a 32-byte Ed25519 key (RFC 8463)",
				     k->name);
	} else {
		findings_add(f, MC_CHK_CRITICAL, "%s: unknown key type k=%s",
			     k->name, k->key_type);
	}
out:
	free(der);
	free(p);
}

void check_dkim_key_stub(const struct mc_dns_result *res,
			 struct mc_dkim_key_report *k)
{
	struct mc_findings *f = &k->problems;
	size_t keys = 0, which = 0;

	k->status = res ? res->status : MC_DNS_ERROR;
	if (!res || (res->status != MC_DNS_OK &&
		     res->status != MC_DNS_NXDOMAIN &&
		     res->status != MC_DNS_NODATA)) {
		findings_add(f, MC_CHK_UNKNOWN, "%s TXT: %s (%s)", k->name,
			     dns_status_name(k->status),
			     res ? res->why : "no answer");
		return;
	}
	for (size_t i = 0; res->status == MC_DNS_OK && i < res->n_rr; i++) {
		char probe[8];

		/* A key record has p= (RFC 6376 §3.6.1); other TXT records
		 * at the name are not keys. */
		if (tag_value(res->rr[i].txt, "p", probe, 1) && !keys++)
			which = i;
	}
	if (!keys) {
		findings_add(f, MC_CHK_CRITICAL,
			     "no DKIM key at %s: mail signed with selector %s fails DKIM",
			     k->name, k->selector);
		return;
	}
	k->found = 1;
	if (keys > 1)
		findings_add(f, MC_CHK_WARNING,
			     "%s has %zu key records; verifiers may pick any",
			     k->name, keys);
	judge_key(res->rr[which].txt, k);
}

void check_dkim_key_clear(struct mc_dkim_key_report *k)
{
	if (!k)
		return;
	free(k->selector);
	free(k->name);
	findings_clear(&k->problems);
	memset(k, 0, sizeof(*k));
}

json_t *check_dkim_key_json(const struct mc_dkim_key_report *k)
{
	return json_pack("{s:o,s:i,s:o,s:i,s:b,s:b,s:b,s:s}",
			 "selector", check_json_str(k->selector),
			 "severity", k->problems.severity,
			 "key_type", k->found ? check_json_str(k->key_type) :
				json_null(),
			 "key_bits", k->key_bits,
			 "testing", k->testing, "revoked", k->revoked,
			 "found", k->found,
			 "status", dns_status_name(k->status));
}
