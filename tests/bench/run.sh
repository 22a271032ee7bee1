#!/bin/bash
# make bench: mailcanary side by side with the peer tools, in one run, on the
# loopback mail world (tests/env/mailenv). Reported as ratios; nothing here
# is a pass/fail threshold (the machines are shared and noisy).
#
#   1. Detection lag: the probe's file appearing in the destination Maildir
#      (its mtime, nanoseconds) -> the tool noticing it, p50/p95 over
#      ROUNDS probes (default 50): mailcanary with IMAP IDLE, mailcanary
#      polling (idle = no), and check_email_delivery (monitoring-plugins-
#      contrib: check_smtp_send + check_imap_receive at its default 5 s
#      check interval). The probes are kept (keep = yes, --nodelete) so the
#      file can be found, then removed.
#   2. Per round trip (submit, wait, notice): wall time, CPU (user+sys) and
#      peak RSS.
#   3. Bounce parsing throughput (tests/bench/dsn.sh).
#
#   tests/bench/run.sh PATH-TO-MAILCANARY      (ROUNDS=50 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mc=${1:?usage: run.sh PATH-TO-MAILCANARY}
rounds=${ROUNDS:-50}
dir=${MC_BENCH_DIR:-/tmp/mailcanary-bench}
cde=/usr/lib/nagios/plugins/check_email_delivery
timebin=/usr/bin/time

"$here/../env/mailenv" stop "$dir" >/dev/null 2>&1 || :
trap '"$here/../env/mailenv" stop "$dir" >/dev/null 2>&1 || :' EXIT INT TERM
"$here/../env/mailenv" start "$dir" >/dev/null
conf=$dir/mailcanary.conf
. "$dir/env.sh"      # MC_RELAY, MC_IMAP: the net this world got
maildir=$dir/mail/canary@dest.test/Maildir
sed 's/^junk_folders = Junk$/junk_folders = Junk\nkeep = yes/' "$conf" >"$dir/idle.conf"
sed 's/^junk_folders = Junk$/junk_folders = Junk\nkeep = yes\nidle = no/' "$conf" >"$dir/poll.conf"
chmod 600 "$dir/idle.conf" "$dir/poll.conf"
out=$dir/bench
mkdir -p "$out"
: >"$out/results"

# record TOOL WALL CPU RSS_KB [LAG]
record() { echo "$*" >>"$out/results"; }

# lag FILE-PATTERN NOTICED: noticed (epoch s) minus the mtime of the newest
# Maildir file matching (grep -l) the pattern; removes that file.
lag_of() {
	python3 - "$maildir" "$1" "$2" <<-'PY'
	import os, sys
	root, pat, noticed = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3])
	best = None
	for sub in ("new", "cur"):
	    d = os.path.join(root, sub)
	    for f in os.listdir(d):
	        p = os.path.join(d, f)
	        try:
	            if pat not in open(p, "rb").read(65536):
	                continue
	            st = os.stat(p)
	        except OSError:
	            continue
	        if best is None or st.st_mtime_ns > best[0]:
	            best = (st.st_mtime_ns, p)
	if best:
	    print("%.4f" % (noticed - best[0] / 1e9))
	    os.unlink(best[1])
	PY
}

