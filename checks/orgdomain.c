/* The Public Suffix List through libpsl. libpsl is the maintained C
 * implementation (used by curl and wget) and handles the list's wildcard
 * ("*.ck") and exception ("!www.ck") rules, so there is no parser of our
 * own here. */
#include <errno.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checkutil.h"
#include "checks/orgdomain.h"

struct mc_psl {
	psl_ctx_t *ctx;
	int builtin;            /* libpsl's own: never freed */
};

static struct mc_psl *wrap(psl_ctx_t *ctx, int builtin, const char *what,
			   struct mc_err *err)
{
	struct mc_psl *psl;

	if (!ctx) {
		mc_err_set(err, -1, MC_COMP_DMARC,
			   "cannot load the public suffix list from %s", what);
		return NULL;
	}
	psl = calloc(1, sizeof(*psl));
	if (!psl) {
		if (!builtin)
			psl_free(ctx);
		mc_err_set(err, -1, MC_COMP_DMARC, "out of memory");
		return NULL;
	}
	psl->ctx = ctx;
	psl->builtin = builtin;
	return psl;
}

struct mc_psl *orgdomain_load(const char *path, struct mc_err *err)
{
	FILE *f;

	if (!path)
		path = MC_PSL_FILE;
	/* libpsl says nothing about why a file failed; ask first. */
	f = fopen(path, "re");
	if (!f) {
		mc_err_set(err, -1, MC_COMP_DMARC,
			   "cannot read the public suffix list %s: %s", path,
			   strerror(errno));
		return NULL;
	}
	fclose(f);
	return wrap(psl_load_file(path), 0, path, err);
}

struct mc_psl *orgdomain_load_text(const char *text, size_t n,
				   struct mc_err *err)
{
	psl_ctx_t *ctx = NULL;
	FILE *f;

	if (n == 0)
		text = "\n", n = 1;
	f = fmemopen((void *)text, n, "r");
	if (!f) {
		mc_err_set(err, -1, MC_COMP_DMARC, "out of memory");
		return NULL;
	}
	ctx = psl_load_fp(f);
	fclose(f);
	return wrap(ctx, 0, "memory", err);
}

void orgdomain_free(struct mc_psl *psl)
{
	if (!psl)
		return;
	if (!psl->builtin)
		psl_free(psl->ctx);
	free(psl);
}

/* Loaded once and never changed after: the one process-wide object here,
 * because alignment (dmarc_aligned()) is asked with domains only. */
static struct mc_psl *default_psl;

const struct mc_psl *orgdomain_default(struct mc_err *err)
{
	struct mc_err ignored = {0};
	const psl_ctx_t *builtin;

	if (default_psl)
		return default_psl;
	default_psl = orgdomain_load(MC_PSL_DAFSA, &ignored);
	if (!default_psl)
		default_psl = orgdomain_load(MC_PSL_FILE, &ignored);
	if (default_psl)
		return default_psl;
	builtin = psl_builtin();
	if (builtin)
		default_psl = wrap((psl_ctx_t *)builtin, 1, "libpsl", err);
	else
		mc_err_set(err, -1, MC_COMP_DMARC, "%s (and libpsl has no list built in)",
			   ignored.msg);
	return default_psl;
}

int orgdomain_get(const struct mc_psl *psl, const char *domain, char *out,
		  size_t n)
{
	char name[MC_CHK_NAME_MAX + 2];
	const char *reg;
	size_t len;

	if (!check_name_valid(domain) ||
	    check_name_normalize(domain, name, sizeof(name)))
		return -1;
	reg = psl_registrable_domain(psl->ctx, name);
	if (!reg)
		reg = name;
	len = strlen(reg);
	if (len >= n)
		return -1;
	memcpy(out, reg, len + 1);
	return 0;
}

int orgdomain_is_suffix(const struct mc_psl *psl, const char *domain)
{
	char name[MC_CHK_NAME_MAX + 2];

	if (!check_name_valid(domain) ||
	    check_name_normalize(domain, name, sizeof(name)))
		return 0;
	return psl_is_public_suffix(psl->ctx, name) != 0;
}
