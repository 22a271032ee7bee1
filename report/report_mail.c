/* report --mail-to: the subject and the MIME message (report_mail.h). */
#include "report/report_mail.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mc_time.h"
#include "mc_num.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/* GMime counts its initialisations; the DSN parser makes its own. */
static void gmime_init_once(void)
{
	g_mime_init();
}

static void utc_date(double t, char out[11])
{
	char buf[40];

	mc_time_rfc3339(t, 0, buf);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

char *report_mail_subject(const struct report *r, const char *period)
{
	const struct report_counts *c = &r->overall.c;
	char since[11], until[11], what[48];
	char *s = NULL;

	utc_date(r->since, since);
	utc_date(r->until, until);
	if (c->final)
		snprintf(what, sizeof(what), "%.1f%% delivered",
			 100.0 * (double)c->state[PROBE_DELIVERED] /
				 (double)c->final);
	else
		snprintf(what, sizeof(what), "no probes");
	if (asprintf(&s, "mailcanary %s%sreport %s \xe2\x80\x93 %s: %s",
		     period ? period : "", period ? " " : "", since, until,
		     what) < 0)
		return NULL;
	return s;
}

char *report_mail_filename(double t, char *buf, size_t size)
{
	char d[11];

	utc_date(t, d);
	snprintf(buf, size, "mailcanary-report-%s.html", d);
	return buf;
}

/* 0 if s is a non-empty token without controls, spaces or brackets. */
static int check_token(const char *what, const char *s, int need_at,
		       struct mc_err *err)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > 254)
		return mc_err_set(err, -1, MC_COMP_CONFIG,
				  "report mail: %s is empty or too long", what);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>' ||
		    (need_at && ch >= 0x80))
			return mc_err_set(err, -1, MC_COMP_CONFIG,
					  "report mail: %s '%.*s' holds a character not allowed there",
					  what, (int)(n > 80 ? 80 : n), s);
	}
	if (need_at && (!strchr(s, '@') || s[0] == '@' || s[n - 1] == '@'))
		return mc_err_set(err, -1, MC_COMP_CONFIG,
				  "report mail: %s '%s' is not an address like user@example.net",
				  what, s);
	return 0;
}

/* A part whose content is p[0..n), copied. */
static GMimePart *make_part(const char *subtype, const char *p, size_t n,
			    GMimeContentEncoding enc)
{
	GMimePart *part = g_mime_part_new_with_type("text", subtype);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(p, n);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(
		st, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, dw);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset",
						 "utf-8");
	g_mime_part_set_content_encoding(part, enc);
	g_object_unref(dw);
	g_object_unref(st);
	return part;
}

char *report_mail_message(const struct report_mail *m, struct mc_err *err)
{
	GMimeMessage *msg = NULL;
	GMimeMultipart *mixed = NULL;
	GMimePart *text = NULL, *html = NULL;
	GMimeFormatOptions *fo = NULL;
	GDateTime *date = NULL;
	char *raw = NULL, *out = NULL;

	if (check_token("from address", m->from, 1, err) ||
	    check_token("to address", m->to, 1, err) ||
	    check_token("Message-ID", m->message_id, 1, err) ||
	    check_token("attachment name", m->filename, 0, err))
		return NULL;
	if (!m->subject || strpbrk(m->subject, "\r\n") ||
	    strlen(m->subject) > REPORT_MAIL_LINE_MAX - 9) {
		mc_err_set(err, -1, MC_COMP_CONFIG,
			   "report mail: the subject is missing, too long or spans lines");
		return NULL;
	}
	if (m->text_len > REPORT_MAIL_BODY_MAX ||
	    m->html_len > REPORT_MAIL_BODY_MAX || (!m->text && m->text_len) ||
	    (!m->html && m->html_len) || !isfinite(m->date)) {
		mc_err_set(err, -1, MC_COMP_CONFIG,
			   "report mail: a part is missing or larger than %u bytes, or no date",
			   REPORT_MAIL_BODY_MAX);
		return NULL;
	}
	pthread_once(&gmime_once, gmime_init_once);

	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL, m->from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, m->to);
	g_mime_message_set_subject(msg, m->subject, "utf-8");
	date = g_date_time_new_from_unix_utc((gint64)mc_floor(m->date));
	if (date)
		g_mime_message_set_date(msg, date);
	g_mime_message_set_message_id(msg, m->message_id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Mailcanary-Report", "1",
				 NULL);

	mixed = g_mime_multipart_new_with_subtype("mixed");
	text = make_part("plain", m->text ? m->text : "", m->text_len,
			 GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_object_set_disposition(GMIME_OBJECT(text), "inline");
	html = make_part("html", m->html ? m->html : "", m->html_len,
			 GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(html), "attachment");
	g_mime_part_set_filename(html, m->filename);
	g_mime_multipart_add(mixed, GMIME_OBJECT(text));
	g_mime_multipart_add(mixed, GMIME_OBJECT(html));
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	raw = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
	if (!raw || !(out = strdup(raw)))
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "report mail: out of memory building the message");
	g_free(raw);
	g_mime_format_options_free(fo);
	g_object_unref(html);
	g_object_unref(text);
	g_object_unref(mixed);
	if (date)
		g_date_time_unref(date);
	g_object_unref(msg);
	return out;
}
