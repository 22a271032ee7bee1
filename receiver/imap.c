#include "imap.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_buf.h"
#include "mc_time.h"

struct mc_imap {
	CURL *curl;
	curl_socket_t fd;
	const struct mc_mailbox *mb;
	struct mc_buf in;
	size_t consumed;           /* bytes of the last response handed out */
	unsigned tag_seq;
	int closed;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Maps a libcurl failure to the part of the path at fault. */
static enum mc_component curl_component(CURLcode rc)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return MC_COMP_AUTH;
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return MC_COMP_TLS;
	default:
		return MC_COMP_MAILBOX;
	}
}

static const char *curl_hint(CURLcode rc)
{
	switch (rc) {
	case CURLE_USE_SSL_FAILED:
		return " (server does not offer STARTTLS; refusing to log in "
		       "in clear)";
	case CURLE_LOGIN_DENIED:
		return " (wrong user or password?)";
	default:
		return "";
	}
}

struct mc_imap *imap_connect(const struct mc_mailbox *mb, struct mc_err *err)
{
	char url[600], errbuf[CURL_ERROR_SIZE] = "";
	struct mc_imap *s;
	CURLcode rc;
	long ms = (long)(mb->timeout * 1000);

	pthread_once(&curl_once, curl_init_once);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->curl = curl_easy_init())) {
		free(s);
		mc_err_set(err, -1, MC_COMP_INTERNAL, "out of memory");
		return NULL;
	}
	s->mb = mb;
	s->in.limit = IMAP_MAX_RESPONSE + IMAP_MAX_LINE;
	snprintf(url, sizeof(url), "%s://%s%s%s:%d/",
		 mb->tls == MC_TLS_IMPLICIT ? "imaps" : "imap",
		 strchr(mb->host, ':') ? "[" : "", mb->host,
		 strchr(mb->host, ':') ? "]" : "", mb->port);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, ms);
	/* Credentials as options, never in the URL (which may be logged). */
	curl_easy_setopt(s->curl, CURLOPT_USERNAME, mb->user);
	curl_easy_setopt(s->curl, CURLOPT_PASSWORD, mb->password);
	if (mb->tls == MC_TLS_STARTTLS)
		curl_easy_setopt(s->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (mb->ca_file)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, mb->ca_file);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, mb->tls_verify ? 1L : 0L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, mb->tls_verify ? 2L : 0L);
	rc = curl_easy_perform(s->curl);
	if (rc != CURLE_OK) {
		mc_err_set(err, -1, curl_component(rc), "mailbox \"%s\": %s:%d: %s%s",
			   mb->name, mb->host, mb->port,
			   errbuf[0] ? errbuf : curl_easy_strerror(rc),
			   curl_hint(rc));
		goto fail;
	}
	rc = curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &s->fd);
	if (rc != CURLE_OK || s->fd == CURL_SOCKET_BAD) {
		mc_err_set(err, -1, MC_COMP_MAILBOX,
			   "mailbox \"%s\": no connection after login", mb->name);
		goto fail;
	}
	return s;
fail:
	curl_easy_cleanup(s->curl);
	free(s);
	return NULL;
}

void imap_close(struct mc_imap *s)
{
	if (!s)
		return;
	if (!s->closed) {
		size_t sent;
		curl_easy_send(s->curl, "z LOGOUT\r\n", 10, &sent);
	}
	curl_easy_cleanup(s->curl);
	mc_buf_free(&s->in);
	free(s);
}

int imap_fd(const struct mc_imap *s)
{
	return (int)s->fd;
}

const struct mc_mailbox *imap_mailbox(const struct mc_imap *s)
{
	return s->mb;
}

/* Writes all of p, waiting (bounded) for the socket when it is full. */
static int send_all(struct mc_imap *s, const char *p, size_t n,
		    struct mc_err *err)
{
	double deadline = mc_now_mono() + s->mb->timeout;

	while (n > 0) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(s->curl, p, n, &sent);

