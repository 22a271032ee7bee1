#!/bin/sh
# The OpenSPF RFC 7208 + RFC 4408 suites (394 cases, ../shared/testdata/spf
# or tests/data/spf)
# through the real `mailcanary --json spf`, against real DNS: nsd serves each
# scenario's zone data as a root zone on 127.0.0.10; in front of it
# tests/env/dns/dnsfront.py drops the queries the scenario says must time
# out (nsd cannot) and relays everything else to nsd unchanged. Scenarios
# reuse names, so they are served one at a time: the zone file is swapped
# and nsd reloaded (SIGHUP) between scenarios.
#   usage: test_spf_suite.sh [MAILCANARY]     (default build/mailcanary)
# Last line: "N passed, N failed"; exit status non-zero on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/build/mailcanary}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
# The suite: $SPF_SUITE_DIR, else the shared conformance data next to the
# checkout, else the copy kept in tests/data/spf (with its licences).
suite=${SPF_SUITE_DIR:-$repo/../shared/testdata/spf}
[ -f "$suite/spf-tests-flat.json" ] || suite=$repo/tests/data/spf
addr=127.0.0.10
port=${SPF_DNS_PORT:-15353}        # the front; nsd listens on port+1
DNS_ENV_DIR=$repo/tests/env/dns
. "$DNS_ENV_DIR/nsd_env.sh"

if [ ! -x "$bin" ]; then
	echo "test_spf_suite: no mailcanary binary at $bin" >&2
	exit 2
fi
if [ ! -r "$suite/spf-tests-flat.json" ]; then
	echo "test_spf_suite: no suite at $suite" >&2
	exit 2
fi
command -v nsd >/dev/null || { echo "test_spf_suite: nsd not installed" >&2; exit 2; }

tmp=$(mktemp -d /tmp/mailcanary-spf.XXXXXX)
front_pid=
cleanup() {
	[ -n "$front_pid" ] && kill "$front_pid" 2>/dev/null
	dns_nsd_stop
	[ -n "$front_pid" ] && wait "$front_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
python3 "$DNS_ENV_DIR/spf_suite.py" zones "$suite/spf-tests-flat.json" \
	"$tmp/zones" || exit 2
first=$(head -n 1 "$tmp/zones/scenarios")

cp "$first/rules.json" "$tmp/rules.json"
dns_nsd_start "$tmp/nsd" "$addr" $((port + 1)) "$first/root.zone"
python3 "$DNS_ENV_DIR/dnsfront.py" "$addr" "$port" $((port + 1)) \
	"$tmp/rules.json" "$tmp/front.log" 2>>"$tmp/front.err" &
front_pid=$!
dns_wait_serial "$addr" $((port + 1)) 1 || { cat "$tmp/nsd/nsd.log" >&2; exit 2; }
dns_wait_serial "$addr" "$port" 1 || { cat "$tmp/front.err" >&2; exit 2; }

passed=0 failed=0 serial=0
while read -r dir; do
	serial=$((serial + 1))
	if [ "$serial" -gt 1 ]; then
		cp "$dir/rules.json" "$tmp/rules.json.new" &&
			mv "$tmp/rules.json.new" "$tmp/rules.json"
		dns_nsd_reload "$dir/root.zone" "$serial" || exit 2
	fi
	out=$(python3 "$DNS_ENV_DIR/spf_suite.py" run "$dir" "$bin" "$addr" \
		"$port" "${SPF_DNS_TIMEOUT:-1}" "${SPF_DNS_TRIES:-2}")
	printf '%s\n' "$out" | grep -v ' passed, .* failed$'
	last=$(printf '%s\n' "$out" | tail -n 1)
	case $last in
	*[0-9]" passed, "*[0-9]" failed")
		p=${last%% passed*}
		f=${last#*passed, }
		f=${f%% failed*}
		passed=$((passed + p))
		failed=$((failed + f))
		;;
	*)
		echo "FAIL scenario $dir: the driver did not finish"
		failed=$((failed + 1))
		;;
	esac
done <"$tmp/zones/scenarios"

echo "spf suite: $serial scenarios in $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
