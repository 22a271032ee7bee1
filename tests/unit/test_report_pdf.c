/* report/report_pdf: finding the browser, and running it -- with fake
 * browsers (shell scripts) standing in for Chromium: one that prints a
 * "PDF" and records its arguments, one that fails, one that hangs (killed
 * at the timeout, its child with it), one that writes no PDF, one that
 * writes something else, one that dies of a signal. The real Chromium is
 * exercised by tests/integration/test_report_pdf.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report_pdf.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mc-test-pdf.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes an executable script dir/name with body; returns its path. */
static const char *script(const char *name, const char *body)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* The print target from the arguments, into $out. */
#define FIND_OUT "for a; do case $a in --print-to-pdf=*) out=${a#--print-to-pdf=};; esac; done\n"

static void test_find_browser(void **state)
{
	struct mc_err err = {0};
	char bin[300], path_env[700], *b;

	(void)state;
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	assert_int_equal(mkdir(bin, 0755), 0);
	/* nothing on PATH */
	snprintf(path_env, sizeof(path_env), "%s", bin);
	assert_null(report_pdf_find_browser(NULL, path_env, &err));
	assert_non_null(strstr(err.msg, "no browser"));
	assert_non_null(strstr(err.msg, "MAILCANARY_CHROMIUM"));
	/* the later names are found, an empty PATH element is not "." */
	script("bin/google-chrome", "exit 0\n");
	snprintf(path_env, sizeof(path_env), ":%s/none:%s", dir, bin);
	b = report_pdf_find_browser(NULL, path_env, &err);
	assert_non_null(b);
	assert_non_null(strstr(b, "/bin/google-chrome"));
	free(b);
	/* chromium wins over google-chrome */
	script("bin/chromium", "exit 0\n");
	b = report_pdf_find_browser("", path_env, &err);
	assert_non_null(strstr(b, "/bin/chromium"));
	free(b);
	/* the override, by path and by name; a non-executable one is refused */
	b = report_pdf_find_browser(script("mybrowser", "exit 0\n"), path_env, &err);
	assert_non_null(strstr(b, "/mybrowser"));
	free(b);
	b = report_pdf_find_browser("google-chrome", path_env, &err);
	assert_non_null(strstr(b, "/bin/google-chrome"));
	free(b);
	assert_null(report_pdf_find_browser("/nonexistent/chromium", path_env, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/chromium (MAILCANARY_CHROMIUM) is not an executable file"));
	assert_null(report_pdf_find_browser("firefox", path_env, &err));
	assert_non_null(strstr(err.msg, "firefox (MAILCANARY_CHROMIUM) is not an executable file on PATH"));
	snprintf(path_env, sizeof(path_env), "%s/bin/chromium", dir);
	chmod(path_env, 0644);
	assert_null(report_pdf_find_browser(path_env, NULL, &err));
}

static const char html[] = "<!DOCTYPE html><title>t</title><p>hello</p>\n";

static void test_render_ok(void **state)
{
	struct mc_err err = {0};
	char log[300], body[2048], *pdf = NULL, *args;
	size_t len = 0, alen;
	FILE *f;

	(void)state;
	snprintf(log, sizeof(log), "%s/args.log", dir);
	/* records its arguments, checks the page is there, prints a "PDF" */
	snprintf(body, sizeof(body),
		 FIND_OUT
		 "printf '%%s\\n' \"$@\" >'%s'\n"
		 "echo \"HOME=$HOME\" >>'%s'\n"
		 "page=$(for a; do :; done; echo \"$a\")\n"
		 "grep -q hello \"${page#file://}\" || exit 7\n"
		 "[ -t 0 ] && exit 8\n"
		 "echo 'noise on stderr' >&2\n"
		 "printf '%%%%PDF-1.4 fake\\n' >\"$out\"\n",
		 log, log);
	assert_int_equal(report_pdf_render(script("ok", body), html,
					   sizeof(html) - 1, dir, 10, &pdf,
					   &len, &err), 0);
	assert_non_null(pdf);
	assert_int_equal(len, 14);
	assert_memory_equal(pdf, "%PDF-1.4 fake\n", 14);
	free(pdf);

	f = fopen(log, "r");
	assert_non_null(f);
	args = calloc(1, 8192);
	alen = fread(args, 1, 8191, f);
	fclose(f);
	assert_true(alen > 0);
	assert_non_null(strstr(args, "--headless\n"));
	assert_non_null(strstr(args, "--no-first-run\n"));
	assert_non_null(strstr(args, "--disable-background-networking\n"));
	assert_non_null(strstr(args, "--user-data-dir="));
	assert_non_null(strstr(args, "--print-to-pdf="));
	assert_non_null(strstr(args, "\nfile:///"));
	/* --no-sandbox exactly when root */
	assert_int_equal(strstr(args, "--no-sandbox\n") != NULL, geteuid() == 0);
	/* the work directory (profile, HOME) is gone afterwards */
	{
		char *ud = strstr(args, "--user-data-dir="), wd[512];
		size_t n = strcspn(ud + 16, "\n");

		assert_true(n < sizeof(wd));
		memcpy(wd, ud + 16, n);
		wd[n] = '\0';
		assert_non_null(strstr(wd, "/mailcanary-pdf."));
		assert_non_null(strstr(args, "HOME="));
		*strrchr(wd, '/') = '\0';
		assert_int_equal(access(wd, F_OK), -1);
		assert_int_equal(errno, ENOENT);
	}
	free(args);
}

static void expect_fail(const char *name, const char *body, double timeout,
			const char *want)
{
	struct mc_err err = {0};
	char *pdf = (char *)1;
	size_t len = 1;

	assert_int_equal(report_pdf_render(script(name, body), html,
					   sizeof(html) - 1, dir, timeout,
					   &pdf, &len, &err), -1);
	assert_null(pdf);
	assert_int_equal(len, 0);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
	assert_non_null(strstr(err.msg, name));   /* names the browser */
}

static void test_render_fails(void **state)
{
	(void)state;
	expect_fail("exits1", "echo 'first' >&2\necho 'ERROR: cannot open display' >&2\nexit 1\n",
		    10, "exited with status 1: ERROR: cannot open display");
	expect_fail("nopdf", "exit 0\n", 10, "wrote no PDF");
	expect_fail("notpdf", FIND_OUT "echo '<html>' >\"$out\"\n", 10,
		    "wrote something that is not a PDF");
	expect_fail("killed", "kill -SEGV $$\n", 10, "died of signal 11");
}

/* A browser that hangs, with a child of its own that hangs too: both are
 * killed at the timeout (the child is in the browser's process group). */
static void test_render_timeout(void **state)
{
	char body[1024], pidfile[300];
	FILE *f;
	int child = 0;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", dir);
	snprintf(body, sizeof(body),
		 "sleep 300 &\necho $! >'%s'\nexec sleep 300\n", pidfile);
	expect_fail("hangs", body, 0.5, "did not print the PDF within 0.5s; killed");
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &child), 1);
	fclose(f);
	/* killed, and reaped by init or about to be: it is gone or a zombie */
	for (int i = 0; i < 100 && kill(child, 0) == 0; i++) {
		char st[64], stat[600];
		FILE *s;

		snprintf(st, sizeof(st), "/proc/%d/stat", child);
		if (!(s = fopen(st, "r")))
			break;
		stat[0] = '\0';
		if (!fgets(stat, sizeof(stat), s))
			stat[0] = '\0';
		fclose(s);
		if (strstr(stat, ") Z "))
			break;
		usleep(20000);
	}
	{
		char st[64], stat[600] = "";
		FILE *s;

		snprintf(st, sizeof(st), "/proc/%d/stat", child);
		if ((s = fopen(st, "r"))) {
			if (!fgets(stat, sizeof(stat), s))
				stat[0] = '\0';
			fclose(s);
			assert_non_null(strstr(stat, ") Z "));
		}
	}
}

static void test_render_cannot_start(void **state)
{
	struct mc_err err = {0};
	char *pdf = NULL, bad[300];
	size_t len;

	(void)state;
	/* not executable: posix_spawn fails */
	snprintf(bad, sizeof(bad), "%s/noexec", dir);
	fclose(fopen(bad, "w"));
	assert_int_equal(report_pdf_render(bad, html, sizeof(html) - 1, dir, 5,
					   &pdf, &len, &err), -1);
	assert_non_null(strstr(err.msg, "cannot start browser"));
	/* no work directory possible */
	assert_int_equal(report_pdf_render(bad, html, sizeof(html) - 1,
					   "/nonexistent", 5, &pdf, &len, &err), -1);
	assert_non_null(strstr(err.msg, "cannot create a work directory in /nonexistent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_browser),
		cmocka_unit_test(test_render_ok),
		cmocka_unit_test(test_render_fails),
		cmocka_unit_test(test_render_timeout),
		cmocka_unit_test(test_render_cannot_start),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
