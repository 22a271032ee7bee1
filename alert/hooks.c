/* Alert delivery (see hooks.h): the event mapped to each receiver's body,
 * one libcurl easy POST, and the per-tick step hooks_process(). */
#include "alert/hooks.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert/hooks_internal.h"
#include "mc_buf.h"
#include "mc_time.h"

/* What one HTTP delivery sends. */
struct hooks_request {
	char *url;                 /* new */
	char *body;                /* new */
	char *auth;                /* new "Authorization: ..." header or NULL */
};

static const char *ev_str(json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key));
}

static const char *ev_str_or(json_t *ev, const char *key, const char *dflt)
{
	const char *s = ev_str(ev, key);

	return s && *s ? s : dflt;
}

static int ev_resolved(json_t *ev)
{
	const char *s = ev_str(ev, "status");

	return s && strcmp(s, "resolved") == 0;
}

static int ev_severity(json_t *ev)
{
	return (int)json_integer_value(json_object_get(ev, "severity"));
}

/* "route" or "check", and the subject's name. */
static const char *ev_subject(json_t *ev, const char **kind)
{
	if (ev_str(ev, "check")) {
		*kind = "check";
		return ev_str(ev, "check");
	}
	*kind = "route";
	return ev_str_or(ev, "route", "?");
}

static const char *sev_name(int sev)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL",
					    "UNKNOWN"};

	return sev >= 0 && sev <= 3 ? names[sev] : "UNKNOWN";
}

/* One line for humans: "[FIRING] route corp: CRITICAL bounced (relay):
 * summary". New string. */
static char *ev_headline(json_t *ev)
{
	const char *kind, *name = ev_subject(ev, &kind);
	char *s;

	if (asprintf(&s, "[%s] mailcanary %s \"%s\": %s %s (%s): %s",
		     ev_resolved(ev) ? "RESOLVED" : "FIRING", kind, name,
		     sev_name(ev_severity(ev)), ev_str_or(ev, "state", "-"),
		     ev_str_or(ev, "component", "-"),
		     ev_str_or(ev, "summary", "-")) < 0)
		return NULL;
	return s;
}

/* A JSON string of s cut to at most max bytes, never inside a UTF-8
 * sequence (the receivers limit their fields). */
static json_t *json_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return json_stringn(s, n);
}

static char *dumps(json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)
		      : NULL;

	json_decref(doc);
	return s;
}

/* Prometheus Alertmanager API v2: POST {url}/api/v2/alerts with a list
 * of postable alerts. Alertmanager knows an alert by its label set, so
 * the labels are what stays put while a subject fails: alertname, route
 * or check, and severity (warning|critical, for routing); the component,
 * which may change from one result to the next, is an annotation. The
 * severity may change too (a warning turning critical fires the critical
 * one beside it, as two Prometheus rules would), and we keep no record
 * of which were sent: a resolution ends both severities (an alert
 * Alertmanager never had is listed as resolved in the group's
 * notification, nothing more). A firing alert's endsAt lies past the next reminder
 * (3 x repeat), so Alertmanager keeps it while we keep reminding and lets
 * it lapse if we stop; repeat = 0 leaves it out (resolve_timeout
 * applies). Resolved: both severities end now. */
static json_t *am_alert(json_t *ev, const char *severity, const char *ends,
			const char *desc, const char *gen)
{
	const char *kind, *name = ev_subject(ev, &kind);
	json_t *labels = json_object(), *ann = json_object(), *al = json_object();
	int ok;

	ok = labels && ann && al &&
	     !json_object_set_new(labels, "alertname",
				  json_string(strcmp(kind, "check") == 0
						      ? "MailcanaryCheck"
						      : "MailcanaryRoute")) &&
	     !json_object_set_new(labels, kind, json_string(name)) &&
	     !json_object_set_new(labels, "severity", json_string(severity)) &&
	     !json_object_set_new(ann, "summary",
				  json_string(ev_str_or(ev, "summary", "-"))) &&
	     !json_object_set_new(ann, "description", json_string(desc)) &&
	     (!ev_str(ev, "component") ||
	      !json_object_set_new(ann, "component",
				   json_string(ev_str(ev, "component")))) &&
	     !json_object_set(al, "labels", labels) &&
	     !json_object_set(al, "annotations", ann) &&
	     !json_object_set_new(al, "startsAt",
				  json_string(ev_str_or(ev, "started_at", ""))) &&
	     (!ends || !json_object_set_new(al, "endsAt", json_string(ends))) &&
	     !json_object_set_new(al, "generatorURL", json_string(gen));
	json_decref(labels);
	json_decref(ann);
	if (!ok) {
		json_decref(al);
		return NULL;
	}
	return al;
}

