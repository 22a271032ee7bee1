#!/bin/sh
# DKIM against an independent signer and real DNS: opendkim-genkey makes a
# 2048-bit key and its TXT record, opendkim-testmsg (libopendkim) signs a
# message with it, nsd serves the record (and a revoked and a 1024-bit
# testing key) as a root zone on 127.0.0.11, and the real
# `mailcanary --dns-server ... dkim verify|key` judges them. A server that
# does not answer must give temperror, never "no key".
#   usage: test_dkim.sh [MAILCANARY]   (default: $MAILCANARY, else build/mailcanary)
# Last line: "N passed, N failed"; exit status non-zero on any failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${MAILCANARY:-$repo/build/mailcanary}}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
addr=127.0.0.11
port=${DKIM_DNS_PORT:-15373}
dead_port=$((port + 1))            # nothing listens there
DNS_ENV_DIR=$repo/tests/env/dns
. "$DNS_ENV_DIR/nsd_env.sh"

[ -x "$bin" ] || { echo "test_dkim: no binary at $bin" >&2; exit 2; }
for t in nsd opendkim-genkey opendkim-testmsg; do
	command -v "$t" >/dev/null || { echo "test_dkim: $t not installed" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/mailcanary-dkim.XXXXXX)
cleanup() {
	dns_nsd_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- keys, zone, signed message ----
opendkim-genkey --bits=2048 --domain=example.test --selector=mc2026 \
	--append-domain --hash-algorithms=sha1:sha256 --restrict \
	--directory="$tmp" || exit 2
opendkim-genkey --bits=1024 --domain=example.test --selector=short \
	--append-domain --hash-algorithms=sha1:sha256 --testmode \
	--directory="$tmp" || exit 2
# opendkim-genkey's default h=sha256, under opendkim-testmsg's rsa-sha1.
opendkim-genkey --bits=1024 --domain=example.test --selector=sha256only \
	--append-domain --directory="$tmp" || exit 2
# The zone: tests/data/zones/dkim.zone, plus the keys made above.
{
	sed "s/@ADDR@/$addr/g" "$repo/tests/data/zones/dkim.zone"
	# The stubs end in a comment after the closing parenthesis.
	sed 's/)[^"]*$/)/' "$tmp/mc2026.txt"
	sed 's/)[^"]*$/)/' "$tmp/short.txt"
	sed 's/)[^"]*$/)/' "$tmp/sha256only.txt"
} >"$tmp/root.zone"

dns_nsd_start "$tmp/nsd" "$addr" "$port" "$tmp/root.zone"
dns_wait_serial "$addr" "$port" 1 || { cat "$tmp/nsd/nsd.log" >&2; exit 2; }

# A message as it sits in a file: LF line ends.
cat >"$tmp/msg.eml" <<'EOF'
From: Probe <probe@example.test>
To: canary@example.net
Subject: mailcanary  DKIM   test
Date: Tue, 24 Nov 2026 11:21:03 +0000
Message-ID: <dkim-it@example.test>

Hello,

this message is signed by opendkim-testmsg.  	
Trailing blank lines follow.


EOF
# -C: the signature field with CRLF (without it opendkim-testmsg 2.11
# writes the folded b= value wrongly).
opendkim-testmsg -C -d example.test -s mc2026 -k "$tmp/mc2026.private" \
	<"$tmp/msg.eml" >"$tmp/signed.eml" || exit 2
grep -q '^DKIM-Signature:' "$tmp/signed.eml" || { echo "no signature" >&2; exit 2; }
opendkim-testmsg -C -d example.test -s short -k "$tmp/short.private" \
	<"$tmp/msg.eml" >"$tmp/short.eml" || exit 2
opendkim-testmsg -C -d example.test -s sha256only -k "$tmp/sha256only.private" \
	<"$tmp/msg.eml" >"$tmp/sha256only.eml" || exit 2
sed 's/this message/This message/' "$tmp/signed.eml" >"$tmp/tampered.eml"
sed 's/^Subject: mailcanary/Subject: Mailcanary/' "$tmp/signed.eml" >"$tmp/tampered-hdr.eml"
# x= added (which breaks the signature, but expiry is judged first).
sed 's/\([[:space:]]\)t=\([0-9]*\);/\1t=\2; x=4000000000;/' "$tmp/signed.eml" >"$tmp/expiring.eml"
for s in revoked bad missing; do
	sed "s/s=mc2026;/s=$s;/" "$tmp/signed.eml" >"$tmp/sel-$s.eml"
done

# ---- the checks ----
passed=0 failed=0
# check NAME WANT_EXIT PYTHON-EXPRESSION-OVER-d ARGS...
check() {
	name=$1 want_rc=$2 expr=$3
	shift 3
	"$bin" --dns-server "$addr:$port" --json "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && python3 - "$tmp/out" "$expr" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = (d.get("signatures") or [{}])[0]
sys.exit(0 if eval(sys.argv[2], {"d": d, "s": s}) else 1)
PY
	then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name (exit $rc, expected $want_rc; check: $expr)"
		sed 's/^/     out: /' "$tmp/out"
		sed 's/^/     err: /' "$tmp/err"
	fi
}

# opendkim-testmsg signs rsa-sha1 (relaxed/simple): it verifies, and is
# flagged weak (exit 1, WARNING).
check "verify opendkim signature" 1 \
	's["result"] == "pass" and s["domain"] == "example.test" and s["selector"] == "mc2026" and s["algorithm"] == "rsa-sha1" and s["key_type"] == "rsa" and s["key_bits"] == 2048 and s["weak"] and not s["testing"] and s["canonicalization"] == "relaxed/simple" and d["severity"] == 1 and len(d["signatures"]) == 1' \
	dkim verify "$tmp/signed.eml"
check "verify from stdin" 1 's["result"] == "pass"' \
	dkim verify - <"$tmp/signed.eml"
check "tampered body" 2 's["result"] == "fail" and s["reason"] == "body hash mismatch"' \
	dkim verify "$tmp/tampered.eml"
check "tampered header" 2 's["result"] == "fail" and s["reason"] == "signature mismatch"' \
	dkim verify "$tmp/tampered-hdr.eml"
check "1024-bit testing key" 1 \
	's["result"] == "pass" and s["key_bits"] == 1024 and s["testing"] and "key too short (1024 bits)" in s["warnings"] and "key in testing mode (t=y)" in s["warnings"]' \
	dkim verify "$tmp/short.eml"
check "key h= excludes the signature's hash" 2 \
	's["result"] == "permerror" and s["reason"] == "key does not allow the hash of a=rsa-sha1 (h=sha256)"' \
	dkim verify "$tmp/sha256only.eml"
check "revoked key" 2 's["result"] == "permerror" and s["reason"].startswith("key revoked")' \
	dkim verify "$tmp/sel-revoked.eml"
check "bad key record" 2 's["result"] == "permerror" and "p= is not base64" in s["reason"]' \
	dkim verify "$tmp/sel-bad.eml"
check "missing key" 2 's["result"] == "permerror" and s["reason"].startswith("no key")' \
	dkim verify "$tmp/sel-missing.eml"
check "unsigned message" 2 'd["signatures"] == [] and d["severity"] == 2' \
	dkim verify "$tmp/msg.eml"
check "expired (--now)" 2 \
	's["result"] == "permerror" and s["reason"] == "expired at 2096-10-02T07:06:40Z (x=)" and s["expires_at"] == "2096-10-02T07:06:40Z"' \
	dkim verify --now 4102444800 "$tmp/expiring.eml"
check "not yet expired" 2 's["result"] == "fail" and s["reason"] == "signature mismatch"' \
	dkim verify "$tmp/expiring.eml"

check "key ok" 0 \
	'd["status"] == "ok" and d["key_type"] == "rsa" and d["key_bits"] == 2048 and d["severity"] == 0 and not d["testing"] and not d["revoked"] and d["services"] == "email" and d["name"] == "mc2026._domainkey.example.test"' \
	dkim key example.test mc2026
check "key short, testing" 1 \
	'd["status"] == "ok" and d["key_bits"] == 1024 and d["testing"] and d["severity"] == 1' \
	dkim key example.test short
check "key revoked" 2 'd["status"] == "revoked" and d["revoked"]' \
	dkim key example.test revoked
check "key invalid" 2 'd["status"] == "invalid" and "base64" in d["problem"]' \
	dkim key example.test bad
check "key missing" 2 'd["status"] == "none" and d["key_type"] is None' \
	dkim key example.test missing

# No answer at all: temperror (exit 3), never "no key".
"$bin" --dns-server "$addr:$dead_port" --json dkim verify --timeout 0.3 \
	--tries 1 "$tmp/signed.eml" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 3 ] && grep -q '"result":"temperror"' "$tmp/out"; then
	passed=$((passed + 1)); echo "ok   verify, DNS silent"
