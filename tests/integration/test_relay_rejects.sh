# The relay refuses the recipient at RCPT: rejected, with the reply kept.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|^to = canary@dest.test|to = reject@dest.test|')
mc -c "$conf" --json probe loop --wait 10
expect_rc 2
jcheck 'p["state"] == "rejected" and p["severity"] == 2'
jcheck 'p["smtp"]["code"] == 550 and p["smtp"]["enhanced"] == "5.7.1" and p["smtp"]["stage"] == "rcpt"'
jcheck '"rejected by policy" in p["smtp"]["text"]'
