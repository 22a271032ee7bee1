# OpenSSL, libpsl, zlib, SQLite, inih and jansson are loaded on first use
# (common/lazy.h): the binary does not link them, commands that never call
# them run without them, and a command that needs one that cannot be
# loaded ends with exit 3 and one line naming it. "Cannot be loaded" is
# made real with empty files of those sonames first on LD_LIBRARY_PATH.
# The probe/DKIM/DMARC/logs/store tests show that the libraries, when they
# are there, work. Only c-ares and libc are linked.
. "$(dirname "$0")/lib.sh"

if command -v readelf >/dev/null; then
	readelf -d "$MAILCANARY" >"$TMP/dyn"
	for so in libssl libcrypto libpsl libidn2 libz libcurl libesmtp libgmime \
		libsqlite3 libinih libjansson libm; do
		! grep -q "NEEDED.*\[$so\." "$TMP/dyn" || fail "$so is linked"
	done
fi

mkdir "$TMP/bad"
for so in libssl.so.3 libcrypto.so.3 libpsl.so.5 libz.so.1 libsqlite3.so.0 \
	libinih.so.1 libjansson.so.4; do
	: >"$TMP/bad/$so"
done
bad() { LD_LIBRARY_PATH="$TMP/bad" mc "$@"; }
# without SONAME... CMD: only those libraries cannot be loaded, so that a
# command that needs several names the one it is about.
without() {
	_d=$TMP/without.$1
	mkdir -p "$_d"
	while [ "$1" != -- ]; do : >"$_d/$1"; shift; done
	shift
	LD_LIBRARY_PATH="$_d" mc "$@"
}
one_line() {
	[ "$(wc -l <"$TMP/err")" = 1 ] || fail "expected one line on stderr"
	grep -q "^mailcanary: cannot load $1: " "$TMP/err" ||
		fail "stderr does not name $1"
}

# Never need them: --version, an SPF check (here against a DNS server
# that does not answer: the same result with and without the libraries).
bad --version
expect_rc 0
mc --dns-server 127.0.0.1:1 spf --timeout 1 --tries 1 192.0.2.1 a@example.com
good_rc=$rc
grep -q '^spf: temperror' "$TMP/out" || fail "spf did not get as far as asking"
cp "$TMP/out" "$TMP/good.out"
bad --dns-server 127.0.0.1:1 spf --timeout 1 --tries 1 192.0.2.1 a@example.com
expect_rc "$good_rc"
cmp -s "$TMP/out" "$TMP/good.out" || fail "spf output differs without the libraries"
! grep -q "cannot load" "$TMP/err" || fail "spf tried to load a library"

# spf --json has its own writer (checks/spf_json.c): no jansson either.
mc --json --dns-server 127.0.0.1:1 spf --timeout 1 --tries 1 192.0.2.1 a@example.com
good_rc=$rc
cp "$TMP/out" "$TMP/good.out"
bad --json --dns-server 127.0.0.1:1 spf --timeout 1 --tries 1 192.0.2.1 a@example.com
expect_rc "$good_rc"
cmp -s "$TMP/out" "$TMP/good.out" || fail "spf --json output differs without the libraries"
! grep -q "cannot load" "$TMP/err" || fail "spf --json tried to load a library"

# Neither do the other DNS commands' text reports without a config file.
mc --dns-server 127.0.0.1:1 dnsbl --timeout 1 --tries 1 192.0.2.1
good_rc=$rc
cp "$TMP/out" "$TMP/good.out"
bad --dns-server 127.0.0.1:1 dnsbl --timeout 1 --tries 1 192.0.2.1
expect_rc "$good_rc"
cmp -s "$TMP/out" "$TMP/good.out" || fail "dnsbl output differs without the libraries"
! grep -q "cannot load" "$TMP/err" || fail "dnsbl tried to load a library"

# jansson: dnsbl --json builds its document with it.
bad --json --dns-server 127.0.0.1:1 dnsbl --timeout 1 --tries 1 192.0.2.1
expect_rc 3
one_line libjansson.so.4

# inih: any command given a config file reads it first.
bad -c "$CONF" status
expect_rc 3
one_line libinih.so.1

# SQLite: status opens the store.
without libsqlite3.so.0 -- -c "$CONF" status
expect_rc 3
one_line libsqlite3.so.0

# zlib: logs reads every file through gzdopen.
printf 'Jan  1 00:00:00 host postfix/smtpd[1]: connect from x[192.0.2.1]\n' >"$TMP/mail.log"
mc logs "$TMP/mail.log"
expect_rc 0
without libz.so.1 -- logs "$TMP/mail.log"
expect_rc 3
one_line libz.so.1

# libpsl: dmarc --psl loads the list before any DNS.
printf 'com\n' >"$TMP/psl.dat"
without libpsl.so.5 -- --dns-server 127.0.0.1:1 dmarc --timeout 1 --tries 1 \
	--psl "$TMP/psl.dat" example.com
expect_rc 3
one_line libpsl.so.5

# libcrypto: a probe's Message-ID comes from RAND_bytes, libssl for TLS
# (its own store: whatever a cut-off probe leaves behind stays here).
mkdir "$TMP/state"
conf=$(conf_edit "s|^state_dir *=.*|state_dir = $TMP/state|")
without libssl.so.3 libcrypto.so.3 -- -c "$conf" probe loop --wait 1
expect_rc 3
grep -Eq "^mailcanary: cannot load lib(crypto|ssl)\.so\.3: " "$TMP/err" ||
	fail "probe does not name libcrypto/libssl"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "expected one line on stderr"
echo "ok"
