#!/usr/bin/env python3
"""Times SPF evaluators over one OpenSPF suite scenario (tests/bench/dns.sh).

  spf_bench.py cases SCEN_DIR
      number of benchmarked cases in the scenario (0: the scenario is skipped)
  spf_bench.py mailcanary SCEN_DIR BINARY ADDR PORT
      one `mailcanary --dns-server ADDR:PORT --json spf` process per case
  spf_bench.py mailcanary-batch SCEN_DIR BINARY ADDR PORT
      one `mailcanary --json spf --batch -` process for all the cases a batch
      line can carry (no blank inside a field); its workers share one DNS
      answer cache
  spf_bench.py mailcanary-batch-nocache SCEN_DIR BINARY ADDR PORT
      the same with --no-cache: every evaluation asks the server again
  spf_bench.py mailcanary-batch-text SCEN_DIR BINARY ADDR PORT
      the mailcanary-batch mode without --json: one text line per question
      (result, IP, MAILFROM, problem), as spfquery -file prints text; the
      JSON mode writes each question's whole trace (about 2.7 times
      spfquery's bytes)
  spf_bench.py spfquery-file SCEN_DIR
      one `spfquery -file -` process for the same cases
  spf_bench.py spfquery SCEN_DIR
      one `spfquery` (libspf2) process per case; it asks the system resolver,
      so dns.sh runs this inside a private mount namespace whose
      /etc/resolv.conf names the loopback nsd
  spf_bench.py pyspf-proc SCEN_DIR ADDR PORT
      one /usr/bin/python3 process per case (import spf, one check)
  spf_bench.py pyspf SCEN_DIR ADDR PORT
      every case in this process (run it with /usr/bin/python3: python3-spf
      is Debian's); only the evaluation loop is timed, not the imports
  spf_bench.py pyspf-whole SCEN_DIR ADDR PORT
      the pyspf mode in a new /usr/bin/python3, timed from outside (start-up
      and imports included, as for the C tools' batch modes)
  spf_bench.py pyspf-one ADDR PORT IP MAILFROM HELO
      one pyspf evaluation; prints the result (used by pyspf-proc)

SPF_BATCH_REPEAT=N (environment) repeats every case N times in the
one-process modes; the batch modes (mailcanary-batch*, spfquery-file) run
SPF_BATCH_RUNS times (default 5) and report the median. Each mode prints "SECONDS CASES AGREE": wall time of the evaluations, cases
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


def batch_cases(cases):
    """The cases a line "IP MAILFROM [HELO]" can carry, and the lines."""
    out, lines = [], []
    for c in cases:
        mailfrom, helo = c["mailfrom"], c["helo"] or ""
        fields = [c["host"], mailfrom or "<>"] + ([helo] if helo else [])
        if (not mailfrom and not helo) or \
                any(not f or any(ch.isspace() for ch in f) or f[0] == "#"
                    for f in fields):
            continue
        out.append(c)
        lines.append(fields)
    return out, lines


def run_batch(cases, argv, lines, results_of):
    # One run of a ~10 ms process varies by half from run to run here:
    # the median of SPF_BATCH_RUNS (default 5) runs, the answers of the last.
    data = b"".join(b(" ".join(f)) + b"\n" for f in lines)
    times = []
    for _ in range(max(1, int(os.environ.get("SPF_BATCH_RUNS", "5")))):
        t0 = time.perf_counter()
        try:
            p = subprocess.run(argv, input=data, capture_output=True,
                               timeout=LIMIT * 10)
            out = p.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            out = ""
        times.append(time.perf_counter() - t0)
    total = sorted(times)[len(times) // 2]
    got = results_of(out)
    agree = sum(1 for c, r in zip(cases, got) if r in c["want"])
    return total, len(cases), agree


def mc_batch_results(out):
    try:
        return [d.get("result") for d in json.loads(out)["results"]]
    except (ValueError, KeyError):
        return []


def mc_text_results(out):
    # one line per question, the result first
    return [line.split()[0] if line.split() else None
            for line in out.splitlines()]


def spfquery_file_results(out):
    # spfquery prints, per query, the result word first (or "(invalid)"
    # when a record does not compile: permerror), then comment lines
    res = []
    for line in out.splitlines():
        w = line.strip().lower()
        if w == "(invalid)":
            res.append("permerror")
        elif w in RESULTS:
            res.append(w)
    return res


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
    if mode in ("mailcanary-batch", "mailcanary-batch-nocache",
                "mailcanary-batch-text", "spfquery-file", "pyspf",
                "pyspf-whole"):
        # one process answers many questions: each case SPF_BATCH_REPEAT
        # times, so start-up weighs what it does in real batch use
        cases = cases * int(os.environ.get("SPF_BATCH_REPEAT", "1"))
    if mode == "cases":
        print(len(cases))
        return 0
    if mode == "mailcanary" and len(argv) == 6:
        binary, server = argv[3], "%s:%s" % (argv[4], argv[5])
        res = run_procs(cases, lambda c: [
            b(binary), b"--dns-server", b(server), b"--json", b"spf", b"--",
            b(c["host"]), b(c["mailfrom"]), b(c["helo"] or "")], mc_result)
    elif mode in ("mailcanary-batch", "mailcanary-batch-nocache") and \
            len(argv) == 6:
        bc, lines = batch_cases(cases)
        nocache = [b"--no-cache"] if mode.endswith("-nocache") else []
        res = run_batch(bc, [b(argv[3]), b"--dns-server",
                             b("%s:%s" % (argv[4], argv[5])), b"--json",
                             b"spf"] + nocache + [b"--batch", b"-"], lines,
                        mc_batch_results)
    elif mode == "mailcanary-batch-text" and len(argv) == 6:
        bc, lines = batch_cases(cases)
        res = run_batch(bc, [b(argv[3]), b"--dns-server",
                             b("%s:%s" % (argv[4], argv[5])), b"spf",
                             b"--batch", b"-"], lines, mc_text_results)
    elif mode == "spfquery-file" and len(argv) == 3:
        bc, lines = batch_cases(cases)
        # spfquery's file lines: ip sender helo; "<>" is not its empty
        # sender: give it the HELO's postmaster like RFC 7208 does
        lines = [[f[0], f[1] if f[1] != "<>" else "postmaster@" + f[2]] +
                 f[2:] for f in lines]
        res = run_batch(bc, [b"spfquery", b"-file", b"-"], lines,
                        spfquery_file_results)
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
    elif mode == "pyspf-whole" and len(argv) == 5:
        # the pyspf mode in a fresh interpreter, timed from outside: the
        # start-up and the imports count, as they do for the C tools
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/python3", __file__, "pyspf"] + argv[2:5],
                           capture_output=True, timeout=LIMIT * 10)
        total = time.perf_counter() - t0
        f = p.stdout.split()
        res = (total, int(f[1]), int(f[2])) if len(f) == 3 else (total, 0, 0)
    else:
        sys.stderr.write(__doc__)
        return 2
    print("%.6f %d %d" % res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
