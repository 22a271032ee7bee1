# Shared by test_metrics.sh and test_status.sh (sourced): a config whose
# state_dir is a fresh temporary directory, and a store filled with the
# fixture of tests/unit/test_metrics.c (`test_metrics --fill DIR`, built
# next to the binary under test by `make check-unit`). Needs no servers.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${MAILCANARY:-$repo/build/mailcanary}}
filler=$(dirname "$bin")/tests/test_metrics
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mc-store-it.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fail=0

no() { echo "FAIL: $*"; fail=$((fail + 1)); }

if [ ! -x "$filler" ]; then
	echo "FAIL: $filler is missing: build it first (make check-unit, same BUILD)"
	exit 1
fi

# write_conf FILE STATE_DIR ROUTE... [-- EXTRA-GLOBAL-LINES]
write_conf() {
	f=$1 state=$2
	shift 2
	{
		printf '[global]\nstate_dir = %s\n' "$state"
		[ -n "${EXTRA_GLOBAL:-}" ] && printf '%s\n' "$EXTRA_GLOBAL"
		printf '[relay "r"]\nhost = 127.0.0.1\nport = 1\ntls = none\n'
		printf '[mailbox "m"]\nurl = imap://127.0.0.1:1/INBOX\nuser = u\npassword = p\n'
		for r in "$@"; do
			printf '[route "%s"]\nrelay = r\nmailbox = m\nfrom = a@x.test\nto = b@y.test\n' "$r"
		done
	} >"$f"
	chmod 600 "$f"
}

# run_mc ARGS...: output in $TMP/out and $TMP/err, status in $rc.
run_mc() {
	rc=0
	"$bin" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
}

"$filler" --fill "$TMP/state" || { echo "FAIL: filling the store"; exit 1; }
