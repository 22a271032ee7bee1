# A route with dkim_selector: opendkim signs on the relay (selector mc,
# RSA 2048), nsd serves the key, SPF and DMARC records, and the delivered
# probe is judged as a receiver would: DKIM pass, SPF pass for the relay's
# address, DMARC pass with both aligned. A selector the relay does not sign with makes the
# delivered probe WARNING, component dkim.
. "$(dirname "$0")/lib.sh"
mailenv dkim "$MC_ENV_DIR" on
trap 'mailenv dkim "$MC_ENV_DIR" off; rm -rf "$TMP"' EXIT
. "$MC_ENV_DIR/env.sh"

python3 - "$CONF" "$TMP/dkim.conf" mc <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s.replace('[route "loop"]\nrelay = loop\n', '[route "loop"]\nrelay = loop\ndkim_selector = %s\n' % sys.argv[3])
open(sys.argv[2], "w").write(s)
PY
chmod 600 "$TMP/dkim.conf"
mc -c "$TMP/dkim.conf" --dns-server "$MC_DKIM_DNS" --json probe loop --wait 30
expect_rc 0
jcheck 'p["state"] == "delivered" and p["dkim"]["result"] == "pass"'
jcheck 'p["dkim"]["selector"] == "mc" and p["dkim"]["domain"] == "src.test" and p["dkim"]["algorithm"] == "rsa-sha256" and p["dkim"]["key_bits"] == 2048'
# SPF of the relay's address at the MX, and the resulting DMARC verdict
jcheck 'p["auth"]["spf"] == "pass" and p["auth"]["spf_ip"] == "'"$MC_RELAY"'"'
jcheck 'p["auth"]["dmarc"] == "pass" and p["auth"]["spf_aligned"] and p["auth"]["dkim_aligned"]'

sed -i 's/^dkim_selector = mc$/dkim_selector = other/' "$TMP/dkim.conf"
mc -c "$TMP/dkim.conf" --dns-server "$MC_DKIM_DNS" --json probe loop --wait 30
expect_rc 1
jcheck 'p["state"] == "delivered" and p["severity"] == 1 and p["dkim"]["result"] == "none"'
jcheck 'p["error"]["component"] == "dkim"'
