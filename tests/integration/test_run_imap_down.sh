#!/bin/sh
# A tick whose mailboxes cannot be reached sends nothing, and says so:
# every due route gets an error result (component mailbox) that is
# stored like any other -- status, exit code and history show it -- and
# the next tick with the mailbox back is judged normally.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|")
mailenv stop-service "$MC_ENV_DIR" imap
trap 'mailenv start-service "$MC_ENV_DIR" imap >/dev/null 2>&1 || :; rm -rf "$TMP"' EXIT

mc -c "$conf" run --wait 5
expect_rc 2
head -1 "$TMP/out" | grep -q "run: 0 sent (3 could not be), 0 earlier probes" || fail "summary line"
grep -q "is recorded" "$TMP/err" && fail "results not stored: $(cat "$TMP/err")"
mc -c "$conf" --json status
expect_rc 2
jcheck 'all(r["state"] == "error" and r["severity"] == 2 and "mailbox" in r["last_error"] for r in d["routes"])' "status after the failed tick"
[ "$(sqlite3 "$TMP/state/mailcanary.db" "select count(*) from probes where state = 'error' and final = 1 and error_component = 'mailbox'")" = 3 ] ||
	fail "the errors are not in the history"

mailenv start-service "$MC_ENV_DIR" imap
sqlite3 "$TMP/state/mailcanary.db" "update route_state set last_sent_at = 0"
mc -c "$conf" --json run --wait 30
jcheck 'sorted(p["state"] for p in d["probes"]) == ["delivered", "delivered", "junk"]' "not judged normally after recovery"
echo ok
