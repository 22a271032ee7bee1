#!/bin/sh
# More probes outstanding in one mailbox than one IMAP SEARCH names (32):
# 33 probes that never arrive there (they go to another user) come first,
# and the one that does arrive must still be searched for and found --
# the watch goes on with the next chunk instead of searching the first
# 32 over and over.
. "$(dirname "$0")/lib.sh"
python3 - "$CONF" "$TMP/many.conf" "$TMP" <<'PY'
import sys
src, dst, tmp = sys.argv[1:4]
s = open(src).read()
s = s.replace("state_dir = ", "state_dir = %s/state\n; was: " % tmp, 1)
head = s.split('\n[route "loop"]')[0]
route = ('\n[route "%s"]\nrelay = loop\nfrom = bounces@src.test\nto = %s\n'
         'mailbox = canary\nwarn = 10\ncrit = 20\n')
for i in range(33):
    head += route % ("stray%02d" % i, "junk@dest.test")
head += route % ("last", "canary@dest.test")
open(dst, "w").write(head)
PY
chmod 600 "$TMP/many.conf"
mc -c "$TMP/many.conf" --json probe --wait 12
jcheck '[x["state"] for x in d["probes"] if x["route"] == "last"] == ["delivered"]' \
	"the 34th probe of the mailbox was not found"
jcheck 'len(d["probes"]) == 34 and all(x["state"] == "lost" for x in d["probes"] if x["route"] != "last")'
echo ok
