#!/usr/bin/env python3
"""The OpenSPF RFC 7208/4408 suite against mailcanary (standard library only).

  spf_suite.py zones FLAT_JSON OUTDIR
      one directory per scenario, OUTDIR/NN/ holding
        root.zone   the scenario's zone data as one NSD root zone (SOA serial NN+1)
        rules.json  what nsd cannot do: names/types whose queries must time out
        cases.json  the scenario's test cases
      and OUTDIR/scenarios listing the directories in order.
  spf_suite.py run SCENARIO_DIR MAILCANARY SERVER PORT [TIMEOUT TRIES]
      runs every case through `mailcanary --dns-server SERVER:PORT --json spf`,
      prints one line per failure and "N passed, N failed" last.

Zone conventions are those of testdata/spf/README.md: an SPF record is also
served as TXT (already done in the flat file's normalised "zone"), a bare
TIMEOUT makes every type the name has no real record of time out, absent
names under "error." time out. Everything else is answered by nsd from
root.zone; dnsfront.py reads rules.json to drop the queries that must time
out.
"""
import json
import os
import subprocess
import sys

LEGACY = {"unknown": "permerror", "error": "temperror"}
SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def raw(s):
    # The YAML's \xNN escapes are bytes; the flat file holds them as code
    # points below 256, so latin-1 gives the bytes back.
    return s.encode("latin-1")


def zone_name(name):
    """A dotted name in zone-file syntax: each label's odd bytes as \\DDD."""
    name = name.rstrip(".")
    if not name:
        return "."
    labels = []
    for label in raw(name).split(b"."):
        labels.append("".join(chr(c) if c in SAFE else "\\%03d" % c
                              for c in label))
    return ".".join(labels) + "."


def zone_string(s):
    """One character-string, quoted, with " and \\ and non-printables
    escaped."""
    out = []
    for c in raw(s):
        if c in (0x22, 0x5C) or c < 0x20 or c > 0x7E:
            out.append("\\%03d" % c)
        else:
            out.append(chr(c))
    return '"' + "".join(out) + '"'


def zone_rdata(rtype, value):
    if rtype in ("A", "AAAA"):
        return value
    if rtype == "MX":
        return "%d %s" % (value[0], zone_name(value[1]))
    if rtype in ("PTR", "CNAME"):
        return zone_name(value)
    if rtype in ("TXT", "SPF"):
        if not value:
            # A record of no character-strings (illegal, but in the data
            # to see that nobody crashes): RFC 3597 generic syntax. nsd
            # takes that for TXT only; type 99 is never queried (RFC 7208
            # §3.1), so an empty one is left out.
            return "\\# 0" if rtype == "TXT" else None
        return " ".join(zone_string(s) for s in value)
    raise ValueError("unknown record type %s" % rtype)


def write_scenario(zone, serial, outdir, cases):
    os.makedirs(outdir, exist_ok=True)
    lines = ["$TTL 60",
             ". IN SOA ns.mailcanary-test. hostmaster.mailcanary-test. "
             "%d 3600 600 86400 60" % serial,
             ". IN NS ns.mailcanary-test."]
    timeout_names = {}   # lower-case name -> types with real records
    timeout_types = []   # [name, type] pairs that time out
    for name, records in zone.items():
        real = set()
        bare_timeout = False
        for r in records:
            if r["type"] == "TIMEOUT":
                bare_timeout = True
            elif r.get("value") == "TIMEOUT":
                timeout_types.append([name.lower().rstrip("."), r["type"]])
            else:
                real.add(r["type"])
                rdata = zone_rdata(r["type"], r["value"])
                if rdata is not None:
                    lines.append("%s IN %s %s" % (zone_name(name),
                                                  r["type"], rdata))
        if bare_timeout:
            timeout_names[name.lower().rstrip(".")] = sorted(real)
    with open(os.path.join(outdir, "root.zone"), "w") as f:
        f.write("\n".join(lines) + "\n")
    rules = {"serial": serial, "timeout_names": timeout_names,
             "timeout_types": timeout_types,
             "names": sorted(n.lower().rstrip(".") for n in zone)}
    with open(os.path.join(outdir, "rules.json"), "w") as f:
        json.dump(rules, f, indent=1)
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


def cmd_zones(flat, outdir):
    with open(flat) as f:
        data = json.load(f)
    scenarios = {}
    order = []
    for case in data:
        key = (case["suite"], case["scenario"])
        if key not in scenarios:
            scenarios[key] = {"zone": case["zone"], "cases": []}
            order.append(key)
        scenarios[key]["cases"].append(
            {k: case.get(k) for k in ("suite", "scenario", "test", "host",
                                      "mailfrom", "helo", "result",
                                      "explanation")})
    dirs = []
    for i, key in enumerate(order):
        d = os.path.join(outdir, "%02d" % i)
        write_scenario(scenarios[key]["zone"], i + 1, d,
                       scenarios[key]["cases"])
        dirs.append(d)
    with open(os.path.join(outdir, "scenarios"), "w") as f:
        f.write("\n".join(dirs) + "\n")
    return 0


