# Shared helpers for the integration tests (sourced). Each test runs with
# MAILCANARY (the binary under test) and MC_ENV_DIR (a running mailenv).
set -eu
: "${MAILCANARY:?}" "${MC_ENV_DIR:?}"
CONF=$MC_ENV_DIR/mailcanary.conf
. "$MC_ENV_DIR/env.sh"   # MC_RELAY, MC_MX, MC_IMAP, MC_CA
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mc-it.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# mc ARGS...: runs mailcanary, output in $TMP/out and $TMP/err, status in $rc.
mc() {
	rc=0
	"$MAILCANARY" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	echo "\$ mailcanary $*  -> exit $rc" >&2
	cat "$TMP/out" >&2
	cat "$TMP/err" >&2
}

expect_rc() { [ "$rc" = "$1" ] || fail "exit code $rc, expected $1"; }

# jcheck 'python expression over d' [message]: asserts on the JSON in $TMP/out.
jcheck() {
	python3 - "$TMP/out" "$1" <<'PY' || fail "${2:-JSON check failed: $1}"
import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2], {"d": d, "p": (d.get("probes") or [{}])[0]})
sys.exit(0 if ok else 1)
PY
}

# conf_edit SED-SCRIPT: a copy of the env's config, edited; prints its path.
conf_edit() {
	sed "$1" "$CONF" >"$TMP/edited.conf"
	chmod 600 "$TMP/edited.conf"
	echo "$TMP/edited.conf"
}

# Counts lines of the relay's mail log matching a pattern.
relay_log_count() { grep -c "$1" "$MC_ENV_DIR/relay/maillog" 2>/dev/null || :; }

# http_capture IP PORT FILE: a loopback HTTP receiver in the background
# that appends each POSTed body to FILE as one line and answers 200. Adds
# its pid to $pids (the caller's cleanup kills them).
http_capture() {
	cat >"$TMP/capture.py" <<'PY'
import http.server, sys
out = sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
PY
	python3 "$TMP/capture.py" "$1" "$2" "$3" &
	pids="${pids:-} $!"
}

# alertmanager_start IP PORT CONFIG: Debian's prometheus-alertmanager on
# loopback with CONFIG, data in $TMP; waits (at most 20 s) until it is
# ready. Adds its pid to $pids.
alertmanager_start() {
	am=/usr/bin/prometheus-alertmanager
	[ -x "$am" ] || fail "$am missing (Debian package prometheus-alertmanager)"
	"$am" --config.file="$3" --storage.path="$TMP/am-data" \
		--web.listen-address="$1:$2" --cluster.listen-address= \
		>"$TMP/am.log" 2>&1 &
	pids="${pids:-} $!"
	for i in $(seq 100); do
		curl -sf "http://$1:$2/-/ready" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	cat "$TMP/am.log" >&2
	fail "alertmanager not ready after 20 s"
}
