# The relay IPs seen in the probes' Received chains join a [check]'s DNSBL
# part (dnsbl_from_probes): real probes through the world's Postfix and
# Dovecot record their hops; rbldnsd lists the relay's loopback address
# (NET.2) in bl.test and serves the rest of src.test (generic dataset), so
# `run` reports the relay listed and names the probe it came from. Then
# `check` reads the same from the store (config form, --from-probes,
# --no-from-probes, dnsbl_probe_window), the default mode (public) skips
# loopback addresses,
# and the authenticated submission hop (the probe host itself) is never
# asked. Zones: tests/data/zones/rbl/probes-*.
. "$(dirname "$0")/lib.sh"
DNS_ENV_DIR=$(cd "$(dirname "$0")/../env/dns" && pwd)
ZONES=$(cd "$(dirname "$0")/../data/zones" && pwd)
. "$DNS_ENV_DIR/rbldnsd_env.sh"
NET=${MC_RELAY%.*}
RBL_ADDR=$NET.6
RBL_PORT=${PROBES_DNS_PORT:-15391}
trap 'dns_rbldnsd_stop || :; rm -rf "$TMP"' EXIT

mkdir -p "$TMP/rbl"
for f in probes-bl.zone probes-src.generic; do
	sed "s/@NET@/$NET/g" "$ZONES/rbl/$f" >"$TMP/rbl/$f"
done
dns_rbldnsd_start "$TMP/rbl" "$RBL_ADDR" "$RBL_PORT" \
	bl.test:ip4set:probes-bl.zone src.test:generic:probes-src.generic
rev=$(echo "$NET.2" | awk -F. '{print $4"."$3"."$2"."$1}')
dns_rbldnsd_wait "$rev.bl.test" ||
	fail "rbldnsd does not answer: $(cat "$TMP/rbl/rbldnsd.log")"
S="--dns-server $RBL_ADDR:$RBL_PORT"

conf=$(conf_edit "s|^state_dir = .*|state_dir = $TMP/state|; s|^metrics_file = .*|metrics_file = $TMP/state/m.prom|")
cat >>"$conf" <<CONF

[check "relays"]
domain = src.test
dnsbl = bl.test
dnsbl_from_probes = all
interval = 3600
CONF

# One tick: the probes are sent and found (their hops stored), then the
# check runs with the relay IPs of those probes.
mc -c "$conf" $S run --wait 30
[ "$rc" = 2 ] || fail "run: exit $rc, want 2 (the relay is listed)"
db=$TMP/state/mailcanary.db
[ "$(sqlite3 "$db" "select count(*) from hops where ip = '$NET.2'")" -ge 1 ] ||
	fail "no hop from the relay $NET.2 stored"
sqlite3 "$db" "select json from check_results where check_name = 'relays'" >"$TMP/check.json"
python3 - "$TMP/check.json" "$NET" "$db" <<'PY' || fail "run: the stored check result does not name the relay from the probes"
import json, sqlite3, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[0])
net = sys.argv[2]
db = sqlite3.connect(sys.argv[3])
probes = {r[0]: r[1] for r in db.execute("select id, route from probes")}
subm = {r[0] for r in db.execute("select ip from hops where \"with\" = 'ESMTPSA'")}
assert d["severity"] == 2, d["severity"]
by_ip = {e["ip"]: e for e in d["dnsbl"]}
e = by_ip[net + ".2"]
assert e["status"] == "listed" and e["list"] == "bl.test", e
assert e["source"] == "probe" and e["probe_id"] in probes, e
assert e["route"] == probes[e["probe_id"]], e
assert e["txt"] == "Relay listed for the probes test: %s.2" % net, e
# the MX's hop into Dovecot (LMTP) is asked too, and clean
assert by_ip[net + ".3"]["status"] == "clean" and by_ip[net + ".3"]["source"] == "probe", by_ip
# never the submission hop's client address
assert subm and not (subm & set(by_ip)), (subm, list(by_ip))
assert all(p["used"] and p["skipped"] is None for p in d["probe_ips"]), d["probe_ips"]
assert d["mx"]["severity"] == 0 and d["dmarc"]["severity"] == 0, d
msgs = [p["message"] for p in d["problems"] if p["check"] == "dnsbl"]
assert any(m.startswith(net + ".2 (relay IP seen by probe " + e["probe_id"]) for m in msgs), msgs
PY
mc -c "$conf" --json status
jcheck '[c for c in d["checks"] if c["check"] == "relays"][0]["severity"] == 2' "status: check not critical"
jcheck '"relay IP seen by probe" in [c for c in d["checks"] if c["check"] == "relays"][0]["summary"]' \
	"status: the summary does not say the IP came from a probe"
