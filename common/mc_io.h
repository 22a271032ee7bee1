/* Writing a whole buffer to a file descriptor: the loop every writer of
 * output files and of stdout needs (short writes to pipes, EINTR). */
#ifndef MC_IO_H
#define MC_IO_H

#include <stddef.h>

/* Writes the n bytes at p to fd, going on after short writes and EINTR.
 * Returns 0, or -1 with errno set (nothing says how much was written). */
int mc_write_all(int fd, const void *p, size_t n);

#endif
