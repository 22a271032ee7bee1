/* report: one self-contained HTML page -- inline CSS, inline SVG charts
 * (delivery states per date, stacked; delivery time p95 per route), tables
 * -- with no external resource at all (no fonts, scripts, images or
 * links out: the only links are in-page anchors from the recent probes
 * to their details, which are native <details> elements), readable on a phone (viewport, tables scroll sideways) and
 * printable (@media print). Everything that comes from the store or the
 * config (route names, errors, codes, alert keys) goes through
 * report_html_escape(). Hand-written: a page this small needs no
 * template engine. */
#include <math.h>
#include <string.h>

#include "mc_time.h"
#include "report/report.h"

void report_html_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* A colour per final state (index: enum mc_probe_state). */
static const char *const colours[REPORT_N_STATES] = {
	"#9e9e9e", "#2e7d32", "#f9a825", "#8e24aa", "#fb8c00",
	"#6d4c41", "#c62828", "#ad1457", "#212121", "#1565c0",
};

static const char css[] =
	"body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:0 auto;padding:1em;max-width:1200px;color:#212121}"
	"h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.4em 0 .4em;"
	"border-bottom:1px solid #ccc}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
	"table{border-collapse:collapse;margin:.3em 0;font-size:.92em}"
	"th,td{padding:.25em .55em;border-bottom:1px solid #e0e0e0;text-align:right;"
	"white-space:nowrap}th{background:#f5f5f5}"
	"td.l,th.l{text-align:left}td.err{white-space:normal;text-align:left;"
	"min-width:16em}"
	".muted{color:#757575}svg{width:100%;height:auto;max-width:900px;"
	"display:block}svg text{font:14px sans-serif;fill:#424242}"
	".legend span{display:inline-block;margin-right:1em;white-space:nowrap}"
	".legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;"
	"vertical-align:middle}"
	".ok{color:#2e7d32}.bad{color:#c62828}a{color:inherit}"
	"details{margin:.2em 0;border-bottom:1px solid #eee}"
	"details:target,details[open]{background:#fafafa}"
	"summary{cursor:pointer;font-family:monospace}"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;"
	"margin:.4em 0}dt{color:#757575}dd{margin:0;word-break:break-word}"
	"@media (max-width:600px){body{padding:.5em;font-size:13px}"
	"th,td{padding:.2em .35em}.chart{overflow-x:auto}svg{min-width:640px}}"
	"@media print{body{max-width:none;padding:0;font-size:10pt;color:#000}"
	".scroll{overflow:visible}table,svg,.chart{page-break-inside:avoid;"
	"break-inside:avoid}h2{page-break-after:avoid;break-after:avoid}"
	"th{background:none}td.err{min-width:0}}";

static void esc(FILE *out, const char *s)
{
	report_html_escape(out, s);
}

static void secs(FILE *out, double v)
{
	if (isnan(v))
		fputs("<span class=\"muted\">-</span>", out);
	else
		fprintf(out, "%.2f&nbsp;s", v);
}

static void when(FILE *out, double t)
{
	char buf[MC_RFC3339_MAX];

	if (isnan(t))
		fputs("-", out);
	else
		fputs(mc_time_rfc3339(t, 0, buf), out);
}

static double pct(long long n, long long of)
{
	return of ? 100.0 * (double)n / (double)of : 0;
}

static void states_head(FILE *out, const char *first)
{
	fprintf(out, "<div class=\"scroll\"><table><thead><tr><th class=\"l\">%s</th>"
		"<th>total</th>", first);
	for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++)
		fprintf(out, "<th>%s</th>", probe_state_name(s));
	fputs("<th>outstanding</th></tr></thead><tbody>\n", out);
}

