#include "watch.h"

#include <ctype.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap.h"
#include "mc_buf.h"
#include "mc_num.h"
#include "mc_time.h"

#define WATCH_MAX 256               /* watched folders in one waiter */
#define ARRIVALS_MAX 4096
#define SEARCH_IDS_MAX 32           /* probe IDs in one SEARCH command */
#define FOUND_UIDS_MAX 64
#define POLL_FIRST 0.1              /* seconds; polling backoff when the */
#define POLL_MAX 2.0                /* server has no IDLE */
#define IDLE_REFRESH (25 * 60.0)    /* RFC 2177: re-IDLE before 29 min */
#define COMMANDS_MAX 100000         /* per watch and wait: a runaway guard */
#define FINISH_GRACE 5.0            /* seconds to let deletions complete */

enum watch_state {
	W_READY,        /* nothing in flight */
	W_SEARCH,
	W_FETCH,
	W_STORE,
	W_EXPUNGE,
	W_IDLE_START,   /* IDLE sent, waiting for "+" */
	W_IDLING,
	W_IDLE_DONE,    /* DONE sent, waiting for the tagged OK */
	W_FAILED,
};

enum watch_kind {
	WATCH_PROBES,   /* looks for probes by their header */
	WATCH_BOUNCES,  /* looks for DSNs naming a probe ID anywhere */
};

struct watch {
	const struct mc_mailbox *mb;
	const char *folder;
	enum watch_kind kind;
	int junk;
	struct mc_imap *imap;
	enum watch_state state;
	char tag[16];
	int has_idle, has_uidplus;
	int need_search;            /* new mail, or a poll is due */
	size_t chunk_next;          /* arrival index where the next SEARCH
				     * of a pass over more than
				     * SEARCH_IDS_MAX probes goes on; 0: no
				     * pass in progress */
	int pushed;                 /* the search was caused by an IDLE push */
	double pushed_at;           /* when that "* n EXISTS" came (realtime) */
	double next_poll, poll_gap, idle_since;
	uint32_t uids[FOUND_UIDS_MAX];
	size_t n_uids;
	uint32_t matched[FOUND_UIDS_MAX];
	size_t n_matched;
	unsigned long commands;
};

struct mc_waiter {
	waiter_dsn_fn on_dsn;
	void *dsn_arg;
	struct watch watches[WATCH_MAX];
	size_t n_watches;
	struct mc_arrival *arrivals[ARRIVALS_MAX];
	size_t n_arrivals;
};

struct mc_waiter *waiter_new(waiter_dsn_fn on_dsn, void *dsn_arg)
{
	struct mc_waiter *w = calloc(1, sizeof(struct mc_waiter));

	if (w) {
		w->on_dsn = on_dsn;
		w->dsn_arg = dsn_arg;
	}
	return w;
}

static int resolved(const struct mc_arrival *a)
{
	return a->found || a->dsn_final || a->cancelled || a->err.code;
}

/* Does this watch look out for arrival a? */
static int watches_for(const struct watch *wt, const struct mc_arrival *a)
{
	return wt->kind == WATCH_PROBES ? a->mailbox == wt->mb
					: a->bounces == wt->mb;
}

static int add_watch(struct mc_waiter *w, const struct mc_mailbox *mb,
		     const char *folder, enum watch_kind kind, int junk)
{
	for (size_t i = 0; i < w->n_watches; i++)
		if (w->watches[i].mb == mb && w->watches[i].kind == kind &&
		    strcmp(w->watches[i].folder, folder) == 0)
			return 0;
	if (w->n_watches >= WATCH_MAX)
		return -1;
	w->watches[w->n_watches++] = (struct watch){
		.mb = mb, .folder = folder, .kind = kind, .junk = junk,
	};
	return 0;
}

int waiter_add(struct mc_waiter *w, struct mc_arrival *a)
{
	const struct mc_mailbox *mb = a->mailbox;

	if (w->n_arrivals >= ARRIVALS_MAX ||
	    add_watch(w, mb, mb->folder, WATCH_PROBES, 0))
		return -1;
	for (size_t i = 0; i < mb->n_junk; i++)
		if (add_watch(w, mb, mb->junk_folders[i], WATCH_PROBES, 1))
			return -1;
	if (a->bounces && (!w->on_dsn ||
			   add_watch(w, a->bounces, a->bounces->folder,
				     WATCH_BOUNCES, 0)))
		return -1;
	a->internaldate = NAN;
	w->arrivals[w->n_arrivals++] = a;
	return 0;
}

