/* A message split into header fields and body, and DKIM's "simple" and
 * "relaxed" canonicalisations of both (RFC 6376 §3.4). Messages read from
 * files often have bare LF line ends; DKIM is defined over CRLF, so the
 * message is first copied with every bare LF made CRLF (what an MTA would
 * have put on the wire). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/dkim_parse.h"

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Offset of the next CRLF at or after i, or n. */
static size_t next_crlf(const char *p, size_t n, size_t i)
{
	while (i + 1 < n) {
		const char *cr = memchr(p + i, '\r', n - 1 - i);

		if (!cr)
			break;
		i = (size_t)(cr - p);
		if (p[i + 1] == '\n')
			return i;
		i++;
	}
	return n;
}

static int add_field(struct dkim_msg *m, size_t *cap, const char *p,
		     size_t n)
{
	struct dkim_field *f;
	const char *colon;
	size_t line;

	if (m->n_fields == MC_DKIM_MAX_FIELDS) {
		m->too_many_fields = 1;
		return 0;
	}
	if (m->n_fields == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;

		f = realloc(m->fields, nc * sizeof(*f));
		if (!f)
			return -1;
		m->fields = f;
		*cap = nc;
	}
	f = &m->fields[m->n_fields++];
	f->p = p;
	f->n = n;
	line = next_crlf(p, n, 0);
	colon = memchr(p, ':', line);
	f->name_len = colon ? (size_t)(colon - p) : 0;
	return 0;
}

int dkim_msg_parse(const char *msg, size_t len, struct dkim_msg *m)
{
	size_t bare = 0, j = 0, pos = 0, cap = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < len; i++)
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			bare++;
	m->buf = malloc(len + bare + 1);
	if (!m->buf)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			m->buf[j++] = '\r';
		m->buf[j++] = msg[i];
	}
	m->buf[j] = '\0';
	m->len = j;
	/* An mbox "From " separator line is not part of the message. */
	if (m->len >= 5 && memcmp(m->buf, "From ", 5) == 0) {
		pos = next_crlf(m->buf, m->len, 0);
		pos = pos < m->len ? pos + 2 : m->len;
	}
	while (pos < m->len) {
		size_t start = pos, e;

		if (m->len - pos >= 2 && m->buf[pos] == '\r' &&
		    m->buf[pos + 1] == '\n') {
			m->body = m->buf + pos + 2;
			m->body_len = m->len - pos - 2;
			return 0;
		}
		/* A field runs to a CRLF not followed by WSP (unfolding). */
		for (;;) {
			e = next_crlf(m->buf, m->len, pos);
			if (e == m->len) {
				pos = m->len;
				break;
			}
			pos = e + 2;
			if (pos >= m->len || !is_wsp(m->buf[pos]))
				break;
		}
		if (add_field(m, &cap, m->buf + start, pos - start)) {
			dkim_msg_free(m);
			return -1;
		}
	}
	m->body = m->buf + m->len;
	m->body_len = 0;
	return 0;
}

void dkim_msg_free(struct dkim_msg *m)
{
	if (!m)
		return;
	free(m->buf);
	free(m->fields);
	memset(m, 0, sizeof(*m));
}

int dkim_field_is(const struct dkim_field *f, const char *name)
{
	size_t n = f->name_len, len = strlen(name);

	/* RFC 5322 §4.5 obsolete syntax: WSP before the colon. */
	while (n > 0 && is_wsp(f->p[n - 1]))
		n--;
	return f->name_len > 0 && n == len && strncasecmp(f->p, name, len) == 0;
}