grep -q '^mailcanary_check_severity{check="relays"} 2$' "$TMP/state/m.prom" ||
	fail "check severity not in the metrics"

# check, config form: the same from the store.
mc -c "$conf" $S --json check
expect_rc 2
jcheck '[(e["ip"], e["status"], e["source"]) for e in d["checks"][0]["dnsbl"] if e["ip"] == "'"$NET"'.2"] == [("'"$NET"'.2", "listed", "probe")]' \
	"check: the relay IP from the probes is not listed"
mc -c "$conf" $S check
expect_rc 2
grep -q "relay IPs from probes:" "$TMP/out" || fail "check text: no relay IPs from probes"
grep -q "CRITICAL dnsbl $NET.2 (relay IP seen by probe " "$TMP/out" || fail "check text: the problem does not name the probe"
mc -c "$conf" $S --json check --no-from-probes
expect_rc 0
jcheck 'd["checks"][0]["probe_ips"] == [] and d["checks"][0]["dnsbl"] == []' \
	"check --no-from-probes still asks the probes' IPs"

# check DOMAIN --from-probes: the config's probes of routes from src.test.
mc -c "$conf" $S --json check src.test --dnsbl bl.test --from-probes=all
expect_rc 2
jcheck 'any(e["ip"] == "'"$NET"'.2" and e["status"] == "listed" and e["source"] == "probe" for e in d["dnsbl"])' \
	"check DOMAIN --from-probes=all: relay not listed"
# the default mode: loopback is not a global address, so nothing is asked
mc -c "$conf" $S --json check src.test --dnsbl bl.test --from-probes
expect_rc 0
jcheck 'd["probe_ips"] and all(p["skipped"] == "not a global address" for p in d["probe_ips"]) and d["dnsbl"] == []' \
	"check --from-probes (public) asked a loopback address"
# no routes from that domain: nothing from the probes
mc -c "$conf" $S --json check dest.test --dnsbl bl.test --from-probes=all
jcheck 'd["probe_ips"] == []' "probes of src.test offered for dest.test"
mc -c "$conf" $S check src.test --from-probes=sometimes
expect_rc 3
mc -c "$TMP/nope.conf" $S check src.test --from-probes
expect_rc 3

# The window: probes sent before dnsbl_probe_window are not read.
sed 's/^dnsbl_from_probes = all$/dnsbl_from_probes = all\ndnsbl_probe_window = 1d/' "$conf" >"$TMP/window.conf"
chmod 600 "$TMP/window.conf"
sqlite3 "$db" "update probes set sent_at = sent_at - 2 * 86400"
mc -c "$TMP/window.conf" $S --json check
expect_rc 0
jcheck 'd["checks"][0]["probe_ips"] == [] and d["checks"][0]["dnsbl"] == []' \
	"check: probes older than dnsbl_probe_window were read"
sqlite3 "$db" "update probes set sent_at = sent_at + 2 * 86400"

# [check] with the default (public): the next due run asks nothing of the
# probes' loopback addresses and is clean.
conf2=$(sed 's/^dnsbl_from_probes = all$/dnsbl_from_probes = public/' "$conf")
printf '%s\n' "$conf2" >"$TMP/public.conf"
chmod 600 "$TMP/public.conf"
sqlite3 "$db" "delete from check_results"
mc -c "$TMP/public.conf" $S run --wait 30
sqlite3 "$db" "select severity, json from check_results where check_name = 'relays'" >"$TMP/check2"
python3 - "$TMP/check2" <<'PY' || fail "run (public): loopback relay IPs were asked"
import json, sys
sev, doc = open(sys.argv[1]).read().split("|", 1)
d = json.loads(doc)
assert int(sev) == 0, sev
assert d["probe_ips"] and all(not p["used"] for p in d["probe_ips"]), d["probe_ips"]
assert d["dnsbl"] == [], d["dnsbl"]
PY
