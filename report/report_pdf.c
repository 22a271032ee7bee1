/* report --format pdf: the HTML report printed by headless Chromium (see
 * report_pdf.h for why a browser rather than a PDF library). */
#include "report/report_pdf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mc_io.h"
#include "mc_time.h"

extern char **environ;

#define PDF_ERR_TAIL 160           /* characters of the browser's stderr kept */
#define PDF_STDERR_MAX 65536       /* bytes of it read back */
#define PDF_ENV_MAX 512            /* environment entries passed on */

static int is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* Looks name up in the ':'-separated list path; a new string, or NULL. */
static char *search_path(const char *name, const char *path)
{
	const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";

	while (*p) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		char *full;

		/* An empty element means the current directory (POSIX); we
		 * do not run browsers from wherever we happen to stand. */
		if (dl && asprintf(&full, "%.*s/%s", (int)dl, p, name) >= 0) {
			if (is_exec(full))
				return full;
			free(full);
		}
		p += dl + (colon ? 1 : 0);
	}
	return NULL;
}

char *report_pdf_find_browser(const char *override, const char *path_env,
			      struct mc_err *err)
{
	static const char *const names[] = {"chromium", "chromium-browser",
					    "google-chrome"};
	char *found;

	if (override && *override) {
		if (strchr(override, '/')) {
			if (is_exec(override) && (found = strdup(override)))
				return found;
		} else if ((found = search_path(override, path_env))) {
			return found;
		}
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "browser %s (MAILCANARY_CHROMIUM) is not an executable file%s",
			   override, strchr(override, '/') ? "" : " on PATH");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((found = search_path(names[i], path_env)))
			return found;
	mc_err_set(err, -1, MC_COMP_INTERNAL,
		   "no browser to print the PDF: none of chromium, chromium-browser, google-chrome is on PATH (install chromium, or set MAILCANARY_CHROMIUM)");
	return NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates path (which must not exist) holding the n bytes at p. */
static int write_new_file(const char *path, const char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = fd < 0 ? -1 : mc_write_all(fd, p, n);

	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	return rc;
}

/* Reads at most max bytes of path into a new buffer; NULL if unreadable. */
static char *read_some(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t have = 0, cap = 8192;
	char *buf = NULL;

	*len = 0;
	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t r;

		if (have == cap) {
			char *nb;

			if (cap >= max)
				break;
			cap = cap * 2 > max ? max : cap * 2;
			if (!(nb = realloc(buf, cap + 1))) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			buf = NULL;
		}
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	close(fd);
	if (buf) {
		buf[have] = '\0';
		*len = have;
	}
	return buf;
}

/* The last non-empty line the browser wrote on stderr, printable, into out. */
static void stderr_tail(const char *path, char *out, size_t size)
{
	size_t n, start, end;
	char *buf = read_some(path, PDF_STDERR_MAX, &n);

	out[0] = '\0';
	if (!buf)
		return;
	end = n;
	while (end && (buf[end - 1] == '\n' || buf[end - 1] == '\r' ||
		       buf[end - 1] == ' '))
		end--;
	start = end;
	while (start && buf[start - 1] != '\n')
		start--;
	if (end - start >= size)
		start = end - (size - 1);
	for (size_t i = start; i < end; i++)
		out[i - start] = (unsigned char)buf[i] < 0x20 ||
					 (unsigned char)buf[i] >= 0x7f ? '?' : buf[i];
	out[end - start] = '\0';
	free(buf);
}

/* The environment for the browser: ours, with HOME and the XDG cache and
 * config directories moved into the work directory so that nothing of the
 * run lands in the caller's home. */
static char **browser_env(const char *dir, char *home, size_t home_size)
{
	static const char *const drop[] = {"HOME=", "XDG_CONFIG_HOME=",
					   "XDG_CACHE_HOME=", "XDG_DATA_HOME="};
	size_t n = 0;
	char **env = calloc(PDF_ENV_MAX + 2, sizeof(*env));

	if (!env)
		return NULL;
	snprintf(home, home_size, "HOME=%s", dir);
	env[n++] = home;
	for (char **e = environ; e && *e && n < PDF_ENV_MAX; e++) {
		int skip = 0;

		for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			skip |= strncmp(*e, drop[i], strlen(drop[i])) == 0;
		if (!skip)
			env[n++] = *e;
	}
	return env;
}

/* Runs argv in its own process group, stdin/stdout on /dev/null, stderr
 * into err_path. Returns the pid, or -1 with errno. */
static pid_t spawn(char *const argv[], char *const envp[], const char *err_path)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid = -1;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawn_file_actions_init(&fa))
		return -1;
	if (posix_spawnattr_init(&attr)) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = rc ? rc : posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = rc ? rc : posix_spawn_file_actions_addopen(&fa, 2, err_path,
						       O_WRONLY | O_CREAT | O_TRUNC, 0600);
	/* Its own process group, so that the browser's helper processes can
	 * be killed with it; default signal dispositions and mask. */
	rc = rc ? rc : posix_spawnattr_setpgroup(&attr, 0);
	rc = rc ? rc : posix_spawnattr_setsigmask(&attr, &none);
	rc = rc ? rc : posix_spawnattr_setsigdefault(&attr, &all);
	rc = rc ? rc : posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
						       POSIX_SPAWN_SETSIGMASK |
						       POSIX_SPAWN_SETSIGDEF);
	rc = rc ? rc : posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		errno = rc;
		return -1;
	}
	return pid;
}

