/* libFuzzer target: SPF record parsing (RFC 7208 §4.6, §12) and macro
 * expansion (§7) of every domain-spec and of the input as explanation
 * text, then truncation to a query name. The input is a TXT record's
 * joined text; first byte 0x01 selects an IPv6 client. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/spf_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expand(const char *p, size_t n,
		   const struct mc_spf_macro_ctx *ctx, int exp_text)
{
	struct mc_buf out = {0};
	struct mc_err err = {0};

	if (spf_macro_expand(p, n, ctx, exp_text, &out, &err) == 0 &&
	    out.data) {
		size_t len = spf_domain_truncate(out.data, out.len);

		(void)spf_domain_queryable(out.data, len);
	}
	mc_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_spf_record *rec = NULL;
	struct mc_err err = {0};
	struct mc_ipaddr ip;
	struct mc_spf_macro_ctx ctx = {
		.sender = "strong-bad@email.example.com",
		.local = "strong-bad",
		.sender_domain = "email.example.com",
		.domain = "email.example.com",
		.ip = &ip,
		.helo = "mx.example.org",
		.ptr = "mx.example.org",
		.receiver = "mx.example.net",
		.now = 1700000000,
	};
	const char *p = (const char *)data;
	char *with_version;

	if (size > 65536)
		return 0;
	if (size > 0 && data[0] == 1)
		ipaddr_parse("2001:db8::cb01", 14, &ip);
	else
		ipaddr_parse("192.0.2.3", 9, &ip);

	(void)spf_record_is_spf1(p, size);
	if (spf_record_parse(p, size, &rec, &err) == 0) {
		for (size_t i = 0; i < rec->n_terms; i++)
			if (rec->terms[i].domain)
				expand(rec->terms[i].domain,
				       strlen(rec->terms[i].domain), &ctx, 0);
		if (rec->redirect)
			expand(rec->redirect, strlen(rec->redirect), &ctx, 0);
		if (rec->exp)
			expand(rec->exp, strlen(rec->exp), &ctx, 0);
		spf_record_free(rec);
	}
	/* The same bytes as the terms of a record. */
	with_version = malloc(size + 8);
	if (with_version) {
		memcpy(with_version, "v=spf1 ", 7);
		memcpy(with_version + 7, data, size);
		if (spf_record_parse(with_version, size + 7, &rec, &err) == 0)
			spf_record_free(rec);
		free(with_version);
	}
	(void)spf_domain_spec_check(p, size, &err);
	(void)spf_macro_uses_p(p, size);
	expand(p, size, &ctx, 1);
	ctx.ptr = NULL;
	expand(p, size, &ctx, 0);
	return 0;
}
