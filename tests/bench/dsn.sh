#!/bin/sh
# Throughput of the bounce parser: `mailcanary --json dsn` over the whole
# bounce corpus, repeated, in one process pinned to one core. Prints
# messages/second (best of RUNS). Not a test: no threshold is enforced.
#   tests/bench/dsn.sh [MAILCANARY [REPEAT [RUNS]]]
# Run from the repository root (the corpus is tests/data/bounces).
set -eu

bin=${1:-build/mailcanary}
repeat=${2:-400}
runs=${3:-5}
corpus=tests/data/bounces

[ -x "$bin" ] || { echo "dsn.sh: $bin not built (make)" >&2; exit 3; }
files=$(ls "$corpus"/*.eml)
count=$(echo "$files" | wc -l)
total=$((count * repeat))

# The argument list: every corpus file, REPEAT times over (read from the
# page cache each time, so this measures parsing, not the disk).
args=$(mktemp)
trap 'rm -f "$args"' EXIT
i=0
while [ "$i" -lt "$repeat" ]; do
	echo "$files"
	i=$((i + 1))
done >"$args"

pin=
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

best=0
r=0
while [ "$r" -lt "$runs" ]; do
	start=$(date +%s%N)
	xargs -a "$args" -s 2000000 -x $pin "$bin" --json dsn >/dev/null
	end=$(date +%s%N)
	ns=$((end - start))
	rate=$((total * 1000000000 / ns))
	echo "run $((r + 1)): $total messages in $((ns / 1000000)) ms: $rate messages/s"
	[ "$rate" -gt "$best" ] && best=$rate
	r=$((r + 1))
done
echo "dsn: $count corpus files x $repeat = $total messages per run; best $best messages/s (single core)"
