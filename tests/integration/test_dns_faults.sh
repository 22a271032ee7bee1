#!/bin/sh
# DNS faults a real server will not produce, through the real `mailcanary
# --json spf` (and dnsbl, check, dmarc, dkim key): tests/env/dns/fakedns.py answers SERVFAIL/REFUSED, stays
# silent, truncates UDP (TC) and answers fully over TCP, drops the TCP
# connection, sends malformed and oversized packets. Timeouts and SERVFAIL
# must be temperror (never none/pass), TCP fallback must give the right
# result, and nothing may crash. The fake listens on 127.0.0.10 and, when
# the host has IPv6 loopback, also on [::1] (--dns-server with IPv6).
#   usage: test_dns_faults.sh [MAILCANARY]     (default build/mailcanary)
# Last line: "N passed, N failed"; exit status non-zero on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/build/mailcanary}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
env_dir=$repo/tests/env/dns
addr=127.0.0.10
port=${FAULT_DNS_PORT:-15363}

[ -x "$bin" ] || { echo "test_dns_faults: no binary at $bin" >&2; exit 2; }
tmp=$(mktemp -d /tmp/mailcanary-dnsfault.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_fake() {   # ADDR; waits (bounded) until it answers
	python3 "$env_dir/fakedns.py" "$1" "$port" "$tmp/fake.log" \
		2>>"$tmp/fake.err" &
	pids="$pids $!"
	i=0
	while [ $i -lt 50 ]; do
		python3 "$env_dir/dnswire.py" query "$1" "$port" ok.fault.test TXT \
			>/dev/null 2>&1 && return 0
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

start_fake "$addr" || { cat "$tmp/fake.err" >&2; exit 2; }
v6=
if start_fake ::1 2>/dev/null; then v6=1; fi

passed=0 failed=0
# check NAME SERVER MAILFROM WANT_RESULT WANT_EXIT [PROBLEM_SUBSTRING]
check() {
	name=$1 server=$2 from=$3 want=$4 want_rc=$5 why=${6:-}
	"$bin" --dns-server "$server" --json spf --timeout 0.5 --tries 2 \
		192.0.2.1 "$from" helo.fault.test >"$tmp/out" 2>"$tmp/err"
	rc=$?
	verdict=$(python3 - "$tmp/out" "$tmp/err" "$want" "$why" <<'EOF'
import json, sys
out, err, want, why = sys.argv[1:5]
try:
    doc = json.load(open(out))
except ValueError as e:
    print("output is not one JSON document: %s" % e); sys.exit()
text = open(err, errors="replace").read()
if "Sanitizer" in text or "runtime error" in text:
    print("sanitizer report: " + text[:300]); sys.exit()
if doc.get("result") != want:
    print("result %s, want %s (%s)" % (doc.get("result"), want,
                                       doc.get("problem")))
elif why and why not in doc.get("problem", ""):
    print("problem %r does not mention %r" % (doc.get("problem"), why))
else:
    print("ok")
EOF
)
	if [ "$verdict" = ok ] && [ "$rc" -eq "$want_rc" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $name: $verdict (exit $rc, want $want_rc)"
	fi
}

s=$addr:$port
check ok "$s" x@ok.fault.test pass 0
check servfail "$s" x@servfail.fault.test temperror 3 SERVFAIL
check refused "$s" x@refused.fault.test temperror 3 REFUSED
check timeout "$s" x@timeout.fault.test temperror 3 "(timeout)"
check tc-tcp-fallback "$s" x@tc.fault.test pass 0
check tcp-dropped "$s" x@tcdrop.fault.test temperror 3
for m in short badid otherq rdlen ptrloop ancount txtlen garbage; do
	check "malformed-$m" "$s" "x@$m.fault.test" temperror 3
done
check huge-txt "$s" x@hugetxt.fault.test temperror 3 longer
check many-txt "$s" x@manytxt.fault.test temperror 3 "more than"
check cname-chain "$s" x@cnamechain.fault.test pass 0
check include-servfail "$s" x@include.fault.test temperror 3 SERVFAIL
check mx-first-answers "$s" x@mx.fault.test pass 0
check nxdomain-is-none "$s" x@absent.fault.test none 1
# The other DNS commands meet the same faults below each fault's name
# (fakedns.py: the rightmost label under fault.test decides): a DNSBL
# query 1.2.0.192.K.fault.test, _dmarc.K.fault.test, s1._domainkey.K...
# A fault is never "clean", "listed", "no record" or OK.
# judge NAME WANT_RC PYTHON-EXPR(d) CMD...
judge() {
	name=$1 want_rc=$2 expr=$3
	shift 3
	"$bin" --dns-server "$s" --json "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	verdict=$(python3 - "$tmp/out" "$tmp/err" "$expr" <<'EOF'
import json, sys
out, err, expr = sys.argv[1:4]
try:
    d = json.load(open(out))
except ValueError as e:
    print("output is not one JSON document: %s" % e); sys.exit()
text = open(err, errors="replace").read()
if "Sanitizer" in text or "runtime error" in text:
    print("sanitizer report: " + text[:300]); sys.exit()
print("ok" if eval(expr, {"d": d}) else "%s is false on %s" % (expr, open(out).read()[:400]))
EOF
)
	if [ "$verdict" = ok ] && { [ "$want_rc" = any ] || [ "$rc" -eq "$want_rc" ]; }; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $name: $verdict (exit $rc, want $want_rc)"
	fi
}
T="--timeout 0.5 --tries 2"
bl() { judge "dnsbl-$1" "$2" "$3" dnsbl $T --list "$1.fault.test" 192.0.2.1; }
st='d["results"][0]["status"]'
bl ok 0 "$st == 'clean'"
bl servfail 3 "$st == 'error' and 'SERVFAIL' in d['results'][0]['txt']"
bl refused 3 "$st == 'error' and 'REFUSED' in d['results'][0]['txt']"
bl timeout 3 "$st == 'timeout'"
bl tc 2 "$st == 'listed' and d['results'][0]['codes'] == ['127.0.0.2']"   # TCP fallback
bl tcdrop 3 "$st in ('error', 'timeout')"
for m in short badid otherq; do          # c-ares ignores such replies: no answer
	bl $m 3 "$st in ('error', 'timeout')"
done
for m in rdlen ptrloop ancount garbage; do
	bl $m 3 "$st == 'error' and 'malformed' in d['results'][0]['txt']"
done
# A NOERROR answer holding no A record (only TXT/CNAME records, broken or
# huge) lists nothing (RFC 5782 lists by A): clean or error, never listed.
for m in txtlen hugetxt manytxt cnamechain; do
	bl $m any "$st in ('clean', 'error')"
done
for m in servfail refused timeout short rdlen garbage; do
	judge "check-$m" 3 '(d["severity"] == 3 and d["mx"]["status"] != "ok"
	    and d["spf"]["result"] == "temperror" and d["dmarc"]["severity"] == 3
	    and {p["check"] for p in d["problems"]} >= {"mx", "spf", "dmarc"})' \
		check "$m.fault.test" --no-dnsbl --selector s1 --timeout 0.5 --tries 1
	judge "dmarc-$m" 3 'd["severity"] == 3 and d["policy"] is None and "cannot tell" in d["errors"][0]' \
		dmarc --timeout 0.5 --tries 1 "$m.fault.test"
	judge "dkim-key-$m" 3 'd["status"] == "temperror" and d["key_type"] is None' \
		dkim key --timeout 0.5 --tries 1 "$m.fault.test" s1
done
judge dmarc-hugetxt 3 '"longer than" in d["errors"][0]' \
	dmarc --timeout 0.5 --tries 1 hugetxt.fault.test

if [ -n "$v6" ]; then
	check ipv6-server "[::1]:$port" x@ok.fault.test pass 0
	check ipv6-server-tc "[::1]:$port" x@tc.fault.test pass 0
else
	echo "skip: no IPv6 loopback, --dns-server [::1] not tested"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
