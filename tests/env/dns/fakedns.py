#!/usr/bin/env python3
"""A misbehaving DNS server for fault tests (standard library only): it
does on purpose what a real server (nsd) will not — fail, stall, truncate,
send broken packets — under the zone "fault.test".

  fakedns.py ADDR PORT [LOG]        (ADDR may be IPv6, e.g. ::1)

Behaviour by query name (any type unless said):
  ok.fault.test          TXT "v=spf1 ip4:192.0.2.1 -all"
  servfail.fault.test    SERVFAIL
  refused.fault.test     REFUSED
  timeout.fault.test     no answer at all
  tc.fault.test          UDP: empty answer with TC set; TCP: the SPF record
                         plus filler TXT records (> 512 bytes)
  tcdrop.fault.test      UDP: TC; TCP: connection closed without an answer
  short.fault.test       a 5-byte reply
  badid.fault.test       a reply with the wrong ID
  otherq.fault.test      a reply to a different question
  rdlen.fault.test       an RR whose rdlength runs past the end
  ptrloop.fault.test     a compression pointer that points at itself
  ancount.fault.test     says 40 answers, holds 1
  txtlen.fault.test      a TXT string length past its rdata
  garbage.fault.test     random bytes after a valid header
  hugetxt.fault.test     (TCP after TC) one TXT record of ~64 000 bytes
  manytxt.fault.test     (TCP after TC) 300 TXT records
  cnamechain.fault.test  (TCP after TC) 40 CNAMEs, then the SPF record
  include.fault.test     TXT "v=spf1 include:servfail.fault.test -all"
  mx.fault.test          TXT "v=spf1 mx -all"; MX mx1 (A 192.0.2.1), mx2
                         (times out); mx1 is preferred
other names: NXDOMAIN.

A fault applies to every name below its label too (the rightmost label
under fault.test decides): 1.2.0.192.servfail.fault.test (a DNSBL query
with list servfail.fault.test), _dmarc.timeout.fault.test and
s1._domainkey.short.fault.test meet the same fault as servfail.fault.test
etc. Below tc.fault.test, A queries get A 127.0.0.2 over TCP (a DNSBL
listing reached only through the TCP fallback).
"""
import random
import socket
import socketserver
import struct
import sys
import threading

import dnswire

SPF = "v=spf1 ip4:192.0.2.1 -all"
ZONE = "fault.test"
LOG = None
LOG_LOCK = threading.Lock()


def note(proto, qname, what):
    if LOG:
        with LOG_LOCK:
            LOG.write("%s %s %s\n" % (proto, qname.decode("latin-1"), what))
            LOG.flush()


def header(qid, flags, qd, an):
    return struct.pack("!HHHHHH", qid, flags, qd, an, 0, 0)


def answer_rrs(name, qtype):
    """Normal records for name/qtype (no faults)."""
    if name == "ok." + ZONE or name == "tc." + ZONE:
        if qtype == 16:
            rrs = [dnswire.rr(name, 16, dnswire.txt_rdata([SPF]))]
            if name.startswith("tc."):
                rrs += [dnswire.rr(name, 16, dnswire.txt_rdata(
                    ["filler %d %s" % (i, "x" * 80)])) for i in range(8)]
            return rrs
        return []
    if name == "include." + ZONE and qtype == 16:
        return [dnswire.rr(name, 16, dnswire.txt_rdata(
            ["v=spf1 include:servfail.fault.test -all"]))]
    if name == "mx." + ZONE:
        if qtype == 16:
            return [dnswire.rr(name, 16, dnswire.txt_rdata(
                ["v=spf1 mx -all"]))]
        if qtype == 15:
            return [dnswire.rr(name, 15, struct.pack("!H", 10) +
                               dnswire.encode_name("mx1." + ZONE)),
                    dnswire.rr(name, 15, struct.pack("!H", 20) +
                               dnswire.encode_name("mx2." + ZONE))]
        return []
    if name == "mx1." + ZONE and qtype == 1:
        return [dnswire.rr(name, 1, socket.inet_aton("192.0.2.1"))]
    if name.endswith(".tc." + ZONE):
        if qtype == 1:
            return [dnswire.rr(name, 1, socket.inet_aton("127.0.0.2"))]
        return []
    return None


