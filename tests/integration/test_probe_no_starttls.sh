# A relay that does not offer STARTTLS: error tls, and no envelope was ever
# sent in clear (the relay's log shows no MAIL command on that port).
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|^port = 10587|port = 10588|')
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "tls"'
sleep 0.5
grep "disconnect from" "$MC_ENV_DIR/relay/maillog" | tail -1 | grep -q "mail=" &&
	fail "the probe's envelope reached a relay without TLS"
exit 0
