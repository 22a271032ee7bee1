#!/bin/sh
# make demo: start the loopback mail world (two Postfix instances and
# Dovecot, all on 127.0.0.x under a temporary directory), send real probes
# through it, and show what mailcanary reports. Everything is stopped at the
# end; nothing outside the temporary directory is touched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mc=${1:?usage: demo.sh PATH-TO-MAILCANARY}
dir=${MC_DEMO_DIR:-/tmp/mailcanary-demo}

"$here/mailenv" stop "$dir" >/dev/null 2>&1 || :
trap '"$here/mailenv" stop "$dir" >/dev/null 2>&1 || :' EXIT INT TERM
echo "== starting the loopback mail world in $dir"
"$here/mailenv" start "$dir"
conf="$dir/mailcanary.conf"

step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

step "probe every route (text, with Nagios perfdata)" "mailcanary -c $conf probe"
"$mc" -c "$conf" probe || :

step "one route as JSON" "mailcanary -c $conf --json probe loop"
"$mc" -c "$conf" --json probe loop | python3 -m json.tool || :

echo
echo "The mail world is stopped on exit. Run 'tests/env/mailenv start $dir' to keep one running."