static int req_alertmanager(const struct mc_alert *a, json_t *ev, double now,
			    struct hooks_request *rq)
{
	const char *kind, *name = ev_subject(ev, &kind);
	const char *cur = ev_severity(ev) == 1 ? "warning" : "critical";
	const char *other = ev_severity(ev) == 1 ? "critical" : "warning";
	char end_now[MC_RFC3339_MAX], end_later[MC_RFC3339_MAX];
	char *desc = NULL, *gen = NULL, *evidence;
	const char *cur_end = NULL;
	json_t *list = json_array(), *al;
	int ok = list != NULL;

	evidence = json_dumps(json_object_get(ev, "evidence"),
			      JSON_COMPACT | JSON_SORT_KEYS);
	if (asprintf(&desc, "state %s, component %s, probe %s, evidence %s",
		     ev_str_or(ev, "state", "-"),
		     ev_str_or(ev, "component", "-"),
		     ev_str_or(ev, "probe_id", "-"),
		     evidence ? evidence : "{}") < 0)
		desc = NULL;
	if (asprintf(&gen, "mailcanary:%s/%s", kind, name) < 0)
		gen = NULL;
	mc_time_rfc3339(now, 0, end_now);
	if (ev_resolved(ev))
		cur_end = end_now;
	else if (a->repeat > 0)
		cur_end = mc_time_rfc3339(now + 3.0 * a->repeat, 0, end_later);
	ok = ok && desc && gen;
	if (ok) {
		al = am_alert(ev, cur, cur_end, desc, gen);
		ok = al && !json_array_append_new(list, al);
	}
	if (ok && ev_resolved(ev)) {
		al = am_alert(ev, other, end_now, desc, gen);
		ok = al && !json_array_append_new(list, al);
	}
	rq->body = ok ? dumps(json_incref(list)) : NULL;
	json_decref(list);
	free(evidence);
	free(desc);
	free(gen);
	if (!rq->body)
		return -1;
	return asprintf(&rq->url, "%s%sapi/v2/alerts", a->url,
			a->url[strlen(a->url) - 1] == '/' ? "" : "/") < 0 ? -1 : 0;
}

/* PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/). */
static int req_pagerduty(const struct mc_alert *a, json_t *ev,
			 struct hooks_request *rq)
{
	static const char *const pd_sev[] = {"info", "warning", "critical",
					     "error"};
	int sev = ev_severity(ev);
	char host[256] = "mailcanary";
	json_t *doc = json_object(), *payload, *details;
	int ok;

	ok = doc &&
	     !json_object_set_new(doc, "routing_key", json_string(a->secret)) &&
	     !json_object_set_new(doc, "event_action",
				  json_string(ev_resolved(ev) ? "resolve"
							       : "trigger")) &&
	     !json_object_set_new(doc, "dedup_key",
				  json_string(ev_str_or(ev, "dedup_key", "")));
	if (ok && !ev_resolved(ev)) {
		char *line = ev_headline(ev);

		if (gethostname(host, sizeof(host) - 1) || !host[0])
			snprintf(host, sizeof(host), "mailcanary");
		host[sizeof(host) - 1] = '\0';
		payload = json_object();
		details = json_deep_copy(ev);
		ok = line && payload && details &&
		     !json_object_set_new(payload, "summary",
					  json_cut(line, 1024)) &&
		     !json_object_set_new(payload, "source", json_string(host)) &&
		     !json_object_set_new(payload, "severity",
					  json_string(pd_sev[sev >= 0 && sev <= 3
								     ? sev : 3])) &&
		     (!ev_str(ev, "component") ||
		      !json_object_set_new(payload, "component",
					   json_string(ev_str(ev, "component")))) &&
		     !json_object_set_new(payload, "group",
					  json_string("mailcanary")) &&
		     !json_object_set(payload, "custom_details", details) &&
		     !json_object_set(doc, "payload", payload);
		json_decref(payload);
		json_decref(details);
		free(line);
	}
	rq->body = ok ? dumps(doc) : (json_decref(doc), NULL);
	if (!rq->body)
		return -1;
	return (rq->url = strdup(a->url)) ? 0 : -1;
}

