/* Reading maillogs (plain or gzip, through a bounded line buffer) and
 * writing the results: the `logs --json` document and the text tables. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "mc_time.h"
#include "report/maillog_int.h"

#define READ_CHUNK (256u * 1024)

static const char *const dow_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* --- reading ----------------------------------------------------------- */

int maillog_read_fd(struct maillog *m, int fd, const char *name, struct mc_err *err)
{
	char *buf = NULL, *carry = NULL;
	size_t clen = 0;
	int skipping = 0, rc = -1, dfd;
	gzFile gz = NULL;

	dfd = dup(fd);
	if (dfd < 0) {
		mc_err_set(err, -1, MC_COMP_NONE, "%s: %s", name, strerror(errno));
		return -1;
	}
	gz = gzdopen(dfd, "rb");
	buf = malloc(READ_CHUNK);
	carry = malloc(MAILLOG_LINE_MAX + 1);
	if (!gz || !buf || !carry) {
		if (!gz)
			close(dfd);
		mc_err_set(err, -1, MC_COMP_INTERNAL, "%s: out of memory", name);
		goto out;
	}
	gzbuffer(gz, READ_CHUNK);
	for (;;) {
		int got = gzread(gz, buf, READ_CHUNK);
		const char *p = buf, *e;

		if (got < 0) {
			int zerr;
			const char *msg = gzerror(gz, &zerr);

			mc_err_set(err, -1, MC_COMP_NONE, "%s: %s", name,
				   zerr == Z_ERRNO ? strerror(errno) : msg);
			goto out;
		}
		if (got == 0)
			break;
		e = buf + got;
		while (p < e) {
			const char *nl = memchr(p, '\n', (size_t)(e - p));
			size_t n = (size_t)((nl ? nl : e) - p);

			if (skipping) {
				if (nl)
					skipping = 0;
			} else if (clen + n > MAILLOG_LINE_MAX) {
				/* overlong: one malformed line, its rest skipped */
				m->lines++;
				m->malformed++;
				clen = 0;
				skipping = !nl;
			} else if (nl && clen == 0) {
				maillog_feed(m, p, n);     /* straight from the buffer */
			} else {
				memcpy(carry + clen, p, n);
				clen += n;
				if (nl) {
					maillog_feed(m, carry, clen);
					clen = 0;
				}
			}
			p = nl ? nl + 1 : e;
		}
	}
	{
		int zerr;
		const char *msg = gzerror(gz, &zerr);

		if (zerr != Z_OK && zerr != Z_STREAM_END) {
			if (clen)
				maillog_feed(m, carry, clen);
			clen = 0;
			mc_err_set(err, -1, MC_COMP_NONE, "%s: %s", name, msg);
			goto out;
		}
	}
	if (clen)
		maillog_feed(m, carry, clen);   /* last line without newline */
	rc = 0;
out:
	if (gz)
		gzclose(gz);
	free(carry);
	free(buf);
	return rc;
}

int maillog_read_path(struct maillog *m, const char *path, struct mc_err *err)
{
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return maillog_read_fd(m, 0, "standard input", err);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mc_err_set(err, -1, MC_COMP_NONE, "cannot open %s: %s", path,
				  strerror(errno));
	rc = maillog_read_fd(m, fd, path, err);
	close(fd);
	return rc;
}

