/* Unit tests for checks/dkim: tag-lists and base64, key records (RSA SPKI
 * and bare RSAPublicKey, Ed25519, revoked, errors), the RFC 6376 §3.4.5
 * canonicalisation example, the RFC 8463 Appendix A message with both of
 * its signatures and published keys, and messages signed here at test
 * time with keys generated here (RSA 2048 and 1024, Ed25519): tampering,
 * l=, oversigning, expiry, testing mode, sha1, malformed tags, missing
 * keys and DNS failures (through a lookup callback, and through the real
 * c-ares path against the fake server of dns_fake.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/dkim.h"
#include "checks/dkim_parse.h"
#include "checks/dns.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "dns_fake.h"
#pragma GCC diagnostic pop

/* ---- a key table standing in for DNS ---- */

#define MAX_KEYS 16

struct keytab {
	struct {
		const char *name;
		enum mc_dns_status status;
		const char *txt[3];     /* records; NULL-terminated */
	} k[MAX_KEYS];
	size_t n;
	int lookups;
};

static void keytab_add(struct keytab *t, const char *name,
		       enum mc_dns_status st, const char *txt)
{
	assert_true(t->n < MAX_KEYS);
	t->k[t->n].name = name;
	t->k[t->n].status = st;
	t->k[t->n].txt[0] = txt;
	t->k[t->n].txt[1] = NULL;
	t->n++;
}

static struct mc_dns_result *keytab_lookup(void *arg, const char *name)
{
	struct keytab *t = arg;
	struct mc_dns_result *r = dns_result_new(name, MC_DNS_TXT);

	assert_non_null(r);
	t->lookups++;
	r->status = MC_DNS_NXDOMAIN;
	for (size_t i = 0; i < t->n; i++) {
		size_t n = 0;

		if (strcmp(t->k[i].name, name) != 0)
			continue;
		r->status = t->k[i].status;
		if (r->status == MC_DNS_TIMEOUT)
			strcpy(r->why, "no answer");
		if (r->status != MC_DNS_OK)
			break;
		while (n < 3 && t->k[i].txt[n])
			n++;
		r->rr = calloc(n, sizeof(*r->rr));
		assert_non_null(r->rr);
		for (size_t j = 0; j < n; j++) {
			r->rr[j].txt = strdup(t->k[i].txt[j]);
			r->rr[j].txt_len = strlen(t->k[i].txt[j]);
		}
		r->n_rr = n;
		break;
	}
	return r;
}

/* ---- RFC 8463 Appendix A ---- */

/* A.2: the published keys (the RSA one is RFC 6376's 1024-bit example). */
#define RFC8463_ED_KEY \
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RFC8463_RSA_KEY \
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" \
	"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC" \
	"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3" \
	"Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

/* A.3: the signed message (the RFC's page indent removed, CRLF). */
static const char rfc8463_msg[] =
	"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
	" subject : date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
	" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
	" date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
	" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
	" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
	"From: Joe SixPack <joe@football.example.com>\r\n"
	"To: Suzie Q <suzie@shopping.example.net>\r\n"
	"Subject: Is dinner ready?\r\n"
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
	"\r\n"
	"Hi.\r\n"
	"\r\n"
	"We lost the game.  Are you hungry yet?\r\n"
	"\r\n"
	"Joe.\r\n";

#define RFC8463_NOW 1528637909.0

static struct mc_dkim_result *verify(const char *msg, size_t len,
				     struct keytab *t, double now)
{
	struct mc_dkim_result *r = NULL;
	struct mc_err err = {0};

	if (dkim_verify_message(msg, len, keytab_lookup, t, now, &r, &err))
		fail_msg("dkim_verify_message: %s", err.msg);
	assert_non_null(r);
	return r;
}

static void test_rfc8463(void **state)
{
	struct keytab t = {0};
	struct mc_dkim_result *r;
	json_t *j;
	char *s;

	(void)state;
	keytab_add(&t, "brisbane._domainkey.football.example.com", MC_DNS_OK,
		   RFC8463_ED_KEY);
	keytab_add(&t, "test._domainkey.football.example.com", MC_DNS_OK,
		   RFC8463_RSA_KEY);
	r = verify(rfc8463_msg, sizeof(rfc8463_msg) - 1, &t, RFC8463_NOW);
	assert_int_equal(r->n_sigs, 2);
	assert_string_equal(r->sigs[0].reason, "");
	assert_int_equal(r->sigs[0].status, MC_DKIM_PASS);
	assert_string_equal(r->sigs[0].algorithm, "ed25519-sha256");
	assert_string_equal(r->sigs[0].selector, "brisbane");
	assert_string_equal(r->sigs[0].domain, "football.example.com");
	assert_int_equal(r->sigs[0].key_type, MC_DKIM_KEY_ED25519);
	assert_int_equal(r->sigs[0].weak, 0);
	assert_int_equal(r->sigs[1].status, MC_DKIM_PASS);
	assert_string_equal(r->sigs[1].algorithm, "rsa-sha256");
	assert_int_equal(r->sigs[1].key_type, MC_DKIM_KEY_RSA);
	assert_int_equal(r->sigs[1].key_bits, 1024);
	assert_int_equal(r->sigs[1].weak, 1);
	assert_string_equal(r->sigs[1].reason, "key too short (1024 bits)");
	assert_string_equal(r->sigs[1].headers,
			    "from:to:subject:date:message-id:from:subject:date");
	assert_string_equal(r->sigs[1].canonicalization, "relaxed/relaxed");
	assert_int_equal(r->severity, 1);
	assert_int_equal(t.lookups, 2);
	assert_ptr_equal(dkim_result_find(r, NULL, "TEST"), &r->sigs[1]);
	assert_ptr_equal(dkim_result_find(r, "football.example.com",
					  "brisbane"), &r->sigs[0]);
	assert_null(dkim_result_find(r, "example.com", "brisbane"));
	assert_null(dkim_result_find(r, NULL, "s1"));
	assert_null(dkim_result_find(NULL, NULL, "s1"));

	j = dkim_result_to_json(r);
	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(s, "\"signatures\":[{\"domain\":\"football.example.com\""));
	assert_non_null(strstr(s, "\"result\":\"pass\""));
	assert_non_null(strstr(s, "\"signed_at\":\"2018-06-10T13:38:29Z\""));
	assert_non_null(strstr(s, "\"expires_at\":null"));
	assert_non_null(strstr(s, "\"severity\":1"));
	free(s);
	json_decref(j);
	dkim_result_free(r);

	/* The same message with the body changed by one byte. */
	{
		char *m = strdup(rfc8463_msg);
		char *p = strstr(m, "hungry");

		p[0] = 'H';
		r = verify(m, strlen(m), &t, RFC8463_NOW);
		assert_int_equal(r->sigs[0].status, MC_DKIM_FAIL);
		assert_string_equal(r->sigs[0].reason, "body hash mismatch");
		assert_int_equal(r->sigs[1].status, MC_DKIM_FAIL);
		assert_int_equal(r->severity, 2);
		dkim_result_free(r);
		/* ... and a signed header changed instead. */
		strcpy(m, rfc8463_msg);
		p = strstr(m, "dinner");
		p[0] = 'D';
		r = verify(m, strlen(m), &t, RFC8463_NOW);
		assert_int_equal(r->sigs[0].status, MC_DKIM_FAIL);
		assert_string_equal(r->sigs[0].reason, "signature mismatch");
		assert_int_equal(r->sigs[1].status, MC_DKIM_FAIL);
		assert_string_equal(r->sigs[1].reason, "signature mismatch");
		dkim_result_free(r);
		free(m);
	}
}

