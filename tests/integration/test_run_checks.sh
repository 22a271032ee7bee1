# run runs the [check] sections that are due, in the same tick as the
# probes: the result is stored, shown by status and exported as metrics;
# a second run within the interval does not repeat it. The zone is the
# env's own (nsd serving the DKIM key of src.test, nothing else).
. "$(dirname "$0")/lib.sh"
mailenv dkim "$MC_ENV_DIR" on
trap 'mailenv dkim "$MC_ENV_DIR" off; rm -rf "$TMP"' EXIT
. "$MC_ENV_DIR/env.sh"
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|; s|^metrics_file = .*|metrics_file = $TMP/state/m.prom|")
cat >>"$conf" <<CONF

[check "src"]
domain = src.test
selectors = mc, gone
dnsbl =
interval = 3600
CONF

mc -c "$conf" --dns-server "$MC_DKIM_DNS" run --wait 30
mc -c "$conf" --json status
jcheck 'd["checks"][0]["check"] == "src" and d["checks"][0]["severity"] == 2' "check not stored"
jcheck 'd["checks"][0]["summary"].startswith("src.test: ")' "no summary"
sqlite3 "$TMP/state/mailcanary.db" "select json from check_results where check_name = 'src' or 1" >"$TMP/check.json"
python3 - "$TMP/check.json" <<'PY' || fail "stored check result lacks the DKIM keys"
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[0])
keys = {k["selector"]: k for k in d["dkim"]}
assert keys["mc"]["found"] and keys["mc"]["key_bits"] == 2048, keys
assert not keys["gone"]["found"] and keys["gone"]["severity"] == 2, keys
PY
grep -q '^mailcanary_check_severity{check="src"} 2$' "$TMP/state/m.prom" || fail "check severity not in metrics"
at1=$(sqlite3 "$TMP/state/mailcanary.db" "select count(*) from check_results")
mc -c "$conf" --dns-server "$MC_DKIM_DNS" run --wait 30
at2=$(sqlite3 "$TMP/state/mailcanary.db" "select count(*) from check_results")
[ "$at1" = "$at2" ] || fail "the check ran again within its interval"
