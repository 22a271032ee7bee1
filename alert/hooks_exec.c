/* exec hooks: fork + execve of the configured argv, no shell. The event
 * JSON goes to the command's stdin (a socketpair, so that a command that
 * never reads cannot kill us with SIGPIPE: send() with MSG_NOSIGNAL), the
 * event's fields into MAILCANARY_* variables, its stdout to our stderr
 * (stdout is for our own --json document). The command gets the alert's
 * timeout; then its process group is killed. An execve() failure comes
 * back through a close-on-exec pipe, so "cannot run" and "ran and
 * failed" are told apart. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert/hooks_internal.h"
#include "mc_time.h"

extern char **environ;

#define EXEC_MAX_ENV 4096

static int env_add(char **envp, size_t *n, const char *name, const char *v)
{
	char *s;

	if (*n >= EXEC_MAX_ENV + 16)
		return -1;
	if (asprintf(&s, "%s=%s", name, v ? v : "") < 0)
		return -1;
	envp[(*n)++] = s;
	return 0;
}

static const char *ev_str(json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key));
}

/* environ without MAILCANARY_*, plus the event's variables. */
static char **build_env(json_t *ev)
{
	char **envp = calloc(EXEC_MAX_ENV + 17, sizeof(char *));
	char sev[16];
	size_t n = 0;
	int bad = !envp;

	for (char **e = environ; !bad && e && *e && n < EXEC_MAX_ENV; e++) {
		if (strncmp(*e, "MAILCANARY_", 11) == 0)
			continue;
		if (!(envp[n++] = strdup(*e)))
			bad = 1;
	}
	snprintf(sev, sizeof(sev), "%lld",
		 (long long)json_integer_value(json_object_get(ev, "severity")));
	if (bad ||
	    env_add(envp, &n, "MAILCANARY_STATUS", ev_str(ev, "status")) ||
	    (ev_str(ev, "route") &&
	     env_add(envp, &n, "MAILCANARY_ROUTE", ev_str(ev, "route"))) ||
	    (ev_str(ev, "check") &&
	     env_add(envp, &n, "MAILCANARY_CHECK", ev_str(ev, "check"))) ||
	    env_add(envp, &n, "MAILCANARY_SEVERITY", sev) ||
	    env_add(envp, &n, "MAILCANARY_STATE", ev_str(ev, "state")) ||
	    env_add(envp, &n, "MAILCANARY_COMPONENT", ev_str(ev, "component")) ||
	    env_add(envp, &n, "MAILCANARY_SUMMARY", ev_str(ev, "summary")) ||
	    env_add(envp, &n, "MAILCANARY_PROBE_ID", ev_str(ev, "probe_id")) ||
	    env_add(envp, &n, "MAILCANARY_DEDUP_KEY", ev_str(ev, "dedup_key"))) {
		for (size_t i = 0; envp && i < n; i++)
			free(envp[i]);
		free(envp);
		return NULL;
	}
	return envp;
}

static void free_env(char **envp)
{
	for (char **e = envp; e && *e; e++)
		free(*e);
	free(envp);
}

/* Writes all of p to fd before deadline (monotonic). A reader that exits
 * or closes early is not an error here: its exit status tells. */
static void feed(int fd, const char *p, size_t n, double deadline)
{
	while (n > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		double left = deadline - mc_now_mono();
		ssize_t w;

		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			return;
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

int hooks_exec(const struct mc_alert *a, json_t *ev, const char *event_json,
	       struct mc_err *err)
{
	int sv[2] = {-1, -1}, ep[2] = {-1, -1}, status = 0, exec_errno = 0;
	double deadline = mc_now_mono() + a->timeout;
	char **envp = build_env(ev);
	const char *cmd = a->argv[0];
	pid_t pid = -1, w;
	int rc = -1;

	if (!envp)
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "alert \"%s\" (exec): out of memory", a->name);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(ep, O_CLOEXEC)) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (exec): cannot create pipes: %s",
			   a->name, strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (exec): cannot fork: %s", a->name,
			   strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int e;

		setpgid(0, 0);
		if (dup2(sv[1], 0) < 0 || dup2(2, 1) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		/* nothing of ours (the store, sockets) leaks into the hook */
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		execve(cmd, a->argv, envp);
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pid);   /* both sides, so the kill below never misses */
	close(sv[1]);
	sv[1] = -1;
	close(ep[1]);
	ep[1] = -1;
	if (read(ep[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
		waitpid(pid, NULL, 0);
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (exec): cannot run %s: %s", a->name,
			   cmd, strerror(exec_errno));
		goto out;
	}
	feed(sv[0], event_json, strlen(event_json), deadline);
	close(sv[0]);
	sv[0] = -1;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       mc_now_mono() < deadline)
		sleep_ms(10);
	if (w == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (exec): %s did not finish within %.0f s; killed",
			   a->name, cmd, a->timeout);
		goto out;
	}
	if (w < 0) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (exec): waiting for %s: %s", a->name,
			   cmd, strerror(errno));
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (WIFEXITED(status))
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (exec): %s exited with status %d",
			   a->name, cmd, WEXITSTATUS(status));
	else
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (exec): %s was killed by signal %d",
			   a->name, cmd, WTERMSIG(status));
out:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	free_env(envp);
	return rc;
}
