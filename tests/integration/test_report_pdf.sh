# `report --format pdf`: after a real `run` tick has filled a fresh store,
# headless Chromium prints the HTML report; the file starts with %PDF and
# pdftotext finds the title and the route names in it; -o - writes it to
# stdout; -o is required; no browser, a browser that fails and an
# unwritable -o exit 3 with one line and leave an existing file alone.
. "$(dirname "$0")/lib.sh"
conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|; s|^metrics_file = .*|metrics_file = $TMP/state/m.prom|")
command -v chromium >/dev/null || fail "chromium missing (tests/env/deps.sh test)"
command -v pdftotext >/dev/null || fail "pdftotext missing (poppler-utils; tests/env/deps.sh test)"

mc -c "$conf" run
[ "$rc" -le 1 ] || fail "run tick: exit $rc"

# mce VAR=VALUE... ARGS: mc with an environment of its own
mce() {
	rc=0
	env "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	cat "$TMP/err" >&2
}

mkdir "$TMP/wd"
mce TMPDIR="$TMP/wd" "$MAILCANARY" -c "$conf" report --format pdf -o "$TMP/r.pdf"
expect_rc 0
[ -s "$TMP/out" ] && fail "-o: something on stdout"
[ -s "$TMP/err" ] && fail "-o: something on stderr"
[ -z "$(ls -A "$TMP/wd")" ] || fail "the browser's work directory was left behind"
[ "$(head -c 5 "$TMP/r.pdf")" = "%PDF-" ] || fail "no %PDF- header"
[ "$(stat -c %a "$TMP/r.pdf")" = 644 ] || fail "mode not 644"
pdftotext "$TMP/r.pdf" "$TMP/r.txt" || fail "pdftotext cannot read it"
grep -q 'mailcanary report' "$TMP/r.txt" || fail "pdf: no title"
for r in loop loop-tls junk; do
	grep -qw -- "$r" "$TMP/r.txt" || fail "pdf: route $r missing"
done

# -o - : the PDF on stdout
"$MAILCANARY" -c "$conf" report --period day --format pdf -o - >"$TMP/stdout.pdf" ||
	fail "-o -: exit $?"
[ "$(head -c 5 "$TMP/stdout.pdf")" = "%PDF-" ] || fail "-o -: no PDF on stdout"


# errors: exit 3, one line naming what; an existing file stays as it was
one_line() {
	expect_rc 3
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$1: not one line on stderr"
	[ -s "$TMP/out" ] && fail "$1: something on stdout"
	grep -q "$2" "$TMP/err" || fail "$1: the line does not say '$2'"
}
mc -c "$conf" report --format pdf
one_line "no -o" "format pdf needs -o FILE"

echo old >"$TMP/keep.pdf"
mce MAILCANARY_CHROMIUM=/nonexistent/chromium "$MAILCANARY" -c "$conf" report --format pdf -o "$TMP/keep.pdf"
one_line "no browser" "browser /nonexistent/chromium (MAILCANARY_CHROMIUM) is not an executable file"
mce PATH=/nonexistent "$MAILCANARY" -c "$conf" report --format pdf -o "$TMP/keep.pdf"
one_line "nothing on PATH" "none of chromium, chromium-browser, google-chrome is on PATH"

printf '#!/bin/sh\necho "[0101/000000.0:ERROR:x] Missing X server" >&2\nexit 1\n' >"$TMP/badbrowser"
chmod 755 "$TMP/badbrowser"
mce MAILCANARY_CHROMIUM="$TMP/badbrowser" "$MAILCANARY" -c "$conf" report --format pdf -o "$TMP/keep.pdf"
one_line "browser fails" "browser $TMP/badbrowser exited with status 1: .*Missing X server"
[ "$(cat "$TMP/keep.pdf")" = old ] || fail "a failed PDF replaced the file"

mc -c "$conf" report --format pdf -o "$TMP/nodir/r.pdf"
one_line "unwritable -o" "nodir/r.pdf"
exit 0