/* --- JSON -------------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t k;

	if (p[0] < 0x80)
		return p[0] >= 0x20 || p[0] == '\t' ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (k == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f)))
		return 0;
	if (k == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f)))
		return 0;
	return k;
}

json_t *ml_json_str(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	json_t *j;
	size_t i = 0;

	if (!s)
		return json_null();
	while (i < n) {
		size_t k = utf8_len((const unsigned char *)p + i, n - i);

		if (k == 0) {
			s[i++] = '?';
		} else {
			memcpy(s + i, p + i, k);
			i += k;
		}
	}
	j = json_stringn(s, n);
	free(s);
	return j ? j : json_null();
}

static json_t *counts_json(const struct ml_counts *c)
{
	size_t n;
	const struct ml_count_ent **v = ml_counts_sorted(c, &n);
	json_t *o = json_object();

	for (size_t i = 0; v && i < n; i++)
		json_object_set_new(o, v[i]->key, json_integer((json_int_t)v[i]->n));
	if (c->other)
		json_object_set_new(o, "(other)", json_integer((json_int_t)c->other));
	free(v);
	return o;
}

static int cmp_trace(const void *a, const void *b)
{
	const struct ml_trace_line *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

json_t *maillog_to_json(struct maillog *m)
{
	json_t *d = json_object(), *st = json_object(), *hr = json_object(),
	       *dw = json_object(), *re = json_object();
	char key[8];

	ml_finish(m);
	if (!d || !st || !hr || !dw || !re) {
		json_decref(d);
		json_decref(st);
		json_decref(hr);
		json_decref(dw);
		json_decref(re);
		return NULL;
	}
	json_object_set_new(d, "messages", json_integer((json_int_t)m->messages));
	for (int s = ML_ST_SENT; s < ML_ST_COUNT; s++)
		json_object_set_new(st, maillog_status_name(s),
				    json_integer((json_int_t)m->by_status[s]));
	json_object_set_new(d, "by_status", st);
	json_object_set_new(d, "deferred_messages", json_integer((json_int_t)m->deferred_messages));
	for (int h = 0; h < 24; h++) {
		snprintf(key, sizeof(key), "%02d", h);
		json_object_set_new(hr, key, json_integer((json_int_t)m->by_hour[h]));
	}
	json_object_set_new(d, "by_hour", hr);
	for (int w = 1; w <= 7; w++)   /* Monday first */
		json_object_set_new(dw, dow_names[w % 7], json_integer((json_int_t)m->by_dow[w % 7]));
	json_object_set_new(d, "by_dow", dw);
	json_t *md = json_object();
	for (int day = 1; md && day <= 31; day++) {
		if (!m->by_mday[day])
			continue;
		snprintf(key, sizeof(key), "%02d", day);
		json_object_set_new(md, key, json_integer((json_int_t)m->by_mday[day]));
	}
	json_object_set_new(d, "by_day_of_month", md ? md : json_null());
	json_object_set_new(d, "by_month", counts_json(&m->by_month));
	json_object_set_new(d, "by_host", counts_json(&m->by_host));
	json_object_set_new(d, "by_sender", counts_json(&m->by_sender));
	json_object_set_new(d, "by_code", counts_json(&m->by_code));
	for (int r = ML_RE_GREYLISTED; r < ML_RE_COUNT; r++)
		json_object_set_new(re, maillog_reason_name(r), json_integer((json_int_t)m->by_reason[r]));
	json_object_set_new(d, "by_reason", re);
	json_object_set(d, "matches", m->matches);
	json_object_set_new(d, "matches_total", json_integer((json_int_t)m->matches_total));
	if (m->trace_phase) {
		json_t *tr = json_array();
		char ts[MC_RFC3339_MAX];

		if (m->ntl)   /* qsort(NULL, 0, ...) is undefined */
			qsort(m->tl, m->ntl, sizeof(*m->tl), cmp_trace);
		for (size_t i = 0; tr && i < m->ntl; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "time", json_string(mc_time_rfc3339(m->tl[i].t, 0, ts)));
			json_object_set_new(o, "queue_id", json_string(m->tl[i].qid));
			json_object_set_new(o, "line", ml_json_str(m->tl[i].text, strlen(m->tl[i].text)));
			json_array_append_new(tr, o);
		}
		json_object_set_new(d, "trace", tr);
	}
	json_object_set_new(d, "probes", json_integer((json_int_t)m->probes));
	json_object_set_new(d, "lines", json_integer((json_int_t)m->lines));
	json_object_set_new(d, "malformed", json_integer((json_int_t)m->malformed));
	json_object_set_new(d, "evicted", json_integer((json_int_t)m->evicted));
	return d;
}

/* --- text -------------------------------------------------------------- */

