#!/usr/bin/env bash
# Runs inside a QEMU guest (bench/run.sh, via tests/kmod/guest.sh): the
# handoff on a real 802.11 reassociation (mac80211_hwsim, hostapd,
# wpa_supplicant), UDP at RATE datagrams/s each way, in two set-ups measured
# in the same run:
#   floor    two APs bridged on one layer-2 segment with the server, no
#            roamnat: what the reassociation itself costs (the station's
#            address is simply valid on both APs);
#   roamnat  roamlab up --wifi: two routed APs, roamd on roamnat.ko, the
#            station's address a DHCP lease, the server seeing the HAM.
# Then the key handoff on WPA2-Enterprise (roamlab up --wifi --eap), in the
# same run: alice (opportunistic key caching) reassociates on the key
# roamnat handed to the next AP, bob (the target AP's PMKSA cache flushed
# before each roam: a station without key caching) has a full EAP-TTLS
# exchange at every AP; and, with 802.11r (roamlab up --wifi --eap --ft), alice again
# by FT-EAP, her PMK-R1 pulled across the routed APs through roamd's relay.
# For these three: the time from the roam command to the completed
# association, from the association to the port authorized, and the same
# interruptions.
# For each: the interruption per roam (the longest silences, one per roam)
# and datagrams lost per roam, each way; and the time from hostapd's
# AP-STA-CONNECTED at the new AP to the first datagram delivered after the
# roam, each way (the later of the two: all of the station's connections
# carry traffic again). Prints Markdown. TCG emulates the CPU: compare the
# ratio, not the absolutes.
set -euo pipefail
ROOT=$PWD
export ROAMLAB_PREFIX=wb ROAMLAB_DIR=/run/roamlab-wb ROAMNAT_BIN=$ROOT/build ROAMLAB_LOG_LEVEL=warn
export ROAMLAB_BACKEND=kmod
RATE=${BENCH_WIFI_RATE:-1000}
ROAMS=${BENCH_WIFI_ROAMS:-6}
DWELL=${BENCH_WIFI_DWELL:-4} # seconds on each AP between roams
LONGEST=900 # a bound only a hung run reaches: the streams stop when the roams are done
SERVER=10.201.0.10
GAP=$ROOT/bench/udp_gap.py
W=$(mktemp -d)
lab() { "$ROOT/lab/roamlab" "$@"; }
log() { echo "wifi_bench: $*" >&2; }
SSID=roamnat-bench PSK=roamnat-bench-psk

modprobe nf_defrag_ipv4
insmod "$ROOT/kmod/roamnat.ko"
[ -d /sys/module/mac80211_hwsim ] || modprobe mac80211_hwsim radios=8

# Streams both ways between NS_CLIENT and SERVER_ADDR (in NS_SERVER), then
# ROAMS reassociations alternating between BSSID1 and BSSID2 by ROAM_CMD.
# Results in W/NAME.{up,down}.json and W/NAME.roams (roam start times).
measure() { # name server-exec client-exec server-addr roam-cmd wpa-dir bssid1 bssid2
	local name=$1 sx=$2 cx=$3 addr=$4 roam=$5 wpa=$6 b1=$7 b2=$8 i target
	export UDP_GAP_STOP=$W/$name.stop
	$sx python3 "$GAP" recv 6000 "$LONGEST" >"$W/$name.up.json" &
	local rx=$!
	$sx python3 "$GAP" serve 6001 "$RATE" "$LONGEST" >/dev/null &
	local tx=$!
	sleep 1
	$cx python3 "$GAP" send "$addr" 6000 "$RATE" "$LONGEST" >/dev/null &
	$cx python3 "$GAP" fetch "$addr" 6001 "$LONGEST" >"$W/$name.down.json" &
	local fetch=$!
	sleep "$DWELL"
	: >"$W/$name.roams"
	for i in $(seq 1 "$ROAMS"); do
		target=$([ $((i % 2)) = 1 ] && echo "$b2" || echo "$b1")
		# The scan is done before: what is measured is the reassociation.
		scanned "$cx" "$wpa" "$target"
		echo "$(date +%s.%N) $(
			$roam "$target" >/dev/null
			date +%s.%N
		)" >>"$W/$name.roams"
		sleep "$DWELL"
	done
	touch "$UDP_GAP_STOP"
	wait $rx $tx $fetch || true
}

