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

LAZY_LIB(z, Z_SONAME, Z_FNS)
#define REAL(f) LAZY_CALL(z, f)

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
