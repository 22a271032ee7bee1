#!/bin/sh
# mailcanary logs against pflogsumm on a generated Postfix log of SIZE_MB
# (default 1024): wall time and peak RSS of each (/usr/bin/time), the speed
# ratio, and whether the two agree on the totals. Not a test: the targets
# (>= 20x faster, <= 64 MB RSS) are printed, not enforced.
#   tests/bench/logs.sh PATH-TO-MAILCANARY [SIZE_MB]
# The log is generated once and kept (MC_BENCH_LOG, default
# /tmp/mailcanary-bench-maillog-SIZE.log) so repeated runs time the tools,
# not the generator.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mc=${1:?usage: logs.sh PATH-TO-MAILCANARY [SIZE_MB]}
size=${2:-1024}
log=${MC_BENCH_LOG:-/tmp/mailcanary-bench-maillog-$size.log}
timebin=/usr/bin/time

[ -x "$mc" ] || { echo "logs.sh: $mc is not executable" >&2; exit 3; }
[ -x "$timebin" ] || { echo "logs.sh: $timebin missing (apt-get install time)" >&2; exit 3; }
command -v pflogsumm >/dev/null || { echo "logs.sh: pflogsumm missing (apt-get install pflogsumm)" >&2; exit 3; }

if [ ! -s "$log" ]; then
	echo "== generating a ${size} MB Postfix log in $log"
	python3 "$here/gen_maillog.py" "$size" >"$log.tmp"
	mv "$log.tmp" "$log"
fi
bytes=$(stat -c %s "$log")
work=$(mktemp -d "${TMPDIR:-/tmp}/mc-bench-logs.XXXXXX")
trap 'rm -rf "$work"' EXIT

# warm the page cache so both read from memory
cat "$log" >/dev/null

echo "== mailcanary --json logs ($((bytes / 1048576)) MB)"
$timebin -f '%e %M' -o "$work/mc.time" "$mc" --json logs "$log" >"$work/mc.json"
echo "== pflogsumm -e"
$timebin -f '%e %M' -o "$work/pfl.time" pflogsumm -e "$log" >"$work/pfl.out" 2>/dev/null

python3 - "$work" "$bytes" <<'PY'
import json, re, sys
w, size = sys.argv[1], int(sys.argv[2])
def tm(name):
    e, m = open(f"{w}/{name}.time").read().split()[-2:]
    return float(e), int(m) / 1024
mce, mcm = tm("mc")
pfe, pfm = tm("pfl")
d = json.load(open(f"{w}/mc.json"))
pfl = open(f"{w}/pfl.out").read()
def p(word):
    m = re.search(r"^\s*(\d+)([km]?)\s+" + word + r"\b", pfl, re.M)
    if not m:
        return None
    # pflogsumm prints large counts in units of 1024 (k) or 1048576 (m)
    unit = {"": 1, "k": 1024, "m": 1048576}[m.group(2)]
    return int(m.group(1)) * unit, unit
rows = [("received", d["messages"], p("received")),
        ("delivered", d["by_status"]["sent"], p("delivered")),
        ("deferred", d["deferred_messages"], p("deferred")),
        ("bounced", d["by_status"]["bounced"], p("bounced")),
        ("rejected", d["by_status"]["rejected"], p("rejected"))]
print(f"{'tool':12} {'wall s':>8} {'MB/s':>8} {'peak RSS MB':>12}")
print(f"{'mailcanary':12} {mce:8.2f} {size / 1048576 / max(mce, 1e-3):8.1f} {mcm:12.1f}")
print(f"{'pflogsumm':12} {pfe:8.2f} {size / 1048576 / max(pfe, 1e-3):8.1f} {pfm:12.1f}")
ratio = pfe / max(mce, 1e-3)
print(f"speed: mailcanary is {ratio:.1f}x pflogsumm (target >= 20x); "
      f"RSS {mcm:.1f} MB (target <= 64 MB)")
for name, a, b in rows:
    # compare to pflogsumm's precision (it truncates to whole units)
    same = b is not None and b[0] <= a < b[0] + b[1]
    shown = "?" if b is None else (str(b[0]) if b[1] == 1 else f"~{b[0]}")
    print(f"  {name:10} mailcanary {a:>10}  pflogsumm {shown:>10}  {'ok' if same else 'DIFFERENT'}")
PY