/* ---- RFC 6376 §3.4.5 ---- */

static const char ex_header[] =
	"A: X\r\n"
	"B : Y\t\r\n"
	"\tZ  \r\n";
static const char ex_body[] =
	" C \r\n"
	"D \t E\r\n"
	"\r\n"
	"\r\n";

static void canon_header_all(enum dkim_canon c, struct mc_buf *out)
{
	struct dkim_msg m;
	char msg[128];

	snprintf(msg, sizeof(msg), "%s\r\n%s", ex_header, ex_body);
	assert_int_equal(dkim_msg_parse(msg, strlen(msg), &m), 0);
	assert_int_equal(m.n_fields, 2);
	for (size_t i = 0; i < m.n_fields; i++)
		assert_int_equal(dkim_canon_header(c, m.fields[i].p,
						   m.fields[i].n, 1, out), 0);
	assert_int_equal(m.body_len, strlen(ex_body));
	dkim_msg_free(&m);
}

static void test_canon_rfc6376(void **state)
{
	struct mc_buf b = {0};

	(void)state;
	canon_header_all(DKIM_CANON_RELAXED, &b);
	assert_string_equal(b.data, "a:X\r\nb:Y Z\r\n");
	mc_buf_reset(&b);
	assert_int_equal(dkim_canon_body(DKIM_CANON_RELAXED, ex_body,
					 strlen(ex_body), &b), 0);
	assert_string_equal(b.data, " C\r\nD E\r\n");
	mc_buf_reset(&b);
	canon_header_all(DKIM_CANON_SIMPLE, &b);
	assert_string_equal(b.data, ex_header);
	mc_buf_reset(&b);
	assert_int_equal(dkim_canon_body(DKIM_CANON_SIMPLE, ex_body,
					 strlen(ex_body), &b), 0);
	assert_string_equal(b.data, " C \r\nD \t E\r\n");
	mc_buf_free(&b);
}

static char *canon_body_str(enum dkim_canon c, const char *s)
{
	struct mc_buf b = {0};

	assert_int_equal(dkim_canon_body(c, s, strlen(s), &b), 0);
	return mc_buf_steal(&b);
}

#define BODY(c, in, want) do { \
	char *got_ = canon_body_str(c, in); \
	assert_string_equal(got_, want); \
	free(got_); \
} while (0)

static void test_canon_edges(void **state)
{
	struct mc_buf b = {0};
	struct dkim_msg m;

	(void)state;
	/* §3.4.3: an empty body is CRLF under simple; §3.4.4 empty. */
	BODY(DKIM_CANON_SIMPLE, "", "\r\n");
	BODY(DKIM_CANON_RELAXED, "", "");
	BODY(DKIM_CANON_SIMPLE, "\r\n\r\n", "\r\n");
	BODY(DKIM_CANON_RELAXED, "\r\n \t\r\n", "");
	/* A last line without CRLF gets one. */
	BODY(DKIM_CANON_SIMPLE, "abc", "abc\r\n");
	BODY(DKIM_CANON_RELAXED, "a  b \t", "a b\r\n");
	/* Empty lines inside stay; only trailing ones go. */
	BODY(DKIM_CANON_SIMPLE, "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n");
	BODY(DKIM_CANON_RELAXED, "a\r\n  \r\nb\r\n", "a\r\n\r\nb\r\n");
	/* Simple keeps whitespace-only lines (not empty). */
	BODY(DKIM_CANON_SIMPLE, "a\r\n \r\n", "a\r\n \r\n");
	/* A bare CR is data. */
	BODY(DKIM_CANON_RELAXED, "a\rb\r\n", "a\rb\r\n");

	/* Relaxed header: name case, WSP before the colon, folding. */
	{
		const char *h = "SUBJect \t:  a\r\n \t b  \r\n";

		assert_int_equal(dkim_canon_header(DKIM_CANON_RELAXED, h,
						   strlen(h), 1, &b), 0);
	}
	assert_string_equal(b.data, "subject:a b\r\n");
	mc_buf_reset(&b);
	assert_int_equal(dkim_canon_header(DKIM_CANON_SIMPLE,
					   "X: y\r\n", 6, 0, &b), 0);
	assert_string_equal(b.data, "X: y");
	mc_buf_reset(&b);
	assert_int_equal(dkim_canon_header(DKIM_CANON_RELAXED,
					   "X:\r\n", 4, 1, &b), 0);
	assert_string_equal(b.data, "x:\r\n");
	mc_buf_free(&b);

	/* Bare LF line ends become CRLF; a mbox From line is skipped; no
	 * blank line means no body. */
	assert_int_equal(dkim_msg_parse("From a@b Mon\nA: 1\n 2\nB: 3\n\nbody\n",
					32, &m), 0);
	assert_int_equal(m.n_fields, 2);
	assert_int_equal(m.fields[0].n, 10);
	assert_memory_equal(m.fields[0].p, "A: 1\r\n 2\r\n", 10);
	assert_true(dkim_field_is(&m.fields[1], "b"));
	assert_int_equal(m.body_len, 6);
	assert_memory_equal(m.body, "body\r\n", 6);
	dkim_msg_free(&m);
	assert_int_equal(dkim_msg_parse("A: 1\r\nB: 2", 11, &m), 0);
	assert_int_equal(m.n_fields, 2);
	assert_int_equal(m.body_len, 0);
	dkim_msg_free(&m);
	assert_int_equal(dkim_msg_parse("", 0, &m), 0);
	assert_int_equal(m.n_fields, 0);
	dkim_msg_free(&m);
}

/* ---- tag-lists, base64 ---- */

