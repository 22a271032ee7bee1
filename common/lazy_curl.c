/* libcurl on first use: defines every curl_* function mailcanary calls
 * (the HTTP alert hooks in alert/hooks.c) and forwards it to
 * libcurl.so.4, loaded by lazy.h's helper on the first call. Why, and why
 * hand-written: lazy.h. Add a function here (and to CURL_FNS) when a caller
 * starts using one; the link fails until you do.
 *
 * curl.h turns curl_easy_setopt/getinfo into type-checking macros under
 * gcc; in this file only they are switched off so the real functions can be
 * defined. The callers keep the checks. */
#define CURL_DISABLE_TYPECHECK 1

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>

#include "lazy.h"

#define CURL_SONAME "libcurl.so.4"

#define CURL_FNS(X) \
	X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) \
	X(curl_easy_cleanup) X(curl_easy_setopt) X(curl_easy_getinfo) \
	X(curl_easy_perform) \
	X(curl_easy_strerror) X(curl_easy_escape) X(curl_free) \
	X(curl_slist_append) X(curl_slist_free_all)

LAZY_LIB(curl, CURL_SONAME, CURL_FNS)
#define REAL(f) LAZY_CALL(curl, f)

CURLcode curl_global_init(long flags)
{
	return REAL(curl_global_init)(flags);
}

void curl_global_cleanup(void)
{
	REAL(curl_global_cleanup)();
}

CURL *curl_easy_init(void)
{
	return REAL(curl_easy_init)();
}

void curl_easy_cleanup(CURL *curl)
{
	REAL(curl_easy_cleanup)(curl);
}

/* The one argument's type follows from the option number's range
 * (curl.h: CURLOPTTYPE_LONG < OBJECTPOINT < FUNCTIONPOINT < OFF_T < BLOB;
 * STRINGPOINT, SLISTPOINT and CBPOINT are OBJECTPOINT, a blob is passed as
 * a struct curl_blob pointer). */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	__typeof__(curl_easy_setopt) *real = REAL(curl_easy_setopt);
	CURLcode rc;
	va_list ap;

	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = real(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = real(curl, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = real(curl, option, va_arg(ap, curl_off_t));
	else if (option < CURLOPTTYPE_BLOB + 10000)
		rc = real(curl, option, va_arg(ap, struct curl_blob *));
	else
		rc = CURLE_UNKNOWN_OPTION;
	va_end(ap);
	return rc;
}

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	__typeof__(curl_easy_getinfo) *real = REAL(curl_easy_getinfo);
	CURLcode rc;
	va_list ap;

	va_start(ap, info);
	rc = real(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
	return REAL(curl_easy_perform)(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
	return REAL(curl_easy_strerror)(code);
}

char *curl_easy_escape(CURL *curl, const char *string, int length)
{
	return REAL(curl_easy_escape)(curl, string, length);
}

void curl_free(void *p)
{
	REAL(curl_free)(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list,
				     const char *data)
{
	return REAL(curl_slist_append)(list, data);
}

void curl_slist_free_all(struct curl_slist *list)
{
	REAL(curl_slist_free_all)(list);
}
