# Port 465-style implicit TLS submission (tls = tls) delivers too.
. "$(dirname "$0")/lib.sh"
mc -c "$CONF" --json probe loop-tls --wait 30
expect_rc 0
jcheck 'p["state"] == "delivered" and p["smtp"]["code"] == 250 and p["smtp"]["tls"]'