static void test_tags(void **state)
{
	struct dkim_taglist tl;
	struct mc_err err = {0};
	const struct dkim_tag *t;
	const char *s = " v = 1 ;a=rsa-sha256;\r\n b= ab\r\n cd ; ;x_1=;";
	unsigned char *d;
	size_t n;

	(void)state;
	assert_int_equal(dkim_tags_parse(s, strlen(s), &tl, &err), 0);
	assert_int_equal(tl.n, 4);
	t = dkim_tag_find(&tl, "v");
	assert_int_equal(t->val_len, 1);
	t = dkim_tag_find(&tl, "b");
	assert_int_equal(t->val_len, 7);
	assert_memory_equal(t->val, "ab\r\n cd", 7);
	assert_int_equal(s[t->raw_start - 1], '=');
	assert_int_equal(s[t->raw_end], ';');
	assert_int_equal(dkim_tag_find(&tl, "x_1")->val_len, 0);
	assert_null(dkim_tag_find(&tl, "V"));   /* case-sensitive */

	assert_int_equal(dkim_tags_parse("a=1; a=2", 8, &tl, &err), -1);
	assert_non_null(strstr(err.msg, "twice"));
	assert_int_equal(dkim_tags_parse("1a=1", 4, &tl, &err), -1);
	assert_int_equal(dkim_tags_parse("a 1", 3, &tl, &err), -1);
	assert_non_null(strstr(err.msg, "no '='"));
	assert_int_equal(dkim_tags_parse("a=\x01", 3, &tl, &err), -1);
	assert_int_equal(dkim_tags_parse("", 0, &tl, &err), 0);
	assert_int_equal(tl.n, 0);

	d = dkim_base64_decode("aGVs bG8=", 9, &n, NULL);
	assert_non_null(d);
	assert_int_equal(n, 5);
	assert_memory_equal(d, "hello", 5);
	free(d);
	d = dkim_base64_decode("aGVsbG8", 7, &n, NULL);   /* no padding */
	assert_non_null(d);
	assert_int_equal(n, 5);
	free(d);
	d = dkim_base64_decode("aGk=", 4, &n, NULL);
	assert_int_equal(n, 2);
	free(d);
	d = dkim_base64_decode("", 0, &n, NULL);
	assert_int_equal(n, 0);
	free(d);
	assert_null(dkim_base64_decode("aGVsbG8=x", 9, &n, NULL));
	assert_null(dkim_base64_decode("a", 1, &n, NULL));
	assert_null(dkim_base64_decode("aGk==", 5, &n, NULL));
	assert_null(dkim_base64_decode("a*bc", 4, &n, NULL));
	assert_null(dkim_base64_decode("aGVsbG8==", 9, &n, NULL));
}

/* ---- keys generated here ---- */

static EVP_PKEY *rsa2048, *rsa1024, *rsa512, *ed;

static char *b64(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* "v=DKIM1; k=..; p=..." for k, with extra tags put before p=. */
static char *key_record(EVP_PKEY *k, const char *extra)
{
	unsigned char raw[64], *der = NULL;
	char *p, *rec;
	size_t n = sizeof(raw);
	int len;

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519) {
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &n), 1);
		p = b64(raw, n);
	} else {
		len = i2d_PUBKEY(k, &der);
		assert_true(len > 0);
		p = b64(der, (size_t)len);
		OPENSSL_free(der);
	}
	rec = malloc(strlen(p) + 200);
	assert_non_null(rec);
	sprintf(rec, "v=DKIM1; k=%s; %s%sp=%s",
		EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? "ed25519" : "rsa",
		extra ? extra : "", extra ? "; " : "", p);
	free(p);
	return rec;
}

static int setup(void **state)
{
	(void)state;
	rsa2048 = EVP_RSA_gen(2048);
	rsa1024 = EVP_RSA_gen(1024);
	rsa512 = EVP_RSA_gen(512);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return rsa2048 && rsa1024 && rsa512 && ed ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(rsa512);
	EVP_PKEY_free(ed);
	return 0;
}

static void test_key_parse(void **state)
{
	struct dkim_key k;
	struct mc_err err = {0};
	char *rec;
	unsigned char *der = NULL;
	char bare[1024];
	char *p;
	int len;

	(void)state;
	rec = key_record(rsa2048, "t=y:s; h=sha256; s=email");
	assert_int_equal(dkim_key_parse(rec, strlen(rec), &k, &err), 0);
	assert_int_equal(k.type, MC_DKIM_KEY_RSA);
	assert_int_equal(k.bits, 2048);
	assert_true(k.testing);
	assert_true(k.strict);
	assert_int_equal(k.hashes, DKIM_HASH_SHA256);
	assert_string_equal(k.s, "email");
	assert_non_null(k.pkey);
	dkim_key_clear(&k);
	free(rec);

	rec = key_record(ed, NULL);
	assert_int_equal(dkim_key_parse(rec, strlen(rec), &k, &err), 0);
	assert_int_equal(k.type, MC_DKIM_KEY_ED25519);
	assert_int_equal(k.hashes, DKIM_HASH_SHA1 | DKIM_HASH_SHA256);
	assert_false(k.testing);
	dkim_key_clear(&k);
	free(rec);

	/* A bare RSAPublicKey (PKCS#1) instead of SubjectPublicKeyInfo; no
	 * v= and no k= (rsa is the default). */
	len = i2d_PublicKey(rsa1024, &der);
	assert_true(len > 0);
	p = b64(der, (size_t)len);
	OPENSSL_free(der);
	snprintf(bare, sizeof(bare), "p=%s", p);
	free(p);
	assert_int_equal(dkim_key_parse(bare, strlen(bare), &k, &err), 0);
	assert_int_equal(k.type, MC_DKIM_KEY_RSA);
	assert_int_equal(k.bits, 1024);
	dkim_key_clear(&k);

#define KEY_BAD(s, want) do { \
	memset(&err, 0, sizeof(err)); \
	assert_int_equal(dkim_key_parse(s, strlen(s), &k, &err), -1); \
	if (!strstr(err.msg, want)) \
		fail_msg("\"%s\": \"%s\" lacks \"%s\"", s, err.msg, want); \
	dkim_key_clear(&k); \
} while (0)
	KEY_BAD("v=DKIM1; k=rsa; p=!!!!", "not base64");
	KEY_BAD("v=DKIM1; k=dsa; p=AAAA", "unknown key type k=dsa");
	KEY_BAD("v=DKIM1; k=rsa p=AAAA", "");
	KEY_BAD("k=rsa; v=DKIM1; p=AAAA", "v= is not the first tag");
	KEY_BAD("v=DKIM2; p=AAAA", "v= is not DKIM1");
	KEY_BAD("v=DKIM1; k=rsa", "no p= tag");
	KEY_BAD("v=DKIM1; s=other; p=AAAA", "not for email");
	KEY_BAD("v=DKIM1; p=AAAA", "not an RSA public key");
	KEY_BAD("v=DKIM1; k=ed25519; p=AAAA", "not the raw 32-byte key");
	KEY_BAD("v=DKIM1; p=A; p=B", "twice");
	KEY_BAD("garbage", "no '='");

	/* p= empty: revoked, which parses. */
	assert_int_equal(dkim_key_parse("v=DKIM1; p=", 11, &k, &err), 0);
	assert_true(k.revoked);
	assert_null(k.pkey);
	dkim_key_clear(&k);
	{
		const char *rec2 = "v=DKIM1; s=*:email; h=sha1:foo; p=";

		assert_int_equal(dkim_key_parse(rec2, strlen(rec2), &k, &err),
				 0);
	}
	assert_int_equal(k.hashes, DKIM_HASH_SHA1);
	dkim_key_clear(&k);
}

