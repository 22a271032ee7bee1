# The destination MX does not know the user: the relay bounces the probe; the
# DSN reaches the bounce mailbox and ends the probe: bounced, hard, 5.1.1,
# user_unknown, tied to the probe by its ID.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit 's|^to = canary@dest.test|to = nobody@dest.test|')
mc -c "$conf" --json probe loop --wait 60
expect_rc 2
jcheck 'p["state"] == "bounced" and p["severity"] == 2'
jcheck 'p["dsn"]["probe_id"] == p["id"]' "DSN not tied to the probe"
jcheck 'p["dsn"]["recipients"][0]["status"] == "5.1.1" and p["dsn"]["recipients"][0]["reason"] == "user_unknown" and p["dsn"]["recipients"][0]["hard"] is True'
jcheck 'p["dsn"]["recipients"][0]["reply_code"] == 550'
