# mailcanary logs on the relay's real maillog, after real traffic (a
# probe, a bounce, a rejection), cross-checked against pflogsumm: received,
# delivered, deferred (messages and deferrals), bounced, rejected. Then the
# same file gzipped and on stdin, a search, a trace of the probe across the
# relay's and the MX's logs, and the error paths.
. "$(dirname "$0")/lib.sh"
command -v pflogsumm >/dev/null || fail "pflogsumm not installed (tests/env/deps.sh)"
command -v swaks >/dev/null || fail "swaks not installed (tests/env/deps.sh)"
RLOG=$MC_ENV_DIR/relay/maillog
# jcheck of lib.sh reads "probes" as a list; here it is a count
jcheck() {
	python3 - "$TMP/out" "$1" <<'PY' || fail "${2:-JSON check failed: $1}"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"d": d}) else 1)
PY
}
MXLOG=$MC_ENV_DIR/mx/maillog

# real traffic: a probe (delivered), a bounce (MX: 5.1.1), a reject (relay)
mc -c "$CONF" --json probe loop --wait 30
expect_rc 0
probe_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["probes"][0]["id"])' "$TMP/out")
bounces_before=$(relay_log_count 'to=<nobody@dest.test>.*status=bounced')
pass=$(cat "$MC_ENV_DIR/secrets/sender.pass")
for rcpt in nobody@dest.test reject@dest.test; do
	# the password goes through the environment-free --auth-password of a
	# throwaway loopback account; swaks prints nothing of it here
	swaks --server "$MC_RELAY:10587" -tls --tls-ca-path "$MC_CA" \
		--auth PLAIN --auth-user sender@src.test --auth-password "$pass" \
		--from sender@src.test --to "$rcpt" --suppress-data >/dev/null 2>&1 || :
done
i=0
while [ "$(relay_log_count 'to=<nobody@dest.test>.*status=bounced')" -le "$bounces_before" ]; do
	i=$((i + 1))
	[ "$i" -le 60 ] || fail "the bounce never showed in the relay's log"
	sleep 0.5
done
sleep 1   # the bounce's own DSN delivery

# a deferral: the MX down until the relay has sent its delay notification
# (delay_warning_time is 10 s in the env), then back and the queue flushed
waitlog() {   # waitlog PATTERN MIN-COUNT WHAT
	i=0
	while [ "$(relay_log_count "$1")" -lt "$2" ]; do
		i=$((i + 1))
		[ "$i" -le 80 ] || fail "$3 never showed in the relay's log"
		sleep 0.5
	done
}
deferred_before=$(relay_log_count 'status=deferred')
delay_before=$(relay_log_count 'sender delay notification')
sent_before=$(relay_log_count 'to=<canary@dest.test>.*status=sent')
mailenv stop-service "$MC_ENV_DIR" mx >/dev/null
trap 'mailenv start-service "$MC_ENV_DIR" mx >/dev/null 2>&1 || :; rm -rf "$TMP"' EXIT
swaks --server "$MC_RELAY:10587" -tls --tls-ca-path "$MC_CA" \
	--auth PLAIN --auth-user sender@src.test --auth-password "$pass" \
	--from sender@src.test --to canary@dest.test --suppress-data >/dev/null 2>&1 ||
	fail "the relay did not take the message to defer"
waitlog 'status=deferred' $((deferred_before + 1)) "the deferral"
sleep 10
postqueue -c "$MC_ENV_DIR/relay" -f 2>/dev/null || :
waitlog 'sender delay notification' $((delay_before + 1)) "the delay notification"
mailenv start-service "$MC_ENV_DIR" mx >/dev/null
postqueue -c "$MC_ENV_DIR/relay" -f 2>/dev/null || :
waitlog 'to=<canary@dest.test>.*status=sent' $((sent_before + 1)) "the delivery after the deferral"
sleep 1
cp "$RLOG" "$TMP/relay.log"

# pflogsumm's Grand Totals
pflogsumm -e "$TMP/relay.log" >"$TMP/pfl" 2>/dev/null || fail "pflogsumm failed"
cat "$TMP/pfl" | sed -n '1,16p' >&2
pfl() { awk -v w="$1" '$2 == w { print $1; exit }' "$TMP/pfl"; }
received=$(pfl received)
delivered=$(pfl delivered)
forwarded=$(pfl forwarded)
deferred=$(pfl deferred)
deferrals=$(sed -n 's/.*deferred *(\([0-9]*\) *deferrals).*/\1/p' "$TMP/pfl" | head -1)
bounced=$(pfl bounced)
rejected=$(pfl rejected)
[ -n "$received" ] && [ -n "$delivered" ] && [ -n "$bounced" ] || fail "cannot read pflogsumm's totals"
[ "$received" -ge 2 ] || fail "pflogsumm saw only $received messages"