/* ---- signing at test time ---- */

struct signopt {
	EVP_PKEY *key;
	const char *a;           /* default by key type, sha256 */
	const char *c;           /* default relaxed/relaxed */
	const char *h;           /* default from:to:subject */
	const char *d, *s;       /* default example.org / sel */
	const char *extra;       /* more tags, e.g. "x=100" */
	long long l;             /* 0 = none */
};

static void pick_fields(const struct dkim_msg *m, const char *h,
			enum dkim_canon c, struct mc_buf *out)
{
	unsigned char used[64] = {0};
	char names[256], *save = NULL;

	snprintf(names, sizeof(names), "%s", h);
	for (char *n = strtok_r(names, ": ", &save); n;
	     n = strtok_r(NULL, ": ", &save)) {
		for (size_t k = m->n_fields; k-- > 0;) {
			if (used[k] || !dkim_field_is(&m->fields[k], n))
				continue;
			used[k] = 1;
			assert_int_equal(dkim_canon_header(c, m->fields[k].p,
							   m->fields[k].n, 1,
							   out), 0);
			break;
		}
	}
}

/* Returns a new message: a DKIM-Signature field, then msg. */
static char *sign(const char *msg, const struct signopt *o)
{
	int is_ed = EVP_PKEY_get_base_id(o->key) == EVP_PKEY_ED25519;
	const char *a = o->a ? o->a : is_ed ? "ed25519-sha256" : "rsa-sha256";
	const char *c = o->c ? o->c : "relaxed/relaxed";
	const char *h = o->h ? o->h : "from:to:subject";
	int sha1 = strcmp(a, "rsa-sha1") == 0;
	enum dkim_canon hc = strncmp(c, "relaxed", 7) == 0 ?
		DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	enum dkim_canon bc = strstr(c, "/relaxed") ?
		DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	struct mc_buf body = {0}, hd = {0};
	unsigned char md[EVP_MAX_MD_SIZE], sigbuf[1024];
	unsigned mdlen;
	size_t siglen = sizeof(sigbuf);
	struct dkim_msg m;
	char field[2048], *bh, *b, *out;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_int_equal(dkim_msg_parse(msg, strlen(msg), &m), 0);
	assert_int_equal(dkim_canon_body(bc, m.body, m.body_len, &body), 0);
	assert_true(EVP_Digest(body.data ? body.data : "",
			       o->l > 0 ? (size_t)o->l : body.len, md, &mdlen,
			       sha1 ? EVP_sha1() : EVP_sha256(), NULL));
	bh = b64(md, mdlen);
	snprintf(field, sizeof(field),
		 "DKIM-Signature: v=1; a=%s; c=%s; d=%s; s=%s;\r\n"
		 "\th=%s;%s%s%s l=%lld; bh=%s;\r\n\tb=",
		 a, c, o->d ? o->d : "example.org", o->s ? o->s : "sel", h,
		 o->extra ? " " : "", o->extra ? o->extra : "",
		 o->extra ? ";" : "", o->l, bh);
	if (o->l <= 0) {     /* drop the l= placeholder */
		char *lp = strstr(field, " l=0;");

		memmove(lp, lp + 5, strlen(lp + 5) + 1);
	}
	pick_fields(&m, h, hc, &hd);
	assert_int_equal(dkim_canon_header(hc, field, strlen(field), 0, &hd),
			 0);
	assert_non_null(ctx);
	if (is_ed) {
		assert_true(EVP_Digest(hd.data, hd.len, md, &mdlen,
				       EVP_sha256(), NULL));
		assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL,
						    o->key), 1);
		assert_int_equal(EVP_DigestSign(ctx, sigbuf, &siglen, md,
						mdlen), 1);
	} else {
		assert_int_equal(EVP_DigestSignInit(ctx, NULL, sha1 ? EVP_sha1() :
						    EVP_sha256(), NULL, o->key),
				 1);
		assert_int_equal(EVP_DigestSign(ctx, sigbuf, &siglen,
						(unsigned char *)hd.data,
						hd.len), 1);
	}
	EVP_MD_CTX_free(ctx);
	b = b64(sigbuf, siglen);
	out = malloc(strlen(field) + strlen(b) + strlen(msg) + 8);
	assert_non_null(out);
	sprintf(out, "%s%s\r\n%s", field, b, msg);
	free(b);
	free(bh);
	mc_buf_free(&body);
	mc_buf_free(&hd);
	dkim_msg_free(&m);
	return out;
}

static const char plain_msg[] =
	"From: Alice <alice@example.org>\r\n"
	"To: bob@example.net\r\n"
	"Subject: canary  test\r\n"
	"Date: Tue, 24 Nov 2026 11:21:03 +0000\r\n"
	"\r\n"
	"Hello Bob,\r\n"
	"\r\n"
	"this is  a probe.  \r\n"
	"\r\n"
	"\r\n";

#define NOW 1800000000.0

/* Signs plain_msg (or msg) with o, publishes key's record at
 * sel._domainkey.example.org, verifies; returns the one result. */
struct one {
	struct keytab t;
	struct mc_dkim_result *r;
	char *rec, *signed_msg;
};

static void one_free(struct one *x)
{
	dkim_result_free(x->r);
	free(x->rec);
	free(x->signed_msg);
}

static const struct mc_dkim_sig_result *sign_verify(struct one *x,
						    const struct signopt *o,
						    const char *key_extra,
						    const char *tail)
{
	char *msg;

	memset(x, 0, sizeof(*x));
	x->rec = key_record(o->key, key_extra);
	keytab_add(&x->t, "sel._domainkey.example.org", MC_DNS_OK, x->rec);
	x->signed_msg = sign(plain_msg, o);
	msg = x->signed_msg;
	if (tail) {
		msg = malloc(strlen(x->signed_msg) + strlen(tail) + 1);
		sprintf(msg, "%s%s", x->signed_msg, tail);
		free(x->signed_msg);
		x->signed_msg = msg;
	}
	x->r = verify(msg, strlen(msg), &x->t, NOW);
	assert_int_equal(x->r->n_sigs, 1);
	return &x->r->sigs[0];
}

