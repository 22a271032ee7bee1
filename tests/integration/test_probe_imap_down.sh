# The mailbox cannot be reached: error mailbox, and no probe is sent (it
# could not be collected).
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|:10143/INBOX$|:10149/INBOX|')
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "error" and p["error"]["component"] == "mailbox" and p["smtp"] is None'
