#!/bin/sh
# make fuzz: runs every fuzz target built in BINDIR for SECONDS each, on a
# scratch copy of its seed corpus (tests/fuzz/corpus/<name>/ stays as
# committed), and fails if any target finds a crash, leak or UB.
#   tests/fuzz/run.sh BINDIR SECONDS
# Crashing inputs are kept in build/fuzz/artifacts/ for reproduction.
set -u
bindir=${1:?usage: run.sh BINDIR SECONDS}
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mc-fuzz.XXXXXX")
arts=$(pwd)/build/fuzz/artifacts
mkdir -p "$arts"
trap 'rm -rf "$work"' EXIT

failed=
for bin in "$bindir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=$here/corpus/${name#fuzz_}
	mkdir -p "$work/$name"
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work/$name/"
	printf '  FUZZ %-20s %ss ... ' "$name" "$secs"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$arts/$name-" "$work/$name" >"$work/$name.log" 2>&1; then
		grep -o 'cov: [0-9]*' "$work/$name.log" | tail -1 | tr '\n' ' '
		echo "ok ($(ls "$work/$name" | wc -l) inputs)"
	else
		echo "FAILED"
		grep -E 'ERROR|SUMMARY|runtime error' "$work/$name.log" | head -5
		failed="$failed $name"
	fi
done
[ -z "$failed" ] || { echo "fuzz: failures in:$failed (inputs in $arts)"; exit 1; }
echo "fuzz: all targets clean"