static void states_row(FILE *out, const char *name,
		       const struct report_counts *c)
{
	fputs("<tr><td class=\"l\">", out);
	esc(out, name);
	fprintf(out, "</td><td>%lld</td>", c->final);
	for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++)
		fprintf(out, "<td>%lld <span class=\"muted\">(%.1f%%)</span></td>",
			c->state[s], pct(c->state[s], c->final));
	fprintf(out, "<td>%lld</td></tr>\n", c->state[PROBE_PENDING]);
}

static void table_end(FILE *out)
{
	fputs("</tbody></table></div>\n", out);
}

static void legend(FILE *out)
{
	fputs("<div class=\"legend\">", out);
	for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++)
		fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>",
			colours[s], probe_state_name(s));
	fputs("</div>\n", out);
}

/* Stacked bars: the final states of each date. */
static void chart_states(FILE *out, const struct report_breakdown *b)
{
	const double W = 900, H = 260, left = 44, bottom = 40, top = 10;
	double plot_w = W - left - 10, plot_h = H - top - bottom, bw;
	long long max = 1;

	fputs("<h2>Delivery states per day</h2>\n", out);
	if (!b->n) {
		fputs("<p class=\"muted\">No probes in this period.</p>\n", out);
		return;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->b[i].c.final > max)
			max = b->b[i].c.final;
	bw = plot_w / (double)b->n;
	if (bw > 70)
		bw = 70;
	fprintf(out, "<div class=\"chart\"><svg id=\"chart-states\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\" aria-label=\"delivery states per day\">\n", W, H);
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
		left, top + plot_h, W - 10, top + plot_h);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%lld</text>\n",
		left - 4, top + 10, max);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n",
		left - 4, top + plot_h);
	for (size_t i = 0; i < b->n; i++) {
		double x = left + bw * (double)i + bw * 0.1, y = top + plot_h;

		for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++) {
			double h = plot_h * (double)b->b[i].c.state[s] / (double)max;

			if (b->b[i].c.state[s] == 0)
				continue;
			y -= h;
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				"fill=\"%s\"><title>", x, y, bw * 0.8, h, colours[s]);
			esc(out, b->b[i].key);
			fprintf(out, " %s: %lld</title></rect>\n",
				probe_state_name(s), b->b[i].c.state[s]);
		}
		if (b->n <= 16 || i % ((b->n + 15) / 16) == 0) {
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
				x + bw * 0.4, top + plot_h + 16);
			esc(out, b->b[i].key + (strlen(b->b[i].key) == 10 ? 5 : 0));
			fputs("</text>\n", out);
		}
	}
	fputs("</svg></div>\n", out);
	legend(out);
}

/* Horizontal bars: delivery time p95 of each route. */
static void chart_p95(FILE *out, const struct report *r)
{
	const double W = 900, left = 180, row = 30, top = 6;
	double H = top * 2 + row * (double)(r->n_routes ? r->n_routes : 1);
	double plot_w = W - left - 90, max = 0;

	fputs("<h2>Delivery time p95 per route</h2>\n", out);
	if (!r->n_routes) {
		fputs("<p class=\"muted\">No routes.</p>\n", out);
		return;
	}
	for (size_t i = 0; i < r->n_routes; i++)
		if (!isnan(r->routes[i].delivery.p95) && r->routes[i].delivery.p95 > max)
			max = r->routes[i].delivery.p95;
	fprintf(out, "<div class=\"chart\"><svg id=\"chart-p95\" viewBox=\"0 0 %.0f %.0f\" "
		"role=\"img\" aria-label=\"delivery time p95 per route\">\n", W, H);
	for (size_t i = 0; i < r->n_routes; i++) {
		const struct report_section *s = &r->routes[i];
		double y = top + row * (double)i;
		double w = isnan(s->delivery.p95) || max <= 0
				   ? 0 : plot_w * s->delivery.p95 / max;

		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
			left - 6, y + row * 0.65);
		esc(out, s->name);
		fputs("</text>\n", out);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"#1565c0\"><title>", left, y + 3, w, row - 6);
		esc(out, s->name);
		fputs("</title></rect>\n", out);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", left + w + 6, y + row * 0.65);
		if (isnan(s->delivery.p95))
			fputs("no delivery", out);
		else
			fprintf(out, "%.2f s", s->delivery.p95);
		fputs("</text>\n", out);
	}
	fputs("</svg></div>\n", out);
}