/* Slack incoming webhook: {"text": "..."}. */
static int req_slack(const struct mc_alert *a, json_t *ev,
		     struct hooks_request *rq)
{
	char *line = ev_headline(ev);
	json_t *doc = json_object();

	if (line && doc && !json_object_set_new(doc, "text", json_string(line)))
		rq->body = dumps(json_incref(doc));
	json_decref(doc);
	free(line);
	if (!rq->body)
		return -1;
	return (rq->url = strdup(a->url)) ? 0 : -1;
}

/* Opsgenie Alert API v2: create with alias = dedup_key, close by alias. */
static int req_opsgenie(const struct mc_alert *a, json_t *ev,
			struct hooks_request *rq)
{
	const char *base = a->url, *slash = base[strlen(base) - 1] == '/' ? "" : "/";
	json_t *doc = json_object();
	int ok = doc != NULL;

	if (asprintf(&rq->auth, "Authorization: GenieKey %s", a->secret) < 0) {
		rq->auth = NULL;
		json_decref(doc);
		return -1;
	}
	if (ev_resolved(ev)) {
		char *alias = curl_easy_escape(NULL, ev_str_or(ev, "dedup_key", ""), 0);

		ok = ok && alias;
		if (ok && asprintf(&rq->url, "%s%sv2/alerts/%s/close?identifierType=alias",
				   base, slash, alias) < 0) {
			rq->url = NULL;
			ok = 0;
		}
		curl_free(alias);
		ok = ok &&
		     !json_object_set_new(doc, "source", json_string("mailcanary")) &&
		     !json_object_set_new(doc, "note",
					  json_string(ev_str_or(ev, "summary", "resolved")));
	} else {
		int sev = ev_severity(ev);
		const char *msg = ev_str_or(ev, "summary", "mailcanary alert");
		char *line = ev_headline(ev);
		json_t *details = json_object();

		ok = ok && line && details;
		if (ok && asprintf(&rq->url, "%s%sv2/alerts", base, slash) < 0) {
			rq->url = NULL;
			ok = 0;
		}
		/* Opsgenie: message at most 130 characters */
		ok = ok &&
		     !json_object_set_new(doc, "message",
					  json_cut(msg, 130)) &&
		     !json_object_set_new(doc, "alias",
					  json_string(ev_str_or(ev, "dedup_key", ""))) &&
		     !json_object_set_new(doc, "description", json_string(line)) &&
		     !json_object_set_new(doc, "priority",
					  json_string(sev == 1 ? "P3" : "P1")) &&
		     !json_object_set_new(doc, "source", json_string("mailcanary"));
		for (const char *const *k = (const char *const[]){
			     "route", "check", "state", "component", "probe_id",
			     "started_at", NULL};
		     ok && *k; k++)
			if (ev_str(ev, *k))
				ok = !json_object_set_new(details, *k,
							  json_string(ev_str(ev, *k)));
		ok = ok && !json_object_set(doc, "details", details);
		json_decref(details);
		free(line);
	}
	rq->body = ok ? dumps(json_incref(doc)) : NULL;
	json_decref(doc);
	return rq->body && rq->url ? 0 : -1;
}