static void test_sign_pass(void **state)
{
	static const char *canons[] = {"relaxed/relaxed", "simple/simple",
				       "relaxed/simple", "simple/relaxed",
				       "relaxed"};
	EVP_PKEY *keys[] = {rsa2048, ed};
	const struct mc_dkim_sig_result *s;
	struct one x;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(canons) / sizeof(*canons); i++) {
			struct signopt o = {.key = keys[k], .c = canons[i]};

			s = sign_verify(&x, &o, NULL, NULL);
			if (s->status != MC_DKIM_PASS)
				fail_msg("%s %s: %s", canons[i],
					 keys[k] == ed ? "ed25519" : "rsa",
					 s->reason);
			assert_string_equal(s->reason, "");
			assert_int_equal(s->n_warnings, 0);
			assert_int_equal(x.r->severity, 0);
			assert_int_equal(s->key_bits, keys[k] == ed ? 256 : 2048);
			assert_string_equal(s->identity, "@example.org");
			one_free(&x);
		}
	}
}

static void test_sign_tampered(void **state)
{
	struct signopt o = {.key = rsa2048};
	const struct mc_dkim_sig_result *s;
	struct one x;
	char *p;

	(void)state;
	/* Body changed: the body hash fails. */
	s = sign_verify(&x, &o, NULL, NULL);
	p = strstr(x.signed_msg, "probe");
	p[0] = 'P';
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	s = &x.r->sigs[0];
	assert_int_equal(s->status, MC_DKIM_FAIL);
	assert_string_equal(s->reason, "body hash mismatch");
	assert_int_equal(x.r->severity, 2);
	one_free(&x);

	/* A signed header changed: the signature fails. */
	o.key = ed;
	s = sign_verify(&x, &o, NULL, NULL);
	p = strstr(x.signed_msg, "canary");
	p[0] = 'C';
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	s = &x.r->sigs[0];
	assert_int_equal(s->status, MC_DKIM_FAIL);
	assert_string_equal(s->reason, "signature mismatch");
	one_free(&x);

	/* Whitespace changes pass under relaxed, not under simple. */
	o.key = rsa2048;
	o.c = "relaxed/relaxed";
	s = sign_verify(&x, &o, NULL, NULL);
	p = strstr(x.signed_msg, "canary  test");
	memcpy(p, "canary \ttest", 12);
	p = strstr(x.signed_msg, "this is  a");
	memcpy(p, "this is \ta", 10);
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_PASS);
	one_free(&x);
	o.c = "simple/simple";
	s = sign_verify(&x, &o, NULL, NULL);
	p = strstr(x.signed_msg, "this is  a");
	memcpy(p, "this is \ta", 10);
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_FAIL);
	one_free(&x);

	/* The b= value itself damaged. */
	o.c = NULL;
	s = sign_verify(&x, &o, NULL, NULL);
	p = strstr(x.signed_msg, "\tb=") + 3;
	p[5] = p[5] == 'A' ? 'B' : 'A';
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_FAIL);
	assert_string_equal(x.r->sigs[0].reason, "signature mismatch");
	one_free(&x);
}

static void test_find_prefers_pass(void **state)
{
	struct signopt o = {.key = ed};
	const struct mc_dkim_sig_result *s;
	struct one x;
	char *m;

	(void)state;
	sign_verify(&x, &o, NULL, NULL);
	m = malloc(strlen(x.signed_msg) + 128);
	sprintf(m, "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA\r\n%s",
		x.signed_msg);
	dkim_result_free(x.r);
	x.r = verify(m, strlen(m), &x.t, NOW);
	assert_int_equal(x.r->n_sigs, 2);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_FAIL);
	s = dkim_result_find(x.r, "EXAMPLE.org", "sel");
	assert_ptr_equal(s, &x.r->sigs[1]);
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_int_equal(x.r->severity, 2);    /* any failure is critical */
	free(m);
	one_free(&x);
}

static void test_sign_l(void **state)
{
	struct signopt o = {.key = rsa2048};
	const struct mc_dkim_sig_result *s;
	struct one x;
	size_t body_len = strlen("Hello Bob,\r\n\r\nthis is a probe.\r\n");

	(void)state;
	/* l= the whole body, then text appended: still passes, with a
	 * warning that part of the body is unsigned. */
	o.l = (long long)body_len;
	s = sign_verify(&x, &o, NULL, "P.S. unsigned text\r\n");
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_int_equal(s->body_length, (long long)body_len);
	/* The message's two trailing empty lines are inside the body now. */
	assert_int_equal(s->body_bytes, (long long)body_len + 4 + 20);
	assert_int_equal(s->n_warnings, 1);
	assert_non_null(strstr(s->reason, "l= signs only"));
	assert_int_equal(x.r->severity, 1);
	one_free(&x);

	/* l= exactly the body: a clean pass. */
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_int_equal(s->n_warnings, 0);
	one_free(&x);

	/* l= longer than the body (the body was cut): permerror. */
	o.l = (long long)body_len + 100;
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PERMERROR);
	assert_non_null(strstr(s->reason, "longer than the body"));
	one_free(&x);
}

static void test_sign_oversigned(void **state)
{
	struct signopt o = {.key = rsa2048, .h = "from:to:subject:subject"};
	const struct mc_dkim_sig_result *s;
	struct one x;
	char *m;

	(void)state;
	/* Subject listed twice but present once: the second is a null
	 * header, which passes as long as no Subject is added. */
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	m = malloc(strlen(x.signed_msg) + 32);
	sprintf(m, "Subject: evil twin\r\n%s", x.signed_msg);
	dkim_result_free(x.r);
	x.r = verify(m, strlen(m), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_FAIL);
	assert_string_equal(x.r->sigs[0].reason, "signature mismatch");
	free(m);
	one_free(&x);

	/* Not oversigned: a Subject added on top is not seen (h= picks
	 * bottom-up), which is why signers oversign. */
	o.h = "from:to:subject";
	s = sign_verify(&x, &o, NULL, NULL);
	m = malloc(strlen(x.signed_msg) + 32);
	sprintf(m, "Subject: evil twin\r\n%s", x.signed_msg);
	dkim_result_free(x.r);
	x.r = verify(m, strlen(m), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_PASS);
	free(m);
	one_free(&x);

	/* h= names fields case-insensitively, with FWS around colons, and
	 * may name fields that are absent. */
	o.h = "From : TO:x-absent:Subject";
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_string_equal(s->headers, "from:to:x-absent:subject");
	one_free(&x);
}

static void test_sign_expired(void **state)
{
	struct signopt o = {.key = ed, .extra = "t=1700000000; x=1700003600"};
	const struct mc_dkim_sig_result *s;
	struct one x;

	(void)state;
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PERMERROR);
	assert_string_equal(s->reason, "expired at 2023-11-14T23:13:20Z (x=)");
	assert_true(s->expires_at == 1700003600.0);
	assert_int_equal(x.t.lookups, 0);   /* judged before any lookup */
	one_free(&x);

	o.extra = "t=1700000000; x=1900000000";
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	one_free(&x);

	o.extra = "t=1900000000; x=1800000000";   /* x= before t= */
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PERMERROR);
	assert_string_equal(s->reason, "x= is earlier than t=");
	one_free(&x);
}