static void timing_row(FILE *out, const struct report_section *s)
{
	fputs("<tr><td class=\"l\">", out);
	esc(out, s->name);
	fprintf(out, "</td><td>%zu</td><td>", s->delivery.n);
	secs(out, s->delivery.p50);
	fputs("</td><td>", out);
	secs(out, s->delivery.p95);
	fputs("</td><td>", out);
	secs(out, s->delivery.max);
	fprintf(out, "</td><td>%lld <span class=\"muted\">(%.1f%%)</span></td><td>",
		s->greylisted, pct(s->greylisted, s->c.final));
	secs(out, s->greylist_delay.avg);
	fputs("</td><td>", out);
	secs(out, s->greylist_delay.max);
	fputs("</td></tr>\n", out);
}

static void breakdown(FILE *out, const char *title, const char *col,
		      const struct report_breakdown *b)
{
	if (!b->n)
		return;
	fprintf(out, "<h3>%s</h3>\n", title);
	fprintf(out, "<div class=\"scroll\"><table><thead><tr><th class=\"l\">%s</th>"
		"<th>total</th>", col);
	for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++)
		fprintf(out, "<th>%s</th>", probe_state_name(s));
	fputs("<th>outstanding</th><th>p50</th><th>p95</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < b->n; i++) {
		const struct report_bucket *k = &b->b[i];

		fputs("<tr><td class=\"l\">", out);
		esc(out, k->key);
		fprintf(out, "</td><td>%lld</td>", k->c.final);
		for (int s = PROBE_DELIVERED; s < REPORT_N_STATES; s++)
			fprintf(out, "<td>%lld</td>", k->c.state[s]);
		fprintf(out, "<td>%lld</td><td>", k->c.state[PROBE_PENDING]);
		secs(out, k->delivery.p50);
		fputs("</td><td>", out);
		secs(out, k->delivery.p95);
		fputs("</td></tr>\n", out);
	}
	table_end(out);
}

static void hops(FILE *out, const struct report *r)
{
	fputs("<h2>Per-hop delay</h2>\n", out);
	if (!r->overall.n_hops) {
		fputs("<p class=\"muted\">No hop delays recorded.</p>\n", out);
		return;
	}
	fputs("<div class=\"scroll\"><table id=\"hops\"><thead><tr><th class=\"l\">route</th>"
	      "<th>hop</th><th>n</th><th>p50</th><th>p95</th><th>max</th>"
	      "</tr></thead><tbody>\n", out);
	for (size_t i = 0; i <= r->n_routes; i++) {
		const struct report_section *s =
			i < r->n_routes ? &r->routes[i] : &r->overall;

		for (size_t h = 0; h < s->n_hops; h++) {
			fputs("<tr><td class=\"l\">", out);
			esc(out, s->name);
			fprintf(out, "</td><td>%d</td><td>%zu</td><td>",
				s->hops[h].hop, s->hops[h].delay.n);
			secs(out, s->hops[h].delay.p50);
			fputs("</td><td>", out);
			secs(out, s->hops[h].delay.p95);
			fputs("</td><td>", out);
			secs(out, s->hops[h].delay.max);
			fputs("</td></tr>\n", out);
		}
	}
	table_end(out);
}

