/* zlib on first use: defines every gz* function report/maillog_out.c calls
 * (reading rotated .gz mail logs for `logs`) and forwards it to libz.so.1,
 * loaded by lazy.h's helper on the first call. Why, and why hand-written:
 * lazy.h. Add a function here (and to Z_FNS) when a caller starts using
 * one; the link fails until you do.
 *
 * zlib.h maps some names to 64-bit variants under _FILE_OFFSET_BITS=64
 * (gzopen -> gzopen64, gzseek, gztell, ...); none of those is here, and a
 * caller that starts using one must add the name it really links to. */
#include <pthread.h>
#include <zlib.h>

#include "lazy.h"

#define Z_SONAME "libz.so.1"

#define Z_FNS(X) \
	X(gzbuffer) X(gzclose) X(gzdopen) X(gzerror) X(gzread)

enum { Z_FNS(LAZY_IDX) Z_NFNS };
static const char *const z_names[] = { Z_FNS(LAZY_NAME) };
static void *z_fns[Z_NFNS];
static pthread_once_t z_once = PTHREAD_ONCE_INIT;

static void z_load_once(void)
{
	lazy_require(Z_SONAME, z_names, z_fns, Z_NFNS);
}

#define REAL(f) (pthread_once(&z_once, z_load_once), LAZY_REAL(z_fns, f))

int gzbuffer(gzFile file, unsigned size)
{
	return REAL(gzbuffer)(file, size);
}

int gzclose(gzFile file)
{
	return REAL(gzclose)(file);
}

gzFile gzdopen(int fd, const char *mode)
{
	return REAL(gzdopen)(fd, mode);
}

const char *gzerror(gzFile file, int *errnum)
{
	return REAL(gzerror)(file, errnum);
}

int gzread(gzFile file, voidp buf, unsigned len)
{
	return REAL(gzread)(file, buf, len);
}
