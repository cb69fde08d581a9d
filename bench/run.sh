#!/usr/bin/env bash
# make bench: roamnat's numbers, each against a baseline measured in the same
# run on the same lab. Prints a Markdown report and keeps it in
# bench/results/. Numbers are for comparison on one machine, not assertions.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROAMLAB_PREFIX=rb ROAMLAB_DIR=/run/roamlab-rb ROAMNAT_BIN=${ROAMNAT_BIN:-$ROOT/build}
export ROAMLAB_LOG_LEVEL=warn
LAB="$ROOT/lab/roamlab"
W=$(mktemp -d /tmp/roamnat-bench.XXXXXX)
ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-3}
SERVER=10.201.0.10
mkdir -p "$ROOT/bench/results"
REPORT="$ROOT/bench/results/$(date +%Y%m%d-%H%M%S).md"
lab() { "$LAB" "$@"; }
cleanup() { jobs -p | xargs -r kill 2>/dev/null || true; lab down >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "make bench needs root"; exit 1; }
py() { python3 -c "$1"; }
say() { echo "$*" | tee -a "$REPORT"; }

lab down >/dev/null 2>&1 || true
lab up --aps 3 --clients 1 >/dev/null
say "# roamnat benchmark, $(date -u +'%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) cores"
say ""

# --- 1. Handoff gap ---------------------------------------------------------
lab exec server1 -- python3 "$ROOT/bench/udp_gap.py" recv 6000 14 >"$W/gap.json" &
rx=$!
sleep 0.5
lab exec client1 -- python3 "$ROOT/bench/udp_gap.py" send $SERVER 6000 1000 13 >/dev/null &
: >"$W/moves"
for ap in ap2 ap3 ap1 ap2 ap3 ap1; do
	sleep 2
	t0=$(date +%s%N)
	lab roam client1 $ap >/dev/null
	echo $(( ($(date +%s%N) - t0) / 1000000 )) >>"$W/moves"