/* Marks every unresolved arrival of the watch's mailbox failed. */
static void watch_fail(struct mc_waiter *w, struct watch *wt,
		       const struct mc_err *err)
{
	wt->state = W_FAILED;
	imap_close(wt->imap);
	wt->imap = NULL;
	for (size_t i = 0; i < w->n_arrivals; i++) {
		struct mc_arrival *a = w->arrivals[i];
		if (watches_for(wt, a) && !resolved(a)) {
			a->err = *err;
			if (wt->junk)
				mc_err_prefix(&a->err, "junk folder %s", wt->folder);
			else if (wt->kind == WATCH_BOUNCES)
				mc_err_prefix(&a->err, "bounce mailbox");
		}
	}
}

static int watch_wanted(const struct mc_waiter *w, const struct watch *wt)
{
	for (size_t i = 0; i < w->n_arrivals; i++)
		if (watches_for(wt, w->arrivals[i]) && !resolved(w->arrivals[i]))
			return 1;
	return 0;
}

static void capability_cb(void *arg, const struct imap_resp *r)
{
	struct watch *wt = arg;

	if (strcmp(r->keyword, "CAPABILITY") == 0) {
		wt->has_idle = wt->mb->idle &&
			imap_has_capability(r->text, r->text_len, "IDLE");
		wt->has_uidplus = imap_has_capability(r->text, r->text_len,
						      "UIDPLUS");
	}
}

static int open_watch(struct mc_waiter *w, struct watch *wt)
{
	char cmd[600], quoted[520];
	double deadline;
	struct mc_err err = {0};

	wt->imap = imap_connect(wt->mb, &err);
	if (!wt->imap)
		goto fail;
	deadline = mc_now_mono() + wt->mb->timeout;
	if (imap_run(wt->imap, "CAPABILITY", deadline, capability_cb, wt, &err))
		goto fail;
	if (imap_quote(wt->folder, quoted, sizeof(quoted))) {
		mc_err_set(&err, -1, MC_COMP_CONFIG,
			   "mailbox \"%s\": folder name %s needs modified UTF-7; not supported",
			   wt->mb->name, wt->folder);
		goto fail;
	}
	snprintf(cmd, sizeof(cmd), "SELECT %s", quoted);
	if (imap_run(wt->imap, cmd, deadline, NULL, NULL, &err))
		goto fail;
	wt->state = W_READY;
	wt->need_search = 1;
	wt->poll_gap = POLL_FIRST;
	return 0;
fail:
	watch_fail(w, wt, &err);
	return -1;
}

int waiter_open(struct mc_waiter *w)
{
	int failed = 0;

	for (size_t i = 0; i < w->n_watches; i++)
		failed += open_watch(w, &w->watches[i]) != 0;
	return failed;
}

static int watch_send(struct mc_waiter *w, struct watch *wt, enum watch_state st,
		const char *cmd)
{
	struct mc_err err = {0};

	if (++wt->commands > COMMANDS_MAX) {
		mc_err_set(&err, -1, MC_COMP_INTERNAL,
			   "mailbox \"%s\": too many IMAP commands in one wait",
			   wt->mb->name);
		watch_fail(w, wt, &err);
		return -1;
	}
	if (imap_command(wt->imap, wt->tag, cmd, &err)) {
		watch_fail(w, wt, &err);
		return -1;
	}
	wt->state = st;
	return 0;
}

/* UID SEARCH OR OR HEADER X-Mailcanary-Probe "a" HEADER ... "b" ... */
static void start_search(struct mc_waiter *w, struct watch *wt)
{
	struct mc_buf keys = {0}, cmd = {0};
	size_t n = 0, i = wt->chunk_next;

	if (i == 0)
		wt->need_search = 0;    /* a new pass takes the trigger */
	for (; i < w->n_arrivals && n < SEARCH_IDS_MAX; i++) {
		struct mc_arrival *a = w->arrivals[i];
		char q[WATCH_ID_MAX + 4];
		if (!watches_for(wt, a) || resolved(a) ||
		    imap_quote(a->id, q, sizeof(q)))
			continue;
		/* A DSN returns the probe's headers inside its body. */
		if (wt->kind == WATCH_PROBES)
			mc_buf_printf(&keys, " HEADER X-Mailcanary-Probe %s", q);
		else
			mc_buf_printf(&keys, " TEXT %s", q);
		n++;
	}
	/* More probes than one SEARCH names: the pass goes on with the
	 * next ones, so none is left unsearched behind 32 stuck ones. */
	wt->chunk_next = i < w->n_arrivals ? i : 0;
	if (n == 0) {
		wt->state = W_READY;
		goto out;
	}
	mc_buf_puts(&cmd, "UID SEARCH");
	for (size_t k = 1; k < n; k++)
		mc_buf_puts(&cmd, " OR");
	mc_buf_append(&cmd, keys.data, keys.len);
	wt->n_uids = 0;
	watch_send(w, wt, W_SEARCH, cmd.data);
out:
	mc_buf_free(&keys);
	mc_buf_free(&cmd);
}

