/* Output and input helpers shared by the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "mc_buf.h"

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("mailcanary: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return MC_EXIT_UNKNOWN;
}

int cli_print_json(json_t *doc)
{
	int rc = 0;

	if (!doc)
		return -1;
	if (json_dumpf(doc, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6)) ||
	    fputc('\n', stdout) == EOF || fflush(stdout))
		rc = -1;
	json_decref(doc);
	return rc;
}

char *cli_read_file(const char *path, size_t limit, size_t *len)
{
	struct mc_buf b = {.limit = limit};
	char chunk[65536];
	FILE *f;
	size_t n;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		cli_fail("%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (mc_buf_append(&b, chunk, n)) {
			cli_fail("%s: larger than %zu bytes", path, limit);
			goto fail;
		}
	}
	if (ferror(f)) {
		cli_fail("%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	*len = b.len;
	return mc_buf_steal(&b);
fail:
	if (f != stdin)
		fclose(f);
	mc_buf_free(&b);
	return NULL;
}
