/* The PDF form of the report: the self-contained, print-styled HTML page
 * (report_html()) printed by a headless Chromium, which is already a test
 * dependency and renders the page exactly as the browser shows it; no PDF
 * library of our own. The browser runs as a child process (posix_spawn,
 * argv, no shell), in its own process group, kept off the network, with a
 * private profile in a temporary directory removed afterwards, and killed
 * when it overruns its time. This module never reads the environment or
 * the config: the caller says which browser and which PATH. */
#ifndef MC_REPORT_PDF_H
#define MC_REPORT_PDF_H

#include <stddef.h>

#include "mc_err.h"

/* Default seconds the browser may take before it is killed. */
#define REPORT_PDF_TIMEOUT 60.0
/* The largest PDF read back (bytes). */
#define REPORT_PDF_MAX (64u * 1024 * 1024)

/* Finds the browser: override (the caller's $MAILCANARY_CHROMIUM) when not
 * NULL or empty -- a path if it holds a '/', else a name looked up in
 * path_env -- otherwise the first executable of chromium,
 * chromium-browser, google-chrome in path_env (a $PATH-style list; NULL or
 * empty: "/usr/local/bin:/usr/bin:/bin"). Returns a new string the caller
 * frees, or NULL with err filled (component internal) naming what was
 * looked for. */
char *report_pdf_find_browser(const char *override, const char *path_env,
			      struct mc_err *err);

/* Prints html[0..len) to PDF with browser (a path, as found above): writes
 * it to report.html in a new directory under tmp_dir (NULL: /tmp), runs
 * `browser --headless ... --print-to-pdf=DIR/report.pdf file://DIR/report.html`
 * (with --no-sandbox only when running as root, which Chromium's sandbox
 * refuses), its standard input and output on /dev/null and its standard
 * error in DIR, waits at most timeout seconds (<= 0: REPORT_PDF_TIMEOUT),
 * then kills its whole process group, and removes DIR in every case.
 * On success returns 0 and a new buffer in *pdf (the caller frees it) of
 * *pdf_len bytes that starts with "%PDF-". Otherwise -1 with err filled
 * (component internal) naming the browser and what went wrong: it could
 * not be started, it exited with a status or a signal (with the last line
 * it wrote on standard error), it timed out, or it wrote no PDF. Borrows
 * everything until it returns. */
int report_pdf_render(const char *browser, const char *html, size_t len,
		      const char *tmp_dir, double timeout, char **pdf,
		      size_t *pdf_len, struct mc_err *err);

#endif
