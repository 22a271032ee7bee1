# make install puts the binary, man page, example config and the units
# where PREFIX/SYSCONFDIR/UNITDIR say (ExecStart follows BINDIR);
# systemd-analyze verify accepts the units and the security exposure of
# the service stays at or under 2.0.
. "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=$TMP/root
make -s -C "$repo" install PREFIX="$root/usr" SYSCONFDIR="$root/etc" \
	UNITDIR="$root/units" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "make install"; }
for f in usr/bin/mailcanary usr/share/man/man1/mailcanary.1 \
	etc/mailcanary/mailcanary.conf.example units/mailcanary.service units/mailcanary.timer; do
	[ -f "$root/$f" ] || fail "not installed: $f"
done
grep -q "^ExecStart=$root/usr/bin/mailcanary " "$root/units/mailcanary.service" ||
	fail "ExecStart does not follow BINDIR"
MANPATH=$root/usr/share/man systemd-analyze verify \
	"$root/units/mailcanary.service" "$root/units/mailcanary.timer" ||
	fail "systemd-analyze verify"
exposure=$(systemd-analyze security --offline=true "$root/units/mailcanary.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for mailcanary.service: \([0-9.]*\).*/\1/p')
echo "exposure: $exposure"
python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.0 else 1)" ||
	fail "exposure $exposure above 2.0"
