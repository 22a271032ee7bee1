/* Bounce parsing entry point: lets GMime build the MIME tree, finds the
 * report parts (RFC 3462 multipart/report: human text, machine-readable
 * status, returned message or headers), decides what kind of message it
 * is, hands the parts to the field / format parsers and recovers the
 * probe ID. Also the JSON form of the result. */
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "receiver/dsn_internal.h"

/* What the walk over the MIME tree found. Borrowed GMime objects, alive as
 * long as the message. */
struct dsn_walk {
	struct mc_dsn *d;
	int parts;
	GMimeObject *status;        /* first (global-)delivery-status part */
	bool status_global;
	GMimeObject *feedback;      /* first message/feedback-report part */
	bool report_arf;            /* multipart/report; report-type=feedback-report */
	bool report_dsn;            /* ...; report-type=(global-)delivery-status */
	GMimeObject *text;          /* first text/plain outside returned messages */
	GMimeObject *returned[4];   /* returned messages or header blocks */
	int nreturned;
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_init_once(void)
{
	g_mime_init();
}

void dsn_init(void)
{
	pthread_once(&gmime_once, gmime_init_once);
}

int dsn_rcpt_add(struct mc_dsn *d, struct mc_dsn_rcpt **r)
{
	*r = NULL;
	if (d->nrcpt >= DSN_MAX_RCPT) {
		d->truncated = true;
		return 1;
	}
	if (d->nrcpt == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 4;
		struct mc_dsn_rcpt *n;

		if (cap > DSN_MAX_RCPT)
			cap = DSN_MAX_RCPT;
		n = realloc(d->rcpt, cap * sizeof(*n));
		if (!n)
			return -1;
		d->rcpt = n;
		d->cap = cap;
	}
	*r = &d->rcpt[d->nrcpt++];
	memset(*r, 0, sizeof(**r));
	return 0;
}

static void rcpt_release(struct mc_dsn_rcpt *r)
{
	free(r->recipient);
	free(r->original_recipient);
	free(r->diagnostic);
	free(r->remote_mta);
}

void dsn_rcpt_drop_last(struct mc_dsn *d)
{
	if (d->nrcpt == 0)
		return;
	rcpt_release(&d->rcpt[--d->nrcpt]);
}

void dsn_free(struct mc_dsn *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nrcpt; i++)
		rcpt_release(&d->rcpt[i]);
	free(d->rcpt);
	free(d);
}

static bool ctype_is(GMimeObject *o, const char *type, const char *sub)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	return ct && g_mime_content_type_is_type(ct, type, sub);
}

static void walk(struct dsn_walk *w, GMimeObject *o, int depth)
{
	if (!o)
		return;
	if (depth > DSN_MAX_DEPTH || ++w->parts > DSN_MAX_PARTS) {
		w->d->truncated = true;
		return;
	}
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = (GMimeMultipart *)o;
		int count = g_mime_multipart_get_count(mp);

		if (ctype_is(o, "multipart", "report")) {
			const char *rt = g_mime_content_type_get_parameter(
				g_mime_object_get_content_type(o), "report-type");

			if (rt && g_ascii_strcasecmp(rt, "feedback-report") == 0)
				w->report_arf = true;
			if (rt && (g_ascii_strcasecmp(rt, "delivery-status") == 0 ||
				   g_ascii_strcasecmp(rt, "global-delivery-status") == 0))
				w->report_dsn = true;
		}
		for (int i = 0; i < count && w->parts <= DSN_MAX_PARTS; i++)
			walk(w, g_mime_multipart_get_part(mp, i), depth + 1);
		return;
	}
	/* A returned message is evidence, not part of the report: its own
	 * parts are never searched for report parts. */
	if (GMIME_IS_MESSAGE_PART(o) || ctype_is(o, "text", "rfc822-headers") ||
	    ctype_is(o, "message", "global-headers") ||
	    ctype_is(o, "message", "rfc822") || ctype_is(o, "message", "global")) {
		if (w->nreturned < (int)G_N_ELEMENTS(w->returned))
			w->returned[w->nreturned++] = o;
		return;
	}
	if (!GMIME_IS_PART(o))
		return;
	if (!w->status && ctype_is(o, "message", "delivery-status")) {
		w->status = o;
	} else if (!w->status && ctype_is(o, "message", "global-delivery-status")) {
		/* RFC 6533 §6.2 */
		w->status = o;
		w->status_global = true;
	} else if (!w->feedback && ctype_is(o, "message", "feedback-report")) {
		w->feedback = o;
	} else if (!w->text && ctype_is(o, "text", "plain")) {
		w->text = o;
	}
}