static void uid_set(struct mc_buf *b, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mc_buf_printf(b, "%s%u", i ? "," : "", uids[i]);
}

static void start_uid_command(struct mc_waiter *w, struct watch *wt,
			      enum watch_state st, const char *verb,
			      const uint32_t *uids, size_t n, const char *tail)
{
	struct mc_buf cmd = {0};

	mc_buf_printf(&cmd, "UID %s ", verb);
	uid_set(&cmd, uids, n);
	mc_buf_puts(&cmd, tail);
	watch_send(w, wt, st, cmd.data);
	mc_buf_free(&cmd);
}

/* A message in a bounce mailbox: hand it to the caller for every probe
 * whose ID it names (IDs are 128-bit random, so a match is no accident). */
static void on_fetch_bounce(struct mc_waiter *w, struct watch *wt,
			    const struct imap_resp *r)
{
	int named = 0;

	if (!r->has_uid || !r->body)
		return;
	for (size_t i = 0; i < w->n_arrivals; i++) {
		struct mc_arrival *a = w->arrivals[i];
		if (!watches_for(wt, a) || resolved(a) ||
		    !memmem(r->body, r->body_len, a->id, strlen(a->id)))
			continue;
		named = 1;
		a->dsn_count++;
		if (w->on_dsn(w->dsn_arg, a, r->body, r->body_len))
			a->dsn_final = 1;
	}
	if (named && wt->n_matched < FOUND_UIDS_MAX)
		wt->matched[wt->n_matched++] = r->uid;
}

static void on_fetch(struct mc_waiter *w, struct watch *wt,
		     const struct imap_resp *r)
{
	char id[WATCH_ID_MAX];

	if (wt->kind == WATCH_BOUNCES) {
		on_fetch_bounce(w, wt, r);
		return;
	}
	/* The whole message is fetched (a probe is small): DKIM verification
	 * needs its body. */
	if (!r->has_uid || !r->body ||
	    watch_header_field(r->body, r->body_len, "X-Mailcanary-Probe",
			       id, sizeof(id)))
		return;
	for (size_t i = 0; i < w->n_arrivals; i++) {
		struct mc_arrival *a = w->arrivals[i];
		if (!watches_for(wt, a) || strcmp(a->id, id) != 0)
			continue;
		if (wt->n_matched < FOUND_UIDS_MAX)
			wt->matched[wt->n_matched++] = r->uid;
		if (resolved(a))
			return;     /* a second copy: deleted, not counted */
		a->noticed_at = mc_now_real();
		a->found = 1;
		a->junk = wt->junk;
		a->idle = wt->pushed;
		a->pushed_at = wt->pushed ? wt->pushed_at : NAN;
		a->uid = r->uid;
		snprintf(a->folder, sizeof(a->folder), "%s", wt->folder);
		if (r->has_internaldate)
			a->internaldate = r->internaldate;
		a->header = malloc(r->body_len + 1);
		if (a->header) {
			memcpy(a->header, r->body, r->body_len);
			a->header[r->body_len] = '\0';
			a->header_len = r->body_len;
		}
		return;
	}
}