static void firings(FILE *out, const struct report *r)
{
	fprintf(out, "<h3>Alert firings (%zu)</h3>\n", r->n_firings);
	if (!r->n_firings)
		return;
	fputs("<div class=\"scroll\"><table id=\"firings\"><thead><tr>"
	      "<th class=\"l\">subject</th><th class=\"l\">alert</th>"
	      "<th class=\"l\">start</th><th class=\"l\">end</th>"
	      "<th>duration</th><th>sent</th><th>failed</th>"
	      "<th class=\"l\">summary</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_firings; i++) {
		const struct report_firing *x = &r->firings[i];

		fputs("<tr><td class=\"l\">", out);
		esc(out, x->kind);
		fputc(' ', out);
		esc(out, x->subject);
		fputs("</td><td class=\"l\">", out);
		esc(out, x->alert);
		fputs("</td><td class=\"l\">", out);
		when(out, x->start);
		fputs("</td><td class=\"l\">", out);
		if (isnan(x->end))
			fputs("<b class=\"bad\">firing</b>", out);
		else
			when(out, x->end);
		fputs("</td><td>", out);
		secs(out, x->end - x->start);
		fprintf(out, "</td><td>%d</td><td>%d</td><td class=\"err\">",
			x->delivered, x->failed);
		esc(out, x->summary ? x->summary : "-");
		fputs("</td></tr>\n", out);
	}
	table_end(out);
}

static void incidents(FILE *out, const struct report *r)
{
	fprintf(out, "<h2>Incidents (%zu)</h2>\n", r->n_incidents);
	fputs("<p class=\"muted\">Runs of consecutive non-OK probes of a route; "
	      "an incident ends when the next OK probe is sent.</p>\n", out);
	if (r->n_incidents) {
		fputs("<div class=\"scroll\"><table id=\"incidents\"><thead><tr>"
		      "<th class=\"l\">route</th><th class=\"l\">start</th>"
		      "<th class=\"l\">end</th><th>duration</th><th>probes</th>"
		      "<th class=\"l\">worst</th><th class=\"l\">error</th>"
		      "</tr></thead><tbody>\n", out);
		for (size_t i = 0; i < r->n_incidents; i++) {
			const struct report_incident *x = &r->incidents[i];

			fputs("<tr><td class=\"l\">", out);
			esc(out, x->route);
			fputs("</td><td class=\"l\">", out);
			when(out, x->start);
			fputs("</td><td class=\"l\">", out);
			if (isnan(x->end))
				fputs("<b class=\"bad\">ongoing</b>", out);
			else
				when(out, x->end);
			fputs("</td><td>", out);
			secs(out, isnan(x->end) ? NAN : x->end - x->start);
			fprintf(out, "</td><td>%lld</td><td class=\"l\">%s</td>"
				"<td class=\"err\">", x->probes,
				probe_state_name(x->worst_state));
			esc(out, x->error ? x->error : "-");
			fputs("</td></tr>\n", out);
		}
		table_end(out);
	}
	firings(out, r);
	fprintf(out, "<h3>Alerts firing now (%zu)</h3>\n", r->n_alerts);
	if (!r->n_alerts)
		return;
	fputs("<div class=\"scroll\"><table id=\"alerts\"><thead><tr><th class=\"l\">alert</th>"
	      "<th class=\"l\">since</th><th>failures</th><th class=\"l\">last error</th>"
	      "</tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_alerts; i++) {
		fputs("<tr><td class=\"l\">", out);
		esc(out, r->alerts[i].key);
		fputs("</td><td class=\"l\">", out);
		when(out, r->alerts[i].since);
		fprintf(out, "</td><td>%d</td><td class=\"err\">",
			r->alerts[i].consecutive_failures);
		esc(out, r->alerts[i].last_error ? r->alerts[i].last_error : "-");
		fputs("</td></tr>\n", out);
	}
	table_end(out);
}

