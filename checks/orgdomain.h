/* Organisational domains (RFC 7489 §3.2) from the Public Suffix List,
 * through libpsl (Debian's libpsl-dev: wildcard and exception rules, both
 * the ICANN and the private sections) reading the list that Debian's
 * publicsuffix package installs. Used by DMARC discovery and alignment.
 * Loads files only in orgdomain_load*(); lookups are pure. */
#ifndef MC_ORGDOMAIN_H
#define MC_ORGDOMAIN_H

#include <stddef.h>

#include "mc_err.h"

#define MC_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
/* The same list, compiled by Debian's publicsuffix package into libpsl's
 * DAFSA form: loads in about 2 ms where the text takes about 15. */
#define MC_PSL_DAFSA "/usr/share/publicsuffix/public_suffix_list.dafsa"

struct mc_psl;

/* Loads a list in the publicsuffix.org text format (or libpsl's DAFSA
 * form) from path (NULL: MC_PSL_FILE). Returns a new list the caller frees
 * with orgdomain_free(), or NULL with err filled (component DMARC). */
struct mc_psl *orgdomain_load(const char *path, struct mc_err *err);

/* Same from text in memory (tests, fuzzing). Borrows text. */
struct mc_psl *orgdomain_load_text(const char *text, size_t n,
				   struct mc_err *err);

void orgdomain_free(struct mc_psl *psl);

/* The system's list -- MC_PSL_DAFSA, else MC_PSL_FILE -- loaded on first
 * use and kept (read-only) for the life of the process; falls back to the
 * list compiled into libpsl when neither file can be read. NULL with err
 * filled if none exists. */
const struct mc_psl *orgdomain_default(struct mc_err *err);

/* The organisational domain of domain (any case, one final dot allowed)
 * into out (size n), lower-cased: the public suffix plus one label. A
 * name that is itself a public suffix (or has no registrable part) is
 * its own organisational domain. Returns 0, or -1 if domain is not a
 * usable name or does not fit. */
int orgdomain_get(const struct mc_psl *psl, const char *domain, char *out,
		  size_t n);

/* 1 if domain (as above) is a public suffix, else 0. */
int orgdomain_is_suffix(const struct mc_psl *psl, const char *domain);

#endif
