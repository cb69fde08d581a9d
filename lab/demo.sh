#!/usr/bin/env bash
# make demo: a lab with three APs; a client keeps a TCP transfer and a UDP
# stream open to a server while it roams ap1 -> ap2 -> ap3 -> ap1, and a
# timeline shows where it is, what the server sees and what got through.
# demo.sh --wifi (make demo-wifi, in the QEMU guest): the same on real
# 802.11, the client reassociating by itself, its address a DHCP lease;
# the transfer is smaller and slower, as the guest emulates its CPU.
set -euo pipefail
WIFI=0
[ "${1:-}" = --wifi ] && WIFI=1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
export ROAMLAB_PREFIX=${ROAMLAB_PREFIX:-demo}
export ROAMLAB_DIR=${ROAMLAB_DIR:-/run/roamlab-demo}
export ROAMNAT_BIN=${ROAMNAT_BIN:-$ROOT/build}
LAB="$HERE/roamlab"
W=$(mktemp -d /tmp/roamnat-demo.XXXXXX)
SERVER=10.201.0.10
if [ $WIFI -eq 1 ]; then
	STEP=1 TCP_MB=10 TCP_RATE=300k UDP_RATE=200 UDP_SECONDS=32 roams="6:ap2 12:ap3 18:ap1"
else
	STEP=0.5 TCP_MB=40 TCP_RATE=2500k UDP_RATE=1000 UDP_SECONDS=18 roams="4:ap2 8:ap3 12:ap1"
fi
# STEP: timeline resolution, seconds (plus the time to sample)

cleanup() {
	jobs -p | xargs -r kill 2>/dev/null || true
	"$LAB" down >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces)"; exit 1; }
"$LAB" down >/dev/null 2>&1 || true

if [ $WIFI -eq 1 ]; then
	echo "== building the Wi-Fi lab: coordinator, Kea, server1 and ap1..ap3 (hostapd, dhcrelay, roamd) on a backbone;"
	echo "   client1 (wpa_supplicant, udhcpc) associates with ap1 and leases its address"
	"$LAB" up --wifi --aps 3 --clients 1
else
	echo "== building the lab: coordinator, server1, ap1..ap3 on a backbone, client1 on ap1"
	"$LAB" up --aps 3 --clients 1
fi
"$LAB" status
echo
bssids=""
if [ $WIFI -eq 1 ]; then
	for a in ap1 ap2 ap3; do bssids="$bssids $a=$("$LAB" exec $a -- cat /sys/class/net/wlan0/address)"; done
	# The client scans once now, as it would in the background: a roam then
	# finds its target among the scan results at once.
	wpa() { "$LAB" exec client1 -- wpa_cli -p "$ROAMLAB_DIR/wpa/client1" -i wlan0 "$@"; }
	wpa scan >/dev/null
	for _ in $(seq 1 300); do
		[ "$(wpa scan_results | grep -c roamnat-lab)" -ge 3 ] && break
		sleep 0.2
	done
fi
head -c $((TCP_MB * 1000000)) /dev/urandom >"$W/tx.bin"
"$LAB" exec server1 -- socat -d -d -u TCP-LISTEN:5001,reuseaddr OPEN:"$W/rx.bin",creat,trunc 2>"$W/socat.log" &
"$LAB" exec server1 -- python3 "$ROOT/bench/udp_gap.py" recv 6000 $((UDP_SECONDS + 8)) "$W/udp.progress" >"$W/udp.json" &
sleep 0.5
echo "== client1 ($("$LAB" address client1)) opens a TCP transfer ($TCP_MB MB at ${TCP_RATE}B/s) and a UDP stream ($UDP_RATE datagrams/s) to server1"
(pv -q -L "$TCP_RATE" "$W/tx.bin" | "$LAB" exec client1 -- socat -u - TCP:$SERVER:5001) &
tcp_pid=$!
"$LAB" exec client1 -- python3 "$ROOT/bench/udp_gap.py" send $SERVER 6000 "$UDP_RATE" "$UDP_SECONDS" >/dev/null &
echo
# The timeline: what the server sees is what its sockets saw (socat's
# accepted peer, the source of the latest datagram); the AP is roamlab's
# record of the client's completed move.
python3 "$HERE/demo_timeline.py" --lab "$LAB" --state "$ROAMLAB_DIR" --tcp-rx "$W/rx.bin" --tcp-log "$W/socat.log" \
	--tcp-pid "$tcp_pid" --udp-progress "$W/udp.progress" --roams "$roams" --step "$STEP" --bssids "$bssids"
wait $tcp_pid || true
sleep 2.5
echo
echo "== result"
if cmp -s "$W/tx.bin" "$W/rx.bin"; then
	echo "TCP: $(stat -c %s "$W/rx.bin") of $(stat -c %s "$W/tx.bin") bytes arrived intact (sha256 $(sha256sum <"$W/rx.bin" | cut -c1-16)...)"
else
	echo "TCP: $(stat -c %s "$W/rx.bin" 2>/dev/null || echo 0) of $(stat -c %s "$W/tx.bin") bytes arrived (transfer still running or broken)"
fi
wait
python3 - "$W/udp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("UDP: %d datagrams received, %d lost across 3 roams, longest silence %.1f ms, server saw %s"
      % (d["received"], d["lost_below_highest"], d["max_gap_ms"], " ".join(d["sources"])))
PY
echo
echo "== the coordinator's view and ap1's counters (roamctl)"
"$LAB" ctl counters | grep -E "rx_fam_request|rx_ham_register|fam_updates_pushed|departures|connections_"
"$LAB" agentctl ap1 counters | grep -E "dp_(fam_out|fam_in|ham_in)_packets|held_released"