# Until BSSID is in the client's scan results (a fresh scan).
scanned() { # client-exec wpa-dir bssid
	local tries=300
	$1 wpa_cli -p "$2" -i wlan0 scan >/dev/null
	sleep 0.5
	while ! $1 wpa_cli -p "$2" -i wlan0 scan_results | grep -qi "^$3" && [ $tries -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	sleep 1 # the scan's end: no off-channel time inside the measured roam
}

# ---- the floor: one L2 segment, no roamnat ------------------------------------
ns() { echo "wbf-$1"; }
nx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
free_radio() {
	local p
	for p in /sys/class/ieee80211/*; do
		[ "$(basename "$(readlink -f "$p/device/driver")")" = mac80211_hwsim ] && { basename "$p"; return; }
	done
}
take_radio() { # node
	local phy dev
	phy=$(free_radio)
	iw phy "$phy" set netns name "$(ns "$1")"
	dev=$(nx "$1" ls "/sys/class/ieee80211/$phy/device/net" | head -1)
	[ "$dev" = wlan0 ] || nx "$1" ip link set "$dev" name wlan0
}
floor_up() {
	local a
	for n in seg server ap1 ap2 client; do ip netns add "$(ns $n)"; nx $n ip link set lo up; done
	nx seg ip link add br0 type bridge
	nx seg ip link set br0 up
	ip link add eth0 netns "$(ns server)" type veth peer name srv netns "$(ns seg)"
	nx seg ip link set srv master br0 up
	nx server ip addr add 10.203.0.10/24 dev eth0
	nx server ip link set eth0 up
	for a in ap1 ap2; do
		take_radio $a
		nx $a ip link add br0 type bridge
		nx $a ip link set br0 up
		ip link add up0 netns "$(ns $a)" type veth peer name "$a" netns "$(ns seg)"
		nx seg ip link set "$a" master br0 up
		nx $a ip link set up0 master br0 up
		cat >"$W/$a-hostapd.conf" <<EOF
interface=wlan0
bridge=br0
driver=nl80211
ctrl_interface=$W/hostapd-$a
ssid=$SSID
hw_mode=g
channel=1
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=$PSK
EOF
		nx $a hostapd -t -B -P "$W/$a-hostapd.pid" -f "$W/$a-hostapd.log" "$W/$a-hostapd.conf"
	done
	take_radio client
	cat >"$W/wpa.conf" <<EOF
ctrl_interface=$W/wpa
network={
	ssid="$SSID"
	psk="$PSK"
	key_mgmt=WPA-PSK
}
EOF
	nx client wpa_supplicant -B -i wlan0 -c "$W/wpa.conf" -P "$W/wpa.pid"
	nx client ip addr add 10.203.0.50/24 dev wlan0
	wait_completed "nx client wpa_cli -p $W/wpa -i wlan0"
	# As in roamlab: one ARP request for the next hop at each association.
	WPA_EVENT_ARP=10.203.0.10 nx client wpa_cli -p "$W/wpa" -i wlan0 -a "$ROOT/lab/wpa-event" -B -P "$W/wpa-events.pid"
}
floor_down() {
	for f in "$W"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
	sleep 0.5
	for n in seg server ap1 ap2 client; do ip netns del "$(ns $n)" 2>/dev/null || true; done
}
wait_completed() { # wpa_cli command
	local tries=300
	while ! $1 status 2>/dev/null | grep -qx wpa_state=COMPLETED && [ $tries -gt 0 ]; do sleep 0.1; tries=$((tries - 1)); done
}
# wpa_cli roam, then wait for the association to complete at the target.
floor_roam() { # bssid
	local tries=300
	nx client wpa_cli -p "$W/wpa" -i wlan0 roam "$1" >/dev/null
	while ! nx client wpa_cli -p "$W/wpa" -i wlan0 status | tr '\n' ' ' | grep -qi "bssid=$1 .*wpa_state=COMPLETED" &&
		[ $tries -gt 0 ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
}

log "floor: two bridged APs"
floor_up
b1=$(nx ap1 cat /sys/class/net/wlan0/address)
b2=$(nx ap2 cat /sys/class/net/wlan0/address)
measure floor "nx server" "nx client" 10.203.0.10 floor_roam "$W/wpa" "$b1" "$b2"
cat "$W"/ap1-hostapd.log "$W"/ap2-hostapd.log >"$W/floor.hostapd.log"
floor_down

# ---- roamnat: roamlab up --wifi ------------------------------------------------
log "roamnat: two routed APs, roamd on roamnat.ko"
lab up --wifi --aps 2 --clients 1 >/dev/null
rb1=$(lab exec ap1 -- cat /sys/class/net/wlan0/address)
rb2=$(lab exec ap2 -- cat /sys/class/net/wlan0/address)
roamlab_roam() { lab roam client1 "$([ "$1" = "$rb1" ] && echo ap1 || echo ap2)"; } # bssid
measure roamnat "lab exec server1 --" "lab exec client1 --" "$SERVER" roamlab_roam "$ROAMLAB_DIR/wpa/client1" "$rb1" "$rb2"
cat "$ROAMLAB_DIR"/logs/ap1-hostapd.log "$ROAMLAB_DIR"/logs/ap2-hostapd.log >"$W/roamnat.hostapd.log"
sources=$(python3 -c "import json; print(' '.join(json.load(open('$W/roamnat.up.json'))['sources']))")
lab down >/dev/null

# ---- key handoff: roamlab up --wifi --eap -------------------------------------
log "key handoff: WPA2-Enterprise, alice on handed-over keys, bob by full EAP"
lab up --wifi --eap --aps 2 --clients 2 >/dev/null
eb1=$(lab exec ap1 -- cat /sys/class/net/wlan0/address)
eb2=$(lab exec ap2 -- cat /sys/class/net/wlan0/address)
ap_of() { [ "$1" = "$eb1" ] && echo ap1 || echo ap2; } # bssid
pmksa_roam() { lab roam client1 "$(ap_of "$1")"; }
# The target AP forgets its PMKSAs, bob's among them, so his reassociation
# runs EAP there. (Flushing his supplicant's cache instead deauthenticates
# him from the AP he is on, wpa_supplicant 2.10, and the roam is refused.)
full_eap_roam() {
	local ap
	ap=$(ap_of "$1")
	lab exec "$ap" -- hostapd_cli -p "$ROAMLAB_DIR/hostapd/$ap" -i wlan0 pmksa_flush >/dev/null
	lab roam client2 "$ap"
}
inner_logins() { grep -c "Login OK: \[$1\] (from client lab-aps port 0 via TLS tunnel)" "$ROAMLAB_DIR/logs/radius.log" || true; }
measure pmksa "lab exec server1 --" "lab exec client1 --" "$SERVER" pmksa_roam "$ROAMLAB_DIR/wpa/client1" "$eb1" "$eb2"
measure fulleap "lab exec server1 --" "lab exec client2 --" "$SERVER" full_eap_roam "$ROAMLAB_DIR/wpa/client2" "$eb1" "$eb2"
logins="$(inner_logins alice) $(inner_logins bob)"
cat "$ROAMLAB_DIR"/logs/ap1-hostapd.log "$ROAMLAB_DIR"/logs/ap2-hostapd.log >"$W/pmksa.hostapd.log"
cp "$W/pmksa.hostapd.log" "$W/fulleap.hostapd.log"
lab down >/dev/null

# ---- 802.11r: roamlab up --wifi --eap --ft -----------------------------------------
log "802.11r: alice by FT-EAP, her PMK-R1 relayed between the routed APs"
lab up --wifi --eap --ft --aps 2 --clients 1 >/dev/null
fb1=$(lab exec ap1 -- cat /sys/class/net/wlan0/address)
fb2=$(lab exec ap2 -- cat /sys/class/net/wlan0/address)
ft_roam() { lab roam client1 "$([ "$1" = "$fb1" ] && echo ap1 || echo ap2)"; } # bssid
measure ft "lab exec server1 --" "lab exec client1 --" "$SERVER" ft_roam "$ROAMLAB_DIR/wpa/client1" "$fb1" "$fb2"
logins="$logins $(inner_logins alice)"
cat "$ROAMLAB_DIR"/logs/ap1-hostapd.log "$ROAMLAB_DIR"/logs/ap2-hostapd.log >"$W/ft.hostapd.log"
lab down >/dev/null
rmmod roamnat

python3 - "$W" "$ROAMS" "$RATE" "$sources" "$logins" <<'PY'
import json, statistics, sys
w, roams, rate, sources = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
alice_logins, bob_logins, ft_logins = map(int, sys.argv[5].split())

def event_times(path, what):
    """hostapd -t: 'SECONDS.USEC: wlan0: AP-STA-CONNECTED MAC', '... IEEE 802.11: associated'."""
    out = []
    for line in open(path):
        if what in line:
            out.append(float(line.split(":")[0]))
    return sorted(out)

def connected_times(path):
    return event_times(path, "AP-STA-CONNECTED")

def result(name):
    up = json.load(open("%s/%s.up.json" % (w, name)))
    down = json.load(open("%s/%s.down.json" % (w, name)))
    roam_times = [tuple(map(float, x.split())) for x in open("%s/%s.roams" % (w, name))]
    conn = connected_times("%s/%s.hostapd.log" % (w, name))
    r = {}
    for way, d in (("up", up), ("down", down)):
        # Each roam's silence: the longest gap ending between the roam
        # command and a second after it returned.
        g, lost = [], []
        for s, e in roam_times:
            window = [(gap, n) for gap, t, n in zip(d["gaps_over_5ms"], d["gap_ends"], d["gap_lost"]) if s < t <= e + 1]
            if window:
                g.append(max(window)[0])
                lost.append(max(window)[1])
        r[way + "_gap"] = statistics.median(g) if g else float("nan")
        r[way + "_gap_worst"] = max(g) if g else float("nan")
        # The datagrams missing across that silence (sequence numbers skipped).
        r[way + "_lost"] = statistics.median(lost) if lost else float("nan")
        r[way + "_lost_run"] = d["lost_below_highest"]
    # Per roam (from the roam command to its return, when the association
    # is complete, plus a second): hostapd's AP-STA-CONNECTED at the new AP,
    # and the end of that roam's silence each way (the longest gap ending in
    # that time); all connections carry traffic again at the later end.
    first, allc = [], []
    for s, e in roam_times:
        c = next((t for t in conn if s <= t <= e + 1), None)
        if c is None:
            continue
        ends = []
        for d in (up, down):
            window = [(g, t) for g, t in zip(d["gaps_over_5ms"], d["gap_ends"]) if s < t <= e + 1]
            if window:
                ends.append((max(window)[1] - c) * 1000)
        if len(ends) == 2:
            first.append(min(ends))
            allc.append(max(ends))
    r["first_ms"] = statistics.median(first) if first else float("nan")
    r["all_ms"] = statistics.median(allc) if allc else float("nan")
    r["n"] = len(first)
    # At the new AP, from the (re)association to the port authorized
    # (AP-STA-CONNECTED): the 4-way handshake alone, or EAP and then it.
    assoc = event_times("%s/%s.hostapd.log" % (w, name), "IEEE 802.11: associated")
    auth = []
    for s, e in roam_times:
        c = next((t for t in conn if s <= t <= e + 1), None)
        a = max((t for t in assoc if s <= t <= (c or 0)), default=None)
        if c is not None and a is not None:
            auth.append((c - a) * 1000)
    r["auth_ms"] = statistics.median(auth) if auth else float("nan")
    # The roam command to the association completed at the target: for FT
    # its authentication too, with the PMK-R1 pull through the relay.
    r["roam_ms"] = statistics.median([(e - s) * 1000 for s, e in roam_times])
    return r

f, n = result("floor"), result("roamnat")
ratio = lambda a, b: a / b if b else float("nan")
print("| %d reassociations, UDP %d datagrams/s each way | L2-bridged APs, no roamnat (floor) | roamnat, routed APs (roamnat.ko) | ratio |" % (roams, rate))
print("|---|---|---|---|")
for key, label in (("up_gap", "interruption, client -> server (median of per-roam silences, ms)"),
                   ("down_gap", "interruption, server -> client (ms)"),
                   ("up_gap_worst", "worst interruption, client -> server (ms)"),
                   ("down_gap_worst", "worst interruption, server -> client (ms)")):
    print("| %s | %.1f | %.1f | %.2f |" % (label, f[key], n[key], ratio(n[key], f[key])))
for key, label in (("up_lost", "datagrams lost per roam, client -> server (median)"), ("down_lost", "datagrams lost per roam, server -> client (median)")):
    print("| %s | %.1f | %.1f | %.2f |" % (label, f[key], n[key], ratio(n[key], f[key])))
print("| AP-STA-CONNECTED -> first datagram delivered after the roam (median, ms) | %.1f | %.1f | %.2f |" % (f["first_ms"], n["first_ms"], ratio(n["first_ms"], f["first_ms"])))
print("| AP-STA-CONNECTED -> both flows delivering again (median, ms) | %.1f | %.1f | %.2f |" % (f["all_ms"], n["all_ms"], ratio(n["all_ms"], f["all_ms"])))
print()
print("Interruption: each roam's longest silence at the receiver, between the roam command (scan done before) and a second")
print("after the association completed; lost per roam: the datagrams missing across that silence. In the whole run")
print("(the emulated CPU drops datagrams under load too) %d / %d (floor) and %d / %d (roamnat) were lost, up / down."
      % (f["up_lost_run"], f["down_lost_run"], n["up_lost_run"], n["down_lost_run"]))
print("The server saw %s;" % sources)
print("%d (floor) and %d (roamnat) of %d roams matched to hostapd's AP-STA-CONNECTED at the new AP." % (f["n"], n["n"], roams))

k, e, t = result("pmksa"), result("fulleap"), result("ft")
print()
print("Key handoff on WPA2-Enterprise (roamlab up --wifi --eap, and --ft for 802.11r; roamnat.ko), %d reassociations each, UDP %d datagrams/s each way:" % (roams, rate))
print()
print("| | full EAP-TTLS at every AP (bob, no key caching) | key handed over by roamnat (alice, PMKSA/OKC) | 802.11r FT-EAP, PMK-R1 relayed by roamnat (alice) | ratio PMKSA / full | ratio FT / full |")
print("|---|---|---|---|---|---|")
for key, label in (("roam_ms", "roam command -> association completed (median, ms)"),
                   ("auth_ms", "new AP: association -> port authorized (hostapd's log, median, ms)"),
                   ("up_gap", "interruption, client -> server (median, ms)"), ("down_gap", "interruption, server -> client (median, ms)"),
                   ("up_lost", "datagrams lost per roam, client -> server (median)"), ("down_lost", "datagrams lost per roam, server -> client (median)")):
    print("| %s | %.1f | %.1f | %.1f | %.2f | %.2f |" % (label, e[key], k[key], t[key], ratio(k[key], e[key]), ratio(t[key], e[key])))
print("| inner EAP logins at FreeRADIUS, first association included | %d | %d | %d | | |" % (bob_logins, alice_logins, ft_logins))
print()
print("For scale, WPA2-PSK in the roamnat set-up above: %.1f ms from association to port authorized." % n["auth_ms"])
PY
# The raw measurements go to the guest's results directory (RESULTS/wifi-raw of
# tests/kmod/guest.sh), for a closer look.
[ -d /mnt ] && cp -r "$W" /mnt/wifi-raw 2>/dev/null || true
rm -rf "$W"
