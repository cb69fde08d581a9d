#!/usr/bin/env bash
# Runs inside a QEMU guest (bench/run.sh, via tests/kmod/guest.sh): roamd's
# nftables back end forwarding a 64-byte UDP stream with its client under a
# 100-rule filtering policy (filtering = deny; the 100th rule permits the
# stream, so every rule is looked at for every packet), against the same
# roamd without filtering, in turns on the same AP: TCG's speed drifts
# between measurements by as much as the difference sought. The client is a
# wired 802.1X station (hostapd's wired driver and EAP server on ap1's
# client link, wpa_supplicant's wired driver on the client) whose user the
# coordinator's policies_file puts under the policy. Prints Markdown.
set -euo pipefail
ROOT=$PWD
export ROAMLAB_PREFIX=pb ROAMLAB_DIR=/run/roamlab-pb ROAMNAT_BIN=$ROOT/build ROAMLAB_LOG_LEVEL=info
export ROAMLAB_BACKEND=nftables
SECS=${BENCH_SECONDS:-3}
TURNS=${BENCH_INTERLEAVED_ROUNDS:-5}
SERVER=10.201.0.10 CLIENT=10.202.0.11
W=$(mktemp -d)
log() { echo "policy_bench: $*" >&2; }
. "$ROOT/bench/guest_lib.sh"
modprobe pktgen

{
	echo "policy bench100 default deny"
	for i in $(seq 1 99); do echo "deny in tcp from any to 10.$((100 + i)).0.0/16 80,443,8000-8080"; done
	echo "permit in udp from any to $SERVER 9"
	echo "user bench bench100"
} >"$W/policies"
ROAMLAB_POLICIES=$W/policies lab up --aps 1 --clients 1 >/dev/null
HAPD=$ROAMLAB_DIR/hostapd-bench
mkdir -p "$HAPD"
cat >"$W/hostapd.conf" <<CONF
interface=cl1
driver=wired
ctrl_interface=$HAPD
ieee8021x=1
eapol_version=2
eap_server=1
eap_user_file=$W/eap_users
CONF
echo '"bench" MD5 "bench-secret"' >"$W/eap_users"
cat >"$W/wpa.conf" <<CONF
ctrl_interface=$W/wpa
ap_scan=0
network={
	key_mgmt=IEEE8021X
	eap=MD5
	identity="bench"
	password="bench-secret"
	eapol_flags=0
}
CONF
lab exec ap1 -- hostapd -B -P "$W/hostapd.pid" -f "$W/hostapd.log" "$W/hostapd.conf"
echo "hostapd = $HAPD/cl1" >>"$ROAMLAB_DIR/ap1.conf"
# The radio of the wired lab is a bridge: 802.1X frames must pass it.
lab exec air1 -- ip link set br0 type bridge group_fwd_mask 8
lab exec client1 -- wpa_supplicant -B -D wired -i eth0 -c "$W/wpa.conf" -P "$W/wpa.pid"

in_policy() { lab exec ap1 -- nft list map ip roamnat policy_out 2>/dev/null | grep -q "$CLIENT"; }
has_flow() { lab agentctl ap1 fam | grep -q "$CLIENT:5000"; }
# roamd restarted with filtering MODE; back once the stream's FAM entry
# is in place again (and, filtering, the client under its policy).
roamd_with() { # off|deny
	local tries=100
	sed -i "s/^filtering = .*/filtering = $1/" "$ROAMLAB_DIR/ap1.conf"
	lab restart-daemon ap1 >/dev/null
	while [ $tries -gt 0 ]; do
		prime_udp
		if has_flow && { [ "$1" = off ] || in_policy; }; then return 0; fi
		tries=$((tries - 1))
	done
	log "roamd with filtering = $1 never forwarded the stream; see $ROAMLAB_DIR/logs/ap1.log"
	exit 1
}

declare -A T
for _ in $(seq 1 "$TURNS"); do
	roamd_with off
	T[off]+=" $(pps_up)"
	roamd_with deny
	rules=$(lab exec ap1 -- nft list table ip roamnat | grep -c "8000-8080" || true)
	[ "$rules" -ge 99 ] || { log "the policy chain has $rules of its 99 deny rules"; exit 1; }
	T[policy100]+=" $(pps_up)"
	log "turn: off${T[off]##* } policy100${T[policy100]##* }"
done
# shellcheck disable=SC2086
off=$(median ${T[off]}) pol=$(median ${T[policy100]})
kill "$(cat "$W/hostapd.pid")" "$(cat "$W/wpa.pid")" 2>/dev/null || true
lab down >/dev/null
py "
off, pol = $off, $pol
print('| path | 64-byte UDP pps (median of $TURNS) | ratio to no filtering | the $TURNS turns |')
print('|---|---|---|---|')
print('| roamd on nftables, filtering = off | %d | 1.00 | ${T[off]# } |' % off)
print('| roamd on nftables, client under a 100-rule policy (filtering = deny; the 100th rule permits) | %d | %.2f | ${T[policy100]# } |' % (pol, pol / off if off else float('nan')))
"
rm -rf "$W"