static void recent(FILE *out, const struct report *r)
{
	fprintf(out, "<h2>Recent probes (newest first, at most %d)</h2>\n",
		REPORT_RECENT_MAX);
	if (!r->n_probes) {
		fputs("<p class=\"muted\">No probes in this period.</p>\n", out);
		return;
	}
	fputs("<div class=\"scroll\"><table id=\"recent\"><thead><tr>"
	      "<th class=\"l\">sent</th><th class=\"l\">route</th>"
	      "<th class=\"l\">state</th><th>total</th><th class=\"l\">error</th>"
	      "</tr></thead><tbody>\n", out);
	for (size_t k = 0; k < r->n_probes && k < REPORT_RECENT_MAX; k++) {
		const struct store_report_probe *p = &r->probes[r->n_probes - 1 - k];

		fputs("<tr><td class=\"l\">", out);
		when(out, p->sent_at);
		fputs("</td><td class=\"l\">", out);
		esc(out, p->route);
		fprintf(out, "</td><td class=\"l %s\"><a href=\"#p-",
			p->final && p->severity == MC_SEV_OK ? "ok"
			: p->final ? "bad" : "muted");
		esc(out, p->id);
		fprintf(out, "\">%s</a></td><td>",
			p->final ? probe_state_name(p->state) : "outstanding");
		secs(out, p->total_seconds);
		fputs("</td><td class=\"err\">", out);
		esc(out, p->error_message ? p->error_message : "-");
		fputs("</td></tr>\n", out);
	}
	table_end(out);
}

static void dt(FILE *out, const char *term, const char *value)
{
	if (!value || !*value)
		return;
	fprintf(out, "<dt>%s</dt><dd>", term);
	esc(out, value);
	fputs("</dd>", out);
}

static void detail_hops(FILE *out, const struct report *r, const char *id)
{
	int head = 0;

	for (size_t i = 0; i < r->n_detail_hops; i++) {
		const struct store_report_hop_row *h = &r->detail_hops[i];

		if (strcmp(h->probe_id, id))
			continue;
		if (!head++)
			fputs("<div class=\"scroll\"><table><thead><tr><th>hop</th>"
			      "<th class=\"l\">from</th><th class=\"l\">by</th>"
			      "<th class=\"l\">with</th><th class=\"l\">ip</th>"
			      "<th class=\"l\">tls</th><th class=\"l\">at</th>"
			      "<th>delay</th></tr></thead><tbody>\n", out);
		fprintf(out, "<tr><td>%d</td>", h->n);
		const char *cells[] = {h->from_host, h->by_host, h->with, h->ip,
				       h->tls};
		for (size_t k = 0; k < sizeof(cells) / sizeof(cells[0]); k++) {
			fputs("<td class=\"l\">", out);
			esc(out, cells[k] ? cells[k] : "-");
			fputs("</td>", out);
		}
		fputs("<td class=\"l\">", out);
		when(out, h->at);
		fputs("</td><td>", out);
		secs(out, h->delay);
		fputs("</td></tr>\n", out);
	}
	if (head)
		table_end(out);
}

static void detail_events(FILE *out, const struct report *r, const char *id)
{
	int head = 0;

	for (size_t i = 0; i < r->n_detail_events; i++) {
		const struct store_report_event *e = &r->detail_events[i];

		if (strcmp(e->probe_id, id))
			continue;
		if (!head++)
			fputs("<dl>", out);
		fputs("<dt>", out);
		when(out, e->at);
		fputs("</dt><dd>", out);
		esc(out, e->type);
		if (e->detail) {
			fputs(": ", out);
			esc(out, e->detail);
		}
		fputs("</dd>", out);
	}
	if (head)
		fputs("</dl>\n", out);
}

/* One <details> per recent probe: what the store knows of it -- the SMTP
 * reply, the DSN, the error, its hops and events. */
