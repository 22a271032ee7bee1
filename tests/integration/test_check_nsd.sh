#!/bin/sh
# `mailcanary check` and `mailcanary dmarc` against a real nsd on
# 127.0.0.13 serving the domains' MX, A/AAAA, SPF, DKIM, DMARC and PTR
# records as one root zone: a healthy domain (OK), a broken one (null MX,
# PTR not confirmed, SPF fail, no DKIM key, two DMARC records, listed),
# an MX that is an alias, the organisational-domain fallback, [check]
# sections of a config run without a DOMAIN, text with perfdata, a silent
# server (UNKNOWN, never OK), and bad usage. check has one DNS server, so
# its blocklist zones are served by nsd too (rbldnsd is exercised by
# test_dnsbl_rbldnsd.sh).
#   usage: test_check_nsd.sh [MAILCANARY]   (default $MAILCANARY, else
#          build/mailcanary). Last line: "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${MAILCANARY:-$repo/build/mailcanary}}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
addr=127.0.0.13
port=${CHECK_DNS_PORT:-15395}          # nsd; port+1: a silent socket
DNS_ENV_DIR=$repo/tests/env/dns
. "$DNS_ENV_DIR/nsd_env.sh"

[ -x "$bin" ] || { echo "test_check_nsd: no binary at $bin" >&2; exit 2; }
command -v nsd >/dev/null || { echo "test_check_nsd: nsd not installed" >&2; exit 2; }

tmp=$(mktemp -d /tmp/mailcanary-check.XXXXXX)
hole_pid=
cleanup() {
	dns_nsd_stop
	[ -n "$hole_pid" ] && kill "$hole_pid" 2>/dev/null && wait "$hole_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The zone: tests/data/zones/check.zone (README.md there says what each
# domain tests).
cp "$repo/tests/data/zones/check.zone" "$tmp/root.zone"
dns_nsd_start "$tmp/nsd" "$addr" "$port" "$tmp/root.zone"
dns_wait_serial "$addr" "$port" 1 || { cat "$tmp/nsd/nsd.log" >&2; exit 2; }

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
		bad "$name: exit $rc, want $want; $(head -c 800 "$tmp/out") $(head -c 300 "$tmp/err")"
		return 1
	fi
	return 0
}

json() {
	if python3 - "$tmp/out" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = [x["message"] for x in d.get("problems", [])]
sys.exit(0 if eval(sys.argv[2], {"d": d, "p": p}) else 1)
PY
	then ok; else bad "$1: $2 on $(head -c 1500 "$tmp/out")"; fi
}

S="--dns-server $addr:$port"
L="--dnsbl bl.test --dnsbl domain:dbl.test"

run good 0 $S --json check good.example.test --ip 192.0.2.10 --selector s1 $L &&
json good '(d["severity"] == 0 and d["domain"] == "good.example.test"
 and set(d) >= {"domain","severity","mx","ptr","spf","dkim","dmarc","dnsbl","problems"}
 and d["mx"]["null_mx"] is False and d["mx"]["severity"] == 0
 and d["mx"]["hosts"] == [{"host": "mx.good.example.test", "preference": 10,
      "addresses": ["192.0.2.25", "2001:db8::25"], "cname": None, "ip_literal": False}]
 and d["ptr"][0]["ip"] == "192.0.2.10" and d["ptr"][0]["names"] == ["out.good.example.test"]
 and d["ptr"][0]["fcrdns"] is True
 and d["spf"]["record"].startswith("v=spf1 ip4:192.0.2.10") and d["spf"]["result"] == "pass"
 and d["spf"]["dns_lookups"] == 0 and d["spf"]["void_lookups"] == 0 and d["spf"]["severity"] == 0
 and d["dkim"][0]["selector"] == "s1" and d["dkim"][0]["key_type"] == "rsa"
 and d["dkim"][0]["key_bits"] == 2048 and d["dkim"][0]["testing"] is False
 and d["dkim"][0]["revoked"] is False and d["dkim"][0]["severity"] == 0
 and d["dmarc"]["policy"] == "reject" and d["dmarc"]["subdomain_policy"] == "quarantine"
 and d["dmarc"]["record_domain"] == "good.example.test"
 and [(r["ip"], r["list"], r["status"]) for r in d["dnsbl"]] ==
     [("192.0.2.10", "bl.test", "clean"), ("good.example.test", "dbl.test", "clean")]
 and d["problems"] == [])'

run bad 2 $S --json check bad.example.test --ip 192.0.2.11 --selector s1 $L &&
json bad '(d["severity"] == 2 and d["mx"]["null_mx"] is True
 and d["ptr"][0]["fcrdns"] is False and d["ptr"][0]["names"] == ["elsewhere.example.test"]
 and d["spf"]["result"] == "fail" and d["spf"]["severity"] == 2
 and d["dkim"][0]["key_type"] is None and d["dkim"][0]["severity"] == 2
 and d["dmarc"]["severity"] == 2 and any("2 DMARC records" in e for e in d["dmarc"]["errors"])
 and [r["status"] for r in d["dnsbl"]] == ["listed", "listed"]
 and d["dnsbl"][0]["txt"] == "listed for the check test"
 and {x["check"] for x in d["problems"]} == {"mx", "ptr", "spf", "dkim", "dmarc", "dnsbl"}
 and all(x["severity"] in (1, 2, 3) for x in d["problems"]))'

run alias 1 $S --json check alias.example.test --no-dnsbl &&
json alias '(d["mx"]["hosts"][0]["cname"] == "real.alias.example.test"
 and d["mx"]["severity"] == 1 and d["spf"]["record"] is None and d["spf"]["result"] == "none"
 and d["dmarc"]["policy"] == "quarantine" and d["dmarc"]["pct"] == 100
 and any("pct: " in e for e in d["dmarc"]["errors"]) and any("rua: " in e for e in d["dmarc"]["errors"])
 and d["dnsbl"] == [] and d["severity"] == 1)'

