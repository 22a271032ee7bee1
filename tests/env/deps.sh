#!/bin/sh
# Installs what mailcanary needs to build, test, demo or benchmark, from Debian's
# packages. Idempotent: packages already present are skipped, and apt is not
# touched at all when everything is there.
#   deps.sh build   libraries and headers to compile mailcanary
#   deps.sh test    + the real servers the tests start on loopback, cmocka, clang
#   deps.sh bench   + the peer tools the benchmarks compare against
set -eu

build="build-essential pkg-config libesmtp-dev libcurl4-openssl-dev libc-ares-dev
libssl-dev libsqlite3-dev libjansson-dev libinih-dev libgmime-3.0-dev publicsuffix
libpsl-dev zlib1g-dev"
test="$build libcmocka-dev clang libclang-rt-14-dev llvm openssl python3 swaks sqlite3
postfix dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-managesieved postgrey
nsd rbldnsd opendkim opendkim-tools prometheus-alertmanager prometheus
pflogsumm procps iproute2 curl systemd chromium poppler-utils strace"
bench="$test monitoring-plugins-contrib libmail-imapclient-perl libio-socket-ssl-perl
spfquery python3-spf rblcheck hyperfine time bc libnet-smtp-tls-perl libauthen-sasl-perl"

case "${1:-test}" in
build) want=$build ;;
test) want=$test ;;
bench) want=$bench ;;
*) echo "usage: $0 build|test|bench" >&2; exit 3 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root, or install them)" >&2
	exit 3
fi

# The mail and DNS servers are only ever started by tests/env/ under a
# temporary directory on loopback. Keep their packages from starting
# system-wide daemons at install time (policy-rc.d exit 101 = "not allowed").
cleanup=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	cleanup=1
fi
trap '[ -n "$cleanup" ] && rm -f /usr/sbin/policy-rc.d' EXIT

echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
