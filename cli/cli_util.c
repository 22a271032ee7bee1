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

static int dump_piece(const char *s, size_t n, void *buf)
{
	return mc_buf_append(buf, s, n);
}

int cli_dump_json(const json_t *doc, FILE *out, size_t flags,
		  struct mc_buf *buf)
{
	mc_buf_reset(buf);
	if (json_dump_callback(doc, dump_piece, buf, flags))
		return -1;
	return fwrite(buf->data, 1, buf->len, out) == buf->len ? 0 : -1;
}

int cli_print_json(json_t *doc)
{
	struct mc_buf buf = {0};
	int rc = 0;

	if (!doc)
		return -1;
	if (cli_dump_json(doc, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6),
			  &buf) ||
	    fputc('\n', stdout) == EOF || fflush(stdout))
		rc = -1;
	mc_buf_free(&buf);
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