static void print_top(FILE *out, const char *title, const struct ml_counts *c)
{
	size_t n;
	const struct ml_count_ent **v = ml_counts_sorted(c, &n);

	fprintf(out, "\n%s\n", title);
	if (!v || n == 0)
		fprintf(out, "  (none)\n");
	for (size_t i = 0; v && i < n && i < 10; i++)
		fprintf(out, "  %8llu  %s\n", v[i]->n, v[i]->key);
	if (n > 10)
		fprintf(out, "  (%zu more)\n", n - 10);
	if (c->other)
		fprintf(out, "  %8llu  (other)\n", c->other);
	free(v);
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && s[0] ? s : "-";
}

void maillog_print_text(struct maillog *m, FILE *out)
{
	unsigned long long max = 1;
	size_t i;
	json_t *o;

	ml_finish(m);
	fprintf(out, "Messages\n  %8llu  received\n  %8llu  deferred at least once\n"
		"  %8llu  mailcanary probes\n", m->messages, m->deferred_messages, m->probes);
	fprintf(out, "\nDelivery attempts\n");
	for (int s = ML_ST_SENT; s < ML_ST_COUNT; s++)
		fprintf(out, "  %8llu  %s\n", m->by_status[s], maillog_status_name(s));
	fprintf(out, "\nInput\n  %8llu  lines\n  %8llu  malformed\n", m->lines, m->malformed);
	if (m->evicted)
		fprintf(out, "  %8llu  queue ids evicted (table full)\n", m->evicted);
	fprintf(out, "\nReasons\n");
	for (int r = ML_RE_GREYLISTED; r < ML_RE_COUNT; r++)
		fprintf(out, "  %8llu  %s\n", m->by_reason[r], maillog_reason_name(r));
	for (int h = 0; h < 24; h++)
		if (m->by_hour[h] > max)
			max = m->by_hour[h];
	fprintf(out, "\nDelivery attempts per hour\n");
	for (int h = 0; h < 24; h++)
		fprintf(out, "  %02d  %8llu%s%.*s\n", h, m->by_hour[h],
			m->by_hour[h] ? "  " : "", (int)(m->by_hour[h] * 40 / max),
			"########################################");
	fprintf(out, "\nDelivery attempts per weekday\n");
	for (int w = 1; w <= 7; w++)
		fprintf(out, "  %s  %8llu\n", dow_names[w % 7], m->by_dow[w % 7]);
	fprintf(out, "\nDelivery attempts per day of the month\n");
	for (int day = 1; day <= 31; day++)
		if (m->by_mday[day])
			fprintf(out, "  %02d  %8llu\n", day, m->by_mday[day]);
	print_top(out, "Delivery attempts per month", &m->by_month);
	print_top(out, "Relay hosts", &m->by_host);
	print_top(out, "Senders", &m->by_sender);
	print_top(out, "Status codes", &m->by_code);
	if (json_array_size(m->matches) || m->o.search || m->trace_phase) {
		fprintf(out, "\nMatches (%llu)\n", m->matches_total);
		json_array_foreach(m->matches, i, o)
			fprintf(out, "  %s  %-12s %s -> %s  %s  %s  %s  %s\n",
				jstr(o, "time"), jstr(o, "queue_id"), jstr(o, "from"),
				jstr(o, "to"), jstr(o, "status"), jstr(o, "dsn"),
				jstr(o, "relay"), jstr(o, "reply"));
		if (m->matches_total > json_array_size(m->matches))
			fprintf(out, "  (%llu more not shown)\n",
				m->matches_total - json_array_size(m->matches));
	}
	if (m->trace_phase) {
		if (m->ntl)   /* qsort(NULL, 0, ...) is undefined */
			qsort(m->tl, m->ntl, sizeof(*m->tl), cmp_trace);
		fprintf(out, "\nTrace (%zu lines)\n", m->ntl);
		for (i = 0; i < m->ntl; i++)
			fprintf(out, "  %s\n", m->tl[i].text);
	}
}
