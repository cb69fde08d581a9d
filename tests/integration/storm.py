#!/usr/bin/env python3
"""Many live TCP connections at once, one per lab client, checked end to end.

  storm.py serve PORT STOPFILE
      An echo server: every byte a connection sends comes back on it. Once
      STOPFILE exists it goes on echoing until the clients have closed
      every connection (at most 30 s), then prints {"accepted": [peer
      address:port, ...]}: a connection that broke and came back would
      show as a second peer.
  storm.py clients NETNS_PREFIX COUNT HOST:PORT STOPFILE PROGRESS
      One process, one connection from each namespace PREFIX-client1..COUNT
      (setns before each socket: a socket keeps the namespace it was made
      in). Each sends a numbered line every 100 ms and checks that the
      echo comes back complete and in order. Prints "connected N" once all
      are up, and rewrites PROGRESS every 200 ms with one line per client:
      its number and the Unix time of its last echo. On STOPFILE it stops
      sending, waits until every line sent has come back (at most 10 s),
      closes the connections and prints a JSON list, one object per
      client: sent, echoed, in_order, closed, and gaps (start, end) of each
      pause of the echoes longer than 0.5 s.
"""
import ctypes
import json
import os
import selectors
import socket
import sys
import time

CLONE_NEWNET = 0x40000000


def serve(port, stopfile):
    sel = selectors.DefaultSelector()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1024)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ)
    accepted = []
    open_conns = 0
    # A line sent just before the stop file appeared is still echoed: the
    # clients close their connections once they have every echo back.
    stop_by = None
    while stop_by is None or (open_conns > 0 and time.time() < stop_by):
        if stop_by is None and os.path.exists(stopfile):
            stop_by = time.time() + 30
        for key, _ in sel.select(0.2):
            if key.fileobj is ls:
                c, peer = ls.accept()
                c.setblocking(False)
                accepted.append("%s:%d" % peer)
                open_conns += 1
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                d = c.recv(65536)
            except ConnectionError:
                d = b""
            if not d:
                sel.unregister(c)
                c.close()
                open_conns -= 1
                continue
            c.sendall(d)  # a few bytes every 100 ms: the buffer never fills
    print(json.dumps({"accepted": accepted}))


def write_progress(path, conns):
    with open(path + ".tmp", "w") as f:
        for c in conns:
            f.write("%d %.3f\n" % (c["client"], 0 if c.get("closed") else c["last"]))
    os.replace(path + ".tmp", path)


def clients(prefix, count, host, port, stopfile, progress):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    conns = []
    for i in range(1, count + 1):
        fd = os.open("/run/netns/%s-client%d" % (prefix, i), os.O_RDONLY)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            sys.exit("setns into %s-client%d: %s" % (prefix, i, os.strerror(ctypes.get_errno())))
        os.close(fd)
        s = socket.create_connection((host, port), timeout=30)
        s.setblocking(False)
        conns.append({"sock": s, "client": i, "sent": 0, "buf": b"", "last": time.time(), "gaps": []})
    libc.setns(home, CLONE_NEWNET)
    print("connected %d" % len(conns), flush=True)
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c["sock"], selectors.EVENT_READ, c)
    next_send = next_progress = 0.0
    stop_at = None
    echoed_all = False
    while stop_at is None or (not echoed_all and time.time() < stop_at):
        now = time.time()
        if stop_at is None and os.path.exists(stopfile):
            stop_at = now + 10
        if stop_at is None and now >= next_send:
            for c in conns:
                if c.get("closed"):
                    continue
                c["sent"] += 1
                try:
                    c["sock"].send(b"%d\n" % c["sent"])
                except BlockingIOError:
                    c["sent"] -= 1  # the send queue is full (no link): next round
                except OSError:
                    c["closed"] = True
            next_send = now + 0.1
        if now >= next_progress:
            write_progress(progress, conns)
            next_progress = now + 0.2
        for key, _ in sel.select(0.02):
            c = key.data
            try:
                d = c["sock"].recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(c["sock"])
                c["closed"] = True
                continue
            c["buf"] += d
            now = time.time()
            if now - c["last"] > 0.5:
                c["gaps"].append((round(c["last"], 3), round(now, 3)))
            c["last"] = now
        if stop_at is not None:
            echoed_all = all(c.get("closed") or c["buf"].count(b"\n") >= c["sent"] for c in conns)
    for c in conns:
        c["sock"].close()
    out = []
    for c in conns:
        lines = c["buf"].split(b"\n")
        complete = lines[:-1]
        try:
            in_order = [int(x) for x in complete] == list(range(1, len(complete) + 1))
        except ValueError:
            in_order = False
        out.append({"client": c["client"], "sent": c["sent"], "echoed": len(complete), "in_order": in_order,
                    "closed": bool(c.get("closed")), "gaps": c["gaps"]})
    print(json.dumps(out))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 7 and sys.argv[1] == "clients":
        host, port = sys.argv[4].rsplit(":", 1)
        clients(sys.argv[2], int(sys.argv[3]), host, int(port), sys.argv[5], sys.argv[6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
