/* The loader behind the lazy_*.c shims: see lazy.h for why. */
#include "lazy.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int lazy_open(const char *soname, const char *const *names, void **fns,
	      size_t n, struct mc_err *err)
{
	const char *why;
	void *h;
	size_t i;

	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		why = dlerror();
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "cannot load %s: %s", soname,
				  why ? why : "unknown error");
	}
	for (i = 0; i < n; i++) {
		dlerror();
		fns[i] = dlsym(h, names[i]);
		if (!fns[i]) {
			why = dlerror();
			mc_err_set(err, -1, MC_COMP_INTERNAL,
				   "cannot load %s: %s%s", soname,
				   why ? why : "null address for ",
				   why ? "" : names[i]);
			dlclose(h);
			return -1;
		}
	}
	return 0;
}

void lazy_require(const char *soname, const char *const *names, void **fns,
		  size_t n)
{
	struct mc_err err = {0};

	if (lazy_open(soname, names, fns, n, &err) == 0)
		return;
	fprintf(stderr, "mailcanary: %s\n", err.msg);
	fflush(stderr);
	/* _exit, not exit: the first call may come from a pool thread while
	 * others are mid-TLS, and exit()'s handlers (OpenSSL's cleanup among
	 * them) would pull the ground from under them. */
	_exit(3);
}
