# Shell functions (sourced, POSIX sh) that run a private rbldnsd on
# loopback for the DNSBL tests: zone files in the given directory, no
# chroot, no daemon, nothing outside that directory touched. Every wait is
# bounded.
#
#   dns_rbldnsd_start DIR ADDR PORT ZONESPEC...   start it; sets DNS_RBL_PID
#                          ZONESPEC: zone:type:file (file relative to DIR),
#                          e.g. bl.test:ip4set:bl.zone
#   dns_rbldnsd_wait NAME                         wait until NAME answers
#   dns_rbldnsd_stop                              stop it (safe to call twice)
#
# DNS_ENV_DIR must point at tests/env/dns (for dnswire.py).

DNS_RBL_PID=
DNS_RBL_ADDR=
DNS_RBL_PORT=

dns_rbldnsd_start() {
	_dir=$1 DNS_RBL_ADDR=$2 DNS_RBL_PORT=$3
	shift 3
	mkdir -p "$_dir"
	# rbldnsd refuses to run as root: as root, it runs as the package's
	# user (rbldns, else nobody), which must be able to read the zones:
	# the directory and its parents are opened for reading to all (the
	# caller's temporary directory included; nothing secret is there).
	_user=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		_user=nobody
		id rbldns >/dev/null 2>&1 && _user=rbldns
		chmod a+rx "$_dir" "$(dirname "$_dir")"
		chmod a+r "$_dir"/* 2>/dev/null
	fi
	# -n: stay in the foreground (we own the pid); -w: zone files here;
	# -c 1s: changed zone files are reloaded within a second.
	rbldnsd -n -b "$DNS_RBL_ADDR/$DNS_RBL_PORT" -w "$_dir" \
		-u "$_user" -t 60 -c 1s "$@" \
		>>"$_dir/rbldnsd.log" 2>&1 &
	DNS_RBL_PID=$!
}

dns_rbldnsd_wait() {
	# 50 tries x 0.1 s: rbldnsd loads small zones at once.
	_i=0
	while [ "$_i" -lt 50 ]; do
		python3 "$DNS_ENV_DIR/dnswire.py" query "$DNS_RBL_ADDR" \
			"$DNS_RBL_PORT" "$1" A 2>/dev/null | grep -q . && return 0
		_i=$((_i + 1))
		sleep 0.1
	done
	echo "dns: rbldnsd on $DNS_RBL_ADDR:$DNS_RBL_PORT does not answer $1" >&2
	return 1
}

dns_rbldnsd_stop() {
	[ -n "$DNS_RBL_PID" ] || return 0
	kill "$DNS_RBL_PID" 2>/dev/null
	_i=0
	while kill -0 "$DNS_RBL_PID" 2>/dev/null && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$DNS_RBL_PID" 2>/dev/null
	wait "$DNS_RBL_PID" 2>/dev/null
	DNS_RBL_PID=
}
