#!/bin/sh
# spf --batch: bad input is bad usage naming FILE:LINE before anything is
# asked; answers come in input order; a DNS server that does not answer
# is temperror (exit 3), never a pass. The results themselves are checked
# against the OpenSPF suite by test_spf_suite.sh, which runs every
# scenario through --batch too. Last: the batch's shared DNS cache -- the
# same answers with and without it, and fewer queries reach the server
# with it (counted by tests/env/dns/dnsfront.py in front of nsd on
# 127.0.0.10:15414, port 15413 for mailcanary).
. "$(dirname "$0")/lib.sh"

printf '127.0.0.1 a@b.test\n\n# a comment\n127.0.0.1\n' >"$TMP/bad1"
mc spf --batch "$TMP/bad1"
expect_rc 3
grep -q "bad1:4: want \"IP MAILFROM \[HELO\]\", got 1 field" "$TMP/err" || fail "field count not named by file:line"

printf '127.0.0.1 <>\n' >"$TMP/bad2"
mc spf --batch "$TMP/bad2"
expect_rc 3
grep -q "bad2:1: MAILFROM <> needs a HELO" "$TMP/err" || fail "<> without HELO"

printf '127.0.0.1 a@b.test x y\n' >"$TMP/bad3"
mc spf --batch "$TMP/bad3"
expect_rc 3
grep -q "bad3:1: .*got 4 fields" "$TMP/err" || fail "4 fields"

printf '127.0.0.1 a\0@b.test\n' >"$TMP/bad4"
mc spf --batch "$TMP/bad4"
expect_rc 3
grep -q "a NUL byte" "$TMP/err" || fail "NUL byte"

mc spf --batch "$TMP/missing"
expect_rc 3
mc spf --batch "$TMP/bad1" 127.0.0.1 a@b.test
expect_rc 3

# Nothing answers on port 9 of a loopback address: temperror, in order.
printf '127.0.0.1 a@one.test\n::1 <> two.test\n127.0.0.3 c@three.test\n' >"$TMP/q"
mc --json --dns-server 127.0.0.1:9 spf --timeout 1 --tries 1 --batch "$TMP/q"
expect_rc 3
jcheck '[r["result"] for r in d["results"]] == ["temperror"] * 3' "not temperror"
jcheck '[r["ip"] for r in d["results"]] == ["127.0.0.1", "::1", "127.0.0.3"]' "not in input order"
jcheck 'd["results"][1]["mailfrom"] == "" and d["results"][1]["helo"] == "two.test"'

# ---- the cache: nsd behind a front that logs every query it relays
repo=$(cd "$(dirname "$0")/../.." && pwd)
DNS_ENV_DIR=$repo/tests/env/dns
. "$DNS_ENV_DIR/nsd_env.sh"
command -v nsd >/dev/null || fail "nsd not installed (tests/env/deps.sh)"
caddr=127.0.0.10
cport=${SPF_CACHE_DNS_PORT:-15413}   # the front; nsd on the next port
front_pid=
cleanup_cache() {
	st=$?
	set +e
	[ -n "$front_pid" ] && kill "$front_pid" 2>/dev/null && wait "$front_pid" 2>/dev/null
	dns_nsd_stop
	rm -rf "$TMP"
	exit "$st"
}
trap cleanup_cache EXIT
# Per evaluation for 192.0.2.9 (fail): TXT cache.test, A missing (NXDOMAIN,
# cached by the SOA's minimum), TXT inc.cache.test, A host.cache.test.
cat >"$TMP/root.zone" <<'ZONE'
$TTL 300
. IN SOA ns.cache.test. hostmaster.cache.test. 1 3600 600 86400 300
. IN NS ns.cache.test.
cache.test. TXT "v=spf1 a:missing.cache.test include:inc.cache.test a:host.cache.test -all"
inc.cache.test. TXT "v=spf1 ip4:192.0.2.1 -all"
host.cache.test. A 192.0.2.2
twice.cache.test. TXT "v=spf1 a:host.cache.test a:host.cache.test include:inc.cache.test include:inc.cache.test -all"
wide.cache.test. TXT "v=spf1 include:w1.cache.test include:w2.cache.test include:w3.cache.test -all"
w1.cache.test. TXT "v=spf1 a:w1a.cache.test -all"
w1a.cache.test. A 192.0.2.50
w2.cache.test. TXT "v=spf1 ip4:192.0.2.2 -all"
w3.cache.test. TXT "v=spf1 ip4:192.0.2.9 -all"
ZONE
printf '{"timeout_names": {}, "timeout_types": [], "names": []}\n' >"$TMP/rules.json"
dns_nsd_start "$TMP/nsd" "$caddr" $((cport + 1)) "$TMP/root.zone"
python3 "$DNS_ENV_DIR/dnsfront.py" "$caddr" "$cport" $((cport + 1)) \
	"$TMP/rules.json" "$TMP/front.log" 2>>"$TMP/front.err" &
