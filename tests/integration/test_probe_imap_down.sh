# The mailbox cannot be reached: error mailbox, and no probe is sent (it
# could not be collected).
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|^url = imap://127.0.0.4:10143/INBOX|url = imap://127.0.0.4:10149/INBOX|')
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "mailbox" and p["smtp"] is None'
