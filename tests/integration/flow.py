#!/usr/bin/env python3
"""Test flows that last until the test says stop, and a judge of UDP loss
against the lab's own link-move windows.

A scenario that checks something while traffic crosses a roam must not
depend on the traffic outlasting the check: these senders run until a stop
file appears (and at least --min-bytes have gone), so a slower machine
makes a scenario longer, never wrong.

  flow.py tcp-send (--listen PORT | --connect HOST:PORT) --rate BYTES_PER_S
                   --until STOPFILE [--progress FILE]
      Sends random bytes paced at RATE until STOPFILE exists, then closes
      its side and waits for the peer to close; prints {"bytes", "sha256"}.
  flow.py tcp-recv (--listen PORT | --connect HOST:PORT) [--progress FILE]
      Reads until the peer closes; prints {"bytes", "sha256"}.
  flow.py udp-send (HOST:PORT | --listen PORT) --rate PACKETS_PER_S
                   --until STOPFILE --log FILE [--size BYTES]
                   [--connected [--refused FILE]]
      Sequence-numbered datagrams of --size bytes (default 100; above 1472
      each leaves in IP fragments); FILE gets each one's send time. With
      --listen, waits for one datagram and streams to its source (a server
      answering a request: a download the client never speaks on again).
      --connected: from a connected socket, which the kernel tells of an
      ICMP error quoting the flow (an ECONNREFUSED on a later send): each
      one is counted, and FILE (--refused) rewritten with the count.
  flow.py udp-recv (--listen PORT | --connect HOST:PORT) --until STOPFILE
                   --log FILE [--progress FILE] [--size BYTES]
      Receives until STOPFILE exists and the stream has been quiet for 1 s;
      FILE gets each datagram's sequence number, receive time and source.
      A datagram of another size, or whose bytes are not exactly the ones
      its sender put in (each datagram's filler is derived from its
      sequence number), is counted as malformed.
      With --connect, asks HOST:PORT for the stream (one datagram a second
      until the first arrives) and sends nothing after.
  flow.py icmp-sniff --until STOPFILE [--type N]... [--progress FILE]
      A raw ICMP socket: every ICMP message this node receives (of the
      given types) until STOPFILE exists; prints JSON: the count, by source,
      by TYPE/CODE, and the first 200 with their echo identifier or, for an
      error, the packet it quotes ("udp 10.202.0.11:40000>10.201.0.10:53").
  flow.py icmp-forge --to ADDR [--count N] (--echo-reply ID[,ID...] |
                     --port-unreachable SRC:PORT,DST:PORT [--quote-ihl N]
                     [--quote-transport-bytes N])
      Sends hand-built ICMP from a raw socket, with correct checksums (the
      ICMP checksum, and the quoted IPv4 header's over its first 20 bytes):
      echo replies with the given identifiers, or a port unreachable that
      quotes a UDP packet SRC:PORT -> DST:PORT. --quote-ihl claims another
      header length in the quoted IPv4 header than the 20 bytes it has;
      --quote-transport-bytes quotes fewer than the 8 bytes of UDP header
      (both: a malformed error). Prints {"sent": N}.
  flow.py judge --sent FILE --received FILE --events FILE [--from TIME]
      Splits the lost datagrams into those sent while the client had no
      link (a window from roamlab's events, widened by the longest transit
      time seen in the run, the age a datagram in flight can have) and the
      rest, roamnat's share; prints JSON. With --from, datagrams sent
      before TIME are not judged: a new flow's first datagrams wait for the
      coordinator (Fig. 11) and are released in a burst, which is the
      set-up's business, not the roam's.

--progress FILE is rewritten every 100 ms with the bytes (TCP) or datagrams
(UDP) received so far, so a test can wait for a flow to make headway
instead of sleeping.
All times are the system clock, which every namespace of a lab shares.
Every flow gives up after --max-seconds (default 900): a forgotten stop
file cannot leave it running.
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import time

HEADER = struct.Struct("!Qd")  # sequence number, send time
DATAGRAM_SIZE = 100            # the bytes iperf3 -l 100 sends: 1000/s = 800 kbit/s


def filler(seq, size):
    """The bytes after a datagram's header: derived from its sequence
    number, so a receiver can tell a datagram put together wrong (fragments
    of several, or bytes changed on the way) from the one that was sent."""
    n = size - HEADER.size
    block = hashlib.sha256(struct.pack("!Q", seq)).digest()
    return (block * (n // len(block) + 1))[:n]


def die(msg):
    print("flow.py: " + msg, file=sys.stderr)
    sys.exit(1)


class Progress:
    """Publishes a counter to a file at most every 100 ms, atomically."""

    def __init__(self, path):
        self.path = path
        self.next = 0.0

    def update(self, value, force=False):
        if not self.path:
            return
        now = time.monotonic()
        if force or now >= self.next:
            with open(self.path + ".tmp", "w") as f:
                f.write("%d\n" % value)
            os.replace(self.path + ".tmp", self.path)
            self.next = now + 0.1


def endpoint(args):
    """A connected TCP socket, from --listen (accept one) or --connect."""
    if args.listen is not None:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("0.0.0.0", args.listen))
        ls.listen(1)
        ls.settimeout(args.max_seconds)
        try:
            s, _ = ls.accept()
        except socket.timeout:
            die("no connection to port %d within %d s" % (args.listen, args.max_seconds))
        ls.close()
        return s
    host, _, port = args.connect.rpartition(":")
    try:
        return socket.create_connection((host, int(port)), timeout=30)
    except OSError as e:
        die("cannot connect to %s: %s" % (args.connect, e))


def tcp_send(args):
    s = endpoint(args)
    s.settimeout(60)  # a stalled peer is a failure, not a hang
    digest = hashlib.sha256()
    chunk = max(256, min(16384, int(args.rate / 50)))
    progress = Progress(args.progress)
    start = time.monotonic()
    sent = 0
    try:
        while not os.path.exists(args.until):
            if time.monotonic() - start > args.max_seconds:
                die("still sending after %d s: nobody created %s" % (args.max_seconds, args.until))
            due = start + sent / args.rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            data = os.urandom(chunk)
            s.sendall(data)
            digest.update(data)
            sent += len(data)
            progress.update(sent)
        progress.update(sent, force=True)
        s.shutdown(socket.SHUT_WR)
        # The peer closes once it has read everything: then every byte is there.
        while s.recv(4096):
            pass
    except OSError as e:
        die("connection failed after %d bytes sent: %s" % (sent, e))
    print(json.dumps({"bytes": sent, "sha256": digest.hexdigest()}))


def tcp_recv(args):
    s = endpoint(args)
    s.settimeout(60)
    digest = hashlib.sha256()
    progress = Progress(args.progress)
    got = 0
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            digest.update(data)
            got += len(data)
            progress.update(got)
    except OSError as e:
        die("connection failed after %d bytes received: %s" % (got, e))
    progress.update(got, force=True)
    s.close()
    print(json.dumps({"bytes": got, "sha256": digest.hexdigest()}))


def udp_send(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.listen is not None:
        s.bind(("0.0.0.0", args.listen))
        s.settimeout(args.max_seconds)
        try:
            _, dest = s.recvfrom(2048)
        except socket.timeout:
            die("nobody asked for the stream on port %d" % args.listen)
    else:
        host, _, port = args.target.rpartition(":")
        dest = (host, int(port))
    if args.connected:
        if args.listen is not None:
            die("udp-send: --connected takes HOST:PORT")
        s.connect(dest)
    refused = 0
    interval = 1.0 / args.rate
    times = []
    began = start = time.monotonic()
    seq = sent_since = 0
    while not os.path.exists(args.until):
        if time.monotonic() - began > args.max_seconds:
            die("still sending after %d s: nobody created %s" % (args.max_seconds, args.until))
        due = start + sent_since * interval
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif now - due > 0.02:
            # Behind (a slow or loaded machine): go on from now rather than
            # catch up in a burst that would overflow a queue and count as loss.
            start, sent_since = now, 0
        t = time.time()
        try:
            data = HEADER.pack(seq, t) + filler(seq, args.size)
            if args.connected:
                s.send(data)
            else:
                s.sendto(data, dest)
        except ConnectionRefusedError:
            # An ICMP error quoting this flow reached the socket (reported on
            # the send after it): this datagram was not sent.
            refused += 1
            if args.refused:
                with open(args.refused + ".tmp", "w") as f:
                    f.write("%d\n" % refused)
                os.replace(args.refused + ".tmp", args.refused)
        except OSError:
            pass  # no route for a moment while the link moves: lost, and judged so
        times.append(t)
        seq += 1
        sent_since += 1
    with open(args.log, "w") as f:
        json.dump({"sent": seq, "times": times}, f)
    print(json.dumps({"sent": seq, "refused": refused}))


def udp_recv(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ask, asked = None, 0.0
    if args.connect:
        host, _, port = args.connect.rpartition(":")
        ask = (host, int(port))
    else:
        s.bind(("0.0.0.0", args.listen))
    s.settimeout(0.1)
    start = time.monotonic()
    last = start
    got = {}
    sources = set()
    bad = 0
    progress = Progress(args.progress)
    while time.monotonic() - start < args.max_seconds:
        if os.path.exists(args.until) and time.monotonic() - last > 1.0:
            break
        if ask and not got and time.monotonic() - asked >= 1.0:
            s.sendto(b"stream, please", ask)
            asked = time.monotonic()
        try:
            data, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        last = time.monotonic()
        if len(data) != args.size:
            bad += 1
            continue
        seq, _ = HEADER.unpack_from(data)
        if data[HEADER.size:] != filler(seq, args.size):
            bad += 1
            continue
        got[seq] = time.time()
        sources.add("%s:%d" % addr)
        progress.update(len(got))
    with open(args.log, "w") as f:
        json.dump({"received": got, "sources": sorted(sources), "malformed": bad}, f)
    print(json.dumps({"received": len(got), "sources": sorted(sources), "malformed": bad}))


def link_windows(path):
    """(left, ready) pairs from roamlab's event log: 'TIME CLIENT FROM TO EVENT'."""
    windows, left = [], None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if len(parts) != 5 or parts[4] not in ("left", "ready"):
                die("%s:%d: not a roamlab event: %r" % (path, n, line))
            if parts[4] == "left":
                left = float(parts[0])
            elif left is not None:
                windows.append((left, float(parts[0])))
                left = None
    return windows