/* The decoded content of a leaf part (transfer encoding undone; text parts
 * converted to UTF-8 from its charset by GMime), at most DSN_MAX_TEXT
 * bytes, as a new buffer the caller frees. Returns 0 or -1 (memory). */
static int part_bytes(struct mc_dsn *d, GMimeObject *o, char **buf, size_t *len)
{
	GMimeDataWrapper *content;
	GMimeStream *mem;
	GByteArray *ba;
	const char *src = "";
	char *text = NULL;
	size_t n = 0;

	*buf = NULL;
	*len = 0;
	mem = g_mime_stream_mem_new();
	if (GMIME_IS_TEXT_PART(o))
		text = g_mime_text_part_get_text((GMimeTextPart *)o);
	if (text) {
		src = text;
		n = strlen(text);
	} else if (GMIME_IS_PART(o) &&
		   (content = g_mime_part_get_content((GMimePart *)o))) {
		g_mime_data_wrapper_write_to_stream(content, mem);
		ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)mem);
		if (ba->data) {    /* NULL when the part is empty */
			src = (const char *)ba->data;
			n = ba->len;
		}
	}
	if (n > DSN_MAX_TEXT) {
		n = DSN_MAX_TEXT;
		d->truncated = true;
	}
	*buf = malloc(n + 1);
	if (*buf) {
		memcpy(*buf, src, n);
		(*buf)[n] = '\0';
		*len = n;
	}
	g_free(text);
	g_object_unref(mem);
	return *buf ? 0 : -1;
}

/* First mailbox address of an address list, or NULL. Borrowed. */
static const char *first_addr(InternetAddressList *l)
{
	InternetAddress *a;

	if (!l || internet_address_list_length(l) < 1)
		return NULL;
	a = internet_address_list_get_address(l, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(a))
		return NULL;
	return internet_address_mailbox_get_addr((InternetAddressMailbox *)a);
}

static void probe_from_message(struct mc_dsn *d, GMimeMessage *m)
{
	const char *v;

	v = g_mime_object_get_header((GMimeObject *)m, "X-Mailcanary-Probe");
	if (v && dsn_probe_from_value(d, v, strlen(v), false))
		return;
	v = g_mime_message_get_message_id(m);   /* without the <> */
	if (v && dsn_probe_from_value(d, v, strlen(v), true))
		return;
}

/* The probe ID from the returned message or headers. Returns -1 on memory. */
static int probe_from_returned(struct dsn_walk *w)
{
	for (int i = 0; i < w->nreturned && !w->d->probe_id[0]; i++) {
		GMimeObject *o = w->returned[i];
		char *buf;
		size_t len;

		if (GMIME_IS_MESSAGE_PART(o)) {
			GMimeMessage *m =
				g_mime_message_part_get_message((GMimeMessagePart *)o);

			if (m)
				probe_from_message(w->d, m);
			continue;
		}
		/* header blocks, or a message/rfc822 part that was sent
		 * base64-encoded and so left unparsed by GMime */
		if (part_bytes(w->d, o, &buf, &len) < 0)
			return -1;
		dsn_probe_from_text(w->d, buf, len);
		free(buf);
	}
	return 0;
}

/* The To address of the first returned message, or NULL. Borrowed. */
static const char *returned_to(struct dsn_walk *w)
{
	for (int i = 0; i < w->nreturned; i++) {
		if (GMIME_IS_MESSAGE_PART(w->returned[i])) {
			GMimeMessage *m = g_mime_message_part_get_message(
				(GMimeMessagePart *)w->returned[i]);

			if (m)
				return first_addr(g_mime_message_get_to(m));
		}
	}
	return NULL;
}

static bool header_has(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header((GMimeObject *)m, name) != NULL;
}

/* RFC 3834 §5: Auto-Submitted: auto-replied marks a response generated by
 * software; responders that predate it are known by their own headers, by
 * their subject, or by Precedence: bulk/junk with vacation wording. */
