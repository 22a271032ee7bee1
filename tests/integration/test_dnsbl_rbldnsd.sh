#!/bin/sh
# `mailcanary dnsbl` against a real rbldnsd on 127.0.0.12: an ip4set list
# with 127.0.0.2 listed (A + TXT), a list answering 127.255.255.254 for
# every address (Spamhaus' "public resolver" error code: an error, never a
# listing), a list answering outside 127/8, a dnset domain list; IPv6;
# JSON shape and exit codes; a silent server (timeout, never clean); bad
# usage. Nothing here needs the mail world.
#   usage: test_dnsbl_rbldnsd.sh [MAILCANARY]   (default $MAILCANARY, else
#          build/mailcanary). Last line: "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${MAILCANARY:-$repo/build/mailcanary}}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
addr=127.0.0.12
port=${DNSBL_DNS_PORT:-15390}          # rbldnsd; port+1: a silent socket
DNS_ENV_DIR=$repo/tests/env/dns
. "$DNS_ENV_DIR/rbldnsd_env.sh"

[ -x "$bin" ] || { echo "test_dnsbl_rbldnsd: no binary at $bin" >&2; exit 2; }
command -v rbldnsd >/dev/null || { echo "test_dnsbl_rbldnsd: rbldnsd not installed" >&2; exit 2; }

tmp=$(mktemp -d /tmp/mailcanary-dnsbl.XXXXXX)
hole_pid=
cleanup() {
	dns_rbldnsd_stop
	[ -n "$hole_pid" ] && kill "$hole_pid" 2>/dev/null && wait "$hole_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The lists: tests/data/zones/rbl/ (README.md in tests/data/zones).
mkdir -p "$tmp/rbl"
cp "$repo/tests/data/zones/rbl/bl.zone" "$repo/tests/data/zones/rbl/err.zone" \
	"$repo/tests/data/zones/rbl/wild.zone" "$repo/tests/data/zones/rbl/dbl.zone" \
	"$tmp/rbl/"
dns_rbldnsd_start "$tmp/rbl" "$addr" "$port" bl.test:ip4set:bl.zone \
	err.test:ip4trie:err.zone wild.test:ip4trie:wild.zone \
	dbl.test:dnset:dbl.zone
dns_rbldnsd_wait 2.0.0.127.bl.test || { cat "$tmp/rbl/rbldnsd.log" >&2; exit 2; }

# A socket that reads and never answers: every query times out.
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$addr', $((port + 1))))
end = time.time() + 120
while time.time() < end:
    s.settimeout(1)
    try: s.recv(512)
    except OSError: pass
" &
hole_pid=$!

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# run NAME WANT_RC ARGS...: output in $tmp/out, $tmp/err
run() {
	name=$1 want=$2
	shift 2
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if grep -q -e Sanitizer -e 'runtime error' "$tmp/err"; then
		bad "$name: sanitizer: $(head -c 300 "$tmp/err")"
		return 1
	fi
	if [ "$rc" -ne "$want" ]; then
		bad "$name: exit $rc, want $want; $(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"
		return 1
	fi
	return 0
}

# json NAME PYTHON-EXPR: asserts over d (the JSON in $tmp/out)
json() {
	if python3 - "$tmp/out" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"d": d}) else 1)
PY
	then ok; else bad "$1: $2 on $(head -c 600 "$tmp/out")"; fi
}

S="--dns-server $addr:$port"

run listed 2 $S --json dnsbl --list bl.test --timeout 1 --tries 2 127.0.0.2 &&
json listed 'd == {"results": [{"ip": "127.0.0.2", "list": "bl.test", "status": "listed", "codes": ["127.0.0.2"], "txt": "Listed in the test list: 127.0.0.2"}]}'

run clean 0 $S --json dnsbl --list bl.test 192.0.2.1 2001:db8::1 &&
json clean '[r["status"] for r in d["results"]] == ["clean", "clean"] and all(r["codes"] == [] and r["txt"] is None for r in d["results"])'

run error_code 3 $S --json dnsbl --list err.test 192.0.2.1 &&
json error_code 'd["results"][0]["status"] == "error" and d["results"][0]["codes"] == ["127.255.255.254"] and "public or open resolver" in d["results"][0]["txt"]'

run outside_127 3 $S --json dnsbl --list wild.test 192.0.2.1 &&
json outside_127 'd["results"][0]["status"] == "error" and "outside 127.0.0.0/8" in d["results"][0]["txt"]'

# Listed somewhere and an error elsewhere: listed wins the exit code, the
# error stays an error.
run mixed 2 $S --json dnsbl --list bl.test --list err.test --list domain:dbl.test \
	127.0.0.2 192.0.2.66 spam.example.test ok.example.test &&
json mixed '([(r["ip"], r["list"], r["status"]) for r in d["results"]] == [
 ("127.0.0.2", "bl.test", "listed"), ("127.0.0.2", "err.test", "error"),
 ("192.0.2.66", "bl.test", "listed"), ("192.0.2.66", "err.test", "error"),
 ("spam.example.test", "dbl.test", "listed"), ("ok.example.test", "dbl.test", "clean")]
 and d["results"][4]["txt"] == "Spam domain spam.example.test")'

run text 2 $S dnsbl --list bl.test 127.0.0.2 192.0.2.1 &&
if head -n 1 "$tmp/out" | grep -q '^DNSBL CRITICAL - 1 listed, 0 errors, 2 queries | listed=1 errors=0 queries=2$' &&
	grep -q '127.0.0.2 *bl.test *listed *127.0.0.2 *Listed in the test list' "$tmp/out"; then ok
else bad "text: $(cat "$tmp/out")"; fi

run timeout 3 --dns-server "$addr:$((port + 1))" --json dnsbl --list bl.test \
	--timeout 0.3 --tries 1 127.0.0.2 &&
json timeout 'd["results"][0]["status"] == "timeout" and d["results"][0]["txt"]'

run no_domain_list 3 $S dnsbl --list bl.test example.test &&
if grep -q 'no domain list' "$tmp/err"; then ok; else bad "no_domain_list: $(cat "$tmp/err")"; fi
run bad_zone 3 $S dnsbl --list 'bad zone' 127.0.0.2 && ok
run bad_target 3 $S dnsbl --list bl.test 'not a target' && ok
run no_args 3 dnsbl && ok
run help 0 dnsbl --help && ok

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