front_pid=$!
dns_wait_serial "$caddr" $((cport + 1)) 1 || { cat "$TMP/nsd/nsd.log" >&2; fail "nsd did not start"; }
dns_wait_serial "$caddr" "$cport" 1 || { cat "$TMP/front.err" >&2; fail "the front did not start"; }

n=200
i=0
: >"$TMP/many"
while [ "$i" -lt "$n" ]; do
	echo "192.0.2.9 user$i@cache.test" >>"$TMP/many"
	i=$((i + 1))
done
asked() { grep -c 'cache\.test' "$TMP/front.log" || :; }

: >"$TMP/front.log"
# (text output: 200 JSON traces would swamp the log)
mc --dns-server "$caddr:$cport" spf --no-cache --batch "$TMP/many"
expect_rc 2
cp "$TMP/out" "$TMP/nocache.txt"
[ "$(grep -c '^fail      192\.0\.2\.9 user[0-9]*@cache\.test$' "$TMP/out")" -eq "$n" ] ||
	fail "--no-cache: not $n fail lines"
uncached=$(asked)
[ "$uncached" -eq $((4 * n)) ] || fail "--no-cache: $uncached queries reached the server, expected $((4 * n))"

: >"$TMP/front.log"
mc --dns-server "$caddr:$cport" spf --batch "$TMP/many"
expect_rc 2
cmp -s "$TMP/out" "$TMP/nocache.txt" || fail "the cache changed the results"
cached=$(asked)
# The evaluation itself is the same: lookups counted as before.
head -n 3 "$TMP/many" >"$TMP/three"
mc --json --dns-server "$caddr:$cport" spf --batch "$TMP/three"
expect_rc 2
jcheck 'all(r["result"] == "fail" and r["dns_lookups"] == 3 and r["void_lookups"] == 1 for r in d["results"])' "lookup counts with the cache"
# Each of the 16 workers misses each of the 4 names at most once (while
# another worker's answer is still on its way); then everyone hits.
[ "$cached" -ge 4 ] && [ "$cached" -le $((16 * 4)) ] ||
	fail "with the cache: $cached queries reached the server (want 4..64)"
[ "$cached" -lt "$uncached" ] || fail "the cache saved no query"
echo "cache: $cached queries reached the server, $uncached without it" >&2

# One question uses the cache too: the names twice.cache.test asks twice
# go to the server once (5 queries without it, 3 with); the result and
# the lookup count do not change.
: >"$TMP/front.log"
mc --json --dns-server "$caddr:$cport" spf --no-cache 192.0.2.9 a@twice.cache.test
expect_rc 2
jcheck 'd["result"] == "fail" and d["dns_lookups"] == 4' "twice: --no-cache result"
cp "$TMP/out" "$TMP/twice.nocache"
[ "$(asked)" -eq 5 ] || fail "one question, --no-cache: $(asked) queries, expected 5"
: >"$TMP/front.log"
mc --json --dns-server "$caddr:$cport" spf 192.0.2.9 a@twice.cache.test
expect_rc 2
cmp -s "$TMP/out" "$TMP/twice.nocache" || fail "the cache changed one question's answer"
[ "$(asked)" -eq 3 ] || fail "one question with the cache: $(asked) queries, expected 3"

# Lookahead: once wide.cache.test's record is read, the TXTs of its
# second and third includes are asked at once, not each after the answers
# before it (through a far resolver, 3 round trips instead of 5): w3's
# TXT is sent before w1a's A, which --no-cache asks only after w1's answer
# (strace shows the order sent; the front, answering in threads, may log
# concurrent queries in any order). The same 5 queries reach the server,
# and the answer, counts and trace are those of --no-cache.
# (LeakSanitizer cannot run under ptrace: off for the traced runs.)
nolsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
sent_order() { # the names of the queries sent, in order, from strace
	grep 'sendto(' "$TMP/strace" |
		sed -n 's/.*\\[0-9]\(w[a-z0-9]*\)\\5cache\\4test.*/\1/p' | tr '\n' ,
}
: >"$TMP/front.log"
ASAN_OPTIONS=$nolsan strace -f -e trace=sendto -o "$TMP/strace" "$MAILCANARY" --json \
	--dns-server "$caddr:$cport" spf --no-cache 192.0.2.9 a@wide.cache.test \
	>"$TMP/wide.nocache" 2>"$TMP/err" || fail "wide, --no-cache: $(cat "$TMP/err")"
[ "$(sent_order)" = "wide,w1,w1a,w2,w3," ] || fail "wide, --no-cache: sent $(sent_order)"
[ "$(wc -l <"$TMP/front.log")" -eq 5 ] || fail "wide, --no-cache: not 5 queries"
: >"$TMP/front.log"
ASAN_OPTIONS=$nolsan strace -f -e trace=sendto -o "$TMP/strace" "$MAILCANARY" --json \
	--dns-server "$caddr:$cport" spf 192.0.2.9 a@wide.cache.test \
	>"$TMP/out" 2>"$TMP/err" || fail "wide: $(cat "$TMP/err")"