mc --json logs "$TMP/relay.log"
expect_rc 0
jcheck "d['messages'] == $received" "messages != pflogsumm received ($received)"
jcheck "d['by_status']['sent'] == $delivered" "sent != pflogsumm delivered ($delivered)"
jcheck "d['by_status']['forwarded'] == $forwarded" "forwarded != pflogsumm ($forwarded)"
jcheck "d['deferred_messages'] == $deferred" "deferred_messages != pflogsumm deferred ($deferred)"
jcheck "d['by_status']['deferred'] == ${deferrals:-0}" "deferred != pflogsumm deferrals (${deferrals:-0})"
jcheck "d['by_status']['bounced'] == $bounced" "bounced != pflogsumm ($bounced)"
jcheck "d['by_status']['rejected'] == $rejected" "rejected != pflogsumm ($rejected)"
jcheck "d['malformed'] == 0 and d['probes'] >= 1 and d['matches'] == []"
jcheck "d['by_reason']['user_unknown'] >= 1 and d['by_code'].get('5.1.1', 0) >= 1"
jcheck "d['by_status']['deferred'] >= 1 and d['deferred_messages'] >= 1 and d['by_reason']['delayed'] >= 1"
jcheck "sum(d['by_hour'].values()) == sum(d['by_dow'].values()) == sum(d['by_day_of_month'].values()) == sum(d['by_month'].values())"
cp "$TMP/out" "$TMP/plain.json"

# the same log gzipped, and on standard input
gzip -c "$TMP/relay.log" >"$TMP/relay.log.gz"
mc --json logs "$TMP/relay.log.gz"
expect_rc 0
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a != b)' \
	"$TMP/plain.json" "$TMP/out" || fail "gzip input counts differ"
rc=0
"$MAILCANARY" --json logs - <"$TMP/relay.log" >"$TMP/out" 2>"$TMP/err" || rc=$?
expect_rc 0
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a != b)' \
	"$TMP/plain.json" "$TMP/out" || fail "stdin counts differ"

# search: the bounce and the reject, with from/to/dsn/reply
mc --json logs --status bounced --rcpt nobody@dest.test "$TMP/relay.log"
expect_rc 0
jcheck "d['matches'] and all(m['status'] == 'bounced' and m['to'] == 'nobody@dest.test' and m['dsn'] == '5.1.1' and m['reason'] == 'user_unknown' for m in d['matches'])"
jcheck "d['matches'][-1]['from'] == 'sender@src.test' and '550 5.1.1' in d['matches'][-1]['reply']"
mc --json logs --status rejected "$TMP/relay.log"
jcheck "any(m['to'] == 'reject@dest.test' and m['dsn'] == '5.7.1' for m in d['matches'])"

# trace of the probe by its ID: the relay's queue id, the MX's, delivered twice
mc --json logs --trace "$probe_id" "$TMP/relay.log" "$MXLOG"
expect_rc 0
jcheck "len(set(l['queue_id'] for l in d['trace'])) >= 2" "the trace did not cross to the MX's queue id"
jcheck "len(d['matches']) >= 2 and all(m['probe_id'] == '$probe_id' and m['status'] == 'sent' for m in d['matches'])"
jcheck "[l['time'] for l in d['trace']] == sorted(l['time'] for l in d['trace'])"
mc logs --trace "$probe_id" - <"$TMP/relay.log"
expect_rc 0
grep -q "message-id=<$probe_id@" "$TMP/out" || fail "text trace from stdin lacks the probe's message-id line"

# text output
mc logs "$TMP/relay.log"
expect_rc 0
grep -q "received" "$TMP/out" && grep -q "Relay hosts" "$TMP/out" || fail "text summary incomplete"

# errors: unreadable file (what can be read is still reported), bad usage
mc --json logs "$TMP/relay.log" "$TMP/missing.log"
expect_rc 3
jcheck "d['messages'] == $received"
grep -q "missing.log" "$TMP/err" || fail "the unreadable file is not named"
mc logs
expect_rc 3
mc logs --status nosuch "$TMP/relay.log"
expect_rc 3
mc logs --since yesterday "$TMP/relay.log"
expect_rc 3
mc logs --format exim "$TMP/relay.log"
expect_rc 3
echo "logs: pflogsumm and mailcanary agree (received $received, delivered $delivered, deferred $deferred/${deferrals:-0}, bounced $bounced, rejected $rejected)"
