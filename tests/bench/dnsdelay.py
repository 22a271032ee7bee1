#!/usr/bin/env python3
"""A DNS relay on loopback that adds a fixed delay to every query (bench only).

  dnsdelay.py ADDR PORT UPSTREAM_ADDR UPSTREAM_PORT DELAY_MS

Every UDP datagram and every length-prefixed TCP message is held DELAY_MS,
then relayed byte for byte to the upstream server over the same transport;
the answer goes back unchanged. Queries are handled concurrently (a thread
each), so N parallel queries cost one delay, N sequential ones N delays:
what a resolver far away looks like, on loopback. Used by tests/bench/dns.sh
to compare `mailcanary check` with its dependency chain's round trips.
Standard library only; runs until killed; every upstream wait is bounded.
"""
import socket
import struct
import sys
import threading
import time

UPSTREAM_TIMEOUT = 5.0


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def udp_one(srv, data, peer, up, delay):
    time.sleep(delay)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(UPSTREAM_TIMEOUT)
    try:
        s.sendto(data, up)
        ans, _ = s.recvfrom(65535)
        srv.sendto(ans, peer)
    except OSError:
        pass
    finally:
        s.close()


def tcp_conn(conn, up, delay):
    conn.settimeout(UPSTREAM_TIMEOUT)
    try:
        with socket.create_connection(up, timeout=UPSTREAM_TIMEOUT) as u:
            for _ in range(100):  # messages per connection, bounded
                hdr = recv_exact(conn, 2)
                if hdr is None:
                    return
                msg = recv_exact(conn, struct.unpack("!H", hdr)[0])
                if msg is None:
                    return
                time.sleep(delay)
                u.sendall(hdr + msg)
                ahdr = recv_exact(u, 2)
                if ahdr is None:
                    return
                ans = recv_exact(u, struct.unpack("!H", ahdr)[0])
                if ans is None:
                    return
                conn.sendall(ahdr + ans)
    except OSError:
        pass
    finally:
        conn.close()


def main(argv):
    if len(argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    addr, port = argv[1], int(argv[2])
    up = (argv[3], int(argv[4]))
    delay = float(argv[5]) / 1000.0
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(64)

    def tcp_loop():
        while True:
            c, _ = tcp.accept()
            threading.Thread(target=tcp_conn, args=(c, up, delay),
                             daemon=True).start()

    threading.Thread(target=tcp_loop, daemon=True).start()
    while True:
        data, peer = udp.recvfrom(65535)
        threading.Thread(target=udp_one, args=(udp, data, peer, up, delay),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
