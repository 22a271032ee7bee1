# The timer's tick: the first run sends a probe per route and records them;
# a second run right after sends nothing (interval not due); status and the
# metrics file (checked by promtool) show the result; a run that finds the
# lock held skips its tick without sending.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|; s|^metrics_file = .*|metrics_file = $TMP/state/mailcanary.prom|")

mc -c "$conf" --json run --wait 30
expect_rc 1          # the junk route is WARNING
jcheck 'sorted(x["state"] for x in d["probes"]) == ["delivered", "delivered", "junk"]'
[ "$(stat -c %a "$TMP/state/mailcanary.db")" = 600 ] || fail "database not 0600"

cp "$TMP/state/mailcanary.prom" "$TMP/prom.1"
mc -c "$conf" run --wait 30
expect_rc 1
head -1 "$TMP/out" | grep -q "run: 0 sent, 0 earlier probes" || fail "second run sent again"
# That idle tick changed nothing but the last-run sample, which it rewrote
# in the file the first run left (metrics_refresh) instead of rendering.
last='^mailcanary_last_run_timestamp_seconds '
[ "$(grep -v "$last" "$TMP/prom.1" | md5sum)" = "$(grep -v "$last" "$TMP/state/mailcanary.prom" | md5sum)" ] ||
	fail "the idle tick changed more than the last-run sample"
t1=$(grep "$last" "$TMP/prom.1" | cut -d' ' -f2)
t2=$(grep "$last" "$TMP/state/mailcanary.prom" | cut -d' ' -f2)
python3 -c 'import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))' "$t1" "$t2" ||
	fail "last run not advanced: $t1 -> $t2"
ls "$TMP/state" | grep -q 'prom.tmp' && fail "temporary metrics file left"
# A file someone else replaced is rendered again, not patched.
echo 'stale 1' >"$TMP/state/mailcanary.prom"
mc -c "$conf" run --wait 30
expect_rc 1
grep -q '^stale' "$TMP/state/mailcanary.prom" && fail "a replaced metrics file was patched"
[ "$(grep -v "$last" "$TMP/prom.1" | md5sum)" = "$(grep -v "$last" "$TMP/state/mailcanary.prom" | md5sum)" ] ||
	fail "the re-rendered metrics differ"

mc -c "$conf" --json status
expect_rc 1
jcheck '{r["route"]: r["state"] for r in d["routes"]} == {"loop": "delivered", "loop-tls": "delivered", "junk": "junk"}'

promtool check metrics <"$TMP/state/mailcanary.prom" || fail "promtool rejects the metrics"
grep -q '^mailcanary_probes_total{route="loop",state="delivered"} 1$' "$TMP/state/mailcanary.prom" ||
	fail "probes_total counter missing"

# Another run holds the lock: this one waits briefly, then skips.
python3 -c 'import fcntl,sys,time; f=open(sys.argv[1],"a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2],"w").close(); time.sleep(20)' \
	"$TMP/state/run.lock" "$TMP/locked" &
holder=$!
i=0
while [ ! -f "$TMP/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$TMP/locked" ] || fail "the lock holder did not start"
mc -c "$conf" run --wait 5
kill $holder 2>/dev/null || :
expect_rc 0
grep -q "another run holds the lock" "$TMP/err" || fail "no note about the lock"