def judge(args):
    try:
        with open(args.sent) as f:
            sent = json.load(f)["times"]
        with open(args.received) as f:
            rx = json.load(f)
        received = {int(k): v for k, v in rx["received"].items()}
    except (OSError, ValueError, KeyError) as e:
        die("judge: unreadable flow log: %s" % e)
    windows = link_windows(args.events)
    first = next((q for q, t in enumerate(sent) if t >= args.start), len(sent))
    transit = [received[q] - sent[q] for q in received if first <= q < len(sent)]
    longest = max(transit, default=0.0)
    lost = [q for q in range(first, len(sent)) if q not in received]
    per_window = [0] * len(windows)
    outside = []
    for q in lost:
        t = sent[q]
        for i, (left, ready) in enumerate(windows):
            if left - longest <= t <= ready:
                per_window[i] += 1
                break
        else:
            outside.append(q)
    judged = len(sent) - first
    # The longest the receiver heard nothing: a link move's or a failover's
    # outage as the application saw it.
    arrivals = sorted(received[q] for q in received if q >= first)
    silence = max((b - a for a, b in zip(arrivals, arrivals[1:])), default=0.0)
    print(json.dumps({
        "sent": judged, "received": judged - len(lost), "lost": len(lost), "not_judged_set_up": first,
        "lost_while_link_moved": per_window,
        "link_move_ms": [round((r - l) * 1000, 1) for l, r in windows],
        "longest_transit_ms": round(longest * 1000, 1),
        "longest_silence_ms": round(silence * 1000, 1),
        "lost_outside": len(outside),
        "lost_outside_seqs": outside[:20],
        "lost_outside_ms_after_ready": [
            round(min((sent[q] - r for _, r in windows if sent[q] > r), default=-1) * 1000, 1)
            for q in outside[:20]],
        "sources": rx.get("sources", []), "malformed": rx.get("malformed", 0)}))


