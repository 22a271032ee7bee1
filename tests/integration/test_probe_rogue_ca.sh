# A relay certificate from a CA we do not trust: error tls (verification).
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|^port = 10587|port = 10589|')
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "tls"'
grep -qi "certificate\|verif" "$TMP/out" || fail "error does not say the certificate failed"
