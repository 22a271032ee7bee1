#!/bin/bash
# make bench: mailcanary side by side with the peer tools, in one run, on the
# loopback mail world (tests/env/mailenv). Reported as ratios; nothing here
# is a pass/fail threshold (the machines are shared and noisy).
#
#   1. End-to-end probe round trip (submit through the relay, notice in the
#      mailbox, delete): mailcanary with IMAP IDLE, mailcanary polling
#      (idle = no), and check_email_delivery (monitoring-plugins-contrib:
#      check_smtp_send + check_imap_receive, its fastest 1 s check interval).
#      Wall time, CPU (user+sys) and peak RSS per round, median of ROUNDS.
#   2. Detection lag: INTERNALDATE -> noticed, as mailcanary reports it
#      (INTERNALDATE has 1 s resolution, so this is an upper bound).
#   3. Bounce parsing throughput (tests/bench/dsn.sh).
#
#   tests/bench/run.sh PATH-TO-MAILCANARY      (ROUNDS=10 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mc=${1:?usage: run.sh PATH-TO-MAILCANARY}
rounds=${ROUNDS:-10}
dir=${MC_BENCH_DIR:-/tmp/mailcanary-bench}
cde=/usr/lib/nagios/plugins/check_email_delivery
timebin=/usr/bin/time

"$here/../env/mailenv" stop "$dir" >/dev/null 2>&1 || :
trap '"$here/../env/mailenv" stop "$dir" >/dev/null 2>&1 || :' EXIT INT TERM
"$here/../env/mailenv" start "$dir" >/dev/null
conf=$dir/mailcanary.conf
. "$dir/env.sh"      # MC_RELAY, MC_IMAP: the net this world got
sed 's/^junk_folders = Junk$/junk_folders = Junk\nidle = no/' "$conf" >"$dir/poll.conf"
chmod 600 "$dir/poll.conf"
out=$dir/bench
mkdir -p "$out"
: >"$out/results"

# record TOOL WALL CPU RSS_KB [LAG]
record() { echo "$*" >>"$out/results"; }

run_mailcanary() {
	local tool=$1 cfg=$2 i
	for i in $(seq 1 "$rounds"); do
		$timebin -f '%e %U %S %M' -o "$out/time" \
			"$mc" -c "$cfg" --json probe loop --wait 60 >"$out/json" || :
		python3 - "$out/json" "$out/time" "$tool" >>"$out/results" <<-'PY'
		import json, sys
		d = json.load(open(sys.argv[1]))["probes"][0]
		e, u, s, m = open(sys.argv[2]).read().split()[-4:]
		if d["state"] != "delivered":
		    print(f"# {sys.argv[3]}: round ended {d['state']}", file=sys.stderr)
		lag = d.get("detect_lag_seconds")
		print(sys.argv[3], e, float(u) + float(s), m, "" if lag is None else lag)
		PY
	done
}

run_cde() {
	local i pw ipw
	pw=$(cat "$dir/secrets/sender.pass")
	ipw=$(cat "$dir/secrets/canary.pass")
	for i in $(seq 1 "$rounds"); do
		# Its passwords go on argv: that is the peer tool's interface
		# (these are throwaway loopback secrets).
		SSL_CERT_FILE=$dir/tls/ca.pem $timebin -f "%e %U %S %M" -o "$out/time" "$cde" \
			--plugin "/usr/lib/nagios/plugins/check_smtp_send -H $MC_RELAY --port 10587 --tls -U sender@src.test -P $pw --mailto canary@dest.test --mailfrom bounces@src.test --header 'Subject: Nagios %TOKEN1%'" \
			--plugin "/usr/lib/nagios/plugins/check_imap_receive -H $MC_IMAP --port 10993 --ssl -U canary@dest.test -P $ipw -s SUBJECT -s 'Nagios %TOKEN1%' --delete --imap-check-interval 1 --imap-retries 60 --ssl-ca-file $dir/tls/ca.pem" \
			--token "%TOKEN1%" -w 30 -c 60 >"$out/cde.out" 2>&1 || :
		grep -q "^EMAIL DELIVERY OK" "$out/cde.out" ||
			echo "# check_email_delivery: $(head -1 "$out/cde.out")" >&2
		# /usr/bin/time may print "Command exited with ..." first.
		read -r e u s m <<-EOF || :
		$(tail -1 "$out/time")
		EOF
		record check_email_delivery "$e" "$(echo "$u + $s" | bc -l 2>/dev/null || python3 -c "print($u+$s)")" "$m"
	done
}

echo "== end-to-end round trip on loopback, $rounds rounds each"
run_mailcanary mailcanary-idle "$conf"
run_mailcanary mailcanary-poll "$dir/poll.conf"
if [ -x "$cde" ]; then run_cde; else echo "# check_email_delivery not installed" >&2; fi

python3 - "$out/results" <<'PY'
import statistics as st, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4:
        continue
    rows.setdefault(f[0], []).append(f[1:])
def med(xs):
    return st.median(xs) if xs else float("nan")
base = rows.get("mailcanary-idle")
print(f"{'tool':24} {'wall s':>8} {'cpu s':>8} {'rss MB':>8} {'lag s':>7} {'wall x':>7} {'cpu x':>7} {'rss x':>7}")
ref = None
for tool, rs in rows.items():
    wall = med([float(r[0]) for r in rs])
    cpu = med([float(r[1]) for r in rs])
    rss = max(float(r[2]) for r in rs) / 1024
    lags = [float(r[3]) for r in rs if len(r) > 3 and r[3]]
    lag = f"{med(lags):7.2f}" if lags else "      -"
    if ref is None:
        ref = (wall, cpu, rss)
    print(f"{tool:24} {wall:8.3f} {cpu:8.3f} {rss:8.1f} {lag} "
          f"{wall / ref[0]:7.1f} {cpu / max(ref[1], 1e-3):7.1f} {rss / ref[2]:7.1f}")
print("(x = times mailcanary-idle; medians of each tool's rounds, rss = peak)")
PY

echo
echo "== bounce parsing (mailcanary dsn over tests/data/bounces)"
(cd "$here/../.." && sh tests/bench/dsn.sh "$mc")