static void test_sign_keys(void **state)
{
	struct signopt o = {.key = rsa2048};
	const struct mc_dkim_sig_result *s;
	struct one x;

	(void)state;
	/* Revoked: the record is there with p= empty. */
	s = sign_verify(&x, &o, NULL, NULL);
	x.t.k[0].txt[0] = "v=DKIM1; k=rsa; p=";
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	s = &x.r->sigs[0];
	assert_int_equal(s->status, MC_DKIM_PERMERROR);
	assert_string_equal(s->reason, "key revoked (p= is empty)");
	one_free(&x);

	/* Testing mode: passes, flagged, a warning. */
	s = sign_verify(&x, &o, "t=y", NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_true(s->testing);
	assert_string_equal(s->reason, "key in testing mode (t=y)");
	assert_int_equal(x.r->severity, 1);
	one_free(&x);

	/* rsa-sha1 verifies but is weak. */
	o.a = "rsa-sha1";
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_true(s->weak);
	assert_string_equal(s->reason, "rsa-sha1 is weak (RFC 8301)");
	assert_int_equal(x.r->severity, 1);
	one_free(&x);
	/* ... unless the key allows sha256 only. */
	s = sign_verify(&x, &o, "h=sha256", NULL);
	assert_int_equal(s->status, MC_DKIM_PERMERROR);
	assert_non_null(strstr(s->reason, "does not allow the hash"));
	one_free(&x);
	o.a = NULL;

	/* 1024 bits: pass with a warning; 512: refused (RFC 8301). */
	o.key = rsa1024;
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_string_equal(s->reason, "key too short (1024 bits)");
	assert_true(s->weak);
	one_free(&x);
	o.key = rsa512;
	s = sign_verify(&x, &o, NULL, NULL);
	assert_int_equal(s->status, MC_DKIM_PERMERROR);
	assert_non_null(strstr(s->reason, "key too short (512 bits"));
	one_free(&x);

	/* An Ed25519 key under an rsa-sha256 signature. */
	o.key = rsa2048;
	s = sign_verify(&x, &o, NULL, NULL);
	{
		char *edrec = key_record(ed, NULL);

		x.t.k[0].txt[0] = edrec;
		dkim_result_free(x.r);
		x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
		assert_int_equal(x.r->sigs[0].status, MC_DKIM_PERMERROR);
		assert_string_equal(x.r->sigs[0].reason,
				    "key type ed25519 does not fit a=rsa-sha256");
		free(edrec);
	}
	one_free(&x);

	/* t=s: i= in a subdomain of d= is refused; i= in d= is fine. */
	o.extra = "i=probe@mail.example.org";
	s = sign_verify(&x, &o, "t=s", NULL);
	assert_int_equal(s->status, MC_DKIM_PERMERROR);
	assert_non_null(strstr(s->reason, "(t=s)"));
	one_free(&x);
	o.extra = "i=\"a@b\"@example.org";
	s = sign_verify(&x, &o, "t=s", NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	one_free(&x);
	o.extra = "i=probe@example.org";
	s = sign_verify(&x, &o, "t=s", NULL);
	assert_int_equal(s->status, MC_DKIM_PASS);
	assert_string_equal(s->identity, "probe@example.org");
	one_free(&x);
	o.extra = NULL;

	/* Several records: the first that parses is used. */
	s = sign_verify(&x, &o, NULL, NULL);
	x.t.k[0].txt[1] = x.t.k[0].txt[0];
	x.t.k[0].txt[0] = "v=spf1 -all";
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_PASS);
	/* ... and only bad ones give the first one's problem. */
	x.t.k[0].txt[1] = "v=DKIM1; p=%%%";
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_PERMERROR);
	assert_string_equal(x.r->sigs[0].reason,
			    "bad key record: v= is not DKIM1");
	one_free(&x);
}

static void test_sign_dns(void **state)
{
	struct signopt o = {.key = ed};
	struct one x;

	(void)state;
	/* NXDOMAIN and NODATA: no key (permerror); timeout and SERVFAIL:
	 * temperror, never "no key". */
	sign_verify(&x, &o, NULL, NULL);
	x.t.k[0].status = MC_DNS_NXDOMAIN;
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_PERMERROR);
	assert_string_equal(x.r->sigs[0].reason,
			    "no key: sel._domainkey.example.org has no TXT record (nxdomain)");
	x.t.k[0].status = MC_DNS_NODATA;
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_PERMERROR);
	assert_non_null(strstr(x.r->sigs[0].reason, "no key"));
	x.t.k[0].status = MC_DNS_TIMEOUT;
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_TEMPERROR);
	assert_string_equal(x.r->sigs[0].reason,
			    "DNS timeout looking up sel._domainkey.example.org: no answer");
	assert_int_equal(x.r->severity, 3);
	x.t.k[0].status = MC_DNS_SERVFAIL;
	dkim_result_free(x.r);
	x.r = verify(x.signed_msg, strlen(x.signed_msg), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_TEMPERROR);
	assert_int_equal(x.r->severity, 3);
	one_free(&x);
}

