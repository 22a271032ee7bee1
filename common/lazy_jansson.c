/* jansson on first use: defines every json_* function the project calls
 * and forwards it to libjansson.so.4, loaded by lazy.h's helper on the
 * first call. `spf` (its --json has its own writer, checks/spf_json.c),
 * `--version` and an idle `run` tick never build a JSON document, and
 * mapping the library cost each of their starts about 0.1 ms (a fortieth
 * of an `spf` process). Why hand-written: lazy.h. Add a function here
 * (and to JANSSON_FNS) when a caller starts using one; the link fails
 * until you do.
 *
 * json_pack is variadic: it forwards to json_vpack_ex, the library's own
 * va_list form of it. jansson.h's inline helpers (json_decref,
 * json_incref, json_boolean, ...) call only functions listed here. */
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>

#include "lazy.h"

#define JANSSON_SONAME "libjansson.so.4"

#define JANSSON_FNS(X) \
	X(json_array) X(json_array_append_new) X(json_array_get) \
	X(json_array_size) X(json_deep_copy) X(json_delete) \
	X(json_dump_callback) X(json_dumps) X(json_false) X(json_integer) \
	X(json_integer_value) X(json_loadb) X(json_loads) X(json_null) \
	X(json_object) X(json_object_get) X(json_object_set_new) \
	X(json_real) X(json_string) X(json_string_value) X(json_stringn) \
	X(json_true) X(json_vpack_ex)

LAZY_LIB(jansson, JANSSON_SONAME, JANSSON_FNS)
#define REAL(f) LAZY_CALL(jansson, f)

json_t *json_array(void)
{
	return REAL(json_array)();
}

int json_array_append_new(json_t *array, json_t *value)
{
	return REAL(json_array_append_new)(array, value);
}

json_t *json_array_get(const json_t *array, size_t index)
{
	return REAL(json_array_get)(array, index);
}

size_t json_array_size(const json_t *array)
{
	return REAL(json_array_size)(array);
}

json_t *json_deep_copy(const json_t *value)
{
	return REAL(json_deep_copy)(value);
}

void json_delete(json_t *json)
{
	REAL(json_delete)(json);
}

int json_dump_callback(const json_t *json, json_dump_callback_t callback,
		       void *data, size_t flags)
{
	return REAL(json_dump_callback)(json, callback, data, flags);
}

char *json_dumps(const json_t *json, size_t flags)
{
	return REAL(json_dumps)(json, flags);
}

json_t *json_false(void)
{
	return REAL(json_false)();
}

json_t *json_integer(json_int_t value)
{
	return REAL(json_integer)(value);
}

json_int_t json_integer_value(const json_t *integer)
{
	return REAL(json_integer_value)(integer);
}

json_t *json_loadb(const char *buffer, size_t buflen, size_t flags,
		   json_error_t *error)
{
	return REAL(json_loadb)(buffer, buflen, flags, error);
}

json_t *json_loads(const char *input, size_t flags, json_error_t *error)
{
	return REAL(json_loads)(input, flags, error);
}

json_t *json_null(void)
{
	return REAL(json_null)();
}

json_t *json_object(void)
{
	return REAL(json_object)();
}

json_t *json_object_get(const json_t *object, const char *key)
{
	return REAL(json_object_get)(object, key);
}

int json_object_set_new(json_t *object, const char *key, json_t *value)
{
	return REAL(json_object_set_new)(object, key, value);
}

json_t *json_pack(const char *fmt, ...)
{
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	j = REAL(json_vpack_ex)(NULL, 0, fmt, ap);
	va_end(ap);
	return j;
}

json_t *json_real(double value)
{
	return REAL(json_real)(value);
}

json_t *json_string(const char *value)
{
	return REAL(json_string)(value);
}

const char *json_string_value(const json_t *string)
{
	return REAL(json_string_value)(string);
}

json_t *json_stringn(const char *value, size_t len)
{
	return REAL(json_stringn)(value, len);
}

json_t *json_true(void)
{
	return REAL(json_true)();
}

json_t *json_vpack_ex(json_error_t *error, size_t flags, const char *fmt,
		      va_list ap)
{
	return REAL(json_vpack_ex)(error, flags, fmt, ap);
}
