#!/bin/sh
# spf --batch: bad input is bad usage naming FILE:LINE before anything is
# asked; answers come in input order; a DNS server that does not answer
# is temperror (exit 3), never a pass. The results themselves are checked
# against the OpenSPF suite by test_spf_suite.sh, which runs every
# scenario through --batch too.
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
echo ok