static bool is_autoreply(GMimeMessage *m, const char *subject,
			 const char *text, size_t n)
{
	static const char *const subjects[] = {
		"auto:", "automatic reply", "autoreply", "auto-reply",
		"auto reply", "out of office", "out of the office", "ooo:",
		"away from my mail", "on vacation", "vacation reply",
		"abwesenheitsnotiz", "r\xc3\xa9ponse automatique",
		"respuesta autom\xc3\xa1tica",
	};
	static const char *const phrases[] = {
		"on vacation", "out of the office", "out of office",
		"away from my mail", "away from the office", "on leave",
		"limited access to email", "limited access to e-mail",
		"will be back on", "will return on", "back in the office",
	};
	const char *as = g_mime_object_get_header((GMimeObject *)m, "Auto-Submitted");
	const char *prec = g_mime_object_get_header((GMimeObject *)m, "Precedence");

	if (as && dsn_startcase(as, strlen(as), "auto-replied"))
		return true;
	if (header_has(m, "X-Autoreply") || header_has(m, "X-Autorespond") ||
	    header_has(m, "X-Vacation"))
		return true;
	if (prec && g_ascii_strncasecmp(prec, "auto_reply", 10) == 0)
		return true;
	for (size_t i = 0; subject && i < G_N_ELEMENTS(subjects); i++)
		if (dsn_memcase(subject, strlen(subject), subjects[i]))
			return true;
	if (!prec || !text ||
	    (g_ascii_strncasecmp(prec, "bulk", 4) != 0 &&
	     g_ascii_strncasecmp(prec, "junk", 4) != 0))
		return false;
	if (n > 2048)
		n = 2048;
	for (size_t i = 0; i < G_N_ELEMENTS(phrases); i++)
		if (dsn_memcase(text, n, phrases[i]))
			return true;
	return false;
}

static int add_autoreply(struct mc_dsn *d, const char *from, const char *subject)
{
	struct mc_dsn_rcpt *r;
	bool oom = false;
	int rc = dsn_rcpt_add(d, &r);

	if (rc)
		return rc < 0 ? -1 : 0;
	if (from && !(r->recipient = dsn_address(from, strlen(from), &oom)) && oom)
		return -1;
	if (subject && !(r->diagnostic = dsn_clean(subject, strlen(subject),
						   DSN_MAX_FIELD)))
		return -1;
	r->reason = DSN_REASON_VACATION;
	r->hard = false;
	return 0;
}

static int analyse(struct mc_dsn *d, GMimeMessage *msg)
{
	struct dsn_walk w = {.d = d};
	const char *subject = g_mime_message_get_subject(msg);
	const char *from = first_addr(g_mime_message_get_from(msg));
	char *text = NULL, *report = NULL;
	size_t tn = 0, rn = 0;
	int rc = -1, k;

	walk(&w, g_mime_message_get_mime_part(msg), 0);
	if (w.text && part_bytes(d, w.text, &text, &tn) < 0)
		goto out;

	if (w.status) {
		d->kind = DSN_KIND_DSN;
		if (part_bytes(d, w.status, &report, &rn) < 0)
			goto out;
		k = dsn_fields_parse(d, report, rn, w.status_global);
		if (k < 0)
			goto out;
		/* an empty or broken status part: the human text may say more */
		if (k == 0 && text &&
		    dsn_formats_parse(d, text, tn, subject, from) < 0)
			goto out;
	} else if (w.feedback || w.report_arf) {
		d->kind = DSN_KIND_ARF;
		if (w.feedback && part_bytes(d, w.feedback, &report, &rn) < 0)
			goto out;
		if (dsn_arf_parse(d, report ? report : "", rn, returned_to(&w)) < 0)
			goto out;
	} else if (text && (k = dsn_ses_parse(d, text, tn)) != DSN_KIND_UNKNOWN) {
		if (k < 0)
			goto out;
		d->kind = (enum mc_dsn_kind)k;
	} else if (text && (k = dsn_formats_parse(d, text, tn, subject, from))) {
		if (k < 0)
			goto out;
		d->kind = DSN_KIND_NDR;
	} else if (is_autoreply(msg, subject, text, tn)) {
		d->kind = DSN_KIND_AUTOREPLY;
		if (add_autoreply(d, from, subject) < 0)
			goto out;
	} else if (w.report_dsn || dsn_looks_like_bounce(subject, from)) {
		/* a bounce, in a layout we do not know, or a report that lost
		 * its status part */
		d->kind = DSN_KIND_NDR;
	}

	if (d->kind != DSN_KIND_UNKNOWN) {
		const char *v;

		if (probe_from_returned(&w) < 0)
			goto out;
		if (text)
			dsn_probe_from_text(d, text, tn);
		/* an auto-reply names the probe it answers (RFC 5322 §3.6.4) */
		if ((v = g_mime_object_get_header((GMimeObject *)msg, "In-Reply-To")))
			dsn_probe_from_value(d, v, strlen(v), true);
		if ((v = g_mime_object_get_header((GMimeObject *)msg, "References")))
			dsn_probe_from_value(d, v, strlen(v), true);
	}
	rc = 0;
out:
	free(text);
	free(report);
	return rc;
}

