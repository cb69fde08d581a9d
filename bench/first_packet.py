#!/usr/bin/env python3
"""First-packet latency probe.

  first_packet.py serve PORT            TCP accept-and-close and UDP echo on PORT
  first_packet.py measure HOST PORT N   N new TCP connections (connect() time),
                                        N new UDP flows (first and second echo RTT),
                                        and N datagrams of one flow to PORT + 1,
                                        where nothing listens, each until the
                                        port unreachable it draws comes back
                                        (ECONNREFUSED): an ICMP error's round trip
Prints JSON with medians in milliseconds. The server must not rate-limit its
ICMP errors (net.ipv4.icmp_ratelimit = 0 there).
"""
import json
import socket
import statistics
import sys
import threading
import time


def serve(port):
    t = socket.socket()
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("0.0.0.0", port))
    t.listen(256)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))

    def tcp():
        while True:
            c, _ = t.accept()
            c.close()

    threading.Thread(target=tcp, daemon=True).start()
    while True:
        data, addr = u.recvfrom(2048)
        u.sendto(data, addr)


def measure(host, port, n):
    tcp, first, second = [], [], []
    for _ in range(n):
        s = socket.socket()
        start = time.perf_counter()
        s.connect((host, port))
        tcp.append((time.perf_counter() - start) * 1000)
        s.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        for bucket in (first, second):
            start = time.perf_counter()
            u.sendto(b"ping", (host, port))
            u.recvfrom(64)
            bucket.append((time.perf_counter() - start) * 1000)
        u.close()
        time.sleep(0.005)
    refused = []
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(2)
    u.connect((host, port + 1))
    for i in range(n + 1):  # the first sets the flow up: not counted
        start = time.perf_counter()
        u.send(b"probe")
        try:
            u.recv(64)
            sys.exit("a datagram to a closed port was answered")
        except ConnectionRefusedError:
            if i:
                refused.append((time.perf_counter() - start) * 1000)
        time.sleep(0.002)
    u.close()
    med = lambda v: round(statistics.median(v), 3)
    print(json.dumps({"n": n, "tcp_connect_ms": med(tcp), "udp_first_rtt_ms": med(first),
                      "udp_second_rtt_ms": med(second), "udp_refused_rtt_ms": med(refused)}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "measure":
        measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
