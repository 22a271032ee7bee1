# Two runs at once send exactly one probe per due route (the run lock); a
# run killed with SIGKILL after sending, before collecting, loses nothing:
# its probes are in the store and the next run collects them.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|")
db=$TMP/state/mailcanary.db

"$MAILCANARY" -c "$conf" run --wait 30 >"$TMP/a.out" 2>&1 &
a=$!
"$MAILCANARY" -c "$conf" run --wait 30 >"$TMP/b.out" 2>&1 &
b=$!
wait $a || :
wait $b || :
cat "$TMP/a.out" "$TMP/b.out" >&2
n=$(sqlite3 "$db" "select count(*) from probes")
[ "$n" = 3 ] || fail "two concurrent runs sent $n probes for 3 routes"

# Kill a run between sending and collecting (the MX is down, so it waits).
sqlite3 "$db" "update route_state set last_sent_at = 0"
mailenv stop-service "$MC_ENV_DIR" mx
trap 'mailenv start-service "$MC_ENV_DIR" mx >/dev/null 2>&1 || :; rm -rf "$TMP"' EXIT
"$MAILCANARY" -c "$conf" run --wait 30 >"$TMP/k.out" 2>&1 &
k=$!
i=0
while [ "$(sqlite3 "$db" "select count(*) from probes where state = 'pending'")" != 3 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1
kill -9 $k
wait $k 2>/dev/null || :
ids=$(sqlite3 "$db" "select id from probes where state = 'pending' order by id")
[ "$(echo "$ids" | wc -l)" = 3 ] || fail "the killed run's probes are not in the store: $ids"

mailenv start-service "$MC_ENV_DIR" mx
mc -c "$conf" --json run --wait 30
jcheck 'sum(1 for x in d["probes"] if x["state"] in ("delivered", "slow", "junk")) == 3' "the next run did not collect them"
left=$(sqlite3 "$db" "select count(*) from probes where state in ('pending', 'deferred')")
[ "$left" = 0 ] || fail "$left probes still outstanding"
for id in $ids; do
	st=$(sqlite3 "$db" "select state from probes where id = '$id'")
	case $st in delivered|slow|junk) ;; *) fail "probe $id of the killed run ended $st" ;; esac
done
