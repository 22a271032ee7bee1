# Nothing listening on the relay port: error relay, quickly.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|^port = 10587|port = 10599|')
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "relay"'
jcheck "'$MC_RELAY' in p['error']['message']" "error does not name the relay"
