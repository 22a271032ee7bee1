#!/bin/sh
# DNS benchmarks: mailcanary side by side with the peer tools, against real
# DNS servers on loopback. Prints tables with ratios; not a test: nothing
# here is a pass/fail threshold (the machines are shared and noisy).
#
#   a. SPF: the OpenSPF suite's cases (scenarios needing DNS timeouts left
#      out), each scenario served by nsd on 127.0.0.15:53 in turn, through
#      `mailcanary --json spf` (a process per case; `spf --batch`, one
#      process, with its shared DNS answer cache, with --no-cache, and
#      printing text lines instead of JSON traces, as spfquery does),
#      spfquery (libspf2, a process per case; -file, one process, which
#      caches DNS answers too) and pyspf (python3-spf: a process per case, and all
#      cases in one process). The one-process C modes take the median of
#      SPF_BATCH_RUNS (5) runs per scenario. Target of the issue:
#      mailcanary >= 10x pyspf, >= spfquery.
#   b. DNSBL: 100 IPs x 10 ip4set lists served by rbldnsd on 127.0.0.16:53:
#      one `mailcanary dnsbl` process (all queries at once) vs rblcheck (one
#      process, queries one after another; and one process per IP). Target:
#      >= 20x.
#   c. `mailcanary check DOMAIN` (MX, PTR/FCrDNS, SPF include chain, DMARC)
#      on a zone served by nsd, directly and through a relay adding DELAY_MS
#      (default 20) to every query (a far resolver), vs the deepest chain of
#      sequential round trips times the measured single-query round trip.
#      Target: <= 1.5x.
#
# spfquery and rblcheck ask the system resolver and cannot be given a server
# or port (libresolv: /etc/resolv.conf only; RES_OPTIONS/LOCALDOMAIN set no
# server). They are run inside a private mount namespace (unshare -m) in
# which a resolv.conf naming the loopback server is bind-mounted over
# /etc/resolv.conf; the system's file is not touched. Hence port 53 on
# 127.0.0.15/16 (needs root).
#
#   tests/bench/dns.sh PATH-TO-MAILCANARY      (RUNS=3, DELAY_MS=20)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mc=${1:?usage: dns.sh PATH-TO-MAILCANARY}
case $mc in /*) ;; *) mc=$(pwd)/$mc ;; esac
runs=${RUNS:-3}
delay_ms=${DELAY_MS:-20}
parts=${PARTS:-abc}         # which of a, b, c to run
export SPF_BATCH_REPEAT=${SPF_BATCH_REPEAT:-20}   # one-process SPF modes: each case N times
# Addresses (port 53 each) may be moved so that two runs can share a host.
nsd_addr=${BENCH_NSD_ADDR:-127.0.0.15}
rbl_addr=${BENCH_RBL_ADDR:-127.0.0.16}
rbl_delay_addr=${BENCH_RBL_DELAY_ADDR:-127.0.0.18}
spf_delay_addr=${BENCH_SPF_DELAY_ADDR:-127.0.0.19}
delay_port=15453
suite=${SPF_SUITE_DIR:-$repo/tests/data/spf}
DNS_ENV_DIR=$repo/tests/env/dns
. "$DNS_ENV_DIR/nsd_env.sh"
. "$DNS_ENV_DIR/rbldnsd_env.sh"
pyspf=/usr/bin/python3      # python3-spf lives in Debian's python

[ -x "$mc" ] || { echo "dns.sh: no mailcanary at $mc (make)" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "dns.sh: needs root (port 53 on loopback, unshare -m)" >&2; exit 3; }
for t in nsd rbldnsd spfquery rblcheck unshare; do
	command -v "$t" >/dev/null || { echo "dns.sh: $t not installed (tests/env/deps.sh bench)" >&2; exit 3; }
done

tmp=$(mktemp -d /tmp/mailcanary-dnsbench.XXXXXX)
delay_pid=
cleanup() {
	set +e      # the stop functions' last kill may fail: not an error
	[ -n "$delay_pid" ] && kill "$delay_pid" 2>/dev/null
	dns_nsd_stop
	dns_rbldnsd_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# with_resolver ADDR CMD...: CMD in a private mount namespace whose
# /etc/resolv.conf names only ADDR (port 53).
with_resolver() {
	_rc=$tmp/resolv.$1
	printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$1" >"$_rc"
	shift
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$_rc" "$@"
}

now() { date +%s%N; }
best() { # best (lowest) of the numbers on stdin
	sort -n | head -n 1
}
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

python3 "$DNS_ENV_DIR/spf_suite.py" zones "$suite/spf-tests-flat.json" "$tmp/zones" >/dev/null
first=$(head -n 1 "$tmp/zones/scenarios")
dns_nsd_start "$tmp/nsd" "$nsd_addr" 53 "$first/root.zone"
dns_wait_serial "$nsd_addr" 53 1 || { cat "$tmp/nsd/nsd.log" >&2; exit 3; }

# ---------------------------------------------------------------- a. SPF
# spf_pass ADDR RESULTS: every served scenario's cases through each tool,
# asking the DNS server on ADDR:53 (nsd itself, or the delaying relay).
spf_pass() {
	: >"$2"
	serial=0 scen=0 skipped=0
	while read -r dir; do
		serial=$((serial + 1))
		n=$(python3 "$here/spf_bench.py" cases "$dir")
		if [ "$n" -eq 0 ]; then
			skipped=$((skipped + 1))
			continue
		fi
		# the scenario's zone carries its own SOA serial, $serial
		dns_nsd_reload "$dir/root.zone" "$serial" || exit 3
		scen=$((scen + 1))
		{
			echo "mailcanary $(python3 "$here/spf_bench.py" mailcanary "$dir" "$mc" "$1" 53)"
			echo "mailcanary-batch $(python3 "$here/spf_bench.py" mailcanary-batch "$dir" "$mc" "$1" 53)"
			echo "mailcanary-batch-nocache $(python3 "$here/spf_bench.py" mailcanary-batch-nocache "$dir" "$mc" "$1" 53)"
			echo "mailcanary-batch-text $(python3 "$here/spf_bench.py" mailcanary-batch-text "$dir" "$mc" "$1" 53)"
			echo "spfquery-file $(with_resolver "$1" python3 "$here/spf_bench.py" spfquery-file "$dir")"
			echo "spfquery $(with_resolver "$1" python3 "$here/spf_bench.py" spfquery "$dir")"
			echo "pyspf-1proc $($pyspf "$here/spf_bench.py" pyspf "$dir" "$1" 53)"
			echo "pyspf-whole $($pyspf "$here/spf_bench.py" pyspf-whole "$dir" "$1" 53)"
			echo "pyspf-proc $($pyspf "$here/spf_bench.py" pyspf-proc "$dir" "$1" 53)"
		} >>"$2"
	done <"$tmp/zones/scenarios"
	echo "$scen scenarios served ($skipped left out: they need DNS timeouts or expect only temperror)"
}
spf_table() {
python3 - "$1" <<'PY'
import sys
tot = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) != 4:
        continue
    t = tot.setdefault(f[0], [0.0, 0, 0])
    t[0] += float(f[1]); t[1] += int(f[2]); t[2] += int(f[3])
names = {"mailcanary": "mailcanary (proc/case)", "spfquery": "spfquery libspf2 (proc/case)",
         "pyspf-proc": "pyspf (proc/case)",
         "mailcanary-batch": "mailcanary (1 proc, --batch)",
         "mailcanary-batch-nocache": "mailcanary (--batch --no-cache)",
         "mailcanary-batch-text": "mailcanary (--batch, text)",
         "spfquery-file": "spfquery (1 proc, -file)",
         "pyspf-whole": "pyspf (1 proc)",
         "pyspf-1proc": "pyspf (1 proc, no start/import)"}
def per_case(k):
    s, n, a = tot[k]
    return s / max(n, 1)
for group, base in ((("mailcanary", "spfquery", "pyspf-proc"), "mailcanary"),
                    (("mailcanary-batch", "mailcanary-batch-nocache", "mailcanary-batch-text", "spfquery-file", "pyspf-whole", "pyspf-1proc"), "mailcanary-batch")):
    if base not in tot:
        continue
    print(f"{'tool':30} {'cases':>5} {'agree':>5} {'total s':>8} {'ms/case':>8} {'x mailcanary':>12}")
    for k in group:
        if k in tot:
            s, n, a = tot[k]
            print(f"{names[k]:30} {n:5d} {a:5d} {s:8.3f} {1000 * s / max(n, 1):8.2f} {per_case(k) / per_case(base):12.1f}")
print("agree: results among the suite's expected ones; x mailcanary: the tool's")
print("time per case / mailcanary's in the same mode (target: pyspf >= 10,")
print("spfquery >= 1). One-process modes: every case SPF_BATCH_REPEAT times; batch")
print("lines carry the cases a line can (no blank inside a field). --batch shares")
print("one DNS answer cache among its workers (TTLs honoured), as spfquery -file")
print("(libspf2) caches too; --no-cache asks the server for every evaluation.")
print("The C tools' one-process times: median of SPF_BATCH_RUNS runs per scenario.")
if "mailcanary-batch-text" in tot and "spfquery-file" in tot:
    print("Like for like (text out, as spfquery -file): spfquery -file / mailcanary")
    print(f"--batch text = {per_case('spfquery-file') / per_case('mailcanary-batch-text'):.2f}; "
          "--json writes every question's whole trace.")
PY
}
case $parts in *a*)
echo "== a. SPF: OpenSPF suite cases, nsd on $nsd_addr:53"
spf_pass "$nsd_addr" "$tmp/spf.results"
spf_table "$tmp/spf.results"

# The same through a relay that holds every query DELAY_MS (on port 53 of
# its own address: spfquery can only be given an address), each case once:
# the lookups of one evaluation follow each other, so every tool pays
# them; what differs is start-up and how many questions run at once.
echo
echo "== a2. the same through a ${delay_ms} ms relay on $spf_delay_addr:53, each case once"
python3 "$here/dnsdelay.py" "$spf_delay_addr" 53 "$nsd_addr" 53 "$delay_ms" 2>"$tmp/sdelay.err" &
delay_pid=$!
sleep 0.5
SPF_BATCH_REPEAT=1 spf_pass "$spf_delay_addr" "$tmp/spf2.results"
SPF_BATCH_REPEAT=1 spf_table "$tmp/spf2.results"

# A wide record, the shape of a domain that sends through several
# providers: four includes, the match in the last. Evaluated in order,
# each include waits for the one before: 5 round trips. mailcanary asks
# ahead for the includes after the first once the record is read (the
# lookups are still counted and traced in order): 2.
echo
echo "== a3. a wide record (4 includes, the match in the last) through the ${delay_ms} ms relay, median of 5"
cat >"$tmp/wide.zone" <<'Z'
$TTL 300
. IN SOA ns.bench.test. hostmaster.bench.test. 90000 3600 600 86400 60
. IN NS ns.bench.test.
wide.bench.test. IN TXT "v=spf1 include:p1.bench.test include:p2.bench.test include:p3.bench.test include:p4.bench.test -all"
p1.bench.test. IN TXT "v=spf1 ip4:198.51.100.0/26 ~all"
p2.bench.test. IN TXT "v=spf1 ip4:198.51.100.64/26 ~all"
p3.bench.test. IN TXT "v=spf1 ip4:198.51.100.128/26 ~all"
p4.bench.test. IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"
Z
dns_nsd_reload "$tmp/wide.zone" 90000 || exit 3
wide_ms() { # median wall ms of 5 runs of CMD...
	: >"$tmp/wide.ns"
	_r=0
	while [ "$_r" -lt 5 ]; do
		_t0=$(now); "$@" >"$tmp/wide.out" 2>&1 || :; _t1=$(now)
		echo $((_t1 - _t0)) >>"$tmp/wide.ns"
		_r=$((_r + 1))
	done
	sort -n "$tmp/wide.ns" | sed -n 3p | awk '{ printf "%.1f", $1 / 1e6 }'
}
w_mc=$(wide_ms "$mc" --dns-server "$spf_delay_addr:53" spf 192.0.2.10 a@wide.bench.test)
w_mc_res=$(head -n 1 "$tmp/wide.out" | awk '{print $2}')
w_sq=$(wide_ms with_resolver "$spf_delay_addr" spfquery -ip 192.0.2.10 -sender a@wide.bench.test)
w_sq_res=$(head -n 1 "$tmp/wide.out")
w_py=$(wide_ms "$pyspf" "$here/spf_bench.py" pyspf-one "$spf_delay_addr" 53 192.0.2.10 a@wide.bench.test "")
w_py_res=$(head -n 1 "$tmp/wide.out")
printf '%-30s %8s %12s  %s\n' tool "wall ms" "x mailcanary" result
printf '%-30s %8s %12s  %s\n' "mailcanary (proc)" "$w_mc" 1.0 "$w_mc_res"
printf '%-30s %8s %12s  %s\n' "spfquery libspf2 (proc)" "$w_sq" "$(ratio "$w_sq" "$w_mc")" "$w_sq_res"
printf '%-30s %8s %12s  %s\n' "pyspf (proc)" "$w_py" "$(ratio "$w_py" "$w_mc")" "$w_py_res"
echo "5 sequential lookups; with lookahead 2 round trips (1 + the 4 includes at once)."
kill "$delay_pid" 2>/dev/null || :
wait "$delay_pid" 2>/dev/null || :
delay_pid=
;; esac

# -------------------------------------------------------------- b. DNSBL
case $parts in *b*)
echo
echo "== b. DNSBL: 100 IPs x 10 ip4set lists, rbldnsd on $rbl_addr:53, best of $runs"
mkdir -p "$tmp/rbl"
lists= zspecs= sargs=
k=0
while [ "$k" -lt 10 ]; do
	# list k lists 203.0.113.(k+1) and 203.0.113.(k+51) (documentation
	# addresses: only asked about, never contacted): 20 of the 100 IPs are
	# listed somewhere, each on one list.
	printf ':127.0.0.2:listed by bl%d\n203.0.113.%d\n203.0.113.%d\n' \
		"$k" $((k + 1)) $((k + 51)) >"$tmp/rbl/bl$k.zone"
	lists="$lists --list bl$k.bench"
	sargs="$sargs -s bl$k.bench"
	zspecs="$zspecs bl$k.bench:ip4set:bl$k.zone"
	k=$((k + 1))
done
ips=$(seq -f '203.0.113.%g' 1 100 | tr '\n' ' ')
# shellcheck disable=SC2086
dns_rbldnsd_start "$tmp/rbl" "$rbl_addr" 53 $zspecs
dns_rbldnsd_wait 1.0.0.10.bl0.bench || exit 3

# drops counted on rbldnsd's UDP socket ($rbl_addr:53, /proc/net/udp:
# the address as little-endian hex)
rbl_sock=$(echo "$rbl_addr" | awk -F. '{ printf "%02X%02X%02X%02X:0035", $4, $3, $2, $1 }')
rbl_drops() {
	awk -v s="$rbl_sock" '$2 == s { print $NF }' /proc/net/udp | head -n 1
}
statuses() { # mailcanary dnsbl --json: "N listed, N clean, N timeout..."
	python3 -c 'import json, sys, collections
c = collections.Counter()
for f in sys.argv[1:]:
    c.update(r.get("status") for r in json.load(open(f))["results"])
print(", ".join("%d %s" % (n, s) for s, n in sorted(c.items())))' "$@"
}
r=0
: >"$tmp/mc.ns"; : >"$tmp/mcL.ns"; : >"$tmp/rbl1.ns"; : >"$tmp/rblN.ns"
drops0=$(rbl_drops)
while [ "$r" -lt "$runs" ]; do
	t0=$(now)
	# shellcheck disable=SC2086
	"$mc" --dns-server "$rbl_addr:53" --json dnsbl $lists $ips >"$tmp/mc.json" || :
	t1=$(now); echo $((t1 - t0)) >>"$tmp/mc.ns"
	r=$((r + 1))
done
drops1=$(rbl_drops)
r=0
while [ "$r" -lt "$runs" ]; do
	# the same 1000 queries as 10 processes one after another, one list
	# (100 queries at once) each
	t0=$(now)
	k=0
	while [ "$k" -lt 10 ]; do
		# shellcheck disable=SC2086
		"$mc" --dns-server "$rbl_addr:53" --json dnsbl --list "bl$k.bench" $ips >"$tmp/mcL$k.json" || :
		k=$((k + 1))
	done
	t1=$(now); echo $((t1 - t0)) >>"$tmp/mcL.ns"
	t0=$(now)
	# shellcheck disable=SC2086
	with_resolver "$rbl_addr" rblcheck -c $sargs $ips >"$tmp/rbl.out" || :
	t1=$(now); echo $((t1 - t0)) >>"$tmp/rbl1.ns"
	t0=$(now)
	# shellcheck disable=SC2086
	with_resolver "$rbl_addr" sh -c 'for ip in $0; do rblcheck -c '"$sargs"' "$ip" || :; done' "$ips" >"$tmp/rblN.out"
	t1=$(now); echo $((t1 - t0)) >>"$tmp/rblN.ns"
	r=$((r + 1))
done
drops2=$(rbl_drops)
mcns=$(best <"$tmp/mc.ns")
mcL=$(best <"$tmp/mcL.ns")
rbl1=$(best <"$tmp/rbl1.ns")
rblN=$(best <"$tmp/rblN.ns")
listed() { grep -c '^[0-9.]* listed by' "$1" || :; }
printf '%-44s %9s %14s  %s\n' tool "wall ms" "x mailcanary" "answers (last run)"
printf '%-44s %9s %14s  %s\n' "mailcanary dnsbl, 1 process, 10 lists" "$(ms "$mcns")" 1.0 "$(statuses "$tmp/mc.json")"
printf '%-44s %9s %14s  %s\n' "mailcanary dnsbl, 10 processes, 1 list each" "$(ms "$mcL")" "$(ratio "$mcL" "$mcns")" "$(statuses "$tmp"/mcL?.json)"
printf '%-44s %9s %14s  %s\n' "rblcheck, 1 process (sequential)" "$(ms "$rbl1")" "$(ratio "$rbl1" "$mcns")" "$(listed "$tmp/rbl.out") listed"
printf '%-44s %9s %14s  %s\n' "rblcheck, 1 process per IP" "$(ms "$rblN")" "$(ratio "$rblN" "$mcns")" "$(listed "$tmp/rblN.out") listed"
echo "1000 queries per run, 20 (ip, list) listings expected. rbldnsd dropped"
echo "$((drops1 - drops0)) queries (socket receive buffer full) during the $runs one-process"
echo "mailcanary runs, $((drops2 - drops1)) during the others. rblcheck runs"
echo "under unshare (a few ms per run). Target: rblcheck >= 20x mailcanary."

# The same through a relay that holds every query DELAY_MS, on port 53 of
# its own loopback address (rblcheck can only be given an address): what
# a blocklist a few hops away looks like. Once each; rblcheck asks its
# 1000 questions one after another.
echo
echo "== b2. the same through a ${delay_ms} ms relay on $rbl_delay_addr:53, once each"
python3 "$here/dnsdelay.py" "$rbl_delay_addr" 53 "$rbl_addr" 53 "$delay_ms" 2>"$tmp/rdelay.err" &
rdelay_pid=$!
sleep 0.5
t0=$(now)
# shellcheck disable=SC2086
"$mc" --dns-server "$rbl_delay_addr:53" --json dnsbl $lists $ips >"$tmp/mcd.json" || :
t1=$(now); mcd=$((t1 - t0))
t0=$(now)
# shellcheck disable=SC2086
with_resolver "$rbl_delay_addr" rblcheck -c $sargs $ips >"$tmp/rbld.out" || :
t1=$(now); rbld=$((t1 - t0))
kill "$rdelay_pid" 2>/dev/null || :
wait "$rdelay_pid" 2>/dev/null || :
printf '%-44s %9s %14s  %s\n' tool "wall ms" "x mailcanary" "answers"
printf '%-44s %9s %14s  %s\n' "mailcanary dnsbl, 1 process, 10 lists" "$(ms "$mcd")" 1.0 "$(statuses "$tmp/mcd.json")"
printf '%-44s %9s %14s  %s\n' "rblcheck, 1 process (sequential)" "$(ms "$rbld")" "$(ratio "$rbld" "$mcd")" "$(listed "$tmp/rbld.out") listed"
echo "At most 100 of mailcanary's queries are in flight: 1000 queries cost"
echo "about 10 delays; rblcheck's cost 1000."
dns_rbldnsd_stop || :
;; esac

# -------------------------------------------------------------- c. check
case $parts in *c*)
echo
echo "== c. check DOMAIN vs its deepest chain of sequential round trips, best of $runs"
cat >"$tmp/check.zone" <<'Z'
$TTL 60
. IN SOA ns.mailcanary-test. hostmaster.mailcanary-test. 100000 3600 600 86400 60
. IN NS ns.mailcanary-test.
bench.test. IN MX 10 mx1.bench.test.
bench.test. IN MX 20 mx2.bench.test.
mx1.bench.test. IN A 192.0.2.1
mx2.bench.test. IN A 192.0.2.2
bench.test. IN TXT "v=spf1 include:s1.bench.test -all"
s1.bench.test. IN TXT "v=spf1 include:s2.bench.test -all"
s2.bench.test. IN TXT "v=spf1 include:s3.bench.test -all"
s3.bench.test. IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.bench.test. IN TXT "v=DMARC1; p=reject; rua=mailto:d@bench.test"
1.2.0.192.in-addr.arpa. IN PTR mx1.bench.test.
Z
dns_nsd_reload "$tmp/check.zone" 100000 || exit 3
python3 "$here/dnsdelay.py" "$nsd_addr" "$delay_port" "$nsd_addr" 53 "$delay_ms" 2>"$tmp/delay.err" &
delay_pid=$!
dns_wait_serial "$nsd_addr" "$delay_port" 100000 || { cat "$tmp/delay.err" >&2; exit 3; }

# Deepest chain: SPF check_host for 192.0.2.1 walks TXT bench.test ->
# s1 -> s2 -> s3 (4 sequential round trips); MX -> A of the MX is 2,
# PTR -> A (FCrDNS) 2, DMARC 1.
chain=4
rtt_of() { # median single UDP query round trip to $1:$2, ns (in-process)
	python3 - "$DNS_ENV_DIR" "$1" "$2" <<-'PY'
	import sys, time, statistics
	sys.path.insert(0, sys.argv[1])
	import dnswire
	ts = []
	for i in range(30):
	    t0 = time.perf_counter_ns()
	    dnswire.ask(sys.argv[2], int(sys.argv[3]), "s3.bench.test", dnswire.TYPES["TXT"])
	    ts.append(time.perf_counter_ns() - t0)
	print(int(statistics.median(ts)))
	PY
}
check_of() { # best wall time of `check bench.test` via $1:$2, ns
	_r=0
	: >"$tmp/check.ns"
	while [ "$_r" -lt "$runs" ]; do
		_t0=$(now)
		_rc=0
		"$mc" --dns-server "$1:$2" --json check bench.test --ip 192.0.2.1 \
			--no-dnsbl --timeout 5 --tries 1 >"$tmp/check.json" 2>"$tmp/check.err" || _rc=$?
		echo "$_rc" >"$tmp/check.rc"
		_t1=$(now)
		echo $((_t1 - _t0)) >>"$tmp/check.ns"
		_r=$((_r + 1))
	done
	best <"$tmp/check.ns"
}
# process start-up alone (dynamic loading of its libraries)
r=0
: >"$tmp/start.ns"
while [ "$r" -lt "$runs" ]; do
	t0=$(now); "$mc" --version >/dev/null; t1=$(now)
	echo $((t1 - t0)) >>"$tmp/start.ns"
	r=$((r + 1))
done
start=$(best <"$tmp/start.ns")
printf '%-26s %8s %6s %9s %9s %7s %9s\n' server "rtt ms" chain "chain ms" "check ms" ratio "ratio-su"
for via in direct delayed; do
	if [ "$via" = direct ]; then port=53; label="nsd direct"; else port=$delay_port; label="nsd + ${delay_ms} ms relay"; fi
	rtt=$(rtt_of "$nsd_addr" "$port")
	cw=$(check_of "$nsd_addr" "$port")
	printf '%-26s %8s %6s %9s %9s %7s %9s\n' "$label" "$(ms "$rtt")" "$chain" \
		"$(ms $((rtt * chain)))" "$(ms "$cw")" "$(ratio "$cw" $((rtt * chain)))" \
		"$(ratio $((cw - start)) $((rtt * chain)))"
	echo "  check exit $(cat "$tmp/check.rc"); problems: $(python3 -c 'import json, sys
def walk(o):
    if isinstance(o, dict):
        if "message" in o: yield "%s: %s" % (o.get("check", "?"), o["message"])
        for v in o.values(): yield from walk(v)
    elif isinstance(o, list):
        for v in o: yield from walk(v)
print("; ".join(walk(json.load(open(sys.argv[1])))) or "none")' "$tmp/check.json" 2>/dev/null || head -c 200 "$tmp/check.err")"
done
echo "mailcanary start-up alone (--version): $(ms "$start") ms. ratio: check wall /"
echo "(chain x rtt), target <= 1.5; ratio-su: the same without the start-up."
echo "rtt: one UDP query from Python, median of 30. On direct loopback the rtt"
echo "is ~0.1 ms and start-up dominates; the relay (DELAY_MS) shows the chain."
;; esac
