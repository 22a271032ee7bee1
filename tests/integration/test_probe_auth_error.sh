# A wrong relay password: error, component auth, and the password is not printed.
. "$(dirname "$0")/lib.sh"
echo "wrong-$$-secret" >"$TMP/bad.pass"
chmod 600 "$TMP/bad.pass"
conf=$(conf_edit "s|^password_file = .*/sender.pass|password_file = $TMP/bad.pass|")
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "auth"'
grep -q "wrong-$$-secret" "$TMP/out" "$TMP/err" && fail "password printed"
exit 0
