/* libFuzzer target for receiver/dsn: any bytes in, a result or an error
 * out, never a crash, a leak or undefined behaviour. The JSON form is
 * built too, so every string the parser keeps must be valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "receiver/dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_dsn *d = NULL;
	struct mc_err err = {0};
	json_t *j;

	if (dsn_parse((const char *)data, size, &d, &err) < 0)
		return 0;
	j = dsn_to_json(d, "fuzz");
	if (!j)
		abort();    /* only memory exhaustion may fail, and it did not */
	json_decref(j);
	dsn_free(d);
	return 0;
}
