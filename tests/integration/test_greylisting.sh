# postgrey in front of the destination MX: the relay is told 450 4.2.0 and
# retries; the probe arrives, ends "greylisted", with the X-Greylist header
# and the hop gap as evidence and the delay measured.
. "$(dirname "$0")/lib.sh"
mailenv greylist "$MC_ENV_DIR" on
trap 'mailenv greylist "$MC_ENV_DIR" off; rm -rf "$TMP"' EXIT
mc -c "$CONF" --json probe loop --wait 60
expect_rc 0
jcheck 'p["state"] == "greylisted" and p["greylisted"] is True'
jcheck 'any(e.startswith("X-Greylist:") for e in p["greylist_evidence"])' "no header evidence"
jcheck 'any(e.startswith("Received:") for e in p["greylist_evidence"])' "no hop-gap evidence"
jcheck 'p["greylist_delay_seconds"] is not None and p["greylist_delay_seconds"] >= 2'
grep -q "Recipient address rejected: Greylisted" "$MC_ENV_DIR/relay/maillog" || fail "relay log shows no greylisting"
