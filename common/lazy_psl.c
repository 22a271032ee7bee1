/* libpsl on first use: defines every psl_* function checks/orgdomain.c
 * calls (the Public Suffix List behind DMARC's organizational domain) and
 * forwards it to libpsl.so.5, loaded by lazy.h's helper on the first call;
 * libpsl brings libidn2 and libunistring (~2 MB of tables) with it, which
 * spf, dnsbl, an idle `run` tick, status and metrics never need. Why, and
 * why hand-written: lazy.h. Add a function here (and to PSL_FNS) when a
 * caller starts using one; the link fails until you do. */
#include <libpsl.h>
#include <pthread.h>
#include <stdio.h>

#include "lazy.h"

#define PSL_SONAME "libpsl.so.5"

#define PSL_FNS(X) \
	X(psl_builtin) X(psl_free) X(psl_is_public_suffix) X(psl_load_file) \
	X(psl_load_fp) X(psl_registrable_domain)

LAZY_LIB(psl, PSL_SONAME, PSL_FNS)
#define REAL(f) LAZY_CALL(psl, f)

const psl_ctx_t *psl_builtin(void)
{
	return REAL(psl_builtin)();
}

void psl_free(psl_ctx_t *psl)
{
	REAL(psl_free)(psl);
}

int psl_is_public_suffix(const psl_ctx_t *psl, const char *domain)
{
	return REAL(psl_is_public_suffix)(psl, domain);
}

psl_ctx_t *psl_load_file(const char *fname)
{
	return REAL(psl_load_file)(fname);
}

psl_ctx_t *psl_load_fp(FILE *fp)
{
	return REAL(psl_load_fp)(fp);
}

const char *psl_registrable_domain(const psl_ctx_t *psl, const char *domain)
{
	return REAL(psl_registrable_domain)(psl, domain);
}