done
wait $rx
say "## Handoff gap (UDP, 1,000 datagrams/s, 6 roams)"
py "
import json, statistics
d = json.load(open('$W/gap.json'))
g = sorted(d['gaps_over_5ms'], reverse=True)[:6]
print('- interruption per roam: median %.1f ms, worst %.1f ms (the 6 longest silences: %s)' % (statistics.median(g), max(g), ', '.join(map(str, g))))
print('- datagrams lost: %d of %d, %.1f per roam' % (d['lost_below_highest'], d['highest_seq'] + 1, d['lost_below_highest'] / 6))
print('- the server saw: %s' % ' '.join(d['sources']))
moves = sorted(int(x) for x in open('$W/moves'))
print('- for scale: the roam command (moving the link, its address, route, sysctls, and the client ARP) runs a median %d ms end to end' % moves[len(moves) // 2])
" | tee -a "$REPORT"
say ""

# --- 2. First packet of a new connection -------------------------------------
lab exec server1 -- python3 "$ROOT/bench/first_packet.py" serve 7000 &
fp_server=$!
lab exec server1 -- sysctl -qw net.ipv4.icmp_ratelimit=0 # one port unreachable per probe
sleep 0.5
lab exec client1 -- python3 "$ROOT/bench/first_packet.py" measure $SERVER 7000 200 >"$W/fp_roamnat.json"
plain_on() { for a in ap1 ap2 ap3; do lab stop-daemon $a; done; lab exec server1 -- ip route replace 10.202.0.0/24 via 10.201.0.10${1#ap}; }
plain_off() { lab exec server1 -- ip route del 10.202.0.0/24 2>/dev/null || true; for a in ap1 ap2 ap3; do lab start-daemon $a; done; }
cur=$(cat "$ROAMLAB_DIR/clients/client1")
plain_on "$cur"
lab exec client1 -- python3 "$ROOT/bench/first_packet.py" measure $SERVER 7000 200 >"$W/fp_plain.json"
plain_off
kill "$fp_server" 2>/dev/null || true
wait "$fp_server" 2>/dev/null || true
say "## First packet of a new connection, and an ICMP error (200 each, medians; client on its HAM AP)"
py "
import json
r = json.load(open('$W/fp_roamnat.json')); p = json.load(open('$W/fp_plain.json'))
print('| | plain forwarding | roamnat | added |')
print('|---|---|---|---|')
for k, name in (('tcp_connect_ms', 'TCP connect (SYN fast path: anchored locally, registered asynchronously)'),
                ('udp_first_rtt_ms', 'UDP first datagram RTT (Fig. 11: one coordinator round trip)'),
                ('udp_second_rtt_ms', 'UDP second datagram RTT (entry installed)'),
                ('udp_refused_rtt_ms', 'ICMP error round trip: a datagram to a closed port until its port unreachable (nftables: translated by roamd at the HAM)')):
    print('| %s | %.3f ms | %.3f ms | %+.3f ms |' % (name, p[k], r[k], r[k] - p[k]))
" | tee -a "$REPORT"
say ""

# --- 3. Coordinator ---------------------------------------------------------
PKI=$ROAMLAB_DIR/pki
cat >"$W/coord.conf" <<EOF2
listen = 127.0.0.1:7448
ca = $PKI/ca.crt
cert = $PKI/coordinator.crt
key = $PKI/coordinator.key
log_level = warn
policies_file = $W/policies
state_file = $W/coord.state
EOF2
# Fig. 14 1465: every station under a policy of ten rules, as a campus's
# guest or staff policy might be.
{
	echo "policy campus default deny"
	for i in $(seq 1 9); do echo "permit in tcp from any to 10.$i.0.0/16 80,443,8000-8080"; done
	echo "permit in udp from any to any 53"
	echo "default campus"
} >"$W/policies"
lab exec coordinator -- ip link set lo up
lab exec coordinator -- taskset -c 0 "$ROAMNAT_BIN/roamcoord" --config "$W/coord.conf" &
coord=$!
sleep 0.5
cpid=$(pgrep -f "^$ROAMNAT_BIN/roamcoord --config $W/coord.conf" | head -1)
rss0=$(awk '/VmRSS/ {print $2}' /proc/$cpid/status)
N=${BENCH_CONNECTIONS:-200000} S=${BENCH_STATIONS:-50000}
lab exec coordinator -- taskset -c 1 "$ROAMNAT_BIN/coord_load" 127.0.0.1:7448 "$PKI/ca.crt" "$PKI/ap3.crt" "$PKI/ap3.key" $N 128 >"$W/coord.json"
rss1=$(awk '/VmRSS/ {print $2}' /proc/$cpid/status)
# Stations after the memory reading: their users are not the connections' cost.
lab exec coordinator -- taskset -c 1 "$ROAMNAT_BIN/coord_load" 127.0.0.1:7448 "$PKI/ca.crt" "$PKI/ap3.crt" "$PKI/ap3.key" 1 128 $S >"$W/stations.json"
kill "$cpid" 2>/dev/null || true
wait "$coord" 2>/dev/null || true
say "## Coordinator (one core, one agent session, 128 requests in flight, $N connections)"
py "
import json
d = json.load(open('$W/coord.json'))
print('- FAM requests creating connections (Fig. 11): %d requests/s' % d['fam_request_per_s'])
print('- FAM queries (Fig. 12): %d requests/s' % d['fam_query_per_s'])
st = json.load(open('$W/stations.json'))
print('- station users taken (station_auth, Fig. 15 1580b): %d requests/s for %d stations' % (st['station_auth_per_s'], st['stations']))
print('- policy lookups (policy_request, Fig. 14 1465, a policy of 10 rules): %d requests/s' % st['policy_request_per_s'])
print('- memory: %.0f bytes per connection (RSS %d KiB -> %d KiB)' % (($rss1 - $rss0) * 1024 / $N, $rss0, $rss1))
" | tee -a "$REPORT"
say ""

# --- 4. Throughput ----------------------------------------------------------
lab exec server1 -- iperf3 -s -D -p 5301
sleep 0.3
tput() { # extra iperf3 args -> Gbit/s
	lab exec client1 -- iperf3 -c $SERVER -p 5301 -t "$SECS" -J "$@" >"$W/ip.json" 2>/dev/null || true
	py "
import json, sys
d = json.load(open('$W/ip.json'))
s = d.get('end', {}).get('sum_received')
if not s:
    print('iperf3 failed: %s' % d.get('error'), file=sys.stderr)
print(round(s['bits_per_second'] / 1e9, 3) if s else 0)"
}
ctnat_on() { plain_on ap1; lab exec ap1 -- nft -f - <<'NFT'
table ip bench_nat {
	chain post { type nat hook postrouting priority srcnat; ip saddr 10.202.0.0/24 oifname "eth0" masquerade; }
}
NFT
}
ctnat_off() { lab exec ap1 -- nft delete table ip bench_nat; plain_off; }
lab roam client1 ap1 >/dev/null
declare -A sum
modes="plain conntrack_nat roamnat"
for r in $(seq 1 "$ROUNDS"); do
	for m in $modes; do
		case $m in plain) plain_on ap1 ;; conntrack_nat) ctnat_on ;; roamnat) ;; esac
		up=$(tput); down=$(tput -R)
		case $m in plain) plain_off ;; conntrack_nat) ctnat_off ;; esac
		sum[$m.up]=$(py "print(${sum[$m.up]:-0} + $up)"); sum[$m.down]=$(py "print(${sum[$m.down]:-0} + $down)")
	done
