#!/bin/sh
# `mailcanary metrics` end to end: the Prometheus text of a filled store and
# of an empty one passes `promtool check metrics` (the format and its lint:
# HELP, TYPE, _total counters, base units), each family appears once with
# its samples together, values match the fixture, the file is replaced
# atomically with mode 0644, and errors exit 3 naming what failed.
#   usage: test_metrics.sh [MAILCANARY]   (default: $MAILCANARY, else build/mailcanary)
. "$(dirname "$0")/store_fixture.sh"

command -v promtool >/dev/null || { echo "FAIL: promtool missing (Debian package prometheus)"; exit 1; }

# grouped FILE: every family's HELP and TYPE once, before its samples, and
# its samples in one run (promtool does not check this).
grouped() {
	python3 - "$1" <<'PY'
import re, sys
seen, current, typed = set(), None, {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# (HELP|TYPE) (\S+)", line)
    if m:
        name = m.group(2)
        if m.group(1) == "HELP":
            if name in seen: sys.exit("family %s twice" % name)
            seen.add(name); current = name
        else:
            if name != current: sys.exit("TYPE %s without its HELP first" % name)
            typed[name] = line.split()[3]
        continue
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
    base = current
    ok = name == base or (typed.get(base) == "histogram" and name in
        (base + "_bucket", base + "_sum", base + "_count"))
    if not ok: sys.exit("sample %s outside its family (%s)" % (name, base))
PY
}

write_conf "$TMP/c.conf" "$TMP/state" alpha beta gamma
run_mc -c "$TMP/c.conf" metrics -o "$TMP/m.prom"
[ "$rc" = 0 ] || no "metrics -o: exit $rc: $(cat "$TMP/err")"
promtool check metrics <"$TMP/m.prom" || no "promtool check metrics failed on the filled store"
grouped "$TMP/m.prom" || no "families not grouped"
grep -q '^mailcanary_probe_delivery_seconds_bucket{route="alpha",le="600"} 3$' "$TMP/m.prom" || no "alpha histogram"
grep -q '^mailcanary_probe_delivery_seconds_count{route="gamma"} 0$' "$TMP/m.prom" || no "gamma (never probed) histogram"
grep -q '^mailcanary_probe_state{route="beta",state="deferred"} 1$' "$TMP/m.prom" || no "beta state"
grep -q '^mailcanary_probes_total{route="beta",state="lost"} 1$' "$TMP/m.prom" || no "beta lost counter"
grep -q '^mailcanary_dnsbl_listed{check="example.net"} 1$' "$TMP/m.prom" || no "dnsbl listed"
grep -q '^mailcanary_last_run_timestamp_seconds 1699999970$' "$TMP/m.prom" || no "last run"
grep -q 'route="gamma",state=' "$TMP/m.prom" && ! grep -q 'mailcanary_probe_state{route="gamma"' "$TMP/m.prom" ||
	no "gamma: counters but no state expected"
[ "$(stat -c %a "$TMP/m.prom")" = 644 ] || no "mode $(stat -c %a "$TMP/m.prom"), want 644"
ls "$TMP" | grep -q '\.tmp\.' && no "temporary file left behind"

# '-' is standard output, byte for byte the same text
run_mc -c "$TMP/c.conf" metrics -o -
cmp -s "$TMP/out" "$TMP/m.prom" || no "-o - differs from the file"

# default target: metrics_file from the config; without it, standard output
EXTRA_GLOBAL="metrics_file = $TMP/textfile.prom" write_conf "$TMP/mf.conf" "$TMP/state" alpha beta gamma
run_mc -c "$TMP/mf.conf" metrics
[ "$rc" = 0 ] && [ ! -s "$TMP/out" ] || no "metrics_file: exit $rc or stdout not empty"
cmp -s "$TMP/textfile.prom" "$TMP/m.prom" || no "metrics_file content differs"
run_mc -c "$TMP/c.conf" metrics
cmp -s "$TMP/out" "$TMP/m.prom" || no "no metrics_file: stdout expected"

# only configured routes: alpha alone
write_conf "$TMP/a.conf" "$TMP/state" alpha
run_mc -c "$TMP/a.conf" metrics
grep -q 'route="beta"' "$TMP/out" && no "beta reported though not configured"
promtool check metrics <"$TMP/out" || no "promtool: alpha only"

# an empty store: still valid (zero histograms and counters)
write_conf "$TMP/e.conf" "$TMP/empty" alpha beta
run_mc -c "$TMP/e.conf" metrics -o "$TMP/e.prom"
[ "$rc" = 0 ] || no "empty store: exit $rc"
promtool check metrics <"$TMP/e.prom" || no "promtool: empty store"
grouped "$TMP/e.prom" || no "empty store: families not grouped"
grep -q '^mailcanary_probes_total{route="alpha",state="delivered"} 0$' "$TMP/e.prom" || no "empty store: zero counter"
[ "$(stat -c %a "$TMP/empty/mailcanary.db")" = 600 ] || no "database mode not 600"

# errors: exit 3, one line naming the file
run_mc -c "$TMP/c.conf" metrics -o "$TMP/nodir/m.prom"
[ "$rc" = 3 ] || no "unwritable target: exit $rc, want 3"
grep -q "nodir/m.prom" "$TMP/err" || no "unwritable target not named"
cp "$TMP/m.prom" "$TMP/keep.prom"
mkdir "$TMP/isdir.prom" && touch "$TMP/isdir.prom/x"
run_mc -c "$TMP/c.conf" metrics -o "$TMP/isdir.prom"
[ "$rc" = 3 ] || no "rename over a directory: exit $rc, want 3"
ls "$TMP" | grep -q '\.tmp\.' && no "temporary file left after a failed rename"
run_mc -c "$TMP/c.conf" metrics extra
[ "$rc" = 3 ] || no "extra argument: exit $rc, want 3"
run_mc -c "$TMP/c.conf" metrics --bogus
[ "$rc" = 3 ] || no "unknown option: exit $rc, want 3"
sqlite3 "$TMP/state/mailcanary.db" 'PRAGMA user_version = 99'
run_mc -c "$TMP/c.conf" metrics
[ "$rc" = 3 ] || no "newer schema: exit $rc, want 3"
grep -q "schema version 99 is newer" "$TMP/err" || no "newer schema: message"
run_mc -c "$TMP/nonexistent.conf" metrics
[ "$rc" = 3 ] || no "missing config: exit $rc, want 3"

# listed in --help, and it has its own
"$bin" --help | grep -q '^  metrics' || no "metrics not in --help"
"$bin" metrics --help | grep -q 'usage: .*metrics' || no "metrics --help"

[ "$fail" -eq 0 ] && echo "test_metrics: ok"
[ "$fail" -eq 0 ]