static void test_sign_lf_mbox(void **state)
{
	struct signopt o = {.key = rsa2048, .c = "simple/simple"};
	struct one x;
	char *lf, *q;

	(void)state;
	/* The signed message saved with LF line ends, behind an mbox From
	 * line, as it would sit in a file. */
	sign_verify(&x, &o, NULL, NULL);
	lf = malloc(strlen(x.signed_msg) + 40);
	strcpy(lf, "From alice@example.org Tue Nov 24 11:21:03 2026\n");
	q = lf + strlen(lf);
	for (const char *p = x.signed_msg; *p; p++)
		if (*p != '\r')
			*q++ = *p;
	*q = '\0';
	dkim_result_free(x.r);
	x.r = verify(lf, strlen(lf), &x.t, NOW);
	assert_int_equal(x.r->sigs[0].status, MC_DKIM_PASS);
	free(lf);
	one_free(&x);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *tags;
		const char *reason;
	} cases[] = {
		{"a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "no v= tag"},
		{"v=2; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "unsupported version v=2"},
		{"v=1; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "no a= tag"},
		{"v=1; a=rsa-md5; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "unknown algorithm a=rsa-md5"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA", "no b= tag"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AAAA; b=", "b= is empty"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=AA*A; b=AAAA", "bh= is not base64"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; b=AAAA", "no bh= tag"},
		{"v=1; a=rsa-sha256; c=fancy; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "unknown canonicalization"},
		{"v=1; a=rsa-sha256; c=simple/x; d=example.org; s=sel; h=from; bh=AAAA; b=AAAA", "unknown canonicalization"},
		{"v=1; a=rsa-sha256; s=sel; h=from; bh=AAAA; b=AAAA", "no d= tag"},
		{"v=1; a=rsa-sha256; d=exa mple.org; s=sel; h=from; bh=AAAA; b=AAAA", "d= is not a domain name"},
		{"v=1; a=rsa-sha256; d=example..org; s=sel; h=from; bh=AAAA; b=AAAA", "d= is not a domain name"},
		{"v=1; a=rsa-sha256; d=example.org; h=from; bh=AAAA; b=AAAA", "no s= tag"},
		{"v=1; a=rsa-sha256; d=example.org; s=s/l; h=from; bh=AAAA; b=AAAA", "s= is not a selector name"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; bh=AAAA; b=AAAA", "no h= tag"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=to:subject; bh=AAAA; b=AAAA", "h= does not include From"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from::to; bh=AAAA; b=AAAA", "h= has an empty field name"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; i=a@example.com; bh=AAAA; b=AAAA", "i= is not in d="},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; i=noat; bh=AAAA; b=AAAA", "i= is not in d="},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; i=a@badexample.org; bh=AAAA; b=AAAA", "i= is not in d="},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; l=12x; bh=AAAA; b=AAAA", "l= is not a number"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; q=http/well-known; bh=AAAA; b=AAAA", "q= has no supported"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; t=-5; bh=AAAA; b=AAAA", "t= is not a timestamp"},
		{"v=1; a=rsa-sha256; d=example.org; s=sel; h=from; x=1234567890123; bh=AAAA; b=AAAA", "x= is not a timestamp"},
		{"v=1; v=1; a=rsa-sha256", "appears twice"},
		{"v=1; a=rsa-sha256; d=example.org; =x", "tag name must start"},
	};
	struct keytab t = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct mc_dkim_result *r;
		char msg[512];

		snprintf(msg, sizeof(msg),
			 "DKIM-Signature: %s\r\nFrom: a@example.org\r\n\r\nhi\r\n",
			 cases[i].tags);
		r = verify(msg, strlen(msg), &t, NOW);
		assert_int_equal(r->n_sigs, 1);
		assert_int_equal(r->sigs[0].status, MC_DKIM_PERMERROR);
		if (!strstr(r->sigs[0].reason, cases[i].reason))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
				 r->sigs[0].reason, cases[i].reason);
		assert_int_equal(r->severity, 2);
		dkim_result_free(r);
	}
	assert_int_equal(t.lookups, 0);
}

static void test_no_signature_and_limits(void **state)
{
	struct keytab t = {0};
	struct mc_dkim_result *r;
	struct mc_buf b = {0};
	json_t *j;
	char *s;

	(void)state;
	r = verify(plain_msg, strlen(plain_msg), &t, NOW);
	assert_int_equal(r->n_sigs, 0);
	assert_int_equal(r->severity, 2);
	j = dkim_result_to_json(r);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"signatures\":[],\"severity\":2}");
	free(s);
	json_decref(j);
	dkim_result_free(r);
	assert_int_equal(dkim_result_severity(NULL), 2);

	/* More signatures than we verify: the rest are neutral; names are
	 * still read; non-printable bytes are escaped. */
	for (int i = 0; i < MC_DKIM_MAX_SIGNATURES + 2; i++)
		assert_int_equal(mc_buf_printf(&b,
			"DKIM-Signature: v=1; a=rsa-sha256; d=ex\xff.org; s=s%d; h=from; bh=AAAA; b=AAAA\r\n",
			i), 0);
	assert_int_equal(mc_buf_puts(&b, plain_msg), 0);
	r = verify(b.data, b.len, &t, NOW);
	assert_int_equal(r->n_sigs, MC_DKIM_MAX_SIGNATURES + 2);
	assert_int_equal(r->sigs[0].status, MC_DKIM_PERMERROR);
	assert_string_equal(r->sigs[0].domain, "ex\\xff.org");
	assert_int_equal(r->sigs[MC_DKIM_MAX_SIGNATURES].status,
			 MC_DKIM_NEUTRAL);
	assert_string_equal(r->sigs[MC_DKIM_MAX_SIGNATURES + 1].selector,
			    "s17");
	j = dkim_result_to_json(r);
	assert_non_null(j);
	json_decref(j);
	dkim_result_free(r);
	mc_buf_free(&b);

	/* Too many header fields: every signature is a permerror. */
	{
		struct signopt o = {.key = ed};
		char *sm = sign(plain_msg, &o);
		struct mc_buf big = {0};

		/* Fields inserted after the signature. */
		{
			char *body = strstr(sm, "From:");

			assert_int_equal(mc_buf_append(&big, sm,
						       (size_t)(body - sm)), 0);
			for (int i = 0; i < MC_DKIM_MAX_FIELDS; i++)
				assert_int_equal(mc_buf_puts(&big, "X: y\r\n"), 0);
			assert_int_equal(mc_buf_puts(&big, body), 0);
		}
		r = verify(big.data, big.len, &t, NOW);
		assert_int_equal(r->n_sigs, 1);
		assert_int_equal(r->sigs[0].status, MC_DKIM_PERMERROR);
		assert_non_null(strstr(r->sigs[0].reason, "header fields"));
		dkim_result_free(r);
		mc_buf_free(&big);
		free(sm);
	}
}

/* ---- dkim key ---- */