/* The tagged completion of the command in flight. */
static void on_done(struct mc_waiter *w, struct watch *wt,
		    const struct imap_resp *r)
{
	struct mc_err err = {0};

	if (r->status != IMAP_ST_OK && wt->state != W_EXPUNGE) {
		mc_err_set(&err, -1, MC_COMP_MAILBOX, "mailbox \"%s\": %s: %.*s",
			   wt->mb->name, wt->folder,
			   (int)(r->text_len > 160 ? 160 : r->text_len), r->text);
		watch_fail(w, wt, &err);
		return;
	}
	switch (wt->state) {
	case W_SEARCH:
		if (wt->n_uids == 0) {
			wt->state = W_READY;
			break;
		}
		wt->n_matched = 0;
		start_uid_command(w, wt, W_FETCH, "FETCH", wt->uids, wt->n_uids,
				  wt->kind == WATCH_PROBES
					  ? " (UID INTERNALDATE BODY.PEEK[])"
					  : " (UID BODY.PEEK[])");
		break;
	case W_FETCH:
		if (wt->n_matched == 0 || wt->mb->keep) {
			wt->state = W_READY;
			break;
		}
		start_uid_command(w, wt, W_STORE, "STORE", wt->matched,
				  wt->n_matched, " +FLAGS.SILENT (\\Deleted)");
		break;
	case W_STORE:
		if (wt->has_uidplus)
			start_uid_command(w, wt, W_EXPUNGE, "EXPUNGE", wt->matched,
					  wt->n_matched, "");
		else
			watch_send(w, wt, W_EXPUNGE, "EXPUNGE");
		break;
	case W_IDLE_START:   /* IDLE refused: fall back to polling */
		wt->has_idle = 0;
		wt->state = W_READY;
		break;
	default:
		wt->state = W_READY;
		break;
	}
}

static void handle(struct mc_waiter *w, struct watch *wt,
		   const struct imap_resp *r)
{
	struct mc_err err = {0};

	if (r->type == IMAP_RESP_UNTAGGED) {
		if (r->status == IMAP_ST_BYE) {
			mc_err_set(&err, -1, MC_COMP_MAILBOX,
				   "mailbox \"%s\": server closed the session: %.*s",
				   wt->mb->name,
				   (int)(r->text_len > 160 ? 160 : r->text_len),
				   r->text);
			watch_fail(w, wt, &err);
		} else if (strcmp(r->keyword, "EXISTS") == 0) {
			wt->need_search = 1;
			if (wt->state == W_IDLING) {
				wt->pushed = 1;
				wt->pushed_at = mc_now_real();
			} else {
				wt->pushed = 0;
			}
			if (wt->state == W_IDLING) {
				if (imap_send_line(wt->imap, "DONE", &err))
					watch_fail(w, wt, &err);
				else
					wt->state = W_IDLE_DONE;
			}
		} else if (strcmp(r->keyword, "SEARCH") == 0 &&
			   wt->state == W_SEARCH) {
			size_t n = 0;
			if (imap_search_uids(r->text, r->text_len,
					     wt->uids + wt->n_uids,
					     FOUND_UIDS_MAX - wt->n_uids, &n) == 0)
				wt->n_uids += n;
		} else if (strcmp(r->keyword, "FETCH") == 0 &&
			   wt->state == W_FETCH) {
			on_fetch(w, wt, r);
		}
		return;
	}
	if (r->type == IMAP_RESP_CONTINUE) {
		if (wt->state != W_IDLE_START)
			return;
		wt->state = W_IDLING;
		wt->idle_since = mc_now_mono();
		/* Mail that came while IDLE was being set up. */
		if (wt->need_search) {
			if (imap_send_line(wt->imap, "DONE", &err))
				watch_fail(w, wt, &err);
			else
				wt->state = W_IDLE_DONE;
		}
		return;
	}
	if (strcmp(r->tag, wt->tag) == 0)
		on_done(w, wt, r);
}

/* Decides the next command of an idle watch. */
static void next_step(struct mc_waiter *w, struct watch *wt, double now)
{
	struct mc_err err = {0};

	if (wt->state == W_IDLING && now - wt->idle_since > IDLE_REFRESH) {
		if (imap_send_line(wt->imap, "DONE", &err))
			watch_fail(w, wt, &err);
		else
			wt->state = W_IDLE_DONE;
		return;
	}
	if (wt->state != W_READY)
		return;
	if (!wt->has_idle && now >= wt->next_poll) {
		wt->need_search = 1;
		wt->pushed = 0;
		wt->next_poll = now + wt->poll_gap;
		wt->poll_gap = mc_fmin(wt->poll_gap * 1.5, POLL_MAX);
	}
	if (wt->need_search || wt->chunk_next)
		start_search(w, wt);
	else if (wt->has_idle)
		watch_send(w, wt, W_IDLE_START, "IDLE");
}

static void pump(struct mc_waiter *w, struct watch *wt)
{
	struct imap_resp r;
	struct mc_err err = {0};
	int rc;

	while (wt->imap && (rc = imap_next(wt->imap, &r, &err)) != 0) {
		if (rc < 0) {
			watch_fail(w, wt, &err);
			return;
		}
		handle(w, wt, &r);
	}
}

