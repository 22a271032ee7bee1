#!/bin/sh
# `mailcanary hops` end to end: the header-block corpus through the real
# binary (--json must equal each chain's expected document), the text
# table, standard input, and the exit codes. Needs no servers.
#   usage: test_hops.sh [MAILCANARY]     (default: $MAILCANARY, else build/mailcanary)
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${MAILCANARY:-$repo/build/mailcanary}}
data=$repo/tests/data/received
fail=0

no() { echo "FAIL: $*"; fail=$((fail + 1)); }

for f in "$data"/chain-*.eml "$data"/chain-*.hdr; do
	want=${f%.*}.expected.json
	got=$("$bin" --json hops "$f") || no "$f: exit $?"
	printf '%s' "$got" | python3 -c '
import json, sys
got = json.load(sys.stdin)
want = json.load(open(sys.argv[1]))
sys.exit(0 if got == want else 1)' "$want" || no "$(basename "$f"): --json differs from $(basename "$want")"
done

out=$("$bin" hops "$data/chain-clock-skew.hdr") || no "text: exit $?"
printf '%s\n' "$out" | grep -q -- '-39s SKEW' || no "text: no SKEW mark"
printf '%s\n' "$out" | grep -q '^total 5s$' || no "text: total"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 6 ] || no "text: expected a header, 4 hops and a total"

out=$("$bin" hops - <"$data/chain-qmail-crlf-mbox.eml") || no "stdin: exit $?"
printf '%s\n' "$out" | grep -q '(unrecognised) via relay-queue' || no "stdin: unparsed line not shown raw"

"$bin" --json hops "$data/unknown-form-via.txt" >/dev/null || no "unparsed only: exit $? (want 0)"
"$bin" hops /nonexistent/file 2>/dev/null; [ $? -eq 3 ] || no "missing file: want exit 3"
"$bin" hops 2>/dev/null; [ $? -eq 3 ] || no "no argument: want exit 3"
"$bin" hops a b 2>/dev/null; [ $? -eq 3 ] || no "two arguments: want exit 3"
"$bin" --help | grep -q '^  hops ' || no "hops missing from --help"

[ "$fail" -eq 0 ] && echo "test_hops: ok"
[ "$fail" -eq 0 ]