/* Waits for pid until the monotonic deadline. Returns 0 and *status, or
 * -1 when the deadline passed (the child still runs). */
static int wait_until(pid_t pid, double deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			*status = 0;
			return 0;      /* not ours to wait for any more */
		}
		double left = deadline - mc_now_mono();
		if (left <= 0)
			return -1;
		/* Polling at 20 ms costs nothing next to a browser start, and
		 * needs no SIGCHLD handler in the caller's process. */
		struct timespec ts = {0, left < 0.02 ? (long)(left * 1e9) : 20000000L};
		nanosleep(&ts, NULL);
	}
}

int report_pdf_render(const char *browser, const char *html, size_t len,
		      const char *tmp_dir, double timeout, char **pdf,
		      size_t *pdf_len, struct mc_err *err)
{
	char dir[4096], html_path[4200], pdf_path[4200], err_path[4200];
	char prof_arg[4200], print_arg[4200], url[4300], home[4200];
	char tail[PDF_ERR_TAIL];
	char **env = NULL;
	char *out = NULL;
	size_t out_len = 0;
	int status = 0, rc = -1;
	pid_t pid;

	*pdf = NULL;
	*pdf_len = 0;
	if (timeout <= 0)
		timeout = REPORT_PDF_TIMEOUT;
	snprintf(dir, sizeof(dir), "%s/mailcanary-pdf.XXXXXX",
		 tmp_dir && *tmp_dir ? tmp_dir : "/tmp");
	if (!mkdtemp(dir))
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "cannot create a work directory in %s: %s",
				  tmp_dir && *tmp_dir ? tmp_dir : "/tmp",
				  strerror(errno));
	snprintf(html_path, sizeof(html_path), "%s/report.html", dir);
	snprintf(pdf_path, sizeof(pdf_path), "%s/report.pdf", dir);
	snprintf(err_path, sizeof(err_path), "%s/browser.err", dir);
	snprintf(prof_arg, sizeof(prof_arg), "--user-data-dir=%s/profile", dir);
	snprintf(print_arg, sizeof(print_arg), "--print-to-pdf=%s", pdf_path);
	snprintf(url, sizeof(url), "file://%s", html_path);
	if (write_new_file(html_path, html, len)) {
		mc_err_set(err, -1, MC_COMP_INTERNAL, "cannot write %s: %s",
			   html_path, strerror(errno));
		goto out;
	}
	{
		/* Quiet and off the network: the page is self-contained, and
		 * the resolver rule makes sure that nothing the browser might
		 * want for itself (updates, safe browsing, metrics) gets a
		 * name resolved. */
		char *argv[] = {
			(char *)browser, "--headless", "--disable-gpu",
			"--no-first-run", "--no-default-browser-check",
			"--disable-background-networking",
			"--disable-component-update", "--disable-sync",
			"--disable-extensions", "--disable-default-apps",
			"--disable-breakpad", "--metrics-recording-only",
			"--host-resolver-rules=MAP * ~NOTFOUND",
			"--no-pdf-header-footer", prof_arg, print_arg,
			url, NULL, NULL};
		size_t n = sizeof(argv) / sizeof(argv[0]) - 2;

		/* Chromium's sandbox refuses to run as root. */
		if (geteuid() == 0) {
			argv[n - 1] = "--no-sandbox";
			argv[n] = url;
		}

		if (!(env = browser_env(dir, home, sizeof(home)))) {
			mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
			goto out;
		}
		if ((pid = spawn(argv, env, err_path)) < 0) {
			mc_err_set(err, -1, MC_COMP_INTERNAL,
				   "cannot start browser %s: %s", browser,
				   strerror(errno));
			goto out;
		}
	}
	if (wait_until(pid, mc_now_mono() + timeout, &status) < 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "browser %s did not print the PDF within %gs; killed",
			   browser, timeout);
		goto out;
	}
	/* Helpers it left behind go with it. */
	kill(-pid, SIGKILL);
	stderr_tail(err_path, tail, sizeof(tail));
	if (WIFSIGNALED(status)) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "browser %s died of signal %d%s%s", browser,
			   WTERMSIG(status), tail[0] ? ": " : "", tail);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "browser %s exited with status %d%s%s", browser,
			   WEXITSTATUS(status), tail[0] ? ": " : "", tail);
		goto out;
	}
	out = read_some(pdf_path, REPORT_PDF_MAX, &out_len);
	if (!out || out_len < 5 || memcmp(out, "%PDF-", 5) != 0) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "browser %s %s%s%s", browser,
			   !out ? "wrote no PDF" : "wrote something that is not a PDF",
			   tail[0] ? ": " : "", tail);
		free(out);
		out = NULL;
		goto out;
	}
	if (out_len == REPORT_PDF_MAX) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "browser %s wrote a PDF of more than %u bytes",
			   browser, REPORT_PDF_MAX);
		free(out);
		out = NULL;
		goto out;
	}
	*pdf = out;
	*pdf_len = out_len;
	rc = 0;
out:
	free(env);
	rm_tree(dir);
	return rc;
}