def judge(case, proc):
    """Returns None when the case passed, else why not."""
    if "Sanitizer" in proc.stderr or "runtime error" in proc.stderr:
        return "sanitizer report: %s" % proc.stderr[:300]
    if proc.returncode not in (0, 1, 2, 3):
        return "exit %d: %s" % (proc.returncode, proc.stderr.strip()[-300:])
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        return "not JSON: %r %s" % (proc.stdout[:200], proc.stderr[-300:])
    return judge_doc(case, doc)


def judge_doc(case, doc):
    want = [LEGACY.get(r, r) for r in case["result"]]
    got = doc.get("result")
    if got not in want:
        return "result %s, want %s (%s)" % (got, "|".join(want),
                                            doc.get("problem", ""))
    exp = case.get("explanation")
    if exp is not None and got == "fail":
        if exp == "DEFAULT":
            if doc.get("explanation_source") != "default":
                return "explanation %r from exp=, want the default" % \
                    doc.get("explanation")
        elif doc.get("explanation") != exp:
            return "explanation %r, want %r" % (doc.get("explanation"), exp)
    return None


def cmd_run(scen_dir, binary, server, port, timeout="1", tries="2"):
    with open(os.path.join(scen_dir, "cases.json")) as f:
        cases = json.load(f)
    passed = failed = 0
    for case in cases:
        argv = [binary, "--dns-server", "%s:%s" % (server, port), "--json",
                "spf", "--timeout", timeout, "--tries", tries, "--",
                case["host"], case["mailfrom"], case["helo"] or ""]
        # Arguments are bytes as the suite gives them (latin-1 code points).
        argv = [a.encode("latin-1") if isinstance(a, str) else a
                for a in argv]
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=120)
            proc.stdout = proc.stdout.decode("utf-8", "replace")
            proc.stderr = proc.stderr.decode("utf-8", "replace")
            why = judge(case, proc)
        except subprocess.TimeoutExpired:
            why = "mailcanary did not finish within 120 s"
        if why is None:
            passed += 1
        else:
            failed += 1
            print("FAIL %s #%s %s: %s" % (case["suite"], case["scenario"],
                                          case["test"], why))
    failed += run_batch(cases, binary, server, port, timeout, tries)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


def run_batch(cases, binary, server, port, timeout, tries):
    """The same cases once more through one `spf --batch` process (the
    ones a batch line can carry: no blanks inside a field). Returns the
    number of failures; each is printed."""
    lines, batch = [], []
    for case in cases:
        mailfrom, helo = case["mailfrom"] or "<>", case["helo"] or ""
        fields = [case["host"], mailfrom] + ([helo] if helo else [])
        if (mailfrom == "<>" and not helo) or \
                any(not f or any(c.isspace() for c in f) or f.startswith("#")
                    for f in fields):
            continue
        lines.append(" ".join(fields))
        batch.append(case)
    if not batch:
        return 0
    argv = [binary, "--dns-server", "%s:%s" % (server, port), "--json",
            "spf", "--timeout", timeout, "--tries", tries, "--batch", "-"]
    data = ("\n".join(lines) + "\n").encode("latin-1")
    try:
        proc = subprocess.run(argv, input=data, capture_output=True,
                              timeout=300)
    except subprocess.TimeoutExpired:
        print("FAIL batch: mailcanary did not finish within 300 s")
        return 1
    err = proc.stderr.decode("utf-8", "replace")
    if "Sanitizer" in err or "runtime error" in err or \
            proc.returncode not in (0, 1, 2, 3):
        print("FAIL batch: exit %d: %s" % (proc.returncode, err[-300:]))
        return 1
    try:
        docs = json.loads(proc.stdout)["results"]
    except (ValueError, KeyError):
        print("FAIL batch: not the JSON document: %r" % proc.stdout[:200])
        return 1
    if len(docs) != len(batch):
        print("FAIL batch: %d results for %d lines" % (len(docs), len(batch)))
        return 1
    failed = 0
    for case, doc in zip(batch, docs):
        why = judge_doc(case, doc)
        if why is not None:
            failed += 1
            print("FAIL batch %s #%s %s: %s" % (case["suite"],
                                                case["scenario"],
                                                case["test"], why))
    return failed


def main(argv):
    if len(argv) == 4 and argv[1] == "zones":
        return cmd_zones(argv[2], argv[3])
    if len(argv) in (6, 8) and argv[1] == "run":
        return cmd_run(*argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