def respond(data, tcp):
    """Returns the reply bytes, or None to stay silent / drop."""
    qid, flags, qname, qtype, question = dnswire.parse_query(data)
    name = qname.decode("latin-1").lower().rstrip(".")
    sub = name[:-len(ZONE) - 1] if name.endswith("." + ZONE) else ""
    label = sub.rsplit(".", 1)[-1]           # the fault: see the docstring
    rd = flags & 0x0100
    ok = 0x8400 | rd             # response, authoritative
    if label in ("timeout", "mx2"):
        return None
    if label == "servfail":
        return header(qid, ok | 2, 1, 0) + question
    if label == "refused":
        return header(qid, ok | 5, 1, 0) + question
    if label in ("tc", "tcdrop", "hugetxt", "manytxt", "cnamechain") \
            and not tcp:
        return header(qid, ok | 0x0200, 1, 0) + question
    if label == "tcdrop":
        return b""                # close the connection
    if label == "short":
        return header(qid, ok, 1, 0)[:5]
    if label == "badid":
        return header(qid ^ 0xFFFF, ok, 1, 1) + question + \
            dnswire.rr(name, 16, dnswire.txt_rdata([SPF]))
    if label == "otherq":
        other = dnswire.encode_name("other." + ZONE) + question[-4:]
        return header(qid, ok, 1, 1) + other + \
            dnswire.rr("other." + ZONE, 16, dnswire.txt_rdata([SPF]))
    if label == "rdlen":
        return header(qid, ok, 1, 1) + question + \
            b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, 400) + b"abc"
    if label == "ptrloop":
        off = 12 + len(question)
        return header(qid, ok, 1, 1) + question + \
            struct.pack("!H", 0xC000 | off) + \
            struct.pack("!HHIH", qtype, 1, 60, 4) + b"\x03abc"
    if label == "ancount":
        return header(qid, ok, 1, 40) + question + \
            dnswire.rr(name, 16, dnswire.txt_rdata([SPF]))
    if label == "txtlen":
        rdata = b"\xff" + b"v=spf1"
        return header(qid, ok, 1, 1) + question + \
            b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, len(rdata)) + rdata
    if label == "garbage":
        return header(qid, ok, 1, 3) + question + \
            bytes(random.randrange(256) for _ in range(200))
    if label == "hugetxt":
        rdata = dnswire.txt_rdata(["v=spf1 " + "a" * 248] +
                                  ["b" * 255 for _ in range(249)])
        return header(qid, ok, 1, 1) + question + \
            b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, len(rdata)) + rdata
    if label == "manytxt":
        rrs = [b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, 8) +
               dnswire.txt_rdata(["t%06d" % i]) for i in range(300)]
        return header(qid, ok, 1, len(rrs)) + question + b"".join(rrs)
    if label == "cnamechain":
        rrs, owner = [], name
        for i in range(40):
            target = "c%d.%s" % (i, ZONE)
            rrs.append(dnswire.rr(owner, 5, dnswire.encode_name(target)))
            owner = target
        if qtype == 16:
            rrs.append(dnswire.rr(owner, 16, dnswire.txt_rdata([SPF])))
        return header(qid, ok, 1, len(rrs)) + question + b"".join(rrs)
    rrs = answer_rrs(name, qtype)
    if rrs is None:
        return header(qid, ok | 3, 1, 0) + question      # NXDOMAIN
    return header(qid, ok, 1, len(rrs)) + question + b"".join(rrs)


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        try:
            reply = respond(data, False)
        except ValueError:
            return
        qname = dnswire.parse_query(data)[2]
        note("udp", qname, "silent" if reply is None else "%d bytes" %
             len(reply))
        if reply:
            sock.sendto(reply, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        for _ in range(50):
            try:
                head = self.request.recv(2, socket.MSG_WAITALL)
                if len(head) != 2:
                    return
                n = struct.unpack("!H", head)[0]
                data = self.request.recv(n, socket.MSG_WAITALL)
                reply = respond(data, True)
            except (OSError, ValueError):
                return
            note("tcp", dnswire.parse_query(data)[2],
                 "silent" if reply is None else "%d bytes" % len(reply))
            if reply is None:
                continue
            if reply == b"":
                return                       # drop the connection
            self.request.sendall(struct.pack("!H", len(reply)) + reply)


def server_classes(family):
    class UDP(socketserver.ThreadingUDPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True

    class TCP(socketserver.ThreadingTCPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True
    return UDP, TCP


def main(argv):
    global LOG
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    addr, port = argv[1], int(argv[2])
    if len(argv) == 4:
        LOG = open(argv[3], "a")
    udp_cls, tcp_cls = server_classes(socket.AF_INET6 if ":" in addr
                                      else socket.AF_INET)
    udp = udp_cls((addr, port), UDPHandler)
    tcp = tcp_cls((addr, port), TCPHandler)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    udp.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