cp "$TMP/out" "$TMP/wide.json"
jcheck 'd["result"] == "pass" and d["dns_lookups"] == 4 and d["void_lookups"] == 0' "wide: result"
cmp -s "$TMP/out" "$TMP/wide.nocache" || fail "lookahead changed the answer"
[ "$(sent_order)" = "wide,w2,w3,w1,w1a," ] || fail "wide: not asked ahead: sent $(sent_order)"
[ "$(wc -l <"$TMP/front.log")" -eq 5 ] || fail "wide: $(wc -l <"$TMP/front.log") queries, expected 5"

# A batch first asks, all at once, for the TXT records its questions'
# domains start with: one round trip for them all instead of one per
# question (through a far resolver, the first round of a batch). The
# first three queries are those three, each once, before any A query;
# the results are the same as without the cache.
printf '192.0.2.9 a@twice.cache.test\n192.0.2.9 b@cache.test\n192.0.2.9 c@Twice.cache.test.\n192.0.2.9 d@inc.cache.test\n' \
	>"$TMP/domains"
mc --json --dns-server "$caddr:$cport" spf --no-cache --batch "$TMP/domains"
expect_rc 2
cp "$TMP/out" "$TMP/domains.nocache"
: >"$TMP/front.log"
mc --json --dns-server "$caddr:$cport" spf --batch "$TMP/domains"
expect_rc 2
cmp -s "$TMP/out" "$TMP/domains.nocache" || fail "prefetching changed the results"
first=$(head -n 3 "$TMP/front.log" | awk '{print $2, $3}' | tr 'A-Z' 'a-z' | sort | tr '\n' ,)
[ "$first" = "cache.test txt,inc.cache.test txt,twice.cache.test txt," ] ||
	fail "the batch's first queries: $first"
[ "$(grep -ic 'twice\.cache\.test txt' "$TMP/front.log")" -eq 1 ] ||
	fail "twice.cache.test's TXT asked more than once"

# Given a server, the system's resolver configuration does not apply, and
# c-ares, given every setting, does not read it (a question is mostly
# start-up: that was an fopen() and five system calls per channel).
strace -f -e trace=open,openat -o "$TMP/strace" \
	"$MAILCANARY" --dns-server "$caddr:$cport" spf 192.0.2.9 a@twice.cache.test \
	>/dev/null 2>&1 || :   # strace exits with the command's status (fail: 2)
grep -q 'libc\.so' "$TMP/strace" || fail "strace saw nothing: $(head -3 "$TMP/strace")"
! grep -q 'resolv\.conf' "$TMP/strace" || fail "--dns-server given, /etc/resolv.conf read anyway"

# Questions are answered in one thread until one waits on the network;
# then the workers take over. Here the first question's TXT times out
# (1 s, far past the 2 ms that starts them): the 40 after it go to 16
# workers (-v says so), and every answer still comes back in input order,
# the same as the one-thread answers above.
printf '{"timeout_names": {}, "timeout_types": [["slow.cache.test", "TXT"]], "names": []}\n' \
	>"$TMP/rules.new"
mv "$TMP/rules.new" "$TMP/rules.json"
{
	echo "192.0.2.9 user@slow.cache.test"
	head -n 40 "$TMP/many"
} >"$TMP/slowfirst"
mc -v --dns-server "$caddr:$cport" spf --no-cache --timeout 1 --tries 1 --batch "$TMP/slowfirst"
expect_rc 3
grep -q '^mailcanary: spf: 41 questions: 1 answered in one thread, 40 by 16 workers$' "$TMP/err" ||
	fail "the workers did not take over after the slow question"
head -n 1 "$TMP/out" | grep -q '^temperror 192\.0\.2\.9 user@slow\.cache\.test' ||
	fail "the timed-out question is not first or not temperror"
[ "$(tail -n +2 "$TMP/out")" = "$(head -n 40 "$TMP/nocache.txt")" ] ||
	fail "the workers' answers differ from the one-thread ones, or their order"
# A fast server and the cache: one thread is enough (the workers would
# cost more than they save); -v tells which way it went, and the results
# are the same either way.
mc -v --dns-server "$caddr:$cport" spf --batch "$TMP/three"
expect_rc 2
grep -q '^mailcanary: spf: 3 questions: ' "$TMP/err" || fail "no -v line"

# (What is never reused -- SERVFAIL, timeouts, negative answers without
# an SOA -- is tested in tests/unit/test_dns_cache.c.)
mc spf --help
expect_rc 0
grep -q -- '--no-cache' "$TMP/out" || fail "usage does not name --no-cache"
echo ok
