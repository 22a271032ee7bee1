/* inih on first use: defines the one function config/config.c calls and
 * forwards it to libinih.so.1, loaded by lazy.h's helper on the first
 * call, so that the commands that read no configuration file (spf, dnsbl,
 * dkim, dmarc and check without -c) do not map it at start. Why
 * hand-written: lazy.h. */
#include <ini.h>
#include <pthread.h>

#include "lazy.h"

#define INIH_SONAME "libinih.so.1"

#define INIH_FNS(X) X(ini_parse_stream)

LAZY_LIB(inih, INIH_SONAME, INIH_FNS)

int ini_parse_stream(ini_reader reader, void *stream, ini_handler handler,
		     void *user)
{
	return LAZY_CALL(inih, ini_parse_stream)(reader, stream, handler,
						 user);
}
