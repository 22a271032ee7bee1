#!/bin/sh
# `mailcanary report` end to end on a filled store (`test_report --fill DIR`,
# built next to the binary by `make check-unit`; needs no servers): text,
# JSON and HTML from the same data agree on the numbers; the HTML page is
# self-contained (no http(s) reference, no src attribute, links only to
# anchors in the page), its store text is escaped, and headless Chromium renders it (a PNG
# screenshot, and a DOM with both SVG charts and the tables); -o replaces
# the file; bad usage and bad stores exit 3 naming what failed.
#   usage: test_report.sh [MAILCANARY]   (default: $MAILCANARY, else build/mailcanary)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${MAILCANARY:-$repo/build/mailcanary}}
filler=$(dirname "$bin")/tests/test_report
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mc-report-it.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=$((fail + 1)); }
run_mc() { rc=0; "$bin" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?; }

[ -x "$filler" ] || { echo "FAIL: $filler is missing: build it first (make check-unit, same BUILD)"; exit 1; }
"$filler" --fill "$TMP/state" || { echo "FAIL: filling the store"; exit 1; }
{
	printf '[global]\nstate_dir = %s\n' "$TMP/state"
	printf '[relay "r"]\nhost = 127.0.0.1\nport = 1\ntls = none\n'
	printf '[mailbox "m"]\nurl = imap://127.0.0.1:1/INBOX\nuser = u\npassword = p\n'
	for r in a b; do
		printf '[route "%s"]\nrelay = r\nmailbox = m\nfrom = p@x.test\nto = canary@%s.test\n' "$r" "$r"
	done
} >"$TMP/c.conf"
chmod 600 "$TMP/c.conf"
P="--since 2023-11-14 --until 2023-11-17"

# text
run_mc -c "$TMP/c.conf" report $P
[ "$rc" = 0 ] || no "text: exit $rc: $(cat "$TMP/err")"
grep -q '^MAILCANARY REPORT 2023-11-14T00:00:00Z .. 2023-11-18T00:00:00Z - 25 probes, 3 routes$' "$TMP/out" || no "text: header"
grep -Eq '^a +20 +10\.00s +19\.00s +20\.00s' "$TMP/out" || no "text: route a delivery p50/p95/max"
grep -q '^INCIDENTS: 3$' "$TMP/out" || no "text: incidents"

# JSON, by --format and by the global --json
run_mc -c "$TMP/c.conf" report $P --format json
[ "$rc" = 0 ] || no "json: exit $rc"
cp "$TMP/out" "$TMP/r.json"
run_mc -c "$TMP/c.conf" --json report $P
python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); [d.pop("generated_at") for d in (a,b)]; sys.exit(a!=b)' \
	"$TMP/out" "$TMP/r.json" || no "--json differs from --format json"
python3 - "$TMP/r.json" <<'PY' || no "json: numbers"
import json, sys
d = json.load(open(sys.argv[1]))
a, b, evil = d["routes"]
assert a["name"] == "a" and a["domain"] == "a.test", a["name"]
assert a["total"] == 20 and a["counts"]["delivered"] == 20
assert (a["delivery"]["p50"], a["delivery"]["p95"], a["delivery"]["max"]) == (10, 19, 20)
assert b["counts"]["bounced"] == 1 and b["counts"]["rejected"] == 1 and b["outstanding"] == 1
assert b["greylisting"]["count"] == 1 and b["greylisting"]["delay"]["avg"] == 240
assert evil["name"] == "<b>evil</b>" and evil["domain"] is None
assert d["overall"]["total"] == 25 and abs(d["overall"]["percent"]["error"] - 4.0) < 1e-9
assert [h["delay"]["p95"] for h in a["hops"]] == [3, 20]
bd = d["breakdowns"]
assert [x["key"] for x in bd["weekday"]] == ["Tue", "Wed", "Fri"]
assert {x["key"] for x in bd["code"]} == {"250", "5.1.1", "5.7.1"}
assert [x["key"] for x in bd["date"]] == ["2023-11-14", "2023-11-15", "2023-11-17"]
assert len(d["incidents"]) == 3 and d["incidents"][0]["end"] is not None
assert len(d["recent"]) == 26 and d["recent"][0]["id"] == "evil-1"
PY

