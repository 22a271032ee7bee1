#!/bin/sh
# `mailcanary alert test` against a real Prometheus Alertmanager (Debian
# prometheus-alertmanager) on 127.0.0.14: the firing alert shows up in
# GET /api/v2/alerts with our labels and annotations; the resolution ends
# it (endsAt set: it leaves the active list, and Alertmanager's own
# webhook notification says "resolved" with endsAt). Also: a bad name
# exits 3, an unreachable Alertmanager exits 2 naming the alert.
. "$(dirname "$0")/lib.sh"

IP=127.0.0.14
AM_PORT=29093      # Alertmanager
HOOK_PORT=29094    # our capture of Alertmanager's webhook notifications

pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	for p in $pids; do wait "$p" 2>/dev/null || :; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# The receiver Alertmanager notifies: appends each POSTed body as a line.
http_capture "$IP" "$HOOK_PORT" "$TMP/notifications"

cat >"$TMP/am.yml" <<EOF
route:
  receiver: capture
  group_by: [alertname, route]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: capture
    webhook_configs:
      - url: http://$IP:$HOOK_PORT/
        send_resolved: true
EOF
alertmanager_start "$IP" "$AM_PORT" "$TMP/am.yml"


cat >"$TMP/mc.conf" <<EOF
[global]
state_dir = $TMP/state

[alert "am"]
type = alertmanager
url = http://$IP:$AM_PORT
repeat = 600

[alert "down"]
type = alertmanager
url = http://$IP:9
timeout = 2
EOF
chmod 600 "$TMP/mc.conf"

# acheck 'python expression over d' [message]: like jcheck, for any JSON.
acheck() {
	python3 - "$TMP/out" "$1" <<'PY' || fail "${2:-JSON check failed: $1}"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"d": d}) else 1)
PY
}

alerts() { curl -sf "http://$IP:$AM_PORT/api/v2/alerts" >"$TMP/out" || fail "GET /api/v2/alerts failed"; }

# 1. firing
mc -c "$TMP/mc.conf" --json alert test --only firing am
expect_rc 0
acheck 'd["alert"] == "am" and d["firing"]["delivered"] is True and d["resolved"] is None'
alerts
acheck '[a["labels"] for a in d] == [{"alertname": "MailcanaryRoute", "route": "mailcanary-alert-test", "severity": "critical"}]' \
	"labels of the firing alert (only the critical one active)"
acheck 'd[0]["annotations"]["summary"].startswith("mailcanary alert test") and d[0]["annotations"]["component"] == "relay" and "relay" in d[0]["annotations"]["description"]' \
	"annotations"
acheck 'd[0]["status"]["state"] == "active" and d[0]["endsAt"] > d[0]["startsAt"]' "active, ends after it starts"

# Alertmanager notified its receiver of the firing alert (bounded wait).
seen=
for i in $(seq 100); do
	grep -q '^{"receiver":"capture","status":"firing"' "$TMP/notifications" 2>/dev/null && { seen=1; break; }
	sleep 0.2
done
[ -n "$seen" ] || fail "no firing notification from alertmanager"

# 2. resolved: endsAt now, so it leaves the active list ...
mc -c "$TMP/mc.conf" --json alert test --only resolved am
expect_rc 0
acheck 'd["firing"] is None and d["resolved"]["delivered"] is True'
alerts
acheck 'not [a for a in d if a["labels"].get("route") == "mailcanary-alert-test"]' \
	"the resolved alert is still active"
# ... and Alertmanager sends the resolution with endsAt set.
seen=
for i in $(seq 100); do
	grep -q '^{"receiver":"capture","status":"resolved"' "$TMP/notifications" 2>/dev/null && { seen=1; break; }
	sleep 0.2
done
[ -n "$seen" ] || fail "no resolved notification from alertmanager"
grep '^{"receiver":"capture","status":"resolved"' "$TMP/notifications" | head -1 >"$TMP/out"
acheck '[a for a in d["alerts"] if a["labels"]["severity"] == "critical" and a["labels"]["route"] == "mailcanary-alert-test" and a["status"] == "resolved" and a["endsAt"] >= a["startsAt"] and not a["endsAt"].startswith("0001")]' \
	"resolved notification without endsAt"

# 3. the pair in one go
mc -c "$TMP/mc.conf" alert test am
expect_rc 0
grep -q "firing delivered, resolved delivered" "$TMP/out" || fail "text output"

# 4. errors
mc -c "$TMP/mc.conf" alert test nope
expect_rc 3
grep -q 'no \[alert "nope"\] section' "$TMP/err" || fail "unknown alert not named"
mc -c "$TMP/mc.conf" alert test
expect_rc 3
mc -c "$TMP/mc.conf" alert frobnicate am
expect_rc 3
mc -c "$TMP/mc.conf" --json alert test down
expect_rc 2
acheck 'd["firing"]["delivered"] is False and d["firing"]["error"].startswith("alert \"down\" (alertmanager): ")'
grep -q 'alert "down" (alertmanager)' "$TMP/err" || fail "failure not on stderr"
echo "ok"