int dkim_canon_header(enum dkim_canon c, const char *p, size_t n,
		      int with_crlf, struct mc_buf *out)
{
	const char *colon;
	size_t name_len, i, end = n;
	int pending_sp = 0, started = 0;

	if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')
		end = n - 2;
	if (c == DKIM_CANON_SIMPLE) {
		if (mc_buf_append(out, p, end))
			return -1;
		return with_crlf ? mc_buf_append(out, "\r\n", 2) : 0;
	}
	/* §3.4.2: lowercase the name, unfold, reduce WSP runs to one SP,
	 * drop WSP at the end of the value and around the colon. */
	colon = memchr(p, ':', end);
	name_len = colon ? (size_t)(colon - p) : end;
	while (name_len > 0 && is_wsp(p[name_len - 1]))
		name_len--;
	for (i = 0; i < name_len; i++) {
		char lc = (char)tolower((unsigned char)p[i]);

		if (mc_buf_append(out, &lc, 1))
			return -1;
	}
	if (colon) {
		if (mc_buf_append(out, ":", 1))
			return -1;
		i = (size_t)(colon - p) + 1;
		while (i < end) {
			size_t s = i;

			if (p[i] == '\r' && i + 1 < end && p[i + 1] == '\n') {
				i += 2;
				continue;
			}
			if (is_wsp(p[i])) {
				pending_sp = 1;
				i++;
				continue;
			}
			while (i < end && !is_wsp(p[i]) &&
			       !(p[i] == '\r' && i + 1 < end && p[i + 1] == '\n'))
				i++;
			if (pending_sp && started && mc_buf_append(out, " ", 1))
				return -1;
			if (mc_buf_append(out, p + s, i - s))
				return -1;
			pending_sp = 0;
			started = 1;
		}
	}
	return with_crlf ? mc_buf_append(out, "\r\n", 2) : 0;
}

/* One line of the relaxed body (§3.4.4): WSP runs become one SP, WSP at
 * the end goes. Returns the bytes it would write (0 = an empty line);
 * writes them when out is not NULL. */
static int relaxed_line(const char *p, size_t n, struct mc_buf *out,
			size_t *written)
{
	size_t i = 0, w = 0;
	int pending_sp = 0;

	while (i < n) {
		size_t s = i;

		if (is_wsp(p[i])) {
			pending_sp = 1;
			i++;
			continue;
		}
		while (i < n && !is_wsp(p[i]))
			i++;
		if (pending_sp) {
			if (out && mc_buf_append(out, " ", 1))
				return -1;
			w++;
		}
		if (out && mc_buf_append(out, p + s, i - s))
			return -1;
		w += i - s;
		pending_sp = 0;
	}
	*written = w;
	return 0;
}

int dkim_canon_body(enum dkim_canon c, const char *p, size_t n,
		    struct mc_buf *out)
{
	size_t pos = 0, empty = 0, emitted = 0;

	/* §3.4.3/§3.4.4: empty lines at the end are dropped, so they are
	 * only counted until a non-empty line shows they were inside. */
	while (pos < n) {
		size_t e = next_crlf(p, n, pos), len;

		if (c == DKIM_CANON_RELAXED) {
			if (relaxed_line(p + pos, e - pos, NULL, &len))
				return -1;
		} else {
			len = e - pos;
		}
		if (len == 0) {
			if (e < n)
				empty++;
			pos = e < n ? e + 2 : n;
			continue;
		}
		for (; empty > 0; empty--)
			if (mc_buf_append(out, "\r\n", 2))
				return -1;
		if (c == DKIM_CANON_RELAXED) {
			if (relaxed_line(p + pos, e - pos, out, &len))
				return -1;
		} else if (mc_buf_append(out, p + pos, len)) {
			return -1;
		}
		/* A last line without CRLF gets one. */
		if (mc_buf_append(out, "\r\n", 2))
			return -1;
		emitted++;
		pos = e < n ? e + 2 : n;
	}
	/* §3.4.3: an empty body is one CRLF under "simple"; §3.4.4 leaves
	 * it empty under "relaxed". */
	if (!emitted && c == DKIM_CANON_SIMPLE)
		return mc_buf_append(out, "\r\n", 2);
	return 0;
}
