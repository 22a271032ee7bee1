# `report --mail-to`: after a real `run` tick has filled a fresh store, the
# weekly report is mailed through the loopback relay (STARTTLS + AUTH) and
# arrives in canary@dest.test's Maildir: multipart/mixed, a UTF-8
# text/plain body with the text report, a text/html attachment named
# mailcanary-report-DATE.html, the subject with the period and the
# delivered percentage; the relay's maillog shows it relayed. [report]
# relay/from are used when given; --json prints one document; -o writes
# the file as well. A relay that is down, a wrong password, no relay at all
# and a bad address: exit 3, one line, no secret.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|; s|^metrics_file = .*|metrics_file = $TMP/state/m.prom|")
maildir="$MC_ENV_DIR/mail/canary@dest.test/Maildir"

mc -c "$conf" run
[ "$rc" -le 1 ] || fail "run tick: exit $rc"

# waits (at most 30 s) for the message the relay queued as $1 to be in the
# Maildir; prints its file name
arrived() {
	for i in $(seq 1 60); do
		f=$(grep -l "with ESMTPSA id $1\$" "$maildir"/new/* "$maildir"/cur/* 2>/dev/null | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.5
	done
	return 1
}

# checks the MIME of the mailed report $1 (python's email parser)
check_mail() {
	python3 - "$1" "$2" <<'PY' || fail "mailed report: wrong structure or content"
import email, email.policy, re, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
subj = str(m["Subject"])
assert re.fullmatch(sys.argv[2], subj), subj
assert m.get_content_type() == "multipart/mixed", m.get_content_type()
assert m["Message-ID"] and m["Date"] and m["Auto-Submitted"] == "auto-generated"
assert m["X-Mailcanary-Probe"] is None
parts = list(m.iter_parts())
assert len(parts) == 2, len(parts)
text, html = parts
assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
assert not text.is_attachment()
assert text.get_content().startswith("MAILCANARY REPORT "), text.get_content()[:80]
assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
assert html.is_attachment()
assert re.fullmatch(r"mailcanary-report-\d{4}-\d\d-\d\d\.html", html.get_filename()), html.get_filename()
h = html.get_content()
assert "<table" in h and "loop-tls" in h and "mailcanary report" in h
PY
}

# 1. the weekly report, through the first route's relay (loop)
mc -c "$conf" report --period week --mail-to canary@dest.test
expect_rc 0
[ "$(wc -l <"$TMP/out")" = 1 ] || fail "not one line on stdout"
[ -s "$TMP/err" ] && fail "something on stderr"
grep -Eq '^mailed report to canary@dest\.test via relay loop \(queue id [0-9A-F]+\)$' "$TMP/out" || fail "bad success line"
qid=$(sed 's/.*queue id \([0-9A-F]*\))$/\1/' "$TMP/out")
f=$(arrived "$qid") || fail "report $qid did not arrive within 30 s"
check_mail "$f" 'mailcanary weekly report \d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d: \d+\.\d% delivered'
rm -f "$f"
grep -q " $qid: to=<canary@dest.test>.*status=sent" "$MC_ENV_DIR/relay/maillog" || fail "relay maillog: $qid not relayed"
grep -q " $qid: from=<bounces@src.test>" "$MC_ENV_DIR/relay/maillog" || fail "relay maillog: envelope sender of $qid"

# 2. [report] relay and from; --json; -o writes the file too; --since
cat "$conf" >"$TMP/r.conf"
printf '[report]\nrelay = loop-tls\nfrom = reports@src.test\n' >>"$TMP/r.conf"
chmod 600 "$TMP/r.conf"
mc -c "$TMP/r.conf" --json report --since 2026-01-01 --mail-to canary@dest.test --format html -o "$TMP/r.html"
expect_rc 0
jcheck 'd["mailed"]["relay"] == "loop-tls" and d["mailed"]["to"] == "canary@dest.test" and d["mailed"]["queue_id"]'
jcheck 'd["mailed"]["subject"].startswith("mailcanary report 2026-01-01 – ")'
grep -q 'mailcanary report' "$TMP/r.html" || fail "-o with --mail-to: no HTML file"
qid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mailed"]["queue_id"])' "$TMP/out")
f=$(arrived "$qid") || fail "report $qid (loop-tls) did not arrive within 30 s"
check_mail "$f" 'mailcanary report 2026-01-01 – \d{4}-\d\d-\d\d: \d+\.\d% delivered'
grep -q '^From: reports@src.test' "$f" || fail "[report] from not used"
rm -f "$f"
grep -q " $qid: from=<reports@src.test>" "$MC_ENV_DIR/relay/maillog" || fail "relay maillog: [report] from of $qid"

# 3. -o - puts the report on stdout, the confirmation on stderr
mc -c "$conf" report --period day -o - --mail-to canary@dest.test
expect_rc 0
head -1 "$TMP/out" | grep -q '^MAILCANARY REPORT ' || fail "-o -: no report on stdout"
grep -q '^mailed report to canary@dest.test via relay loop' "$TMP/err" || fail "-o -: confirmation not on stderr"
qid=$(sed 's/.*queue id \([0-9A-F]*\))$/\1/' "$TMP/err")
f=$(arrived "$qid") || fail "report $qid (day) did not arrive within 30 s"
grep -q '^Subject: mailcanary daily report' "$f" || fail "daily subject"
rm -f "$f"

# 4. failures: exit 3, exactly one line on stderr, nothing on stdout, no secret
secret=$(cat "$MC_ENV_DIR/secrets/sender.pass")
one_line() {
	expect_rc 3
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$1: not one line on stderr"
	[ -s "$TMP/out" ] && fail "$1: something on stdout"
	grep -qF "$secret" "$TMP/out" "$TMP/err" && fail "$1: the relay password printed"
	grep -q "$2" "$TMP/err" || fail "$1: the line does not say '$2'"
}
down=$(sed 's|^port = 10587|port = 10599|' "$conf" >"$TMP/down.conf"; chmod 600 "$TMP/down.conf"; echo "$TMP/down.conf")
mc -c "$down" report --mail-to canary@dest.test
one_line "relay down" "mailing to canary@dest.test via relay loop failed at stage connect: .*$MC_RELAY:10599"

echo "wrong-$$-secret" >"$TMP/bad.pass"
chmod 600 "$TMP/bad.pass"
sed "s|^password_file = .*/sender.pass|password_file = $TMP/bad.pass|" "$conf" >"$TMP/bad.conf"
chmod 600 "$TMP/bad.conf"
mc -c "$TMP/bad.conf" report --mail-to canary@dest.test
one_line "wrong password" "via relay loop failed at stage auth: .*refused AUTH for sender@src.test: 535"
grep -q "wrong-$$-secret" "$TMP/err" && fail "wrong password printed"

printf '[global]\nstate_dir = %s\n' "$TMP/state" >"$TMP/none.conf"
mc -c "$TMP/none.conf" report --mail-to canary@dest.test
one_line "no relay" "needs a relay and a from address"

mc -c "$conf" report --mail-to 'canary@dest.test>'
one_line "bad address" "mail-to 'canary@dest.test>': expected an address"

# the relay refuses the recipient (reject@dest.test: 550 5.7.1)
mc -c "$conf" report --mail-to reject@dest.test
one_line "rejected" "via relay loop failed at stage rcpt: .*550"
exit 0
