#!/usr/bin/env bash
# Runs inside a QEMU guest (bench/run.sh, via tests/kmod/guest.sh): how soon
# one user's traffic stops when the network cuts it off, on WPA2-Enterprise
# (roamlab up --wifi --eap, two APs, roamd on roamnat.ko). alice (client1)
# streams UDP to the server at RATE datagrams/s; each round cuts her off
# twice, measured in the same run:
#   baseline  the AP she is on deauthenticates her itself (hostapd_cli
#             deauthenticate, on the AP): the least a cut can cost;
#   revoke    roamctl revoke alice at the coordinator: her keys withdrawn at
#             every AP, her station deauthenticated where it is.
# For each: from the command's start to the last datagram of hers the server
# received before the silence; for revoke also roamctl's report of when
# every AP had confirmed. Between rounds she is let back (reinstated; a
# full EAP exchange). Prints Markdown; TCG: compare the ratio.
set -euo pipefail
ROOT=$PWD
export ROAMLAB_PREFIX=wr ROAMLAB_DIR=/run/roamlab-wr ROAMNAT_BIN=$ROOT/build ROAMLAB_LOG_LEVEL=warn
export ROAMLAB_BACKEND=kmod
RATE=${BENCH_REVOKE_RATE:-500}
ROUNDS=${BENCH_REVOKE_ROUNDS:-5}
SERVER=10.201.0.10
GAP=$ROOT/bench/udp_gap.py
W=$(mktemp -d)
lab() { "$ROOT/lab/roamlab" "$@"; }
log() { echo "revoke_bench: $*" >&2; }
wpa() { lab exec client1 -- wpa_cli -p "$ROAMLAB_DIR/wpa/client1" -i wlan0 "$@"; }
on_air() { wpa status | grep -q '^wpa_state=COMPLETED'; }
# Bounded: 60 s is far beyond a reassociation, even a full EAP under TCG.
until_on_air() { local i; for i in $(seq 600); do on_air && return 0; sleep 0.1; done; log "client1 did not get back on"; return 1; }

modprobe nf_defrag_ipv4
insmod "$ROOT/kmod/roamnat.ko"
[ -d /sys/module/mac80211_hwsim ] || modprobe mac80211_hwsim radios=8
log "revocation: WPA2-Enterprise, alice cut off $ROUNDS times each way"
lab up --wifi --eap --aps 2 --clients 1 >/dev/null
mac=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
export UDP_GAP_STOP=$W/stop
lab exec server1 -- python3 "$GAP" recv 6000 900 >"$W/up.json" &
rx=$!
sleep 1
lab exec client1 -- python3 "$GAP" send "$SERVER" 6000 "$RATE" 900 >/dev/null &
sleep 3
: >"$W/cuts"
for i in $(seq 1 "$ROUNDS"); do
	bssid=$(wpa status | sed -n 's/^bssid=//p')
	ap=ap1
	[ "$bssid" = "$(lab exec ap2 -- cat /sys/class/net/wlan0/address)" ] && ap=ap2
	t0=$(date +%s.%N)
	lab exec "$ap" -- hostapd_cli -p "$ROAMLAB_DIR/hostapd/$ap" -i wlan0 deauthenticate "$mac" >/dev/null
	echo "baseline $t0 -" >>"$W/cuts"
	sleep 1
	until_on_air
	sleep 3
	t0=$(date +%s.%N)
	out=$(lab ctl revoke alice)
	echo "revoke $t0 $(sed -n 's/.* confirmed in \([0-9]*\) ms.*/\1/p' <<<"$out")" >>"$W/cuts"
	sleep 3
	lab ctl reinstate alice >/dev/null
	wpa bssid_ignore clear >/dev/null 2>&1 || wpa blacklist clear >/dev/null
	wpa enable_network 0 >/dev/null
	wpa reassociate >/dev/null
	until_on_air
	sleep 3
done
touch "$UDP_GAP_STOP"
wait $rx || true
lab down >/dev/null
rmmod roamnat

python3 - "$W" "$RATE" <<'PY'
import json, statistics, sys
w, rate = sys.argv[1], int(sys.argv[2])
d = json.load(open(w + "/up.json"))
gaps = list(zip(d["gaps_over_5ms"], d["gap_ends"]))
stops = {"baseline": [], "revoke": []}
confirm = []
cuts = [line.split() for line in open(w + "/cuts")]
for i, (kind, t0, conf) in enumerate(cuts):
    t0 = float(t0)
    until = float(cuts[i + 1][1]) if i + 1 < len(cuts) else float("inf")
    # The cut's silence: the longest one ending after the command and
    # before the next cut's.
    window = [(g, end) for g, end in gaps if t0 < end <= until]
    if not window:
        continue
    g, end = max(window)
    stops[kind].append((end - g / 1000 - t0) * 1000)
    if conf != "-":
        confirm.append(float(conf))
med = lambda v: statistics.median(v) if v else float("nan")
b, r = med(stops["baseline"]), med(stops["revoke"])
print("| UDP %d datagrams/s from alice, %d cuts each | the AP deauthenticates her (hostapd_cli, baseline) | roamctl revoke alice (roamnat) | ratio |" % (rate, len(stops["revoke"])))
print("|---|---|---|---|")
print("| command -> her last datagram at the server (median, ms) | %.1f | %.1f | %.2f |" % (b, r, r / b if b else float("nan")))
print("| the same, worst (ms) | %.1f | %.1f | |" % (max(stops["baseline"], default=float("nan")), max(stops["revoke"], default=float("nan"))))
print("| every AP confirmed the withdrawal (roamctl's report, median, ms) | | %.1f | |" % med(confirm))
PY
[ -d /mnt ] && cp -r "$W" /mnt/revoke-raw 2>/dev/null || true
rm -rf "$W"