static size_t sink(char *p, size_t size, size_t n, void *user)
{
	struct mc_buf *b = user;
	size_t len = size * n;

	if (b->len < HOOKS_MAX_RESPONSE)
		mc_buf_append(b, p, len > HOOKS_MAX_RESPONSE - b->len
					   ? HOOKS_MAX_RESPONSE - b->len : len);
	return len;
}

/* The start of a receiver's answer as one printable line, for errors,
 * with the alert's secret blotted out should the receiver echo it. */
static void answer_excerpt(const struct mc_alert *a, struct mc_buf *b,
			   char *out, size_t size)
{
	size_t j = 0;
	char *hit;

	if (a->secret && *a->secret && b->data)
		while ((hit = memmem(b->data, b->len, a->secret,
				     strlen(a->secret))))
			memset(hit, '*', strlen(a->secret));
	for (size_t i = 0; i < b->len && j + 1 < size && i < 160; i++) {
		unsigned char ch = (unsigned char)b->data[i];

		out[j++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
	}
	out[j] = '\0';
}

static int http_post(const struct mc_alert *a, const struct hooks_request *rq,
		     struct mc_err *err)
{
	const char *type = config_alert_type_name(a->type);
	char errbuf[CURL_ERROR_SIZE] = "", excerpt[200];
	struct curl_slist *hdr = NULL, *h;
	struct mc_buf answer = {.limit = HOOKS_MAX_RESPONSE + 1};
	long ms = (long)(a->timeout * 1000), code = 0;
	CURLcode cc;
	CURL *curl;
	int rc = -1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "alert \"%s\" (%s): libcurl init failed",
				  a->name, type);
	curl = curl_easy_init();
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h)
		hdr = h;
	if (h && rq->auth && (h = curl_slist_append(hdr, rq->auth)))
		hdr = h;
	if (h && (h = curl_slist_append(hdr, "Expect:")))
		hdr = h;
	if (!curl || !h) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (%s): out of memory", a->name, type);
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, rq->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (a->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, a->ca_file);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "mailcanary/" MC_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (%s): %s", a->name, type,
			   errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		answer_excerpt(a, &answer, excerpt, sizeof(excerpt));
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (%s): the receiver answered HTTP %ld%s%s",
			   a->name, type, code, excerpt[0] ? ": " : "", excerpt);
		goto out;
	}
	rc = 0;
out:
	mc_buf_free(&answer);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return rc;
}

static void request_free(struct hooks_request *rq)
{
	free(rq->url);
	if (rq->body)
		explicit_bzero(rq->body, strlen(rq->body));
	free(rq->body);
	if (rq->auth)
		explicit_bzero(rq->auth, strlen(rq->auth));
	free(rq->auth);
}

int hooks_deliver(const struct mc_alert *a, const char *event_json,
		  double now, struct mc_err *err)
{
	const char *type = config_alert_type_name(a->type);
	struct hooks_request rq = {0};
	json_error_t jerr;
	json_t *ev;
	int rc = -1;

	ev = json_loads(event_json, 0, &jerr);
	if (!ev || !json_is_object(ev)) {
		json_decref(ev);
		return mc_err_set(err, -1, MC_COMP_INTERNAL,
				  "alert \"%s\" (%s): the event is not a JSON object",
				  a->name, type);
	}
	switch (a->type) {
	case MC_ALERT_EXEC:
		rc = hooks_exec(a, ev, event_json, err);
		goto out;
	case MC_ALERT_WEBHOOK:
		rq.body = strdup(event_json);
		rq.url = strdup(a->url);
		rc = rq.body && rq.url ? 0 : -1;
		break;
	case MC_ALERT_ALERTMANAGER:
		rc = req_alertmanager(a, ev, now, &rq);
		break;
	case MC_ALERT_PAGERDUTY:
		rc = req_pagerduty(a, ev, &rq);
		break;
	case MC_ALERT_SLACK:
		rc = req_slack(a, ev, &rq);
		break;
	case MC_ALERT_OPSGENIE:
		rc = req_opsgenie(a, ev, &rq);
		break;
	}
	if (rc < 0) {
		mc_err_set(err, -1, MC_COMP_INTERNAL,
			   "alert \"%s\" (%s): cannot build the request (out of memory)",
			   a->name, type);
		goto out;
	}
	rc = http_post(a, &rq, err);
out:
	request_free(&rq);
	json_decref(ev);
	return rc;
}

