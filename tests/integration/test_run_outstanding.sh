# A probe the destination cannot take yet stays outstanding (recorded before
# it was sent), is looked for again by the next tick and ends delivered;
# one whose crit passes ends lost. Nothing is lost between runs.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|; s|^crit = 60|crit = 20|; s|^warn = 30|warn = 10|")
mailenv stop-service "$MC_ENV_DIR" mx
trap 'mailenv start-service "$MC_ENV_DIR" mx >/dev/null 2>&1 || :; rm -rf "$TMP"' EXIT

mc -c "$conf" --json run --wait 3
jcheck 'all(x["state"] == "pending" for x in d["probes"] if x["route"] != "junk")'
pending=$(sqlite3 "$TMP/state/mailcanary.db" "select count(*) from probes where state in ('pending','deferred')")
[ "$pending" = 3 ] || fail "expected 3 outstanding probes in the store, found $pending"

mailenv start-service "$MC_ENV_DIR" mx
mc -c "$conf" --json run --wait 30
jcheck 'len(d["probes"]) == 3' "the earlier probes were not looked for"
jcheck 'sorted(x["state"] for x in d["probes"] if x["route"] != "junk") in (["delivered", "delivered"], ["delivered", "slow"], ["slow", "slow"])'
jcheck '[x["state"] for x in d["probes"] if x["route"] == "junk"] == ["junk"]'

# crit (8 s) passes with the MX down and the probes held in the relay's
# queue (so no delay warning comes back either): the next tick, which
# still looks for them for a moment, declares them lost.
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|; s|^crit = 60|crit = 8|; s|^warn = 30|warn = 4|")
mailenv stop-service "$MC_ENV_DIR" mx
sqlite3 "$TMP/state/mailcanary.db" "update route_state set last_sent_at = 0"
mc -c "$conf" --json run --wait 2
postsuper -c "$MC_ENV_DIR/relay" -h ALL 2>/dev/null
trap 'postsuper -c "$MC_ENV_DIR/relay" -d ALL hold 2>/dev/null || :; mailenv start-service "$MC_ENV_DIR" mx >/dev/null 2>&1 || :; rm -rf "$TMP"' EXIT
sleep 7
mc -c "$conf" --json run --wait 2
jcheck 'any(x["state"] == "lost" for x in d["probes"])' "no probe declared lost after crit"
mc -c "$conf" --json status
jcheck '{r["route"]: r["state"] for r in d["routes"]}["loop"] == "lost"'
