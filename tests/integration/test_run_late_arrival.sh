#!/bin/sh
# A late result is not news: probe A is held in the relay's queue while a
# newer probe B of the same route is delivered and judged OK; when A is
# released and a later tick collects it (slow, past warn), the store keeps
# it, but the route stays OK and nobody is paged for it.
. "$(dirname "$0")/lib.sh"

relay_q() { postsuper -c "$MC_ENV_DIR/relay" "$@" 2>/dev/null; }
cleanup() {
	relay_q -d ALL hold || :
	mailenv start-service "$MC_ENV_DIR" mx >/dev/null 2>&1 || :
	rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/hook" <<HOOK
#!/bin/sh
n=\$(ls "$TMP"/event.* 2>/dev/null | wc -l)
cat >"$TMP/event.\$n"
HOOK
chmod 755 "$TMP/hook"
python3 - "$CONF" "$TMP/mc.conf" "$TMP" <<'PY'
import sys
src, dst, tmp = sys.argv[1:4]
s = open(src).read()
s = s.replace("state_dir = ", "state_dir = %s/state\n; was: " % tmp, 1)
head, sep, rest = s.partition('[route "loop"]\n')
rest = rest.replace("warn = 30\ncrit = 60\n",
                    "warn = 4\ncrit = 120\ninterval = 600\nalert = hook\n", 1)
s = head + sep + rest.split("\n[route ")[0] + "\n"   # route loop only
s += '\n[alert "hook"]\ntype = exec\ncommand = %s/hook\nrepeat = 3600\n' % tmp
open(dst, "w").write(s)
PY
chmod 600 "$TMP/mc.conf"
grep -q "alert = hook" "$TMP/mc.conf" || fail "config edit did not apply"
n_events() { ls "$TMP"/event.* 2>/dev/null | wc -l; }
db() { sqlite3 "$TMP/state/mailcanary.db" "$1"; }

# 1. A is sent while the MX is down, then held in the relay's queue (no
#    delay notice can come back for it).
mailenv stop-service "$MC_ENV_DIR" mx
mc -c "$TMP/mc.conf" --json run --wait 2
jcheck '[x["state"] for x in d["probes"]] == ["pending"]' "probe A"
a=$(db "select id from probes where final = 0")
relay_q -h ALL
mailenv start-service "$MC_ENV_DIR" mx

# 2. B is due, sent and delivered: the route is OK; A is still held.
db "update route_state set last_sent_at = 0"
mc -c "$TMP/mc.conf" --json run --wait 30
expect_rc 0
jcheck 'sorted(x["state"] for x in d["probes"]) == ["delivered", "pending"]' "B delivered, A not yet"
[ "$(n_events)" = 0 ] || fail "paged while healthy"

# 3. A is released and collected by a later tick, past warn: slow. It is
#    kept, but B is the route's news: no page, the route stays OK.
sleep 5
relay_q -H ALL
postqueue -c "$MC_ENV_DIR/relay" -f 2>/dev/null || :
i=0
while [ "$(db "select final from probes where id = '$a'")" != 1 ] && [ $i -lt 5 ]; do
	mc -c "$TMP/mc.conf" --json run --wait 20
	i=$((i + 1))
done
[ "$(db "select final from probes where id = '$a'")" = 1 ] || fail "probe A never collected"
[ "$(db "select state from probes where id = '$a'")" = slow ] ||
	fail "probe A ended $(db "select state from probes where id = '$a'"), expected slow"
[ "$(n_events)" = 0 ] || fail "the late arrival of an older probe paged: $(cat "$TMP"/event.*)"
mc -c "$TMP/mc.conf" --json status
expect_rc 0
jcheck '[r["state"] for r in d["routes"] if r["route"] == "loop"] == ["delivered"]' "route state after the late arrival"
echo ok
