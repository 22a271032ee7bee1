# The destination MX is down: the relay queues the probe and, after
# delay_warning_time (10 s here), sends a delay DSN. Then the MX comes back
# and the probe is delivered: final state delivered, the deferral an event.
# A second probe, with the MX still down and a short wait, ends "deferred".
. "$(dirname "$0")/lib.sh"
mailenv stop-service "$MC_ENV_DIR" mx
trap 'mailenv start-service "$MC_ENV_DIR" mx >/dev/null 2>&1 || :; rm -rf "$TMP"' EXIT

mc -c "$CONF" --json probe loop --wait 25
expect_rc 1
jcheck 'p["state"] == "deferred" and p["severity"] == 1'
jcheck 'p["dsn"] is not None and p["dsn"]["recipients"][0]["action"] == "delayed"'

( sleep 18; mailenv start-service "$MC_ENV_DIR" mx ) &
mc -c "$CONF" --json probe loop --wait 60
wait
jcheck 'p["state"] in ("delivered", "slow")'
jcheck 'any(e["type"] == "delay_dsn" for e in p["events"])' "deferral not recorded"
