# Shell functions (sourced, POSIX sh) that run a private nsd on loopback for
# tests: one root zone "." from a zone file, no privileges dropped, nothing
# outside the given directory touched. Every wait is bounded.
#
#   dns_nsd_start DIR ADDR PORT ZONEFILE   start nsd; sets DNS_NSD_PID
#   dns_nsd_reload ZONEFILE SERIAL         swap in a new zone, wait for SERIAL
#   dns_nsd_stop                           stop it (safe to call twice)
#   dns_wait_serial ADDR PORT SERIAL       wait until ADDR:PORT serves SERIAL
#
# DNS_ENV_DIR must point at tests/env/dns (for dnswire.py).

DNS_NSD_PID=
DNS_NSD_DIR=
DNS_NSD_ADDR=
DNS_NSD_PORT=

dns_wait_serial() {
	# 100 tries x 0.1 s: nsd answers on loopback in well under a
	# millisecond once it has loaded the zone.
	_i=0
	while [ "$_i" -lt 100 ]; do
		_s=$(python3 "$DNS_ENV_DIR/dnswire.py" serial "$1" "$2" 2>/dev/null)
		[ "$_s" = "$3" ] && return 0
		_i=$((_i + 1))
		sleep 0.1
	done
	echo "dns: $1:$2 does not serve serial $3 (has: $_s)" >&2
	return 1
}

dns_nsd_start() {
	DNS_NSD_DIR=$1 DNS_NSD_ADDR=$2 DNS_NSD_PORT=$3
	mkdir -p "$DNS_NSD_DIR"
	cp "$4" "$DNS_NSD_DIR/root.zone"
	cat >"$DNS_NSD_DIR/nsd.conf" <<EOF
server:
	ip-address: $DNS_NSD_ADDR@$DNS_NSD_PORT
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$DNS_NSD_DIR"
	database: ""
	zonelistfile: "$DNS_NSD_DIR/zone.list"
	xfrdfile: "$DNS_NSD_DIR/xfrd.state"
	xfrdir: "$DNS_NSD_DIR"
	pidfile: "$DNS_NSD_DIR/nsd.pid"
	logfile: "$DNS_NSD_DIR/nsd.log"
	verbosity: 1
	hide-version: yes
	round-robin: no
	refuse-any: yes
	zonefiles-check: yes
	zonefiles-write: 0
	# No response rate limiting (Debian's nsd: 200 answers/s per /24):
	# every test and benchmark asks from 127.0.0.1, and limited answers
	# come back truncated or not at all -- a batch of thousands of SPF
	# evaluations then measured nsd's limiter, not the evaluator.
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "."
	zonefile: "$DNS_NSD_DIR/root.zone"
EOF
	nsd -d -c "$DNS_NSD_DIR/nsd.conf" >>"$DNS_NSD_DIR/nsd.log" 2>&1 &
	DNS_NSD_PID=$!
}

# Replaces the zone file and sends SIGHUP: nsd re-reads zone files whose
# mtime changed. The mtime is set from the serial so that two reloads in the
# same second are still seen as changes.
dns_nsd_reload() {
	cp "$1" "$DNS_NSD_DIR/root.zone.new"
	touch -d "@$((1000000000 + $2))" "$DNS_NSD_DIR/root.zone.new"
	mv "$DNS_NSD_DIR/root.zone.new" "$DNS_NSD_DIR/root.zone"
	kill -HUP "$DNS_NSD_PID"
	dns_wait_serial "$DNS_NSD_ADDR" "$DNS_NSD_PORT" "$2"
}

dns_nsd_stop() {
	[ -n "$DNS_NSD_PID" ] || return 0
	kill "$DNS_NSD_PID" 2>/dev/null
	_i=0
	while kill -0 "$DNS_NSD_PID" 2>/dev/null && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$DNS_NSD_PID" 2>/dev/null
	DNS_NSD_PID=
}
