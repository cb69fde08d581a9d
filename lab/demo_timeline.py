#!/usr/bin/env python3
"""The timeline of make demo and make demo-wifi: one line every STEP seconds
with where the client is, what the server sees and what got through, and the
roams made at their times. One process that reads files, so that sampling
costs nothing even on an emulated CPU (the QEMU guest of demo-wifi):

  STATE/clients/client1   the client's AP (roamlab updates it after a roam)
  --tcp-rx FILE           what the server received so far (its size)
  --tcp-log FILE          socat -d -d's log: the peer the server accepted
  --udp-progress FILE     bench/udp_gap.py recv's progress: COUNT SOURCE
"""
import argparse
import os
import re
import subprocess
import time


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lab", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--tcp-rx", required=True)
    p.add_argument("--tcp-log", required=True)
    p.add_argument("--tcp-pid", type=int, required=True, help="the sending side: the timeline ends after it")
    p.add_argument("--udp-progress", required=True)
    p.add_argument("--roams", required=True, help="'SECONDS:AP ...'")
    p.add_argument("--step", type=float, default=0.5)
    p.add_argument("--bssids", default="", help="'AP=BSSID ...': a BSSID column (Wi-Fi)")
    p.add_argument("--max-seconds", type=float, default=300)
    a = p.parse_args()
    roams = [(float(t), ap) for t, ap in (r.split(":") for r in a.roams.split())]
    bssids = dict(b.split("=") for b in a.bssids.split())
    wifi = bool(bssids)
    head = ["TIME", "AP"] + (["BSSID"] if wifi else []) + ["SERVER SEES (TCP)", "SERVER SEES (UDP)", "TCP BYTES", "UDP PKT/S", "EVENT"]
    fmt = "%6s  %-8s  " + ("%-17s  " if wifi else "") + "%-22s  %-22s  %10s  %9s  %s"
    print(fmt % tuple(head), flush=True)
    start = time.monotonic()
    last_t, last_udp, last_bytes = 0.0, 0, -1
    while time.monotonic() - start < a.max_seconds:
        time.sleep(a.step)
        t = time.monotonic() - start
        event = []
        if roams and t >= roams[0][0]:
            ap = roams.pop(0)[1]
            subprocess.run([a.lab, "roam", "client1", ap], stdout=subprocess.DEVNULL, check=False)
            event.append(("reassociated to " if wifi else "roamed to ") + ap)
            t = time.monotonic() - start
        ap = read(os.path.join(a.state, "clients", "client1"), "-")
        sending = os.path.exists("/proc/%d" % a.tcp_pid)
        try:
            nbytes = os.path.getsize(a.tcp_rx)
        except OSError:
            nbytes = 0
        m = re.search(r"accepting connection from AF=2 (\S+)", read(a.tcp_log))
        tcp_peer = m.group(1) if m and sending else ""
        udp = read(a.udp_progress, "0 -").split()
        count, source = int(udp[0]), udp[1] if len(udp) > 1 else "-"
        rate = round((count - last_udp) / max(t - last_t, 0.01))
        if nbytes == last_bytes and sending:
            event.append("no TCP progress since the last line")
        row = ["%.1fs" % t, ap] + ([bssids.get(ap, "-")] if wifi else []) + [tcp_peer, source, nbytes, rate, "; ".join(event)]
        print(fmt % tuple(row), flush=True)
        last_t, last_udp, last_bytes = t, count, nbytes
        if not roams and not sending:
            break


if __name__ == "__main__":
    main()
