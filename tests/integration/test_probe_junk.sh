# A probe a sieve rule files into Junk ends "junk" (WARNING, exit 1).
. "$(dirname "$0")/lib.sh"
mc -c "$CONF" --json probe junk --wait 30
expect_rc 1
jcheck 'p["state"] == "junk" and p["severity"] == 1 and p["folder"] == "Junk"'
