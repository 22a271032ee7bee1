/* Writing the metrics file (see metrics.h): atomically, by a rename over
 * it, and -- for a tick that changed nothing in the store -- by rewriting
 * its last line (the last-run sample) from the file already there
 * instead of rendering the store again. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mc_io.h"
#include "store/metrics.h"
#include "store/metrics_internal.h"

/* A file larger than this is not refreshed but rendered again. */
#define REFRESH_MAX (64ull * 1024 * 1024)

/* Copies n bytes from the start of fd to out inside the kernel
 * (copy_file_range), or through a buffer where it cannot. */
static int copy_prefix(int fd, int out, size_t n)
{
	loff_t off = 0;
	char buf[16384];

	while (n > 0) {
		ssize_t c = copy_file_range(fd, &off, out, NULL, n, 0);

		if (c < 0 && errno == EINTR)
			continue;
		if (c <= 0)
			break;
		n -= (size_t)c;
	}
	while (n > 0) {
		size_t want = n < sizeof(buf) ? n : sizeof(buf);
		ssize_t r = pread(fd, buf, want, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || mc_write_all(out, buf, (size_t)r))
			return -1;
		off += r;
		n -= (size_t)r;
	}
	return 0;
}

/* metrics_write_file() of the first prefix_len bytes of prefix_fd (when
 * it is >= 0) followed by data, and the written file's inode, size and
 * times in *sb when sb is not NULL. */
static int write_file(const char *path, int prefix_fd, size_t prefix_len,
		      const char *data, size_t len, struct stat *sb,
		      struct mc_err *err)
{
	char tmp[PATH_MAX];
	int fd, e;

	if (!path || !*path)
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "metrics_file is not set");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
			     (long)getpid()) >= sizeof(tmp))
		return mc_err_set(err, -1, MC_COMP_STORE, "%s: path too long",
				  path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return mc_err_set(err, -1, MC_COMP_STORE, "creating %s: %s",
				  tmp, strerror(errno));
	/* 0644 whatever the umask (the service runs with 0077): the textfile
	 * collector reads it as another user. No fsync of the file or its
	 * directory: the rename is what makes the replacement atomic for
	 * readers, and a file lost to a power cut is rewritten by the next
	 * tick -- two syncs per tick (a tenth of an idle one) buy nothing the
	 * store does not already keep. */
	if (fchmod(fd, 0644) ||
	    (prefix_fd >= 0 && copy_prefix(prefix_fd, fd, prefix_len)) ||
	    mc_write_all(fd, data, len) || (sb && fstat(fd, sb))) {
		e = errno;
		close(fd);
		unlink(tmp);
		return mc_err_set(err, -1, MC_COMP_STORE, "writing %s: %s",
				  tmp, strerror(e));
	}
	if (close(fd)) {
		e = errno;
		unlink(tmp);
		return mc_err_set(err, -1, MC_COMP_STORE, "writing %s: %s",
				  tmp, strerror(e));
	}
	if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "renaming %s to %s: %s", tmp, path,
				  strerror(e));
	}
	return 0;
}

int metrics_write_file(const char *path, const char *data, size_t len,
		       struct mc_err *err)
{
	return write_file(path, -1, 0, data, len, NULL, err);
}

/* FNV-1a over the route names, each ended by a NUL: which routes a file
 * was rendered for. */
static unsigned long long routes_hash(const struct metrics_opts *opts)
{
	unsigned long long h = 14695981039346656037ULL;

	for (size_t i = 0; i < opts->n_routes; i++) {
		const unsigned char *p = (const unsigned char *)opts->routes[i];

		do {
			h ^= *p;
			h *= 1099511628211ULL;
		} while (*p++);
	}
	return h;
}

static void make_sig(const struct stat *sb, const struct metrics_opts *opts,
		     char sig[METRICS_SIG_MAX])
{
	char routes[24] = "*";   /* every route the store knows */

	if (opts && opts->routes)
		snprintf(routes, sizeof(routes), "%016llx", routes_hash(opts));
	snprintf(sig, METRICS_SIG_MAX, "%llu %lld %lld.%09ld %s",
		 (unsigned long long)sb->st_ino, (long long)sb->st_size,
		 (long long)sb->st_mtim.tv_sec, (long)sb->st_mtim.tv_nsec,
		 routes);
}

int metrics_write(struct mc_store *st, const struct metrics_opts *opts,
		  const char *path, char *sig, struct mc_err *err)
{
	struct mc_buf b = {0};
	struct stat sb;
	int rc;

	rc = metrics_render(st, opts, &b, err);
	if (rc == 0)
		rc = write_file(path, -1, 0, b.data ? b.data : "", b.len, &sb,
				err);
	if (rc == 0 && sig)
		make_sig(&sb, opts, sig);
	mc_buf_free(&b);
	return rc;
}

/* The offset in fd (size bytes) right after "<last-run name> " on its
 * last line, or 0 when the file does not end with that sample. */
static size_t last_run_offset(int fd, size_t size)
{
	static const char name[] = METRICS_LAST_RUN " ";
	char tail[160], *line;
	size_t n = size < sizeof(tail) - 1 ? size : sizeof(tail) - 1;
	off_t at = (off_t)(size - n);

	if (pread(fd, tail, n, at) != (ssize_t)n || n < 2 ||
	    tail[n - 1] != '\n')
		return 0;
	tail[n - 1] = '\0';
	line = strrchr(tail, '\n');
	if (line)
		line++;
	else if (at == 0)
		line = tail;
	else
		return 0;   /* a last line longer than any last-run sample */
	if (strncmp(line, name, sizeof(name) - 1) != 0 ||
	    strchr(line, '\0') != tail + n - 1)
		return 0;
	return (size_t)at + (size_t)(line - tail) + sizeof(name) - 1;
}

int metrics_refresh(const char *path, const struct metrics_opts *opts,
		    const char *sig, char *newsig, struct mc_err *err)
{
	char cur[METRICS_SIG_MAX], num[42];
	struct stat sb;
	size_t keep = 0;
	int fd, rc;

	if (!path || !sig || !opts || opts->last_run <= 0)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 1;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (unsigned long long)sb.st_size <= REFRESH_MAX) {
		make_sig(&sb, opts, cur);
		if (strcmp(cur, sig) == 0)
			keep = last_run_offset(fd, (size_t)sb.st_size);
	}
	if (!keep) {
		close(fd);
		return 1;
	}
	/* The file up to the last-run value, copied in the kernel (no read
	 * into a buffer: the file is ~2 KB per route), then the new value. */
	metrics_fmt_num(opts->last_run, num);
	strcat(num, "\n");
	rc = write_file(path, fd, keep, num, strlen(num), &sb, err);
	close(fd);
	if (rc == 0)
		make_sig(&sb, opts, newsig);
	return rc;
}
