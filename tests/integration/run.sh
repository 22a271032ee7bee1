#!/bin/sh
# Runs every tests/integration/test_*.sh against real servers on loopback.
# The mail world (tests/env/mailenv) is started once for the whole run and
# stopped on exit; each test gets MAILCANARY (the binary under test) and
# MC_ENV_DIR. Prints "integration: N passed, N failed" last.
set -u
here=$(cd "$(dirname "$0")" && pwd)
MAILCANARY=${1:?usage: run.sh PATH-TO-MAILCANARY [TEST...]}
shift
export MAILCANARY
export MC_ENV_DIR="${MC_ENV_DIR:-/tmp/mailcanary-itest.$$}"
export PATH="$here/../env:$PATH"

cleanup() { "$here/../env/mailenv" stop "$MC_ENV_DIR" >/dev/null 2>&1 || :; rm -rf "$MC_ENV_DIR"; }
trap cleanup EXIT INT TERM
if ! "$here/../env/mailenv" start "$MC_ENV_DIR"; then
	echo "integration: could not start the loopback mail world" >&2
	echo "integration: 0 passed, 1 failed"
	exit 1
fi

tests=${*:-$(ls "$here"/test_*.sh)}
pass=0 fail=0 failed=
for t in $tests; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	if sh "$t" >"$MC_ENV_DIR/$name.out" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name ($(( $(date +%s) - start ))s)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name ($(( $(date +%s) - start ))s) — output:"
		sed 's/^/     /' "$MC_ENV_DIR/$name.out" | tail -40
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
