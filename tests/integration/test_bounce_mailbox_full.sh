# A mailbox over quota: Dovecot refuses the probe with 5.2.2, the MX
# bounces it: bounced, mailbox_full.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|^to = canary@dest.test|to = full@dest.test|')
mc -c "$conf" --json probe loop --wait 60
expect_rc 2
jcheck 'p["state"] == "bounced"'
jcheck 'p["dsn"]["recipients"][0]["reason"] == "mailbox_full"'
jcheck 'p["dsn"]["recipients"][0]["status"].startswith("5.2.2")'
