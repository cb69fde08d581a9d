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
	STEP=1 TCP_MB=8 TCP_RATE=400k UDP_RATE=200 UDP_SECONDS=26 roams="6:ap2 12:ap3 18:ap1"
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
head -c $((TCP_MB * 1000000)) /dev/urandom >"$W/tx.bin"
"$LAB" exec server1 -- socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$W/rx.bin",creat,trunc &
"$LAB" exec server1 -- python3 "$ROOT/bench/udp_gap.py" recv 6000 $((UDP_SECONDS + 2)) "$W/udp.count" >"$W/udp.json" &
sleep 0.5
echo "== client1 ($("$LAB" address client1)) opens a TCP transfer ($TCP_MB MB at ${TCP_RATE}B/s) and a UDP stream ($UDP_RATE datagrams/s) to server1"
(pv -q -L "$TCP_RATE" "$W/tx.bin" | "$LAB" exec client1 -- socat -u - TCP:$SERVER:5001) &
tcp_pid=$!
"$LAB" exec client1 -- python3 "$ROOT/bench/udp_gap.py" send $SERVER 6000 "$UDP_RATE" "$UDP_SECONDS" >/dev/null &
echo
if [ $WIFI -eq 1 ]; then
	printf '%6s  %-8s  %-17s  %-22s  %-22s  %10s  %8s  %s\n' TIME "AP" "BSSID" "SERVER SEES (TCP)" "SERVER SEES (UDP)" \
		"TCP BYTES" "UDP PKT/S" "EVENT"
else
	printf '%6s  %-8s  %-22s  %-22s  %10s  %8s  %s\n' TIME "AP" "SERVER SEES (TCP)" "SERVER SEES (UDP)" "TCP BYTES" "UDP PKT/S" "EVENT"
fi

peer() { # proto port: the client address the server sees
	if [ "$1" = tcp ]; then
		"$LAB" exec server1 -- ss -Htn state established "( sport = :$2 )" | awk '{print $4; exit}'
	else
		"$LAB" ctl connections --json 2>/dev/null | python3 -c "
import json,sys
for c in json.load(sys.stdin):
    if c['proto'] == 'udp' and c['server'].endswith(':$2'): print(c['masquerade']); break"
	fi
}

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.1f}')"; }
start=$(now)
last_udp=0 last_bytes=0 last_t=0 stalled_since=""
while :; do
	sleep $STEP
	t=$(elapsed "$start")
	event=""
	next=${roams%% *}
	if [ -n "$roams" ] && python3 -c "import sys; sys.exit(0 if $t >= ${next%%:*} else 1)"; then
		"$LAB" roam client1 "${next#*:}" >/dev/null
		event=$([ $WIFI -eq 1 ] && echo "reassociated to ${next#*:}" || echo "roamed to ${next#*:}")
		roams=${roams#"$next"}; roams=${roams# }
	fi
	ap=$(cat "$ROAMLAB_DIR/clients/client1")
	bytes=$(stat -c %s "$W/rx.bin" 2>/dev/null || echo 0)
	udp=$(cat "$W/udp.count" 2>/dev/null || echo 0)
	rate=$(python3 -c "print(round(($udp - $last_udp) / max($t - $last_t, 0.01)))")
	if [ "$bytes" -eq "$last_bytes" ] && kill -0 $tcp_pid 2>/dev/null; then
		event="${event:+$event; }no TCP progress since the last line"
	fi
	if [ $WIFI -eq 1 ]; then
		bssid=$("$LAB" exec client1 -- wpa_cli -p "$ROAMLAB_DIR/wpa/client1" -i wlan0 status | sed -n 's/^bssid=//p')
		printf '%6s  %-8s  %-17s  %-22s  %-22s  %10s  %8s  %s\n' "${t}s" "$ap" "${bssid:--}" "$(peer tcp 5001)" \
			"$(peer udp 6000)" "$bytes" "$rate" "$event"
	else
		printf '%6s  %-8s  %-22s  %-22s  %10s  %8s  %s\n' "${t}s" "$ap" "$(peer tcp 5001)" "$(peer udp 6000)" \
			"$bytes" "$rate" "$event"
	fi
	last_udp=$udp last_bytes=$bytes last_t=$t
	kill -0 $tcp_pid 2>/dev/null || [ -n "$roams" ] || break
done
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