done
# The relay path: a download opened on ap1 (its HAM) goes on after the client
# roams to ap2, crossing HAM ap1 -> FAM ap2. Baseline: plain forwarding via ap2.
for r in $(seq 1 "$ROUNDS"); do
	plain_on ap2; lab roam client1 ap2 >/dev/null; down=$(tput -R); plain_off; lab roam client1 ap1 >/dev/null
	sum[plain_ap2.down]=$(py "print(${sum[plain_ap2.down]:-0} + $down)")
	lab exec client1 -- iperf3 -c $SERVER -p 5301 -t $((SECS + 3)) -R -J >"$W/relay.json" 2>/dev/null &
	ip=$!
	sleep 1.5; lab roam client1 ap2 >/dev/null
	wait $ip || true
	relay=$(py "
import json
d = json.load(open('$W/relay.json'))
iv = [i['sum']['bits_per_second'] for i in d.get('intervals', [])[3:]]
print(round(sum(iv) / max(len(iv), 1) / 1e9, 3))")
	sum[relay.down]=$(py "print(${sum[relay.down]:-0} + $relay)")
	lab roam client1 ap1 >/dev/null
done
say "## TCP throughput through the AP (iperf3, $ROUNDS interleaved rounds of ${SECS} s, Gbit/s)"
py "
s = {k: v / $ROUNDS for k, v in {$(for k in "${!sum[@]}"; do printf "'%s': %s, " "$k" "${sum[$k]}"; done)}.items()}
print('| path | upload | download | ratio to plain (up / down) |')
print('|---|---|---|---|')
for m, name in (('plain', 'plain IPv4 forwarding (baseline)'), ('conntrack_nat', 'conntrack NAT (nft masquerade)'), ('roamnat', 'roamnat, client on its HAM AP')):
    print('| %s | %.2f | %.2f | %.2f / %.2f |' % (name, s[m + '.up'], s[m + '.down'], s[m + '.up'] / s['plain.up'], s[m + '.down'] / s['plain.down']))
print('| plain forwarding via ap2 (baseline for the relay) | | %.2f | 1.00 |' % s['plain_ap2.down'])
print('| roamnat relay HAM ap1 -> FAM ap2 (after a roam) | | %.2f | %.2f |' % (s['relay.down'], s['relay.down'] / s['plain_ap2.down']))
" | tee -a "$REPORT"
say ""
lab down >/dev/null 2>&1 || true

# --- 4b. HAM failover ----------------------------------------------------------
# A download anchored at ap1 on its masquerade address, its client on ap2;
# ap1 loses the backbone and its roamd (as at a power cut). What the client
# goes without is the coordinator's detection (dead_after_ms, the bound
# operators set) plus the takeover; the takeover's share is the difference.
FO_DEAD=${BENCH_DEAD_AFTER_MS:-1000}
: >"$W/fo"
for r in $(seq 1 "$ROUNDS"); do
	# A lab of its own each round: ap1 does not get its address back.
	ROAMLAB_KEEPALIVE_MS=200 ROAMLAB_DEAD_AFTER_MS=$FO_DEAD ROAMLAB_FAILOVER_AFTER_MS=$FO_DEAD \
		lab up --aps 2 --clients 1 --movable >/dev/null
	lab exec server1 -- python3 "$ROOT/bench/udp_gap.py" serve 6100 1000 10 >/dev/null &
	srv=$!
	sleep 0.3
	lab exec client1 -- python3 "$ROOT/bench/udp_gap.py" fetch $SERVER 6100 10 >"$W/fo.json" &
	cli=$!
	sleep 1.5
	lab roam client1 ap2 >/dev/null
	sleep 1.5
	lab backbone ap1 off
	lab kill-daemon ap1
	wait $cli $srv || true
	# A stream that never came back has no gap to show: said so.
	py "
import json
d = json.load(open('$W/fo.json'))
print(max(d['gaps_over_5ms'], default=0) if d['highest_seq'] > 9000 else 'none', d['lost_below_highest'])" >>"$W/fo"
	lab down >/dev/null 2>&1 || true
done
say "## HAM failover (UDP download at 1,000 datagrams/s through the HAM, $ROUNDS rounds, dead_after_ms = failover_after_ms = $FO_DEAD)"
py "
import statistics
rows = [l.split() for l in open('$W/fo') if l.strip()]
if any(r[0] == 'none' for r in rows):
    print('- FAILED: the download did not resume in %d of %d rounds' % (sum(r[0] == 'none' for r in rows), len(rows)))
rows = [r for r in rows if r[0] != 'none'] or [['0', '0']]
gaps = sorted(float(r[0]) for r in rows); lost = sorted(int(r[1]) for r in rows)
print('- longest silence at the client: median %.1f ms, worst %.1f ms (%s)' % (statistics.median(gaps), max(gaps), ', '.join('%.1f' % g for g in gaps)))
print('- of which detection: dead_after_ms, %d ms, counted from the agent\'s last keepalive (up to keepalive_ms, 200 ms, before the cut); the rest, the takeover (move, ham_takeover, address, gratuitous ARP, entries): median %.1f ms' % ($FO_DEAD, statistics.median(gaps) - $FO_DEAD))
print('- datagrams lost per failover: median %d (%s)' % (statistics.median(lost), ', '.join(map(str, lost))))
" | tee -a "$REPORT"
say ""

# --- 5, 6. In a QEMU guest ----------------------------------------------------------
# roamnat.ko and mac80211_hwsim need a kernel that loads modules: Debian's,
# booted under TCG. Each section is one guest boot; its script prints Markdown.
guest_section() { # title script timeout
	say "## $1"
	say ""
	if (cd "$ROOT" && GUEST_TIMEOUT=$3 KVER=$KVER tests/kmod/guest.sh "$2" "$W/guest") >"$W/guest.out" 2>&1; then
		grep -v '^guest_bench:\|^wifi_bench:\|^revoke_bench:\|^policy_bench:\|^guest:' "$W/guest.out" | tee -a "$REPORT"
	else
		say "$2 failed; its output:"
		tail -30 "$W/guest.out" | tee -a "$REPORT"
	fi
	say ""
}
if [ "${BENCH_GUEST:-1}" = 1 ]; then
	KVER=$("$ROOT/tests/kmod/kver.sh")
	make -s -C "$ROOT/kmod" KVER="$KVER" >/dev/null
	guest_section "Data planes side by side (QEMU guest, TCG, Debian $KVER, 2 vCPUs)" bench/guest_bench.sh 2400
	guest_section "Filtering on the nftables back end: 64-byte packets/s under a 100-rule policy (QEMU guest, TCG)" bench/nft_policy_guest_bench.sh 900
	guest_section "Handoff on a real 802.11 reassociation (QEMU guest, TCG, mac80211_hwsim)" bench/wifi_guest_bench.sh 1800
	guest_section "Revocation: one user's traffic stopped (QEMU guest, TCG, mac80211_hwsim)" bench/revoke_guest_bench.sh 900
fi
say "(report kept in ${REPORT#$ROOT/})"
