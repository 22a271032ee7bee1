# No route named: every route is probed at once; the exit code is the worst.
. "$(dirname "$0")/lib.sh"
mc -c "$CONF" probe --wait 30
expect_rc 1
head -1 "$TMP/out" | grep -q "^MAILCANARY WARNING - 2 delivered, 1 junk$" || fail "bad status line"
[ "$(wc -l <"$TMP/out")" = 5 ] || fail "expected 5 lines"
tail -1 "$TMP/out" | grep -q "'loop-tls_delivery'=" || fail "perfdata of loop-tls missing"
