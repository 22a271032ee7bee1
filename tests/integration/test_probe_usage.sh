# Bad usage and bad config: exit 3 with a one-line error naming what and where.
. "$(dirname "$0")/lib.sh"
mc -c "$CONF" probe nosuchroute
expect_rc 3
grep -q 'no route "nosuchroute"' "$TMP/err" || fail "unknown route not named"
mc -c "$CONF" probe --wait soon
expect_rc 3
conf=$(conf_edit 's|^warn = 30|warn = often|')
mc -c "$conf" probe loop
expect_rc 3
grep -q "edited.conf:[0-9]*: " "$TMP/err" || fail "config error without file:line"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "error is not one line"
