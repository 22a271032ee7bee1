/* The run lock: an exclusive flock() on state_dir/run.lock, so two `run`
 * ticks never overlap (DESIGN.md: no double sends). flock, not fcntl
 * locks: it belongs to the open file, so it is released when the holder
 * exits or crashes, and a second open in the same process is refused too. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "mc_time.h"
#include "store/store_internal.h"

struct store_lock {
	int fd;
};

int store_lock(const char *state_dir, double wait_seconds,
	       struct store_lock **lock, struct mc_err *err)
{
	char path[PATH_MAX];
	double deadline = mc_now_mono() + (wait_seconds > 0 ? wait_seconds : 0);
	int fd;

	*lock = NULL;
	if (!state_dir || !*state_dir)
		return mc_err_set(err, -1, MC_COMP_STORE, "state_dir is not set");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir,
			     STORE_LOCK_NAME) >= sizeof(path))
		return mc_err_set(err, -1, MC_COMP_STORE,
				  "state_dir '%s': too long", state_dir);
	if (store_mkdir_p(state_dir, 0700, err))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return mc_err_set(err, -1, MC_COMP_STORE, "opening %s: %s",
				  path, strerror(errno));
	for (;;) {
		double left;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			mc_err_set(err, -1, MC_COMP_STORE, "locking %s: %s",
				   path, strerror(errno));
			close(fd);
			return -1;
		}
		left = deadline - mc_now_mono();
		if (left <= 0) {
			mc_err_set(err, STORE_ERR_BUSY, MC_COMP_STORE,
				   "%s: busy: another mailcanary run holds it "
				   "(waited %.0f s)", path,
				   wait_seconds > 0 ? wait_seconds : 0);
			close(fd);
			return 1;
		}
		if (left > 0.05)
			left = 0.05;
		struct timespec ts = {0, (long)(left * 1e9)};
		nanosleep(&ts, NULL);
	}
	*lock = malloc(sizeof(**lock));
	if (!*lock) {
		close(fd);
		return mc_err_set(err, -1, MC_COMP_STORE, "out of memory");
	}
	(*lock)->fd = fd;
	return 0;
}

void store_unlock(struct store_lock *lock)
{
	if (!lock)
		return;
	close(lock->fd);   /* releases the flock */
	free(lock);
}
