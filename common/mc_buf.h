/* A growable byte buffer with a hard size limit, for assembling messages and
 * accumulating network input. The buffer owns its memory; mc_buf_free()
 * releases it. data is always NUL-terminated for convenience, but lengths
 * are explicit and data may contain NULs. */
#ifndef MC_BUF_H
#define MC_BUF_H

#include <stddef.h>

struct mc_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;   /* 0 = MC_BUF_DEFAULT_LIMIT */
};

#define MC_BUF_DEFAULT_LIMIT (64u * 1024 * 1024)

/* Each returns 0, or -1 when memory runs out or limit would be passed
 * (the buffer is then unchanged). */
int mc_buf_append(struct mc_buf *b, const void *p, size_t n);
int mc_buf_puts(struct mc_buf *b, const char *s);
int mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Makes room for extra more bytes without changing the contents, so that
 * a buffer whose final size is known roughly grows once instead of by
 * repeated doubling (each a copy and fresh pages to fault in). */
int mc_buf_reserve(struct mc_buf *b, size_t extra);

/* Drops the first n bytes (n <= len). */
void mc_buf_consume(struct mc_buf *b, size_t n);
void mc_buf_reset(struct mc_buf *b);
void mc_buf_free(struct mc_buf *b);

/* Hands the data to the caller (who frees it) and resets the buffer.
 * Never NULL: an empty buffer yields "". Returns NULL only on ENOMEM. */
char *mc_buf_steal(struct mc_buf *b);

#endif
