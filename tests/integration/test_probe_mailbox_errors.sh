# Mailbox faults against the real Dovecot, now that mailcanary opens the
# IMAP connection itself: a wrong password (auth; never printed), a CA
# that did not sign Dovecot's certificate (tls, verification; the login
# is never sent), and a server that does not speak IMAP (mailbox). Each
# probe ends in error with that component and sends nothing.
. "$(dirname "$0")/lib.sh"
sent_before=$(relay_log_count "status=sent")

# only the [mailbox "canary"] section is edited
echo "wrong-$$-imap-secret" >"$TMP/bad.pass"
chmod 600 "$TMP/bad.pass"
conf=$(conf_edit "/^\[mailbox \"canary\"\]/,/^\[/s|^password_file = .*|password_file = $TMP/bad.pass|")
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "auth" and "wrong user or password" in p["error"]["message"] and "mailbox \"canary\"" in p["error"]["message"]'
grep -q "wrong-$$-imap-secret" "$TMP/out" "$TMP/err" && fail "password printed"

conf=$(conf_edit "/^\[mailbox \"canary\"\]/,/^\[/s|^ca_file = .*|ca_file = $MC_ENV_DIR/tls/rogue-ca.pem|")
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "tls" and "certificate verification failed" in p["error"]["message"]'

# the relay's submission port: an SMTP greeting
conf=$(conf_edit "/^\[mailbox \"canary\"\]/,/^\[/s|^url = imap://\([0-9.]*\):10143/|url = imap://$MC_RELAY:10587/|")
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "mailbox" and "not an IMAP greeting: 220 " in p["error"]["message"]'

[ "$(relay_log_count "status=sent")" = "$sent_before" ] || fail "a probe was sent"
echo ok
