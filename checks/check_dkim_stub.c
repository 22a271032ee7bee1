/* The DKIM part of `check` (see check_dkim_stub.h): which TXT record at
 * the selector's name is the key, judged by checks/dkim's key parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/check_dkim_stub.h"
#include "checks/dkim_parse.h"

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

/* The key record judged by checks/dkim's parser (one parser for both
 * signature verification and this report). */
static void judge_key(const char *rec, struct mc_dkim_key_report *k)
{
	struct mc_findings *f = &k->problems;
	struct dkim_key key = {0};
	struct mc_err err = {0};
	int rc = dkim_key_parse(rec, strlen(rec), &key, &err);

	if (rc != 0 && err.code == -2) {
		f->oom = 1;
		goto out;
	}
	snprintf(k->key_type, sizeof(k->key_type), "%s",
		 key.type == MC_DKIM_KEY_ED25519 ? "ed25519"
		 : key.type == MC_DKIM_KEY_RSA ? "rsa" : "unknown");
	k->key_bits = (int)key.bits;
	k->testing = key.testing;
	k->revoked = key.revoked;
	if (rc != 0) {
		findings_add(f, MC_CHK_CRITICAL, "%s: %s", k->name, err.msg);
		goto out;
	}
	if (key.testing)
		findings_add(f, MC_CHK_WARNING,
			     "%s: t=y, testing mode: receivers may treat signed mail as unsigned",
			     k->name);
	if (key.revoked)
		findings_add(f, MC_CHK_CRITICAL,
			     "%s: the key is revoked (empty p=)", k->name);
	else if (key.type == MC_DKIM_KEY_RSA && key.bits < 1024)
		findings_add(f, MC_CHK_CRITICAL,
			     "%s: RSA key of %u bits; verifiers refuse keys under 1024 (RFC 8301)",
			     k->name, key.bits);
	else if (key.type == MC_DKIM_KEY_RSA && key.bits < 2048)
		findings_add(f, MC_CHK_WARNING,
			     "%s: RSA key of %u bits; use 2048 or more",
			     k->name, key.bits);
out:
	dkim_key_clear(&key);
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
