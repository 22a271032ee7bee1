/* Loading a shared library on first use instead of at process start.
 * libcurl, GMime (with GLib/GObject), libesmtp, OpenSSL (libssl,
 * libcrypto), libpsl (with libidn2, libunistring), zlib, SQLite, inih and
 * jansson would drag ~45 shared objects into every start-up although most
 * commands use few of them (spf and dnsbl none; an idle `run` tick SQLite
 * and inih); the dynamic loader then costs more than the command itself
 * (libcrypto's relocations alone ~3.7 ms a process; on the VM we measure
 * on every page a library touches is a fault of ~17 us). The lazy_*.c
 * files therefore DEFINE the library functions the project calls (same
 * names and prototypes as the libraries' headers) and forward each call
 * through a pointer that this helper resolves with dlopen()/dlsym() on
 * the first call. Callers keep including the real headers and stay
 * unchanged; the Makefile links none of these libraries (only c-ares,
 * which every DNS command needs at once). A library loaded here and again
 * as another's dependency (libssl under libcurl and libesmtp) is one
 * object: the dynamic loader matches sonames.
 *
 * Hand-written rather than a tool (Implib.so, libtool's dlpreopen, glib's
 * GModule): ~240 symbols, no generator to install or trust, variadics
 * (curl_easy_setopt, sqlite3_config, sqlite3_db_config, json_pack) that
 * generic stubs forward wrongly anyway, and GModule would itself need GLib
 * loaded at start. */
#ifndef MC_LAZY_H
#define MC_LAZY_H

#include <stddef.h>

#include "mc_err.h"

/* X-macro helpers for a shim's symbol table: LAZY_FNS(LAZY_IDX) makes the
 * enum of indices, LAZY_FNS(LAZY_NAME) the name array, and LAZY_REAL(fns, f)
 * is the resolved address of f with f's own type (from its header). */
#define LAZY_IDX(f) LAZY_I_##f,
#define LAZY_NAME(f) #f,
#define LAZY_REAL(fns, f) ((__typeof__(f) *)(fns)[LAZY_I_##f])

/* One library's table (lib_names, lib_fns), once-control and loader, from
 * its soname and its FNS X-macro list; LAZY_CALL(lib, f) is then f's real
 * address, the library loaded on the first call (thread-safe). A shim
 * file using them includes <pthread.h>. */
#define LAZY_LIB(lib, soname, FNS) \
	enum { FNS(LAZY_IDX) lib##_NFNS }; \
	static const char *const lib##_names[] = { FNS(LAZY_NAME) }; \
	static void *lib##_fns[lib##_NFNS]; \
	static pthread_once_t lib##_once = PTHREAD_ONCE_INIT; \
	static void lib##_load_once(void) \
	{ \
		lazy_require(soname, lib##_names, lib##_fns, lib##_NFNS); \
	}
#define LAZY_CALL(lib, f) \
	(pthread_once(&lib##_once, lib##_load_once), LAZY_REAL(lib##_fns, f))

/* dlopen(soname, RTLD_NOW | RTLD_LOCAL) and dlsym every names[i] into
 * fns[i]. Returns 0, or -1 with err saying which library or symbol and
 * dlerror()'s reason; on failure this call leaves no library loaded and
 * fns[] must not be used. The handle is never closed: the process owns the
 * library until exit, as if it had been linked. */
int lazy_open(const char *soname, const char *const *names, void **fns,
	      size_t n, struct mc_err *err);

/* lazy_open() or end the process: one line "mailcanary: <why>" on stderr
 * and _exit code 3 (DESIGN.md "cannot tell": without the library the
 * command cannot say anything). The one exit below cli/, on purpose:
 * the shims have no error channel (g_free, g_mime_init return nothing), and
 * a missing library is an installation fault, not a mail-path result. */
void lazy_require(const char *soname, const char *const *names, void **fns,
		  size_t n);

#endif
