#!/bin/sh
# `mailcanary status` end to end over a store filled with the unit tests'
# fixture: the DESIGN.md JSON shape and values, the text table, the exit
# code (worst severity), routes never probed (unknown, 3) or with their
# first probe in flight (pending, 0), and errors (exit 3).
#   usage: test_status.sh [MAILCANARY]   (default: $MAILCANARY, else build/mailcanary)
. "$(dirname "$0")/store_fixture.sh"

jcheck() {
	python3 - "$TMP/out" "$1" <<'PY' || no "${2:-JSON check failed: $1}"
import json, sys
d = json.load(open(sys.argv[1]))
r = {x["route"]: x for x in d["routes"]}
c = {x["check"]: x for x in d["checks"]}
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# alpha WARNING, beta WARNING, check example.net CRITICAL -> exit 2
write_conf "$TMP/c.conf" "$TMP/state" alpha beta
run_mc -c "$TMP/c.conf" --json status
[ "$rc" = 2 ] || no "exit $rc, want 2 (a CRITICAL check)"
jcheck 'list(d) == ["routes", "checks", "severity"] and d["severity"] == 2' "top-level keys"
jcheck '[x["route"] for x in d["routes"]] == ["alpha", "beta"]' "routes in config order"
jcheck 'all(set(["route","state","severity","since","last_delivery_seconds","last_error"]) <= set(x) for x in d["routes"])' "route keys"
jcheck 'all(set(["check","severity","since","summary"]) <= set(x) for x in d["checks"])' "check keys"
jcheck 'r["alpha"]["state"] == "greylisted" and r["alpha"]["severity"] == 1 and r["alpha"]["since"] == "2023-11-14T22:10:00Z"' "alpha state"
jcheck 'r["alpha"]["last_delivery_seconds"] == 400 and r["alpha"]["last_error"] == "greylisted for 380 s"' "alpha delivery/error"
jcheck 'r["alpha"]["last_success_at"] == "2023-11-14T21:43:23Z"' "alpha last success"
jcheck 'r["beta"]["state"] == "deferred" and r["beta"]["since"] == "2023-11-14T22:11:40Z" and r["beta"]["last_delivery_seconds"] == 1' "beta state"
jcheck 'r["beta"]["last_error"].startswith("delay DSN 4.4.7")' "beta last error"
jcheck 'c["example.net"]["severity"] == 2 and c["example.net"]["since"] == "2023-11-14T21:13:20Z" and c["example.net"]["summary"] == "192.0.2.1 listed on bl.test"' "check example.net"
jcheck 'c["mx-only.test"]["severity"] == 1' "check mx-only.test"
[ "$(wc -l <"$TMP/out")" = 1 ] || no "JSON is not one line"

# text: a status line, the routes, the checks
run_mc -c "$TMP/c.conf" status
[ "$rc" = 2 ] || no "text: exit $rc, want 2"
head -1 "$TMP/out" | grep -q '^MAILCANARY CRITICAL - 2 routes, 2 checks$' || no "text: status line"
grep -q '^alpha  *greylisted  *WARNING  *2023-11-14T22:10:00Z .* 400.00s  *greylisted for 380 s$' "$TMP/out" || no "text: alpha line"
grep -q '^example.net  *CRITICAL  *2023-11-14T21:13:20Z' "$TMP/out" || no "text: check line"
[ -s "$TMP/err" ] && no "text: diagnostics on stderr: $(cat "$TMP/err")"

# a route never probed is unknown (3); one with its first probe in flight
# is pending (0)
sqlite3 "$TMP/state/mailcanary.db" \
	"INSERT INTO probes (id, route, sent_at, state, updated_at) VALUES ('d1', 'delta', 1700000000, 'pending', 1700000000);
	 INSERT INTO route_state (route, last_sent_at) VALUES ('delta', 1700000000);"
write_conf "$TMP/g.conf" "$TMP/state" alpha gamma delta
run_mc -c "$TMP/g.conf" --json status
[ "$rc" = 3 ] || no "never probed: exit $rc, want 3"
jcheck 'r["gamma"]["state"] == "unknown" and r["gamma"]["severity"] == 3 and r["gamma"]["since"] is None and r["gamma"]["last_delivery_seconds"] is None' "gamma unknown"
jcheck 'r["delta"]["state"] == "pending" and r["delta"]["severity"] == 0 and r["delta"]["since"] == "2023-11-14T22:13:20Z" and r["delta"]["last_error"] is None' "delta pending"

# an empty store: every route unknown
write_conf "$TMP/e.conf" "$TMP/empty" alpha
run_mc -c "$TMP/e.conf" --json status
[ "$rc" = 3 ] || no "empty store: exit $rc, want 3"
jcheck 'd["checks"] == [] and r["alpha"]["state"] == "unknown"' "empty store"

# errors: exit 3 with one line naming the file
mkdir "$TMP/bad" && printf 'this is not a database, not at all.%.0s' $(seq 200) >"$TMP/bad/mailcanary.db"
write_conf "$TMP/b.conf" "$TMP/bad" alpha
run_mc -c "$TMP/b.conf" status
[ "$rc" = 3 ] || no "corrupt database: exit $rc, want 3"
grep -q 'bad/mailcanary.db: .*not a database.*move it aside' "$TMP/err" || no "corrupt database: message: $(cat "$TMP/err")"
[ "$(wc -l <"$TMP/err")" = 1 ] || no "corrupt database: error is not one line"
[ -s "$TMP/out" ] && no "corrupt database: something on stdout"
run_mc -c "$TMP/c.conf" status extra
[ "$rc" = 3 ] || no "extra argument: exit $rc, want 3"
run_mc -c "$TMP/nonexistent.conf" status
[ "$rc" = 3 ] || no "missing config: exit $rc, want 3"
"$bin" --help | grep -q '^  status' || no "status missing from --help"

[ "$fail" -eq 0 ] && echo "test_status: ok"
[ "$fail" -eq 0 ]
