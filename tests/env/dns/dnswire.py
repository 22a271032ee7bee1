#!/usr/bin/env python3
"""DNS wire-format helpers for mailcanary's test DNS tools (standard library
only): parse a query's question, build answers, and a tiny client used by the
test scripts to wait until a server serves what they expect.

  dnswire.py query HOST PORT NAME TYPE     prints rcode and answers, one a line
  dnswire.py serial HOST PORT              prints the root zone's SOA serial

This is test scaffolding, never a resolver: it trusts nothing it receives
beyond what it needs and gives up after bounded waits.
"""
import random
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28, "SPF": 99, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}


def encode_name(name):
    """Dotted name (bytes or str, no escapes) to wire labels."""
    if isinstance(name, str):
        name = name.encode("latin-1")
    out = b""
    for label in name.rstrip(b".").split(b"."):
        if label:
            out += bytes([len(label)]) + label
    return out + b"\0"


def decode_name(msg, off, depth=0):
    """Returns (name bytes, offset after the name); follows compression
    pointers a bounded number of times."""
    labels = []
    end = None
    hops = 0
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ValueError("truncated pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n])
        off += n
    return b".".join(labels), (end if end is not None else off)


def parse_query(msg):
    """Returns (id, flags, qname bytes, qtype, question bytes) of a query."""
    if len(msg) < 12:
        raise ValueError("short header")
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        raise ValueError("qdcount != 1")
    qname, off = decode_name(msg, 12)
    if off + 4 > len(msg):
        raise ValueError("short question")
    qtype, _qclass = struct.unpack("!HH", msg[off:off + 4])
    return qid, flags, qname, qtype, msg[12:off + 4]


def rr(name, rtype, rdata, ttl=60):
    return encode_name(name) + struct.pack("!HHIH", rtype, 1, ttl,
                                           len(rdata)) + rdata


def txt_rdata(strings):
    out = b""
    for s in strings:
        if isinstance(s, str):
            s = s.encode("latin-1")
        out += bytes([len(s)]) + s
    return out


def response(qid, question, rcode=0, answers=(), tc=False, aa=True,
             rd=True):
    flags = 0x8000 | (0x0400 if aa else 0) | (0x0200 if tc else 0) | \
        (0x0100 if rd else 0) | (rcode & 0xF)
    return struct.pack("!HHHHHH", qid, flags, 1, len(answers), 0, 0) + \
        question + b"".join(answers)


def build_query(name, qtype, qid=None):
    qid = random.randrange(65536) if qid is None else qid
    return qid, struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        encode_name(name) + struct.pack("!HH", qtype, 1)


def ask(host, port, name, qtype, timeout=1.0):
    """One UDP query, falling back to TCP on TC. Returns (rcode, answers)
    where answers are (type, rdata-as-text) pairs."""
    qid, q = build_query(name, qtype)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(q, (host, port))
        msg, _ = s.recvfrom(65535)
    if len(msg) >= 4 and msg[2] & 0x02:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(struct.pack("!H", len(q)) + q)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(
                    "!H", buf[:2])[0]:
                chunk = s.recv(65535)
                if not chunk:
                    break
                buf += chunk
            msg = buf[2:]
    rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid:
        raise ValueError("answer id mismatch")
    off = 12
    for _ in range(qd):
        _, off = decode_name(msg, off)
        off += 4
    out = []
    for _ in range(an):
        _, off = decode_name(msg, off)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == 6:
            _, o = decode_name(msg, off)
            _, o = decode_name(msg, o)
            text = str(struct.unpack("!I", msg[o:o + 4])[0])
        elif rtype == 1:
            text = socket.inet_ntop(socket.AF_INET, rdata)
        elif rtype == 28:
            text = socket.inet_ntop(socket.AF_INET6, rdata)
        elif rtype in (5, 12, 2):
            text = decode_name(msg, off)[0].decode("latin-1")
        elif rtype in (16, 99):
            parts, i = [], 0
            while i < len(rdata):
                parts.append(rdata[i + 1:i + 1 + rdata[i]])
                i += 1 + rdata[i]
            text = repr(parts)
        else:
            text = rdata.hex()
        out.append((TYPE_NAMES.get(rtype, str(rtype)), text))
        off += rdlen
    return flags & 0xF, out


def main(argv):
    if len(argv) == 6 and argv[1] == "query":
        rcode, answers = ask(argv[2], int(argv[3]), argv[4],
                             TYPES[argv[5].upper()])
        print("rcode", rcode)
        for t, v in answers:
            print(t, v)
        return 0
    if len(argv) == 4 and argv[1] == "serial":
        try:
            rcode, answers = ask(argv[2], int(argv[3]), ".", TYPES["SOA"],
                                 timeout=0.5)
        except (OSError, ValueError):
            print("none")
            return 1
        serials = [v for t, v in answers if t == "SOA"]
        print(serials[0] if serials else "none")
        return 0 if serials else 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