static void test_key_check(void **state)
{
	struct keytab t = {0};
	struct mc_dkim_keyinfo *ki;
	struct mc_err err = {0};
	char *r2048 = key_record(rsa2048, NULL), *r1024 = key_record(rsa1024, "t=y");
	char *r512 = key_record(rsa512, NULL), *red = key_record(ed, "h=sha256");
	json_t *j;
	char *s;

	(void)state;
	keytab_add(&t, "a._domainkey.example.org", MC_DNS_OK, r2048);
	keytab_add(&t, "b._domainkey.example.org", MC_DNS_OK, r1024);
	keytab_add(&t, "c._domainkey.example.org", MC_DNS_OK, r512);
	keytab_add(&t, "d._domainkey.example.org", MC_DNS_OK, red);
	keytab_add(&t, "e._domainkey.example.org", MC_DNS_OK, "v=DKIM1; p=");
	keytab_add(&t, "f._domainkey.example.org", MC_DNS_OK, "v=DKIM1; k=foo; p=AAAA");
	keytab_add(&t, "g._domainkey.example.org", MC_DNS_TIMEOUT, NULL);
	keytab_add(&t, "h._domainkey.example.org", MC_DNS_OK, "v=DKIM1; h=sha1; p=");
	keytab_add(&t, "i._domainkey.example.org", MC_DNS_OK, "v=DKIM1; k=\xff; p=AAAA");

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "a", &err);
	assert_non_null(ki);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_OK);
	assert_int_equal(ki->key_type, MC_DKIM_KEY_RSA);
	assert_int_equal(ki->key_bits, 2048);
	assert_int_equal(ki->severity, 0);
	assert_string_equal(ki->name, "a._domainkey.example.org");
	assert_string_equal(ki->record, r2048);
	j = dkim_keyinfo_to_json(ki);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(s, "\"selector\":\"a\""));
	assert_non_null(strstr(s, "\"key_type\":\"rsa\",\"key_bits\":2048,\"testing\":false"));
	assert_non_null(strstr(s, "\"revoked\":false"));
	assert_non_null(strstr(s, "\"severity\":0"));
	free(s);
	json_decref(j);
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "b", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_OK);
	assert_int_equal(ki->severity, 1);
	assert_int_equal(ki->n_warnings, 2);
	assert_string_equal(ki->warnings[0], "key too short (1024 bits)");
	assert_true(ki->testing);
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "c", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_INVALID);
	assert_int_equal(ki->severity, 2);
	assert_non_null(strstr(ki->problem, "key too short (512 bits"));
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "d", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_OK);
	assert_int_equal(ki->key_type, MC_DKIM_KEY_ED25519);
	assert_string_equal(ki->hashes, "sha256");
	assert_int_equal(ki->severity, 0);
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "e", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_REVOKED);
	assert_int_equal(ki->severity, 2);
	j = dkim_keyinfo_to_json(ki);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(s, "\"revoked\":true"));
	assert_non_null(strstr(s, "\"status\":\"revoked\""));
	free(s);
	json_decref(j);
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "f", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_INVALID);
	assert_string_equal(ki->problem, "bad key record: unknown key type k=foo");
	assert_string_equal(ki->record, "v=DKIM1; k=foo; p=AAAA");
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "g", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_TEMPERROR);
	assert_int_equal(ki->severity, 3);
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "h", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_REVOKED);
	dkim_keyinfo_free(ki);

	/* Bytes from DNS are escaped before they reach JSON. */
	ki = dkim_key_check(keytab_lookup, &t, "example.org", "i", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_INVALID);
	assert_string_equal(ki->problem, "bad key record: unknown key type k=\\xff");
	assert_string_equal(ki->record, "v=DKIM1; k=\\xff; p=AAAA");
	j = dkim_keyinfo_to_json(ki);
	assert_non_null(j);
	json_decref(j);
	dkim_keyinfo_free(ki);

	ki = dkim_key_check(keytab_lookup, &t, "example.org", "zz", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_NONE);
	assert_int_equal(ki->severity, 2);
	j = dkim_keyinfo_to_json(ki);
	s = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(s, "\"key_type\":null"));
	assert_non_null(strstr(s, "\"record\":null"));
	free(s);
	json_decref(j);
	dkim_keyinfo_free(ki);

	/* Unusable names are a usage error. */
	assert_null(dkim_key_check(keytab_lookup, &t, "example.org", "a b", &err));
	assert_int_equal(err.component, MC_COMP_USAGE);
	assert_null(dkim_key_check(keytab_lookup, &t, "", "a", &err));
	assert_null(dkim_key_check(keytab_lookup, &t, "example.org.", "a", &err));
	assert_non_null(ki = dkim_key_check(keytab_lookup, &t, "example.org",
					    "sub.sel", &err));
	assert_string_equal(ki->name, "sub.sel._domainkey.example.org");
	dkim_keyinfo_free(ki);

	free(r2048);
	free(r1024);
	free(r512);
	free(red);
}

/* ---- the real c-ares path, against dns_fake.h's server ---- */

static void test_dns_path(void **state)
{
	struct fake *f = fake_start();
	struct mc_dns *dns = fake_dns(f, 300, 1);
	struct mc_dkim_dns *kd = dkim_dns_new(dns);
	struct mc_dkim_keyinfo *ki;
	struct mc_dkim_result *r = NULL;
	struct mc_err err = {0};
	struct mc_buf b = {0};
	const char *sels[] = {"nx", "servfail", "drop", "nx"};

	(void)state;
	assert_non_null(kd);
	/* The fake answers by the first label: nx -> NXDOMAIN, servfail,
	 * drop -> silence (timeout). */
	ki = dkim_key_check(dkim_dns_lookup, kd, "example.org", "nx", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_NONE);
	dkim_keyinfo_free(ki);
	ki = dkim_key_check(dkim_dns_lookup, kd, "example.org", "servfail", &err);
	assert_int_equal(ki->state, MC_DKIM_KEYSTATE_TEMPERROR);
	assert_non_null(strstr(ki->problem, "DNS servfail"));
	dkim_keyinfo_free(ki);

	/* A message with signatures whose keys are looked up at once. */
	for (size_t i = 0; i < 4; i++) {
		struct signopt o = {.key = ed, .s = sels[i]};
		char *sm = sign(plain_msg, &o);
		char *end = strstr(sm, "From:");

		assert_int_equal(mc_buf_append(&b, sm, (size_t)(end - sm)), 0);
		free(sm);
	}
	assert_int_equal(mc_buf_puts(&b, plain_msg), 0);
	dkim_dns_prefetch(kd, b.data, b.len);
	assert_int_equal(dkim_dns_pending(kd), 1);   /* only drop is new */
	assert_int_equal(dkim_verify_message(b.data, b.len, dkim_dns_lookup,
					     kd, NOW, &r, &err), 0);
	assert_int_equal(r->n_sigs, 4);
	assert_int_equal(r->sigs[0].status, MC_DKIM_PERMERROR);
	assert_non_null(strstr(r->sigs[0].reason, "no key"));
	assert_int_equal(r->sigs[1].status, MC_DKIM_TEMPERROR);
	assert_int_equal(r->sigs[2].status, MC_DKIM_TEMPERROR);
	assert_non_null(strstr(r->sigs[2].reason, "DNS timeout"));
	assert_int_equal(r->sigs[3].status, MC_DKIM_PERMERROR);
	assert_int_equal(r->severity, 2);
	assert_int_equal(dkim_dns_pending(kd), 0);
	dkim_result_free(r);
	mc_buf_free(&b);

	/* A query left in flight is dropped by dns_free() first. */
	{
		const char *m = "DKIM-Signature: d=example.org; s=drop2\r\n\r\n";

		dkim_dns_prefetch(kd, m, strlen(m));
	}
	assert_int_equal(dkim_dns_pending(kd), 1);
	dns_free(dns);
	dkim_dns_free(kd);
	fake_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_canon_rfc6376),
		cmocka_unit_test(test_canon_edges),
		cmocka_unit_test(test_rfc8463),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_sign_pass),
		cmocka_unit_test(test_sign_tampered),
		cmocka_unit_test(test_find_prefers_pass),
		cmocka_unit_test(test_sign_l),
		cmocka_unit_test(test_sign_oversigned),
		cmocka_unit_test(test_sign_expired),
		cmocka_unit_test(test_sign_keys),
		cmocka_unit_test(test_sign_dns),
		cmocka_unit_test(test_sign_lf_mbox),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_no_signature_and_limits),
		cmocka_unit_test(test_key_check),
		cmocka_unit_test(test_dns_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