else
	failed=$((failed + 1)); echo "FAIL verify, DNS silent (exit $rc)"; cat "$tmp/out" "$tmp/err"
fi
"$bin" --dns-server "$addr:$dead_port" --json dkim key --timeout 0.3 \
	--tries 1 example.test mc2026 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 3 ] && grep -q '"status":"temperror"' "$tmp/out"; then
	passed=$((passed + 1)); echo "ok   key, DNS silent"
else
	failed=$((failed + 1)); echo "FAIL key, DNS silent (exit $rc)"; cat "$tmp/out" "$tmp/err"
fi

# Text output and usage.
"$bin" --dns-server "$addr:$port" dkim verify "$tmp/signed.eml" >"$tmp/out" 2>&1
if grep -q '^pass  *d=example.test s=mc2026 a=rsa-sha1 key=rsa/2048: rsa-sha1 is weak' "$tmp/out"; then
	passed=$((passed + 1)); echo "ok   text output"
else
	failed=$((failed + 1)); echo "FAIL text output"; cat "$tmp/out"
fi
for args in "dkim" "dkim sign x" "dkim verify" "dkim key example.test" \
	"dkim verify --now x $tmp/signed.eml" "dkim verify /nonexistent"; do
	# shellcheck disable=SC2086
	"$bin" $args >/dev/null 2>&1
	rc=$?
	if [ "$rc" = 3 ]; then
		passed=$((passed + 1)); echo "ok   usage: $args"
	else
		failed=$((failed + 1)); echo "FAIL usage: $args (exit $rc)"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