static void on_parser_warning(gint64 offset, GMimeParserWarning code,
			      const gchar *item, gpointer user_data)
{
	struct mc_dsn *d = user_data;

	(void)offset;
	(void)item;
	/* GMime stopped descending: the structure was cut at its limit */
	if (code == GMIME_CRIT_NESTING_OVERFLOW)
		d->truncated = true;
}

int dsn_parse(const char *p, size_t n, struct mc_dsn **out,
	      struct mc_err *err)
{
	struct mc_dsn *d = NULL;
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeParserOptions *opts = NULL;
	GMimeMessage *msg = NULL;
	int rc = -1;

	if (out)
		*out = NULL;
	if (!out || (!p && n))
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "dsn_parse: no output or no input");
	dsn_init();
	d = calloc(1, sizeof(*d));
	if (!d)
		goto oom;
	if (n > DSN_MAX_INPUT) {
		n = DSN_MAX_INPUT;
		d->truncated = true;
	}
	stream = g_mime_stream_mem_new_with_buffer(n ? p : "", n);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, on_parser_warning, d);
	msg = g_mime_parser_construct_message(parser, opts);
	/* no headers at all: not a message, so nothing we recognise */
	if (msg && analyse(d, msg) < 0)
		goto oom;
	*out = d;
	d = NULL;
	rc = 0;
	goto out;
oom:
	mc_err_set(err, -1, MC_COMP_INTERNAL, "dsn: out of memory");
out:
	if (msg)
		g_object_unref(msg);
	if (opts)
		g_mime_parser_options_free(opts);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	dsn_free(d);
	return rc;
}

const char *dsn_kind_name(enum mc_dsn_kind k)
{
	switch (k) {
	case DSN_KIND_DSN:
		return "dsn";
	case DSN_KIND_NDR:
		return "ndr";
	case DSN_KIND_ARF:
		return "arf";
	case DSN_KIND_AUTOREPLY:
		return "autoreply";
	case DSN_KIND_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *dsn_action_name(enum mc_dsn_action a)
{
	switch (a) {
	case DSN_ACTION_FAILED:
		return "failed";
	case DSN_ACTION_DELAYED:
		return "delayed";
	case DSN_ACTION_DELIVERED:
		return "delivered";
	case DSN_ACTION_RELAYED:
		return "relayed";
	case DSN_ACTION_EXPANDED:
		return "expanded";
	case DSN_ACTION_NONE:
		break;
	}
	return NULL;
}

/* A JSON string, or null for NULL/"" (strings are valid UTF-8 by
 * construction: everything stored went through dsn_clean()). */
static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static int set(json_t *o, const char *key, json_t *v)
{
	return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *rcpt_json(const struct mc_dsn_rcpt *r)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	bad |= set(o, "recipient", str_or_null(r->recipient));
	bad |= set(o, "original_recipient", str_or_null(r->original_recipient));
	bad |= set(o, "action", str_or_null(dsn_action_name(r->action)));
	bad |= set(o, "status", str_or_null(r->status));
	bad |= set(o, "reply_code",
		   r->reply_code ? json_integer(r->reply_code) : json_null());
	bad |= set(o, "diagnostic", str_or_null(r->diagnostic));
	bad |= set(o, "remote_mta", str_or_null(r->remote_mta));
	bad |= set(o, "last_attempt_date", str_or_null(r->last_attempt_date));
	bad |= set(o, "will_retry_until", str_or_null(r->will_retry_until));
	bad |= set(o, "reason", json_string(dsn_reason_name(r->reason)));
	bad |= set(o, "hard", json_boolean(r->hard));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *dsn_to_json(const struct mc_dsn *d, const char *file)
{
	json_t *o = json_object(), *list = json_array();
	int bad = 0;

	if (!o || !list || !d)
		goto fail;
	for (size_t i = 0; i < d->nrcpt; i++)
		bad |= json_array_append_new(list, rcpt_json(&d->rcpt[i]));
	if (file) {
		json_t *f = json_string(file);

		if (!f) {       /* a file name that is not UTF-8 */
			char *c = dsn_clean(file, strlen(file), 4096);

			f = c ? json_string(c) : NULL;
			free(c);
		}
		bad |= set(o, "file", f);
	}
	bad |= set(o, "kind", json_string(dsn_kind_name(d->kind)));
	bad |= json_object_set(o, "recipients", list);
	bad |= set(o, "probe_id", str_or_null(d->probe_id));
	if (bad)
		goto fail;
	json_decref(list);
	return o;
fail:
	json_decref(list);
	json_decref(o);
	return NULL;
}
