#!/bin/sh
# make demo: start the loopback mail world (two Postfix instances, Dovecot
# and postgrey, all on 127.0.N.x under a temporary directory), send real
# probes through it, show what mailcanary reports — deliveries, a junk
# filing, greylisting, a bounce — then one scheduler tick, the status, a
# report and the metrics. Everything is stopped at the end; nothing outside the
# temporary directory is touched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mc=${1:?usage: demo.sh PATH-TO-MAILCANARY}
dir=${MC_DEMO_DIR:-/tmp/mailcanary-demo}

"$here/mailenv" stop "$dir" >/dev/null 2>&1 || :
rm -rf "$dir"
trap '"$here/mailenv" stop "$dir" >/dev/null 2>&1 || :' EXIT INT TERM
echo "== starting the loopback mail world in $dir"
"$here/mailenv" start "$dir"
conf=$dir/mailcanary.conf

# A demo-only route to a user the destination does not have.
demo=$dir/demo.conf
cp "$conf" "$demo"
cat >>"$demo" <<EOF

[route "nobody"]
relay = loop
from = bounces@src.test
to = nobody@dest.test
mailbox = canary
bounces = bounces
warn = 30
crit = 60
EOF
chmod 600 "$demo"

step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

step "probe every route: Nagios status line, one line per route, perfdata last" \
	"mailcanary -c $conf probe"
"$mc" -c "$conf" probe || :

step "one route as JSON (trimmed here to the main fields)" \
	"mailcanary -c $conf --json probe loop"
"$mc" -c "$conf" --json probe loop | python3 -c '
import json, sys
p = json.load(sys.stdin)["probes"][0]
keep = ("route", "id", "state", "total_seconds", "detect_lag_seconds", "folder", "noticed_by")
print(json.dumps({k: p[k] for k in keep}, indent=1))
print("smtp:", json.dumps({k: p["smtp"][k] for k in ("code", "enhanced", "queue_id", "tls")}))
for h in p["hops"]:
    print("hop: %-14s -> %-15s %-7s %-8s +%.0f s" % (h["from"], h["by"], h["with"], h["tls"] or "-", h["delay_seconds"]))
' || :

step "greylisting at the destination MX (postgrey, 2 s)" \
	"mailenv greylist on; mailcanary -c $conf probe loop"
"$here/mailenv" greylist "$dir" on
"$mc" -c "$conf" --json probe loop | python3 -c '
import json, sys
p = json.load(sys.stdin)["probes"][0]
print("state:", p["state"], " greylist delay:", p["greylist_delay_seconds"], "s")
for e in p["greylist_evidence"]:
    print("evidence:", e)
' || :
"$here/mailenv" greylist "$dir" off

step "a recipient the destination does not know: the bounce comes back" \
	"mailcanary -c $demo probe nobody"
"$mc" -c "$demo" probe nobody || :

step "one scheduler tick (what the systemd timer runs), then the status" \
	"mailcanary -c $conf run; mailcanary -c $conf status"
"$mc" -c "$conf" run || :
"$mc" -c "$conf" status || :

step "a report of the day from the stored history (first lines; also --format json|html)" \
	"mailcanary -c $conf report --period day | head -13"
"$mc" -c "$conf" report --period day | head -13 || :
"$mc" -c "$conf" report --period day --format html -o "$dir/report.html" &&
	echo "(the HTML page: $dir/report.html — self-contained, charts inline)"

step "the Prometheus metrics it wrote (excerpt)" \
	"grep 'route=\"loop\"' $dir/state/mailcanary.prom"
grep 'route="loop"' "$dir/state/mailcanary.prom" | grep -v '_bucket' || :

echo
echo "The mail world is stopped on exit. Run 'tests/env/mailenv start $dir' to keep one running."