run text 0 $S check good.example.test --ip 192.0.2.10 --selector s1 $L &&
if head -n 1 "$tmp/out" | grep -q '^MAILCANARY CHECK OK - good.example.test: no problems$' &&
	tail -n 1 "$tmp/out" | grep -q '^| dns_lookups=[0-9][0-9]* dnsbl_listed=0 problems=0 spf_lookups=0;;10;0; seconds=' &&
	grep -q '^  dkim   OK       s1: rsa 2048 bits$' "$tmp/out"; then ok
else bad "text: $(cat "$tmp/out")"; fi

run text_bad 2 $S check bad.example.test --ip 192.0.2.11 $L &&
if head -n 1 "$tmp/out" | grep -q '^MAILCANARY CHECK CRITICAL - bad.example.test: ' &&
	tail -n 1 "$tmp/out" | grep -q '^| dns_lookups=[0-9]* dnsbl_listed=2 ' &&
	grep -q 'CRITICAL mx .*null MX' "$tmp/out"; then ok
else bad "text_bad: $(cat "$tmp/out")"; fi

cat >"$tmp/mc.conf" <<C
[global]
dns_timeout = 2
dns_tries = 2

[check "good"]
domain = good.example.test
ips = 192.0.2.10
selectors = s1
dnsbl = bl.test, domain:dbl.test

[check "bad"]
domain = bad.example.test
ips = 192.0.2.11
dnsbl =
C
run config 2 -c "$tmp/mc.conf" $S --json check &&
json config '([c["check"] for c in d["checks"]] == ["good", "bad"]
 and [c["severity"] for c in d["checks"]] == [0, 2] and d["severity"] == 2
 and d["checks"][1]["dnsbl"] == [] and len(d["checks"][0]["dnsbl"]) == 2)'
run config_text 2 -c "$tmp/mc.conf" $S check &&
if head -n 1 "$tmp/out" | grep -q "^MAILCANARY CHECK CRITICAL - 2 domains: " &&
	tail -n 1 "$tmp/out" | grep -q "'good_spf_lookups'=0;;10;0; 'bad_spf_lookups'=0;;10;0;"; then ok
else bad "config_text: $(head -n 3 "$tmp/out")"; fi
printf '[global]\n' >"$tmp/empty.conf"
run config_empty 3 -c "$tmp/empty.conf" $S check && ok
run config_missing 3 -c "$tmp/nope.conf" $S check && ok

run timeout 3 --dns-server "$addr:$((port + 1))" --json check good.example.test \
	--ip 192.0.2.10 --selector s1 $L --timeout 0.3 --tries 1 &&
json timeout '(d["severity"] == 3 and d["mx"]["status"] == "timeout"
 and d["spf"]["result"] == "temperror" and d["ptr"][0]["status"] == "timeout"
 and [r["status"] for r in d["dnsbl"]] == ["timeout", "timeout"] and len(d["problems"]) >= 5)'

run usage_ip_without_domain 3 $S check --ip 192.0.2.1 && ok
run usage_bad_ip 3 $S check good.example.test --ip 192.0.2.300 && ok
run usage_bad_domain 3 $S check 'bad..domain' && ok
run usage_both 3 $S check good.example.test --dnsbl bl.test --no-dnsbl && ok
run help 0 check --help && ok

# dmarc
run dmarc_good 0 $S --json dmarc Good.Example.Test &&
json dmarc_good 'd == {"domain": "good.example.test", "record_domain": "good.example.test",
 "record": "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@good.example.test",
 "policy": "reject", "subdomain_policy": "quarantine", "pct": 100, "adkim": "r", "aspf": "r",
 "rua": ["mailto:dmarc@good.example.test"], "ruf": [], "errors": [], "severity": 0}'
# With the real list "example.test" is the org domain ("test" is not a
# listed suffix); a list naming example.test a suffix makes it
# good.example.test.
printf '// test\nexample.test\n' >"$tmp/psl.dat"
run dmarc_org_real 1 $S --json dmarc a.b.good.example.test &&
json dmarc_org_real '"nor at _dmarc.example.test" in d["errors"][0]'
run dmarc_org 0 $S --json dmarc --psl "$tmp/psl.dat" a.b.good.example.test &&
json dmarc_org 'd["record_domain"] == "good.example.test" and d["domain"] == "a.b.good.example.test"'
run dmarc_two 2 $S --json dmarc bad.example.test &&
json dmarc_two 'd["policy"] is None and "2 DMARC records" in d["errors"][0]'
run dmarc_none 1 $S --json dmarc none.example.test &&
json dmarc_none 'd["record"] is None and d["severity"] == 1'
run dmarc_tags 1 $S dmarc alias.example.test &&
if grep -q '^DMARC WARNING - alias.example.test: p=quarantine$' "$tmp/out" &&
	grep -q "pct: '200' is not a whole number 0..100" "$tmp/out"; then ok
else bad "dmarc_tags: $(cat "$tmp/out")"; fi
run dmarc_timeout 3 --dns-server "$addr:$((port + 1))" --json dmarc \
	--timeout 0.3 --tries 1 good.example.test &&
json dmarc_timeout 'd["severity"] == 3 and "cannot tell" in d["errors"][0]'
run dmarc_usage 3 $S dmarc && ok
run dmarc_bad_domain 3 $S dmarc 'a b' && ok
run dmarc_bad_psl 3 $S dmarc --psl "$tmp/nope.dat" good.example.test && ok

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