def checksum(data):
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


ICMP_ERRORS = (3, 4, 5, 11, 12)  # unreachable, source quench, redirect, time exceeded, parameter problem


def icmp_summary(packet):
    """What one received IPv4 packet carrying ICMP says, as a dict."""
    ihl = (packet[0] & 0x0F) * 4
    src = socket.inet_ntoa(packet[12:16])
    icmp = packet[ihl:]
    if len(icmp) < 8:
        return {"src": src, "type": -1, "code": -1, "len": len(icmp)}
    t, code = icmp[0], icmp[1]
    d = {"src": src, "type": t, "code": code, "len": len(icmp)}
    if t in (0, 8):
        d["id"], d["seq"] = struct.unpack_from("!HH", icmp, 4)
    elif t in ICMP_ERRORS:
        q = icmp[8:]
        qihl = (q[0] & 0x0F) * 4 if q else 0
        if len(q) >= 20 and len(q) >= qihl + 4:
            proto = {1: "icmp", 6: "tcp", 17: "udp"}.get(q[9], str(q[9]))
            sport, dport = struct.unpack_from("!HH", q, qihl)
            d["quote"] = "%s %s:%d>%s:%d" % (proto, socket.inet_ntoa(q[12:16]), sport,
                                             socket.inet_ntoa(q[16:20]), dport)
        else:
            d["quote"] = "short (%d bytes)" % len(q)
    return d