static int all_resolved(const struct mc_waiter *w, double now)
{
	for (size_t i = 0; i < w->n_arrivals; i++)
		if (!resolved(w->arrivals[i]) && now < w->arrivals[i]->deadline)
			return 0;
	return 1;
}

/* A watch with a found probe's STORE/EXPUNGE (or its FETCH) in flight. */
static int watch_busy(const struct watch *wt)
{
	return wt->imap && (wt->state == W_FETCH || wt->state == W_STORE ||
			    wt->state == W_EXPUNGE);
}

/* Lets the deletion of found probes complete after the last arrival is
 * resolved, so a probe is not left behind in the mailbox; bounded by
 * FINISH_GRACE seconds. */
static void finish(struct mc_waiter *w)
{
	double end = mc_now_mono() + FINISH_GRACE;

	for (;;) {
		struct pollfd pfds[WATCH_MAX];
		struct watch *owners[WATCH_MAX];
		size_t n = 0;
		double left = end - mc_now_mono();

		for (size_t i = 0; i < w->n_watches; i++) {
			struct watch *wt = &w->watches[i];
			if (!watch_busy(wt))
				continue;
			pump(w, wt);
			if (!watch_busy(wt))
				continue;
			pfds[n] = (struct pollfd){.fd = imap_fd(wt->imap),
						  .events = POLLIN};
			owners[n++] = wt;
		}
		if (n == 0 || left <= 0)
			return;
		poll(pfds, n, (int)(left * 1000) + 1);
		for (size_t i = 0; i < n; i++)
			if (pfds[i].revents && owners[i]->imap)
				pump(w, owners[i]);
	}
}

int waiter_run(struct mc_waiter *w)
{
	struct pollfd pfds[WATCH_MAX];
	struct watch *owners[WATCH_MAX];

	for (;;) {
		double now = mc_now_mono(), wake = now + 1.0;
		size_t n = 0;

		if (all_resolved(w, now))
			break;
		for (size_t i = 0; i < w->n_arrivals; i++)
			if (!resolved(w->arrivals[i]))
				wake = mc_fmin(wake, w->arrivals[i]->deadline);
		for (size_t i = 0; i < w->n_watches; i++) {
			struct watch *wt = &w->watches[i];
			if (!wt->imap || !watch_wanted(w, wt))
				continue;
			pump(w, wt);
			if (!wt->imap)
				continue;
			next_step(w, wt, now);
			if (!wt->imap)
				continue;
			if (wt->state == W_READY && !wt->has_idle)
				wake = mc_fmin(wake, wt->next_poll);
			pfds[n] = (struct pollfd){.fd = imap_fd(wt->imap),
						  .events = POLLIN};
			owners[n++] = wt;
		}
		if (all_resolved(w, mc_now_mono()))
			break;
		wake -= mc_now_mono();
		poll(pfds, n, wake > 0 ? (int)(wake * 1000) + 1 : 0);
		for (size_t i = 0; i < n; i++)
			if (pfds[i].revents && owners[i]->imap)
				pump(w, owners[i]);
	}
	finish(w);
	return 0;
}

void waiter_free(struct mc_waiter *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_watches; i++)
		imap_close(w->watches[i].imap);
	free(w);
}

void arrival_clear(struct mc_arrival *a)
{
	free(a->header);
	a->header = NULL;
	a->header_len = 0;
}

int watch_header_field(const char *hdr, size_t n, const char *name,
		       char *out, size_t out_size)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		size_t eol = i;
		while (eol < n && hdr[eol] != '\n')
			eol++;
		/* An empty line ends the header: the body is not searched. */
		if (eol == i || (eol == i + 1 && hdr[i] == '\r'))
			return -1;
		if (eol - i > nl && strncasecmp(hdr + i, name, nl) == 0) {
			size_t v = i + nl, e = eol;
			while (v < e && (hdr[v] == ' ' || hdr[v] == '\t'))
				v++;
			if (v < e && hdr[v] == ':') {
				v++;
				while (v < e && isspace((unsigned char)hdr[v]))
					v++;
				while (e > v && isspace((unsigned char)hdr[e - 1]))
					e--;
				if (e - v >= out_size)
					return -1;
				memcpy(out, hdr + v, e - v);
				out[e - v] = '\0';
				return 0;
			}
		}
		i = eol + 1;
	}
	return -1;
}
