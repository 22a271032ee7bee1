/* The DKIM key record of a selector (RFC 6376 §3.6.1), judged for the
 * `check` command: present, key type, RSA key size (OpenSSL), testing
 * flag, revoked. Only what `check` reports; no signature verification. */
#ifndef MC_CHECK_DKIM_STUB_H
#define MC_CHECK_DKIM_STUB_H

#include <jansson.h>

#include "checks/checkutil.h"
#include "checks/dns.h"

struct mc_dkim_key_report {
	char *selector;
	char *name;                /* <selector>._domainkey.<domain> */
	enum mc_dns_status status; /* of the TXT query */
	int found;                 /* a key record is there */
	char key_type[16];         /* k=: "rsa" (default), "ed25519", ... */
	int key_bits;              /* 0 if unknown */
	int testing;               /* t=y */
	int revoked;               /* p= empty */
	struct mc_findings problems;
};

/* Judges the TXT answer res for selector into out (whose selector and
 * name the caller set; res may be NULL for "no answer"). Pure: no DNS.
 * The record itself is parsed by checks/dkim (dkim_key_parse). */
void check_dkim_key_stub(const struct mc_dns_result *res,
			 struct mc_dkim_key_report *out);

void check_dkim_key_clear(struct mc_dkim_key_report *k);

/* DESIGN.md check "dkim" entry: {"selector","severity","key_type",
 * "key_bits","testing","revoked"}, plus "found" and "status". */
json_t *check_dkim_key_json(const struct mc_dkim_key_report *k);

#endif