/* Delivers a->pending_delivery and appends the outcome to ev[*n_ev]:
 * 0 delivered, 1 failed (kept pending; *err says why). */
static int deliver_pending(const struct mc_alert *a, struct store_alert *cur,
			   double now, struct store_alert_event *ev,
			   size_t *n_ev, struct mc_err *err)
{
	struct mc_err derr = {0};

	if (hooks_deliver(a, cur->pending_delivery, now, &derr) == 0) {
		alert_delivered(cur, now);
		ev[(*n_ev)++] = (struct store_alert_event){
			.at = now, .kind = STORE_AEV_DELIVERED, .severity = -1,
			.detail = config_alert_type_name(a->type)};
		return 0;
	}
	fprintf(stderr, "mailcanary: %s; kept for the next run\n", derr.msg);
	alert_delivery_failed(cur, derr.msg);
	*err = derr;
	ev[(*n_ev)++] = (struct store_alert_event){
		.at = now, .kind = STORE_AEV_DELIVERY_FAILED, .severity = -1,
		.detail = cur->last_error};
	return 1;
}

/* The history entry of a notification alert_next() made due. */
static struct store_alert_event transition(int notify,
					   const struct store_alert *prev,
					   const struct alert_result *res,
					   double now)
{
	enum store_alert_event_kind k = STORE_AEV_RESOLVED;

	if (notify == ALERT_NOTIFY_FIRING)
		k = prev->status == STORE_ALERT_FIRING ? STORE_AEV_REPEAT
						       : STORE_AEV_FIRING;
	return (struct store_alert_event){.at = now, .kind = k,
					  .severity = res->severity,
					  .detail = res->summary};
}

int hooks_process(struct mc_store *st, const struct mc_alert *a,
		  const struct alert_result *res, double now,
		  struct mc_err *err)
{
	struct store_alert prev = {0}, next = {0};
	struct store_alert_event ev[2];
	size_t n_ev = 0;
	struct mc_err derr = {0};
	char *key = alert_key(res->kind, res->subject, a->name);
	int rc = -1, notify;

	if (!key)
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "alert: out of memory");
	if (store_alert_get(st, key, &prev, err) < 0 ||
	    (notify = alert_next(a, res, &prev, now, &next, err)) < 0)
		goto out;
	if (notify != ALERT_NOTIFY_NONE)
		ev[n_ev++] = transition(notify, &prev, res, now);
	rc = 0;
	if (next.pending_delivery)
		rc = deliver_pending(a, &next, now, ev, &n_ev, &derr);
	if (store_alert_record(st, &next, ev, n_ev, err) < 0)
		rc = -1;
	else if (rc == 1)
		*err = derr;
out:
	store_alert_clear(&prev);
	store_alert_clear(&next);
	free(key);
	return rc;
}

int hooks_retry_pending(struct mc_store *st, const struct mc_alert *a,
			enum alert_subject kind, const char *subject,
			double now, struct mc_err *err)
{
	struct store_alert cur = {0};
	struct store_alert_event ev[1];
	size_t n_ev = 0;
	struct mc_err derr = {0};
	char *key = alert_key(kind, subject, a->name);
	int rc = -1, found;

	if (!key)
		return mc_err_set(err, -1, MC_COMP_INTERNAL, "alert: out of memory");
	found = store_alert_get(st, key, &cur, err);
	if (found < 0)
		goto out;
	rc = 0;
	if (found == 0 || !cur.pending_delivery)
		goto out;
	rc = deliver_pending(a, &cur, now, ev, &n_ev, &derr);
	if (store_alert_record(st, &cur, ev, n_ev, err) < 0)
		rc = -1;
	else if (rc == 1)
		*err = derr;
out:
	store_alert_clear(&cur);
	free(key);
	return rc;
}