		if (rc == CURLE_AGAIN) {
			struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
			if (mc_now_mono() > deadline)
				return mc_err_set(err, -1, MC_COMP_MAILBOX,
						  "mailbox \"%s\": send timed out",
						  s->mb->name);
			poll(&pfd, 1, 100);
			continue;
		}
		if (rc != CURLE_OK) {
			s->closed = 1;
			return mc_err_set(err, -1, MC_COMP_MAILBOX,
					  "mailbox \"%s\": send failed: %s",
					  s->mb->name, curl_easy_strerror(rc));
		}
		p += sent;
		n -= sent;
	}
	return 0;
}

int imap_send_line(struct mc_imap *s, const char *line, struct mc_err *err)
{
	char buf[IMAP_MAX_LINE];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);

	if (n < 0 || (size_t)n >= sizeof(buf) || strpbrk(line, "\r\n"))
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "bad IMAP line");
	return send_all(s, buf, (size_t)n, err);
}

int imap_command(struct mc_imap *s, char *tag, const char *command,
		 struct mc_err *err)
{
	char buf[IMAP_MAX_LINE];
	char t[16];
	int n;

	snprintf(t, sizeof(t), "mc%u", ++s->tag_seq);
	if (tag)
		memcpy(tag, t, strlen(t) + 1);
	n = snprintf(buf, sizeof(buf), "%s %s", t, command);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "IMAP command too long");
	return imap_send_line(s, buf, err);
}

int imap_next(struct mc_imap *s, struct imap_resp *r, struct mc_err *err)
{
	char chunk[16384];

	mc_buf_consume(&s->in, s->consumed);
	s->consumed = 0;
	for (;;) {
		long len = imap_resp_frame(s->in.data ? s->in.data : "", s->in.len);
		size_t got = 0;
		CURLcode rc;

		if (len < 0)
			return mc_err_set(err, -1, MC_COMP_MAILBOX,
					  "mailbox \"%s\": response too large or malformed",
					  s->mb->name);
		if (len > 0) {
			s->consumed = (size_t)len;
			if (imap_resp_parse(s->in.data, (size_t)len, r) == 0)
				return 1;
			/* An unreadable response is skipped, not fatal. */
			mc_buf_consume(&s->in, s->consumed);
			s->consumed = 0;
			continue;
		}
		if (s->closed)
			return mc_err_set(err, -1, MC_COMP_MAILBOX,
					  "mailbox \"%s\": connection closed by server",
					  s->mb->name);
		rc = curl_easy_recv(s->curl, chunk, sizeof(chunk), &got);
		if (rc == CURLE_AGAIN)
			return 0;
		if (rc != CURLE_OK || got == 0) {
			s->closed = 1;
			continue;
		}
		if (mc_buf_append(&s->in, chunk, got))
			return mc_err_set(err, -1, MC_COMP_MAILBOX,
					  "mailbox \"%s\": response too large",
					  s->mb->name);
	}
}

int imap_run(struct mc_imap *s, const char *command, double deadline,
	     void (*cb)(void *arg, const struct imap_resp *r), void *arg,
	     struct mc_err *err)
{
	struct imap_resp r;
	char tag[16];
	int rc;

	if (imap_command(s, tag, command, err))
		return -1;
	for (;;) {
		rc = imap_next(s, &r, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
			double left = deadline - mc_now_mono();
			if (left <= 0)
				return mc_err_set(err, -1, MC_COMP_MAILBOX,
						  "mailbox \"%s\": no answer to %.20s within the timeout",
						  s->mb->name, command);
			poll(&pfd, 1, (int)(left * 1000) + 1);
			continue;
		}
		if (r.type == IMAP_RESP_TAGGED && strcmp(r.tag, tag) == 0) {
			if (r.status == IMAP_ST_OK)
				return 0;
			return mc_err_set(err, -1, MC_COMP_MAILBOX,
					  "mailbox \"%s\": %.20s: %.*s", s->mb->name,
					  command, (int)(r.text_len > 160 ? 160 : r.text_len),
					  r.text);
		}
		if (r.type == IMAP_RESP_UNTAGGED && r.status == IMAP_ST_BYE)
			return mc_err_set(err, -1, MC_COMP_MAILBOX,
					  "mailbox \"%s\": server said BYE: %.*s",
					  s->mb->name, (int)(r.text_len > 160 ? 160 : r.text_len),
					  r.text);
		if (cb)
			cb(arg, &r);
	}
}
