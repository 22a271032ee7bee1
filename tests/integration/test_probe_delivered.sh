# A probe through the STARTTLS submission port arrives in the INBOX, is
# noticed through IDLE, has its hops timed, and is deleted afterwards.
. "$(dirname "$0")/lib.sh"

mc -c "$CONF" --json probe loop --wait 30
expect_rc 0
jcheck 'p["state"] == "delivered" and p["severity"] == 0 and d["severity"] == 0'
jcheck 'p["folder"] == "INBOX" and p["noticed_by"] == "idle"'
jcheck 'p["smtp"]["code"] == 250 and p["smtp"]["enhanced"] == "2.0.0" and p["smtp"]["queue_id"]'
jcheck 'p["smtp"]["tls"] and p["smtp"]["tls"].startswith("TLSv1.")'
jcheck 'all(p["smtp"]["timings"][k] is not None for k in ("connected","tls","auth","envelope","data","queued"))'
jcheck 'len(p["hops"]) >= 2' "fewer than 2 hops"
jcheck 'all(h["delay_seconds"] is None or h["delay_seconds"] >= 0 for h in p["hops"])' "negative hop delay"
jcheck '[h["with"] for h in p["hops"]][-1] == "LMTP"' "last hop is not Dovecot LMTP"
jcheck 'p["total_seconds"] > 0 and p["error"] is None and len(p["id"]) == 26'

# The probe was expunged: searching for its ID finds nothing.
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["probes"][0]["id"])' "$TMP/out")
left=$(curl -s --cacert "$MC_CA" --ssl-reqd "imap://$MC_IMAP:10143/INBOX" \
	-u "canary@dest.test:$(cat "$MC_ENV_DIR/secrets/canary.pass")" \
	-X "UID SEARCH HEADER X-Mailcanary-Probe $id")
case $left in *"SEARCH"[0-9\ ]*[0-9]*) fail "probe $id left in the mailbox: $left" ;; esac

mc -c "$CONF" probe loop --wait 30
expect_rc 0
# Text output: Nagios status line, one line per route, perfdata last.
head -1 "$TMP/out" | grep -q "^MAILCANARY OK - 1 delivered$" || fail "bad status line"
sed -n 2p "$TMP/out" | grep -q "^loop  *delivered  *OK .*INBOX.*noticed by IDLE" || fail "bad route line"
tail -1 "$TMP/out" | grep -q "^| 'loop_delivery'=[0-9.]*s;30;60;0;$" || fail "bad perfdata line"
