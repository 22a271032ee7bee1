# Alerts from the run tick: a route whose probes bounce fires its exec hook
# (event JSON on stdin, MAILCANARY_* in the environment); when the hook
# fails, the notification is kept and delivered by the next tick even with
# no new result; a second bad result inside `repeat` does not page again,
# and the first good result resolves it.
. "$(dirname "$0")/lib.sh"
cat >"$TMP/hook" <<HOOK
#!/bin/sh
[ -f "$TMP/hook-down" ] && exit 1
n=\$(ls "$TMP"/event.* 2>/dev/null | wc -l)
cat >"$TMP/event.\$n"
echo "\$MAILCANARY_STATUS \$MAILCANARY_ROUTE \$MAILCANARY_STATE \$MAILCANARY_COMPONENT" >"$TMP/env.\$n"
HOOK
chmod 755 "$TMP/hook"
make_conf() {   # $1: recipient of route loop
	python3 - "$CONF" "$TMP/alert.conf" "$1" "$TMP" <<'PY'
import sys
src, dst, rcpt, tmp = sys.argv[1:5]
s = open(src).read()
s = s.replace("state_dir = ", "state_dir = %s/state\n; was: " % tmp, 1)
head, sep, rest = s.partition('[route "loop"]\n')
rest = rest.replace("to = canary@dest.test\n", "to = %s\ninterval = 60\nalert = hook\n" % rcpt, 1)
s = head + sep + rest
s += '\n[alert "hook"]\ntype = exec\ncommand = %s/hook\nrepeat = 3600\n' % tmp
open(dst, "w").write(s)
PY
	chmod 600 "$TMP/alert.conf"
}
due() { sqlite3 "$TMP/state/mailcanary.db" "update route_state set last_sent_at = 0"; }

make_conf nobody@dest.test
touch "$TMP/hook-down"
mc -c "$TMP/alert.conf" run --wait 30
expect_rc 2
[ ! -f "$TMP/event.0" ] || fail "the hook was down but wrote an event"
grep -q "kept for the next run" "$TMP/err" || fail "the failed delivery was not logged"
rm -f "$TMP/hook-down"
mc -c "$TMP/alert.conf" run --wait 30        # nothing due: only the retry
[ -f "$TMP/event.0" ] || fail "the kept notification was not delivered by the next tick"
python3 - "$TMP/event.0" <<'PY' || fail "bad firing event"
import json, sys
e = json.load(open(sys.argv[1]))
assert e["status"] == "firing" and e["route"] == "loop", e
assert e["state"] == "bounced" and e["severity"] == 2 and e["component"] == "mx", e
assert e["dedup_key"] == "mailcanary/route/loop" and e["probe_id"], e
assert e["evidence"]["dsn"]["recipients"][0]["status"] == "5.1.1", e
PY
grep -q "^firing loop bounced mx$" "$TMP/env.0" || fail "hook environment: $(cat "$TMP/env.0")"

due
mc -c "$TMP/alert.conf" run --wait 30
[ ! -f "$TMP/event.1" ] || fail "paged again within repeat"

make_conf canary@dest.test
due
mc -c "$TMP/alert.conf" run --wait 30
[ -f "$TMP/event.1" ] || fail "not resolved"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["status"]=="resolved" and e["route"]=="loop", e' "$TMP/event.1" ||
	fail "bad resolved event"