run_mailcanary() {
	local tool=$1 cfg=$2 i id noticed react
	for i in $(seq 1 "$rounds"); do
		$timebin -f '%e %U %S %M' -o "$out/time" \
			"$mc" -c "$cfg" --json probe loop --wait 60 >"$out/json" || :
		read -r id noticed react <<-EOF
		$(python3 -c 'import json,sys,datetime
p = json.load(open(sys.argv[1]))["probes"][0]
t = p["found_at"] and datetime.datetime.fromisoformat(p["found_at"].replace("Z", "+00:00")).timestamp()
r = p.get("idle_reaction_seconds")
print(p["id"], t or 0, "-" if r is None else r)' "$out/json")
		EOF
		read -r e u s m <<-EOF
		$(tail -1 "$out/time")
		EOF
		record "$tool" "$e" "$(python3 -c "print($u + $s)")" "$m" "$(lag_of "$id" "$noticed")" "$react"
	done
}

run_cde() {
	local i pw ipw t0 t1
	pw=$(cat "$dir/secrets/sender.pass")
	ipw=$(cat "$dir/secrets/canary.pass")
	for i in $(seq 1 "$rounds"); do
		# Its passwords go on argv: that is the peer tool's interface
		# (these are throwaway loopback secrets).
		SSL_CERT_FILE=$dir/tls/ca.pem $timebin -f "%e %U %S %M" -o "$out/time" "$cde" \
			--plugin "/usr/lib/nagios/plugins/check_smtp_send -H $MC_RELAY --port 10587 --tls -U sender@src.test -P $pw --mailto canary@dest.test --mailfrom bounces@src.test --header 'Subject: Nagios %TOKEN1%'" \
			--plugin "/usr/lib/nagios/plugins/check_imap_receive -H $MC_IMAP --port 10993 --ssl -U canary@dest.test -P $ipw -s SUBJECT -s 'Nagios %TOKEN1%' --nodelete --imap-check-interval 5 --imap-retries 20 --ssl-ca-file $dir/tls/ca.pem" \
			--token "%TOKEN1%" -w 30 -c 60 >"$out/cde.out" 2>&1 || :
		t1=$(date +%s.%N)
		grep -q "^EMAIL DELIVERY OK" "$out/cde.out" ||
			echo "# check_email_delivery: $(head -1 "$out/cde.out")" >&2
		# /usr/bin/time may print "Command exited with ..." first.
		read -r e u s m <<-EOF || :
		$(tail -1 "$out/time")
		EOF
		# It reports when it returns: the lag is measured to its exit.
		record check_email_delivery "$e" "$(python3 -c "print($u + $s)")" "$m" "$(lag_of "Subject: Nagios" "$t1")"
	done
}

echo "== detection lag and round trip on loopback, $rounds rounds each"
run_mailcanary mailcanary-idle "$dir/idle.conf"
run_mailcanary mailcanary-poll "$dir/poll.conf"
if [ -x "$cde" ]; then run_cde; else echo "# check_email_delivery not installed" >&2; fi

python3 - "$out/results" <<'PY'
import statistics as st, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 4:
        rows.setdefault(f[0], []).append(f[1:])
def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")
print(f"{'tool':22} {'n':>3} {'lag p50':>8} {'lag p95':>8} {'react p95':>9} {'wall s':>7} {'cpu s':>7} {'rss MB':>7} {'p95 x':>6} {'cpu x':>6}")
ref = None
for tool, rs in rows.items():
    lags = [float(r[3]) for r in rs if len(r) > 3]
    reacts = [float(r[4]) for r in rs if len(r) > 4 and r[4] != "-"]
    react = f"{pct(reacts, 0.95):9.4f}" if reacts else "        -"
    wall = st.median(float(r[0]) for r in rs)
    cpu = st.median(float(r[1]) for r in rs)
    rss = max(float(r[2]) for r in rs) / 1024
    p50, p95 = pct(lags, 0.5), pct(lags, 0.95)
    if ref is None:
        ref = (p95, cpu)
    print(f"{tool:22} {len(rs):3d} {p50:8.3f} {p95:8.3f} {react} {wall:7.2f} {cpu:7.3f} {rss:7.1f} "
          f"{p95 / ref[0]:6.1f} {cpu / max(ref[1], 1e-3):6.1f}")
print("lag: Maildir file written -> noticed (s); react: the server's IDLE push ->")
print("probe fetched (s); wall/cpu: medians per round trip;")
print("rss: peak; x: times mailcanary-idle")
PY

echo
echo "== bounce parsing (mailcanary dsn over tests/data/bounces)"
(cd "$here/../.." && sh tests/bench/dsn.sh "$mc")
(cd "$here/../.." && sh tests/bench/dns.sh "$mc")
(cd "$here/../.." && sh tests/bench/tick.sh "$mc")
