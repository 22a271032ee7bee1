#!/bin/sh
# The unattended monitor end to end (issue: scheduler and alerts): a
# healthy route over several ticks pages nobody; the destination MX is
# stopped, the relay's delay DSN makes the route bad, and a real
# Prometheus Alertmanager, an exec hook and a webhook each get the firing
# alert exactly once (component mx), also when the next tick sees the
# probe still stuck past crit; the MX comes back and the next tick
# resolves it everywhere. The report then lists the alert firings from
# the store's alert history.
. "$(dirname "$0")/lib.sh"

IP=127.0.0.16
AM_PORT=29193
WEB_PORT=29194

pids=
cleanup() {
	mailenv start-service "$MC_ENV_DIR" mx >/dev/null 2>&1 || :
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	for p in $pids; do wait "$p" 2>/dev/null || :; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# The webhook receiver: one line per POSTed body.
http_capture "$IP" "$WEB_PORT" "$TMP/web"

cat >"$TMP/am.yml" <<AMEOF
route:
  receiver: nobody
receivers:
  - name: nobody
AMEOF
alertmanager_start "$IP" "$AM_PORT" "$TMP/am.yml"

# The exec hook: one file per event.
cat >"$TMP/hook" <<HOOK
#!/bin/sh
n=\$(ls "$TMP"/event.* 2>/dev/null | wc -l)
cat >"$TMP/event.\$n"
HOOK
chmod 755 "$TMP/hook"

python3 - "$CONF" "$TMP/mc.conf" "$TMP" "$IP" "$AM_PORT" "$WEB_PORT" <<'PY'
import sys
src, dst, tmp, ip, am, web = sys.argv[1:7]
s = open(src).read()
s = s.replace("state_dir = ", "state_dir = %s/state\n; was: " % tmp, 1)
head, sep, rest = s.partition('[route "loop"]\n')
rest = rest.replace("warn = 30\ncrit = 60\n", "warn = 10\ncrit = 20\ninterval = 600\n"
                    "alert = am, hook, web\n", 1)
s = head + sep + rest.split("\n[route ")[0] + "\n"   # route loop only
s += ('\n[alert "am"]\ntype = alertmanager\nurl = http://%s:%s\nrepeat = 3600\n'
      '\n[alert "hook"]\ntype = exec\ncommand = %s/hook\nrepeat = 3600\n'
      '\n[alert "web"]\ntype = webhook\nurl = http://%s:%s/mc\nrepeat = 3600\n'
      % (ip, am, tmp, ip, web))
open(dst, "w").write(s)
PY
chmod 600 "$TMP/mc.conf"
grep -q "alert = am, hook, web" "$TMP/mc.conf" || fail "config edit did not apply"


due() { sqlite3 "$TMP/state/mailcanary.db" "update route_state set last_sent_at = 0"; }
n_events() { ls "$TMP"/event.* 2>/dev/null | wc -l; }
n_web() { [ -f "$TMP/web" ] && wc -l <"$TMP/web" || echo 0; }
# am_loop: the active Alertmanager alerts of route loop, as JSON in $TMP/am.json.
am_loop() {
	curl -sf "http://$IP:$AM_PORT/api/v2/alerts?active=true" >"$TMP/am.json" ||
		fail "GET /api/v2/alerts failed"
	python3 -c 'import json,sys; print(len([a for a in json.load(open(sys.argv[1])) if a["labels"].get("route") == "loop"]))' "$TMP/am.json"
}

# 1. healthy, two ticks: nothing anywhere.
for tick in 1 2; do
	mc -c "$TMP/mc.conf" run --wait 30
	expect_rc 0
	due
done
[ "$(n_events)" = 0 ] || fail "exec hook called while healthy"
[ "$(n_web)" = 0 ] || fail "webhook called while healthy"
[ "$(am_loop)" = 0 ] || fail "alertmanager has an alert while healthy"

# 2. the MX stops: the relay defers and sends a delay DSN; the route fires.
mailenv stop-service "$MC_ENV_DIR" mx
mc -c "$TMP/mc.conf" --json run --wait 25
expect_rc 1
[ "$(n_events)" = 1 ] || fail "exec hook: $(n_events) events, expected 1"
python3 - "$TMP/event.0" <<'PY' || fail "bad exec event"
import json, sys
e = json.load(open(sys.argv[1]))
assert e["status"] == "firing" and e["route"] == "loop", e
assert e["state"] == "deferred" and e["component"] == "mx", e
assert e["evidence"]["dsn"]["recipients"][0]["action"] == "delayed", e
PY
[ "$(n_web)" = 1 ] || fail "webhook: $(n_web) bodies, expected 1"
head -1 "$TMP/web" | python3 -c 'import json,sys; e=json.load(sys.stdin); assert e["status"]=="firing" and e["component"]=="mx" and e["dedup_key"]=="mailcanary/route/loop", e' ||
	fail "bad webhook body"
[ "$(am_loop)" = 1 ] || fail "alertmanager does not hold the firing alert"
python3 - "$TMP/am.json" <<'PY' || fail "alertmanager labels/annotations"
import json, sys
a = [a for a in json.load(open(sys.argv[1])) if a["labels"].get("route") == "loop"][0]
assert a["labels"]["severity"] == "warning", a
assert a["annotations"]["component"] == "mx", a
assert a["status"]["state"] == "active", a
PY

# 3. past crit, still down: the next tick sees it still bad, pages nobody again.
sleep 2
mc -c "$TMP/mc.conf" run --wait 5
[ "$rc" -ge 1 ] || fail "route OK while the MX is down"
[ "$(n_events)" = 1 ] || fail "exec hook paged again within repeat"
[ "$(n_web)" = 1 ] || fail "webhook paged again within repeat"
[ "$(am_loop)" = 1 ] || fail "alertmanager lost the firing alert"

stuck=$(sqlite3 "$TMP/state/mailcanary.db" "select id from probes where final = 0")
[ -n "$stuck" ] || fail "no probe outstanding during the outage"

# 4. the MX is back: the next probe arrives, everything resolves.
mailenv start-service "$MC_ENV_DIR" mx
due
mc -c "$TMP/mc.conf" --json run --wait 40
expect_rc 0
[ "$(n_events)" = 2 ] || fail "exec hook: $(n_events) events, expected 2"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["status"]=="resolved" and e["route"]=="loop", e' "$TMP/event.1" ||
	fail "bad resolved exec event"
[ "$(n_web)" = 2 ] || fail "webhook: $(n_web) bodies, expected 2"
tail -1 "$TMP/web" | python3 -c 'import json,sys; e=json.load(sys.stdin); assert e["status"]=="resolved", e' ||
	fail "bad resolved webhook body"
[ "$(am_loop)" = 0 ] || fail "alertmanager still holds the alert after the resolution"

# 5. the history: one firing per alert section, ended, both notifications delivered.
mc -c "$TMP/mc.conf" --json report --period day
expect_rc 0
jcheck 'sorted(f["alert"] for f in d["alert_firings"]) == ["am", "hook", "web"]' "alert firings in the report"
jcheck 'all(f["subject"] == "loop" and f["end"] and f["duration_seconds"] > 0 and f["delivered"] == 2 and f["delivery_failures"] == 0 and f["repeats"] == 0 for f in d["alert_firings"])' \
	"alert firing details"
# ... and each recent probe carries its detail: hops, the relay's reply,
# the delay DSN as an event; the HTML links it to a <details> block.
jcheck '[len(x["hops"]) >= 2 and x["smtp"]["code"] == 250 for x in d["recent"] if x["state"] == "delivered"][0]' "recent probe without hops/reply"
jcheck '[e["type"] for x in d["recent"] if x["id"] == "'"$stuck"'" for e in x["events"]] in (["sent", "delay_dsn"], ["sent", "delay_dsn", "found"])' "events of the stuck probe"
mc -c "$TMP/mc.conf" report --period day --format html -o "$TMP/r.html"
expect_rc 0
grep -q "<a href=\"#p-$stuck\">" "$TMP/r.html" || fail "html: no link to the stuck probe's details"
grep -q "<details id=\"p-$stuck\">" "$TMP/r.html" || fail "html: no details of the stuck probe"
grep -q '<table id="firings">' "$TMP/r.html" || fail "html: no alert firings table"
mc -c "$TMP/mc.conf" --json status
jcheck '[r for r in d["routes"] if r["route"] == "loop"][0]["state"] in ("delivered", "slow")' "status after recovery"

# 6. nothing lost: the probe stuck during the outage is delivered by the
# relay's retry and collected by this or a later tick (bounded: 10 ticks).
db() { sqlite3 "$TMP/state/mailcanary.db" "$1"; }
for i in $(seq 10); do
	[ "$(db "select final from probes where id = '$stuck'")" = 1 ] && break
	sleep 2
	mc -c "$TMP/mc.conf" run --wait 5
done
[ "$(db "select final from probes where id = '$stuck'")" = 1 ] ||
	fail "the probe of the outage was never collected"
case $(db "select state from probes where id = '$stuck'") in
delivered|slow) ;;
*) fail "the probe of the outage ended $(db "select state from probes where id = '$stuck'")" ;;
esac
[ "$(db "select count(*) from probes where final = 0")" = 0 ] ||
	fail "probes still outstanding"
[ "$(n_events)" = 2 ] || fail "the late arrival paged again"
echo ok