def icmp_sniff(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(0.1)
    progress = Progress(args.progress)
    progress.update(0, force=True)
    start = time.monotonic()
    seen, by_source, by_kind = [], {}, {}
    count = 0
    while time.monotonic() - start < args.max_seconds and not os.path.exists(args.until):
        try:
            packet = s.recv(65536)
        except socket.timeout:
            continue
        d = icmp_summary(packet)
        if args.type and d["type"] not in args.type:
            continue
        count += 1
        by_source[d["src"]] = by_source.get(d["src"], 0) + 1
        kind = "%d/%d" % (d["type"], d["code"])
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if len(seen) < 200:
            seen.append(d)
        progress.update(count)
    progress.update(count, force=True)
    print(json.dumps({"packets": count, "by_source": by_source, "by_kind": by_kind, "first": seen}))


def endpoint_pair(text):
    try:
        a, b = text.split(",")
        (ah, ap), (bh, bp) = a.rsplit(":", 1), b.rsplit(":", 1)
        return socket.inet_aton(ah), int(ap), socket.inet_aton(bh), int(bp)
    except (ValueError, OSError):
        die("not SRC:PORT,DST:PORT: %r" % text)


def forged(args):
    """The ICMP messages (type, code, rest of header, body) to send."""
    if args.echo_reply:
        for ident in args.echo_reply.split(","):
            yield 0, 0, struct.pack("!HH", int(ident), 1), b"roamnat icmp-forge".ljust(56, b".")
        return
    src, sport, dst, dport = endpoint_pair(args.port_unreachable)
    udp = struct.pack("!HHHH", sport, dport, 8 + 64, 0)  # a 64-byte payload, no UDP checksum
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | args.quote_ihl, 0, 20 + 8 + 64, 0x1234, 0x4000,
                               63, socket.IPPROTO_UDP, 0, src, dst))
    struct.pack_into("!H", ip, 10, checksum(bytes(ip)))
    yield 3, 3, b"\0\0\0\0", bytes(ip) + udp[:args.quote_transport_bytes]


def icmp_forge(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sent = 0
    for _ in range(args.count):
        for t, code, rest, body in forged(args):
            msg = bytearray(struct.pack("!BBH", t, code, 0) + rest + body)
            struct.pack_into("!H", msg, 2, checksum(bytes(msg)))
            s.sendto(bytes(msg), (args.to, 0))
            sent += 1
    print(json.dumps({"sent": sent}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("tcp-send", "tcp-recv"):
        c = sub.add_parser(name)
        g = c.add_mutually_exclusive_group(required=True)
        g.add_argument("--listen", type=int, metavar="PORT")
        g.add_argument("--connect", metavar="HOST:PORT")
        c.add_argument("--progress")
        c.add_argument("--max-seconds", type=int, default=900)
        if name == "tcp-send":
            c.add_argument("--rate", type=float, required=True)
            c.add_argument("--until", required=True)
    c = sub.add_parser("udp-send")
    c.add_argument("target", metavar="HOST:PORT", nargs="?")
    c.add_argument("--listen", type=int, metavar="PORT")
    c.add_argument("--rate", type=float, required=True)
    c.add_argument("--until", required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--size", type=int, default=DATAGRAM_SIZE)
    c.add_argument("--connected", action="store_true")
    c.add_argument("--refused", metavar="FILE")
    c.add_argument("--max-seconds", type=int, default=900)
    c = sub.add_parser("udp-recv")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--listen", type=int, metavar="PORT")
    g.add_argument("--connect", metavar="HOST:PORT")
    c.add_argument("--until", required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--progress")
    c.add_argument("--size", type=int, default=DATAGRAM_SIZE)
    c.add_argument("--max-seconds", type=int, default=900)
    c = sub.add_parser("icmp-sniff")
    c.add_argument("--until", required=True)
    c.add_argument("--type", type=int, action="append", default=[])
    c.add_argument("--progress")
    c.add_argument("--max-seconds", type=int, default=900)
    c = sub.add_parser("icmp-forge")
    c.add_argument("--to", required=True, metavar="ADDR")
    c.add_argument("--count", type=int, default=1)
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--echo-reply", metavar="ID[,ID...]")
    g.add_argument("--port-unreachable", metavar="SRC:PORT,DST:PORT")
    c.add_argument("--quote-ihl", type=int, default=5, choices=range(5, 16))
    c.add_argument("--quote-transport-bytes", type=int, default=8, choices=range(0, 9))
    c = sub.add_parser("judge")
    c.add_argument("--sent", required=True)
    c.add_argument("--received", required=True)
    c.add_argument("--events", required=True)
    c.add_argument("--from", dest="start", type=float, default=0.0, metavar="TIME")
    args = p.parse_args()
    if args.cmd == "udp-send" and (args.target is None) == (args.listen is None):
        p.error("udp-send takes HOST:PORT or --listen PORT")
    if args.cmd in ("udp-send", "udp-recv") and not HEADER.size <= args.size <= 65507:
        p.error("--size takes %d..65507" % HEADER.size)
    {"tcp-send": tcp_send, "tcp-recv": tcp_recv, "udp-send": udp_send,
     "udp-recv": udp_recv, "icmp-sniff": icmp_sniff, "icmp-forge": icmp_forge,
     "judge": judge}[args.cmd](args)


if __name__ == "__main__":
    main()