static void details(FILE *out, const struct report *r)
{
	size_t n = r->n_probes < REPORT_RECENT_MAX ? r->n_probes
						   : REPORT_RECENT_MAX;
	char buf[64];

	if (!n)
		return;
	fputs("<h2>Probe details</h2>\n", out);
	for (size_t k = 0; k < n; k++) {
		const struct store_report_probe *p = &r->probes[r->n_probes - 1 - k];

		fputs("<details id=\"p-", out);
		esc(out, p->id);
		fputs("\"><summary>", out);
		when(out, p->sent_at);
		fputc(' ', out);
		esc(out, p->route);
		fprintf(out, " %s ", p->final ? probe_state_name(p->state)
					      : "outstanding");
		esc(out, p->id);
		fputs("</summary><dl>", out);
		if (!isnan(p->found_at)) {
			fputs("<dt>found</dt><dd>", out);
			when(out, p->found_at);
			fputs(" in ", out);
			esc(out, p->folder ? p->folder : "?");
			fputs("</dd>", out);
		}
		if (p->smtp_code) {
			snprintf(buf, sizeof(buf), "%d ", p->smtp_code);
			fprintf(out, "<dt>relay reply</dt><dd>%s", buf);
			esc(out, p->smtp_enhanced ? p->smtp_enhanced : "");
			fputc(' ', out);
			esc(out, p->smtp_text ? p->smtp_text : "");
			fputs("</dd>", out);
		}
		dt(out, "relay queue id", p->queue_id);
		dt(out, "DSN status", p->dsn_status);
		dt(out, "DSN reason", p->dsn_reason);
		dt(out, "failing part", p->error_component);
		dt(out, "error", p->error_message);
		if (p->greylisted) {
			fputs("<dt>greylisted</dt><dd>", out);
			secs(out, p->greylist_delay);
			fputs("</dd>", out);
		}
		fputs("</dl>\n", out);
		detail_hops(out, r, p->id);
		detail_events(out, r, p->id);
		fputs("</details>\n", out);
	}
}

int report_html(const struct report *r, FILE *out)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>mailcanary report</title>\n<style>", out);
	fputs(css, out);
	fputs("</style></head><body>\n<h1>mailcanary report</h1>\n<p>", out);
	when(out, r->since);
	fputs(" &ndash; ", out);
	when(out, r->until);
	fprintf(out, " (UTC) &middot; %lld probes judged, %lld outstanding, "
		"%zu routes &middot; generated ", r->overall.c.final,
		r->overall.c.state[PROBE_PENDING], r->n_routes);
	when(out, r->generated_at);
	fputs("</p>\n<h2>Delivery states</h2>\n", out);
	states_head(out, "route");
	for (size_t i = 0; i < r->n_routes; i++)
		states_row(out, r->routes[i].name, &r->routes[i].c);
	states_row(out, "all routes", &r->overall.c);
	table_end(out);

	chart_states(out, &r->by_date);
	chart_p95(out, r);

	fputs("<h2>Delivery time and greylisting</h2>\n"
	      "<div class=\"scroll\"><table id=\"timing\"><thead><tr><th class=\"l\">route</th>"
	      "<th>timed</th><th>p50</th><th>p95</th><th>max</th><th>greylisted</th>"
	      "<th>greylist avg</th><th>greylist max</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < r->n_routes; i++)
		timing_row(out, &r->routes[i]);
	timing_row(out, &r->overall);
	table_end(out);

	hops(out, r);

	fputs("<h2>Breakdowns</h2>\n", out);
	breakdown(out, "By month", "month", &r->by_month);
	breakdown(out, "By date", "date", &r->by_date);
	breakdown(out, "By day of month", "day", &r->by_day_of_month);
	breakdown(out, "By weekday", "weekday", &r->by_weekday);
	breakdown(out, "By hour (UTC)", "hour", &r->by_hour);
	breakdown(out, "By destination domain", "domain", &r->by_domain);
	breakdown(out, "By sender", "sender", &r->by_sender);
	breakdown(out, "By SMTP/DSN code", "code", &r->by_code);

	incidents(out, r);
	recent(out, r);
	details(out, r);
	fputs("</body></html>\n", out);
	fflush(out);
	return ferror(out) ? -1 : 0;
}
