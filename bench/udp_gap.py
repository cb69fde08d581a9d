#!/usr/bin/env python3
"""Handoff gap probe: a sender emits sequence-numbered UDP datagrams at a fixed
rate; the receiver reports how many were lost and the longest silence (ms).
Both ends run on this machine (in lab namespaces), so they share one clock.

  udp_gap.py recv PORT SECONDS [PROGRESS]   prints JSON when SECONDS have passed;
                                            PROGRESS gets "RECEIVED SOURCE" every
                                            100 ms (SOURCE: the latest datagram's)
  udp_gap.py send HOST PORT RATE SECONDS
SECONDS is the longest a command runs; with UDP_GAP_STOP=FILE in the
environment it ends sooner, once FILE exists (a receiver after one more quiet
second), so a run can last as long as its roams take.
The other way (the server sends, the client only receives):
  udp_gap.py serve PORT RATE SECONDS        waits for one datagram, streams to its source
  udp_gap.py fetch HOST PORT SECONDS        asks HOST:PORT (once a second until the
                                            stream starts), then as recv
"""
import json
import os
import socket
import struct
import sys
import time


def stopped():
    stop = os.environ.get("UDP_GAP_STOP")
    return bool(stop) and os.path.exists(stop)


def send(host, port, rate, seconds, s=None):
    s = s or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    interval = 1.0 / rate
    start = time.monotonic()
    seq = 0
    while True:
        due = start + seq * interval
        now = time.monotonic()
        if now - start >= seconds or (seq % 100 == 0 and stopped()):
            break
        if due > now:
            time.sleep(due - now)
        try:
            s.sendto(struct.pack("!Qd", seq, time.monotonic()) + b"x" * 48, (host, port))
        except OSError:
            pass  # no route for a moment during the roam: counted as lost
        seq += 1
    print(json.dumps({"sent": seq}))


def serve(port, rate, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(600)
    _, (host, peer_port) = s.recvfrom(2048)
    send(host, peer_port, rate, seconds, s)


def recv(port, seconds, progress=None, ask=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if ask is None:
        s.bind(("0.0.0.0", port))
    asked = 0.0
    s.settimeout(0.05)
    end = time.monotonic() + seconds
    seen = set()
    last = None
    max_gap = 0.0
    gap_at = None
    sources = set()
    gaps = []
    gap_ends = []  # system-clock time of the datagram ending each gap
    gap_lost = []  # datagrams missing across each gap (sequence numbers skipped)
    source = "-"  # of the latest datagram, for the progress file
    last_seq = -1
    next_report = 0.0
    while time.monotonic() < end:
        if last is not None and time.monotonic() - last > 1.0 and stopped():
            break
        if progress and time.monotonic() >= next_report:
            with open(progress + ".tmp", "w") as f:
                f.write("%d %s\n" % (len(seen), source))
            os.replace(progress + ".tmp", progress)
            next_report = time.monotonic() + 0.1
        if ask and not seen and time.monotonic() - asked >= 1.0:
            s.sendto(b"stream, please", ask)
            asked = time.monotonic()
        try:
            data, addr = s.recvfrom(2048)
        except socket.timeout:
            continue
        now = time.monotonic()
        seq, _ = struct.unpack("!Qd", data[:16])
        seen.add(seq)
        source = "%s:%d" % addr
        sources.add(source)
        if last is not None and now - last > 0.005:
            gaps.append(round((now - last) * 1000, 1))
            gap_ends.append(time.time())
            gap_lost.append(max(0, seq - last_seq - 1))
        if last is not None and now - last > max_gap:
            max_gap = now - last
            gap_at = seq
        last = now
        last_seq = max(last_seq, seq)
    top = max(seen) if seen else -1
    print(json.dumps({"received": len(seen), "highest_seq": top,
                      "lost_below_highest": top + 1 - len(seen),
                      "max_gap_ms": round(max_gap * 1000, 1), "gap_before_seq": gap_at,
                      "gaps_over_5ms": gaps, "gap_ends": gap_ends, "gap_lost": gap_lost,
                      "sources": sorted(sources)}))


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "recv":
        recv(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] if len(sys.argv) == 5 else None)
    elif len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    elif len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
    elif len(sys.argv) == 5 and sys.argv[1] == "fetch":
        recv(0, float(sys.argv[4]), None, (sys.argv[2], int(sys.argv[3])))
    else:
        sys.exit(__doc__)