# HTML to a file
run_mc -c "$TMP/c.conf" report $P --format html -o "$TMP/r.html"
[ "$rc" = 0 ] || no "html: exit $rc: $(cat "$TMP/err")"
[ -s "$TMP/out" ] && no "html -o: something on stdout"
[ "$(stat -c %a "$TMP/r.html")" = 644 ] || no "html: mode not 644"
h="$TMP/r.html"
grep -Eqi 'https?:' "$h" && no "html: an http(s) reference: $(grep -Eoi '.{20}https?:.{20}' "$h" | head -1)"
grep -Eqi '(src|action|srcset)="|href="[^#]|url\(|@import' "$h" && no "html: a resource reference"
grep -q '<a href="#p-[^"]*">' "$h" || no "html: recent probes do not link to their details"
grep -q '<details id="p-[^"]*"><summary>' "$h" || no "html: no probe details"
grep -q '<script' "$h" && no "html: a script tag (escaping?)"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x' "$h" || no "html: escaped error text missing"
grep -q '&lt;b&gt;evil&lt;/b&gt;' "$h" || no "html: escaped route name missing"
grep -q 'name="viewport"' "$h" || no "html: viewport"
grep -q '@media print' "$h" || no "html: print CSS"

# Chromium: renders it, and the DOM it builds has the charts and tables.
if ! command -v chromium >/dev/null; then
	no "chromium missing (Debian package chromium; tests/env/deps.sh test)"
elif ! timeout 60 chromium --headless --no-sandbox --disable-gpu \
	--user-data-dir="$TMP/chr" --dump-dom about:blank >/dev/null 2>"$TMP/chr.err"; then
	echo "SKIP: chromium cannot start here, so the rendering step is skipped: $(tail -1 "$TMP/chr.err")"
else
	timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chr" \
		--screenshot="$TMP/r.png" --window-size=1280,2000 "file://$h" >/dev/null 2>"$TMP/chr.err" ||
		no "chromium --screenshot failed: $(tail -1 "$TMP/chr.err")"
	[ "$(head -c 8 "$TMP/r.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		no "chromium: no PNG written"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chr" \
		--dump-dom "file://$h" >"$TMP/dom.html" 2>"$TMP/chr.err" ||
		no "chromium --dump-dom failed: $(tail -1 "$TMP/chr.err")"
	for want in '<svg id="chart-states"' '<svg id="chart-p95"' '<table id="timing"' \
		'<table id="hops"' '<table id="incidents"' '<table id="recent"' '<rect '; do
		grep -q "$want" "$TMP/dom.html" || no "chromium DOM: no $want"
	done
	grep -q '<script' "$TMP/dom.html" && no "chromium DOM: a script element (escaping?)"
	grep -q '&lt;b&gt;evil&lt;/b&gt;' "$TMP/dom.html" || no "chromium DOM: route name not text"
fi

# -o replaces an existing file, leaves no temporary behind
echo old >"$TMP/t.txt"
run_mc -c "$TMP/c.conf" report $P -o "$TMP/t.txt"
[ "$rc" = 0 ] && grep -q '^MAILCANARY REPORT' "$TMP/t.txt" || no "-o: not replaced"
ls "$TMP" | grep -q '\.tmp\.' && no "-o: temporary file left"

# periods: the fixture is years old, so the last day/week/month are empty
for p in day week month; do
	run_mc -c "$TMP/c.conf" report --period $p --format json
	[ "$rc" = 0 ] || no "--period $p: exit $rc"
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["overall"]["total"]==0 and len(d["routes"])==2' <"$TMP/out" ||
		no "--period $p: not empty"
done

# errors: exit 3, one line saying what
run_mc -c "$TMP/c.conf" report --period year
[ "$rc" = 3 ] && grep -q "period 'year'" "$TMP/err" || no "bad --period: exit $rc"
run_mc -c "$TMP/c.conf" report --format xml
[ "$rc" = 3 ] && grep -q "format 'xml'" "$TMP/err" || no "bad --format: exit $rc"
run_mc -c "$TMP/c.conf" report --since yesterday
[ "$rc" = 3 ] && grep -q "since 'yesterday'" "$TMP/err" || no "bad --since: exit $rc"
run_mc -c "$TMP/c.conf" report --since 2023-11-15 --until 2023-11-14
[ "$rc" = 3 ] && grep -q "period is empty" "$TMP/err" || no "reversed period: exit $rc"
run_mc -c "$TMP/c.conf" report extra
[ "$rc" = 3 ] || no "extra argument: exit $rc"
run_mc -c "$TMP/c.conf" report $P -o "$TMP/nodir/r.html"
[ "$rc" = 3 ] && grep -q "nodir/r.html" "$TMP/err" || no "unwritable -o: exit $rc"
run_mc -c "$TMP/nonexistent.conf" report
[ "$rc" = 3 ] || no "missing config: exit $rc"
sqlite3 "$TMP/state/mailcanary.db" 'DROP TABLE hops'
run_mc -c "$TMP/c.conf" report $P
[ "$rc" = 3 ] && grep -q "reading hops for a report" "$TMP/err" || no "broken store: exit $rc: $(cat "$TMP/err")"

"$bin" --help | grep -q '^  report' || no "report not in --help"
"$bin" report --help | grep -q 'usage: .*report' || no "report --help"

[ "$fail" -eq 0 ] && echo "test_report: ok"
[ "$fail" -eq 0 ]
