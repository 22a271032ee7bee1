#!/bin/sh
# Scheduler tick cost: `mailcanary run` with 100 routes all due, then an idle
# tick (nothing due), on the loopback mail world (tests/env/mailenv). Prints
# wall time, CPU and peak RSS (/usr/bin/time) against the issue's targets;
# not a test: nothing here is a pass/fail threshold.
#
#   full tick: wall <= slowest single route's delivery (probes[].total_seconds)
#              + 1 s, peak RSS <= 16 MB
#   idle tick: <= 10 ms
#
#   tests/bench/tick.sh PATH-TO-MAILCANARY     (ROUTES=100, MC_TICK_DIR)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mc=${1:?usage: tick.sh PATH-TO-MAILCANARY}
case $mc in /*) ;; *) mc=$(pwd)/$mc ;; esac
routes=${ROUTES:-100}
dir=${MC_TICK_DIR:-/tmp/mailcanary-bench-tick}
timebin=/usr/bin/time
[ -x "$mc" ] || { echo "tick.sh: no mailcanary at $mc (make)" >&2; exit 3; }
[ -x "$timebin" ] || { echo "tick.sh: $timebin missing (tests/env/deps.sh bench)" >&2; exit 3; }

"$here/../env/mailenv" stop "$dir" >/dev/null 2>&1 || :
trap '"$here/../env/mailenv" stop "$dir" >/dev/null 2>&1 || :' EXIT
trap 'exit 130' INT TERM
# its servers inherit stdout: keep them off ours
"$here/../env/mailenv" start "$dir" >"$dir.start.log" 2>&1 </dev/null ||
	{ cat "$dir.start.log" >&2; exit 3; }

out=$dir/tick
rm -rf "$out"
mkdir -p "$out/state"
conf=$out/tick.conf
# The world's config up to its first route (global, relays, mailboxes) with
# a fresh state_dir, then ROUTES routes over the same relay and mailbox.
awk -v sd="$out/state" '
	/^\[route / { exit }
	/^state_dir *=/ { print "state_dir = " sd; next }
	/^metrics_file *=/ { print "metrics_file = " sd "/mailcanary.prom"; next }
	{ print }' "$dir/mailcanary.conf" >"$conf"
i=1
while [ "$i" -le "$routes" ]; do
	printf '\n[route "r%03d"]\nrelay = loop\nfrom = bounces@src.test\nto = canary@dest.test\nmailbox = canary\nbounces = bounces\nwarn = 30\ncrit = 60\n' "$i"
	i=$((i + 1))
done >>"$conf"
chmod 600 "$conf"

echo "== one tick, $routes routes all due (run --wait 60)"
rc=0
$timebin -f '%e %U %S %M' -o "$out/time.full" \
	"$mc" -c "$conf" --json run --wait 60 >"$out/full.json" 2>"$out/full.err" || rc=$?
echo "== an idle tick right after (nothing due), best of 5"
: >"$out/idle.ns"
i=0
while [ "$i" -lt 5 ]; do
	t0=$(date +%s%N)
	$timebin -f '%e %U %S %M' -o "$out/time.idle" \
		"$mc" -c "$conf" --json run --wait 60 >"$out/idle.json" 2>"$out/idle.err" || :
	t1=$(date +%s%N)
	echo $((t1 - t0)) >>"$out/idle.ns"
	i=$((i + 1))
done
idle_ns=$(sort -n "$out/idle.ns" | head -n 1)
# The shell's own fork and exec of date(1) and time(1) cost several ms
# here (measured: /bin/true "takes" 18 ms this way); hyperfine -N, when
# installed (bench deps), times the idle tick without a shell.
if command -v hyperfine >/dev/null; then
	hyperfine -N -i -w 2 -r 20 --export-json "$out/idle.hf.json" \
		"$mc -c $conf --json run --wait 60" >/dev/null 2>&1 &&
		idle_ns=$(python3 -c 'import json,sys; print(int(min(json.load(open(sys.argv[1]))["results"][0]["times"]) * 1e9))' "$out/idle.hf.json")
	idle_how="best of 20 (hyperfine -N)"
else
	idle_how="best of 5 from a shell"
fi
export idle_how

python3 - "$out" "$rc" "$routes" "$idle_ns" <<'PY'
import collections, json, sys
out, rc, routes, idle_ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def tm(name):
    f = open(f"{out}/{name}").read().split("\n")
    f = [l for l in f if l.strip()][-1].split()
    return float(f[0]), float(f[1]) + float(f[2]), int(f[3]) / 1024
fw, fc, fr = tm("time.full")
iw, ic, ir = tm("time.idle")
try:
    doc = json.load(open(f"{out}/full.json"))
except ValueError:
    doc = {}
probes = doc.get("probes", [])
states = collections.Counter(p.get("state") for p in probes)
secs = [p["total_seconds"] for p in probes if isinstance(p.get("total_seconds"), (int, float))]
slow = max(secs) if secs else float("nan")
try:
    idle_probes = len(json.load(open(f"{out}/idle.json")).get("probes", []))
except ValueError:
    idle_probes = "?"
print(f"{'tick':12} {'wall s':>8} {'cpu s':>7} {'rss MB':>7}   target / reference")
print(f"{'full':12} {fw:8.2f} {fc:7.2f} {fr:7.1f}   wall <= slowest route + 1 = {slow + 1:.2f} s "
      f"(wall/(slowest+1) = {fw / (slow + 1):.2f}); rss <= 16 MB ({fr / 16:.2f}x)")
print(f"{'idle':12} {idle_ns / 1e6 / 1000:8.4f} {ic:7.2f} {ir:7.1f}   <= 0.010 s ({idle_ns / 1e6 / 10:.1f}x); "
      f"probes in its output: {idle_probes}")
print(f"full tick: exit {rc}; {len(probes)} probes of {routes} routes; states: "
      + ", ".join(f"{n} {s}" for s, n in sorted(states.items(), key=lambda x: str(x[0]))))
if secs:
    secs.sort()
    print(f"per-route delivery (total_seconds): min {secs[0]:.2f}, median "
          f"{secs[len(secs) // 2]:.2f}, max {secs[-1]:.2f} s")
import os
print("cpu: user+sys; rss: peak (/usr/bin/time %M); idle wall: " + os.environ.get("idle_how", "best of 5 from a shell"))
PY
if [ -s "$out/full.err" ]; then
	echo "stderr of the full tick (first lines):"
	head -n 5 "$out/full.err"
fi
