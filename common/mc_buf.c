#include "mc_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct mc_buf *b, size_t extra)
{
	size_t limit = b->limit ? b->limit : MC_BUF_DEFAULT_LIMIT;
	size_t need, cap;
	char *p;

	if (extra > limit || b->len > limit - extra)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int mc_buf_reserve(struct mc_buf *b, size_t extra)
{
	if (reserve(b, extra))
		return -1;
	b->data[b->len] = '\0';   /* a fresh buffer is "" too */
	return 0;
}

int mc_buf_append(struct mc_buf *b, const void *p, size_t n)
{
	size_t limit = b->limit ? b->limit : MC_BUF_DEFAULT_LIMIT;

	/* Room already (the NUL included) and within the limit: most calls,
	 * a JSON document's many small pieces among them. */
	if (!(n < b->cap - b->len && b->len + n <= limit) && reserve(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int mc_buf_puts(struct mc_buf *b, const char *s)
{
	return mc_buf_append(b, s, strlen(s));
}

int mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void mc_buf_consume(struct mc_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

void mc_buf_reset(struct mc_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void mc_buf_free(struct mc_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *mc_buf_steal(struct mc_buf *b)
{
	char *p = b->data;

	if (!p)
		return strdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
