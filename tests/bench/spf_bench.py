#!/usr/bin/env python3
"""Times SPF evaluators over one OpenSPF suite scenario (tests/bench/dns.sh).

  spf_bench.py cases SCEN_DIR
      number of benchmarked cases in the scenario (0: the scenario is skipped)
  spf_bench.py mailcanary SCEN_DIR BINARY ADDR PORT
      one `mailcanary --dns-server ADDR:PORT --json spf` process per case
  spf_bench.py spfquery SCEN_DIR
      one `spfquery` (libspf2) process per case; it asks the system resolver,
      so dns.sh runs this inside a private mount namespace whose
      /etc/resolv.conf names the loopback nsd
  spf_bench.py pyspf-proc SCEN_DIR ADDR PORT
      one /usr/bin/python3 process per case (import spf, one check)
  spf_bench.py pyspf SCEN_DIR ADDR PORT
      every case in this process (run it with /usr/bin/python3: python3-spf
      is Debian's); only the evaluation loop is timed, not the imports
  spf_bench.py pyspf-one ADDR PORT IP MAILFROM HELO
      one pyspf evaluation; prints the result (used by pyspf-proc)

Each mode prints "SECONDS CASES AGREE": wall time of the evaluations, cases
run, results that are among the suite's expected ones. Cases of scenarios
that need DNS timeouts are not run (nothing here drops queries, and waiting
for timeouts would measure the timeout, not the evaluator), nor cases whose
expected result is only temperror.
"""
import json
import os
import subprocess
import sys
import time

LEGACY = {"unknown": "permerror", "error": "temperror"}
RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror",
           "temperror")
LIMIT = 30  # seconds per evaluation process


def load(scen_dir):
    with open(os.path.join(scen_dir, "rules.json")) as f:
        rules = json.load(f)
    if rules["timeout_names"] or rules["timeout_types"]:
        return []
    with open(os.path.join(scen_dir, "cases.json")) as f:
        cases = json.load(f)
    out = []
    for c in cases:
        want = {LEGACY.get(r, r) for r in c["result"]}
        if want == {"temperror"}:
            continue
        c["want"] = want
        out.append(c)
    return out


def b(s):
    # The suite's arguments are bytes (latin-1 code points in the flat file).
    return s.encode("latin-1")


def run_procs(cases, argv_of, result_of):
    total = 0.0
    agree = 0
    for c in cases:
        argv = argv_of(c)
        t0 = time.perf_counter()
        try:
            p = subprocess.run(argv, capture_output=True, timeout=LIMIT)
            out = p.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            out = ""
        total += time.perf_counter() - t0
        if result_of(out) in c["want"]:
            agree += 1
    return total, len(cases), agree


def mc_result(out):
    try:
        return json.loads(out).get("result")
    except ValueError:
        return None


def first_result(out):
    for line in out.splitlines():
        w = line.strip().lower()
        if w == "(invalid)":
            # libspf2 prints this when a record does not compile (its
            # SPF_RESULT_INVALID, with "Failed to compile SPF record"):
            # RFC 7208 calls that permerror
            return "permerror"
        if w in RESULTS:
            return w
    return None


def pyspf_setup(addr, port):
    import DNS
    import spf
    DNS.defaults["server"] = [addr]
    DNS.defaults["port"] = int(port)
    DNS.defaults["timeout"] = 5
    return spf


def pyspf_eval(spf, ip, mailfrom, helo):
    try:
        return spf.query(ip, mailfrom, helo).check()[0]
    except Exception:  # a crash is a result that agrees with nothing
        return None


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "pyspf-one" and len(argv) == 7:
        spf = pyspf_setup(argv[2], argv[3])
        print(pyspf_eval(spf, argv[4], argv[5], argv[6]))
        return 0
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cases = load(argv[2])
    if mode == "cases":
        print(len(cases))
        return 0
    if mode == "mailcanary" and len(argv) == 6:
        binary, server = argv[3], "%s:%s" % (argv[4], argv[5])
        res = run_procs(cases, lambda c: [
            b(binary), b"--dns-server", b(server), b"--json", b"spf", b"--",
            b(c["host"]), b(c["mailfrom"]), b(c["helo"] or "")], mc_result)
    elif mode == "spfquery" and len(argv) == 3:
        def argv_of(c):
            a = [b"spfquery", b"-ip", b(c["host"])]
            if c["mailfrom"]:
                a += [b"-sender", b(c["mailfrom"])]
            if c["helo"]:
                a += [b"-helo", b(c["helo"])]
            return a
        res = run_procs(cases, argv_of, first_result)
    elif mode == "pyspf-proc" and len(argv) == 5:
        me = os.path.abspath(__file__)
        res = run_procs(cases, lambda c: [
            b"/usr/bin/python3", b(me), b"pyspf-one", b(argv[3]), b(argv[4]),
            b(c["host"]), b(c["mailfrom"]), b(c["helo"] or "")],
            first_result)
    elif mode == "pyspf" and len(argv) == 5:
        spf = pyspf_setup(argv[3], argv[4])
        agree = 0
        t0 = time.perf_counter()
        for c in cases:
            if pyspf_eval(spf, c["host"], c["mailfrom"],
                          c["helo"] or "") in c["want"]:
                agree += 1
        res = (time.perf_counter() - t0, len(cases), agree)
    else:
        sys.stderr.write(__doc__)
        return 2
    print("%.6f %d %d" % res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
