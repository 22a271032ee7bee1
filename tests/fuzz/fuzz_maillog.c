/* libFuzzer target for report/maillog: the input is a log, one line per
 * '\n'. Each line goes through maillog_parse_line() (every ml_str must
 * stay inside the line) and the analysis (with a tiny queue table, so
 * eviction runs, and a search and a trace so matches and trace lines are
 * built); the JSON and text outputs are produced. Never a crash, a leak or
 * undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/maillog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *line, size_t n, struct ml_str s)
{
	if (s.p && (s.p < line || s.p + s.n > line + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *e = p + size;
	struct maillog_clock ck;
	struct maillog_opts o = {0};
	struct maillog *m;
	json_t *j;
	FILE *devnull;
	int passes = 0;

	maillog_clock_init(&ck, 1796185314.0, 0);
	o.now = 1796185314.0;
	o.search = 1;
	o.status_mask = ~0u;
	o.since = o.until = -1;
	o.queue_max = 4;
	o.matches_max = 16;
	o.trace = "AAAA11111";
	m = maillog_new(&o);
	if (!m)
		return 0;
	do {
		for (const char *l = (const char *)data; l < e;) {
			const char *nl = memchr(l, '\n', (size_t)(e - l));
			size_t n = (size_t)((nl ? nl : e) - l);
			struct maillog_line ml;

			if (passes == 0 &&
			    maillog_parse_line(l, n, &ck, MAILLOG_AUTO, &ml) == 0) {
				check(l, n, ml.host);
				check(l, n, ml.prog);
				check(l, n, ml.cmd);
				check(l, n, ml.qid);
				check(l, n, ml.from);
				check(l, n, ml.to);
				check(l, n, ml.orig_to);
				check(l, n, ml.relay);
				check(l, n, ml.dsn);
				check(l, n, ml.reply);
				check(l, n, ml.msgid);
				check(l, n, ml.newqid);
			}
			maillog_feed(m, l, n);
			l = nl ? nl + 1 : e;
		}
		passes++;
	} while (maillog_pass_done(m) && passes < 8);
	j = maillog_to_json(m);
	if (!j)
		abort();
	json_decref(j);
	devnull = fopen("/dev/null", "w");
	if (devnull) {
		maillog_print_text(m, devnull);
		fclose(devnull);
	}
	maillog_free(m);
	(void)p;
	return 0;
}
