#!/usr/bin/env python3
"""A forwarding front for nsd that adds the one thing nsd cannot do: let a
query time out. Standard library only.

  dnsfront.py LISTEN_ADDR PORT UPSTREAM_PORT RULES_JSON [LOG]

Listens on LISTEN_ADDR:PORT (UDP and TCP). A query whose name/type the rules
say must time out is dropped without a word; every other query is passed
byte for byte to nsd on LISTEN_ADDR:UPSTREAM_PORT over the same transport,
and nsd's answer is passed back unchanged (so truncation, CNAME chasing,
NXDOMAIN and NODATA are all nsd's). The rules file (written by spf_suite.py)
is re-read whenever it is replaced, so one front serves scenario after
scenario. Rules (testdata/spf/README.md):
  timeout_names  name -> types with real records: other types time out
  timeout_types  [name, type] pairs that time out
  names          every name of the zone: absent names under "error." time out
"""
import json
import os
import socket
import socketserver
import struct
import sys
import threading

import dnswire

UPSTREAM_TIMEOUT = 3.0
MAX_TCP_QUERIES = 100      # per connection, to bound a misbehaving client


class Rules:
    def __init__(self, path):
        self.path = path
        self.key = None
        self.lock = threading.Lock()
        self.names = {}
        self.types = set()
        self.all = set()

    def refresh(self):
        try:
            st = os.stat(self.path)
        except OSError:
            return
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key == self.key:
            return
        with open(self.path) as f:
            data = json.load(f)
        self.names = {n: set(t) for n, t in data["timeout_names"].items()}
        self.types = {(n, t) for n, t in data["timeout_types"]}
        self.all = set(data["names"])
        self.key = key

    def drop(self, qname, qtype):
        with self.lock:
            self.refresh()
            name = qname.decode("latin-1").lower().rstrip(".")
            tname = dnswire.TYPE_NAMES.get(qtype, str(qtype))
            if name in self.names and tname not in self.names[name]:
                return True
            if (name, tname) in self.types:
                return True
            return name.startswith("error.") and name not in self.all


class Front:
    rules = None
    upstream = None
    log = None
    log_lock = threading.Lock()

    @classmethod
    def note(cls, proto, qname, qtype, action):
        if cls.log:
            with cls.log_lock:
                cls.log.write("%s %s %s %s\n" % (
                    proto, qname.decode("latin-1"),
                    dnswire.TYPE_NAMES.get(qtype, qtype), action))
                cls.log.flush()


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        try:
            _, _, qname, qtype, _ = dnswire.parse_query(data)
        except ValueError:
            return
        if Front.rules.drop(qname, qtype):
            Front.note("udp", qname, qtype, "dropped")
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(UPSTREAM_TIMEOUT)
            try:
                up.sendto(data, Front.upstream)
                answer, _ = up.recvfrom(65535)
            except OSError:
                Front.note("udp", qname, qtype, "upstream failed")
                return
        Front.note("udp", qname, qtype, "forwarded")
        sock.sendto(answer, self.client_address)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(30)
        for _ in range(MAX_TCP_QUERIES):
            try:
                head = recv_exact(self.request, 2)
                if head is None:
                    return
                data = recv_exact(self.request, struct.unpack("!H", head)[0])
                if data is None:
                    return
                _, _, qname, qtype, _ = dnswire.parse_query(data)
            except (OSError, ValueError):
                return
            if Front.rules.drop(qname, qtype):
                Front.note("tcp", qname, qtype, "dropped")
                continue
            try:
                with socket.create_connection(Front.upstream,
                                              UPSTREAM_TIMEOUT) as up:
                    up.sendall(head + data)
                    rhead = recv_exact(up, 2)
                    answer = recv_exact(up, struct.unpack("!H", rhead)[0])
                self.request.sendall(rhead + answer)
            except (OSError, TypeError, struct.error):
                Front.note("tcp", qname, qtype, "upstream failed")
                return
            Front.note("tcp", qname, qtype, "forwarded")


class UDPServer(socketserver.ThreadingUDPServer):
    allow_reuse_address = True
    daemon_threads = True


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main(argv):
    if len(argv) not in (5, 6):
        sys.stderr.write(__doc__)
        return 2
    addr, port, up_port, rules = argv[1], int(argv[2]), int(argv[3]), argv[4]
    Front.rules = Rules(rules)
    Front.upstream = (addr, up_port)
    if len(argv) == 6:
        Front.log = open(argv[5], "a")
    udp = UDPServer((addr, port), UDPHandler)
    tcp = TCPServer((addr, port), TCPHandler)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    udp.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
