#!/usr/bin/env bash
# Per-user filtering enforced at the AP (Fig. 14 1435/1465, docs/policy.md)
# on both back ends at once: ap1 runs roamnat.ko with filtering = deny, ap2
# nftables with filtering = hold (a station's packets wait for its policy
# instead of being dropped: every one that waited must go on). alice (client1) is under staff, which her Filter-Id names:
# everything to the server network. bob (client2) brought his own
# NAS-Filter-Rules: TCP to server1:5001 and nothing else. Each AP asks the
# coordinator for a station's policy once hostapd reported its user, and
# passes only what that policy permits, both ways: bob's upload to 5001
# flows, his connection to 5002 and his ping get no answer (dropped and
# counted at ap1, then at ap2 after his roam), while alice reaches both.
# alice roams ap1 -> ap2 with an upload open, and back with another one
# opened at ap2: each time the new AP asks for her policy as she arrives
# and her upload goes on, its returning ACKs relayed by her HAM through the
# new AP's policy (module HAM -> nftables FAM, then the other way round).
# Runs in the QEMU guest.
. "$(dirname "$0")/lib.sh"
command -v freeradius >/dev/null || { echo "SKIP: freeradius is not installed (packaging/install-deps.sh)"; exit 77; }
[ -e /sys/module/roamnat ] || { echo "SKIP: roamnat.ko is not loaded (the QEMU guest loads it: tests/kmod/run.sh)"; exit 77; }
# The stall below lasts as long as the machine takes to see alice's packets
# queued: the hold time must not be what decides the verdict.
export ROAMLAB_BACKENDS="kmod nftables" ROAMLAB_FILTERING="deny hold" ROAMLAB_MISS_HOLD_MS=$((5000 * SLOW))
wifi_lab_up --eap --aps 2 --clients 2
mac1=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
mac2=$(lab exec client2 -- cat /sys/class/net/wlan0/address)
AP1_LOG=$ROAMLAB_DIR/logs/ap1.log

wait_for 100 bound_as "$mac1" "alice ap1 PEAP" || fail "the coordinator has no alice for $mac1: $(lab ctl users)"
wait_for 100 bound_as "$mac2" "bob ap1 TTLS" || fail "the coordinator has no bob for $mac2: $(lab ctl users)"
wait_for 100 at_least ap1 stations_policed 2 ||
	fail "ap1 gives $(counter ap1 stations_policed) station(s) a policy, not 2: $(grep -i policy "$AP1_LOG")"
addr1=$(lab address client1) addr2=$(lab address client2)
for want in "station $mac1 (user=alice) under policy staff (Filter-Id)" \
	"station $mac1 (user=alice): policy staff enforced for $addr1" \
	"station $mac2 (user=bob) under policy radius:bob (NAS-Filter-Rule)" \
	"station $mac2 (user=bob): policy radius:bob enforced for $addr2"; do
	grep -qF "audit: $want" "$AP1_LOG" || fail "ap1 did not log '$want': $(grep -i policy "$AP1_LOG")"
done
[ "$(counter ap1 policies_installed)" -eq 2 ] || fail "ap1 installed $(counter ap1 policies_installed) policies, not 2"
lab exec ap1 -- "$ROAMNAT_BIN/roamnat-kmodctl" get-config | grep -q 'filtering deny policies 2 clients 2 ' ||
	fail "roamnat.ko on ap1 does not hold 2 policies for 2 clients: $(lab exec ap1 -- "$ROAMNAT_BIN/roamnat-kmodctl" get-config 2>&1)"
ok "ap1 asked for both stations' policies: alice ($addr1) under staff, bob ($addr2) under his NAS-Filter-Rules; roamnat.ko holds both"

# A TCP connection attempt: "connected" or "refused" (the server answered:
# the policy let it through), "blocked" (no answer within 3 s, scaled by
# the machine's slowdown: a permitted first SYN waits for the coordinator).
tcp_try() { # client port
	lab exec "$1" -- python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(float(sys.argv[3]))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError:
    print("blocked")' "$SERVER" "$2" "$((3 * SLOW))"
}

start_transfer up 5001 100k client2
flowing 5001 20000 "(bob's upload to the port his rules permit)"
# bob is denied what his rules do not permit, alice is not; both at AP.
check_denials() { # ap
	local denied
	denied=$(counter "$1" dp_policy_denied_packets)
	[ "$(tcp_try client2 5002)" = blocked ] || fail "bob reached server1:5002 through $1, which his rules deny"
	[ "$(tcp_try client1 5002)" = refused ] || fail "alice's connection to server1:5002 through $1 got no answer; staff permits it"
	if lab exec client2 -- ping -c 2 -W 1 -q "$SERVER" >/dev/null 2>&1; then fail "bob's ping to server1 through $1 was answered; his rules deny it"; fi
	lab exec client1 -- ping -c 2 -W $((2 * SLOW)) -q "$SERVER" >/dev/null 2>&1 || fail "alice's ping to server1 through $1 got no answer"
	[ "$(counter "$1" dp_policy_denied_packets)" -gt "$denied" ] || fail "$1 counted no packet its policies denied"
}
check_denials ap1
ok "bob's upload to 5001 flows, his SYNs to 5002 and his pings are dropped by roamnat.ko at ap1 ($(counter ap1 dp_policy_denied_packets) packets); alice reaches both"

# CLIENT (MAC, USER) roams to AP: its binding moves there (METHOD, a glob)
# and AP then polices POLICED stations, the newcomer included.
roam_policed() { # client mac user ap method policed
	lab roam "$1" "$4" >/dev/null
	policed_at "$@"
}
policed_at() { # client mac user ap method policed
	wait_for 100 bound_as "$2" "$3 $4 $5" || fail "$3's binding did not move to $4: $(lab ctl users)"
	wait_for 100 at_least "$4" stations_policed "$6" ||
		fail "$4 gave $3 no policy: $(grep -i policy "$ROAMLAB_DIR/logs/$4.log")"
}

start_transfer up 5003 100k client1
flowing 5003 20000 "(alice's upload before her roam)"
# ap2 holds (filtering = hold): with the coordinator stalled, alice
# reassociates on the PMKSA it handed ap2 before, and what she sends waits
# at ap2 for her policy instead of being dropped; it goes on once the
# coordinator answers, within the hold time (miss_hold_ms, set above).
coord_pid=$(cat "$ROAMLAB_DIR/pids/coordinator")
held_before=$(counter ap2 dp_policy_held_packets)
held_at_ap2() { [ "$(counter ap2 dp_policy_held_packets)" -gt "$held_before" ]; }
kill -STOP "$coord_pid"
lab roam client1 ap2 >/dev/null || { kill -CONT "$coord_pid"; fail "alice did not roam to ap2"; }
wait_for 100 held_at_ap2 || { kill -CONT "$coord_pid"; fail "ap2 held none of alice's packets while the coordinator was stalled"; }
kill -CONT "$coord_pid"
policed_at client1 "$mac1" alice ap2 PMKSA 1
flowing 5003 20000 "(alice's upload after her roam to ap2)"
finish_transfer 5003
alice_bytes=$TRANSFERRED
lab exec ap2 -- nft list chain ip roamnat policy1_out | grep -q "ip daddr 10.201.0.0/24" ||
	fail "ap2's nftables chain for staff does not read as its rule: $(lab exec ap2 -- nft list chain ip roamnat policy1_out 2>&1)"
ok "alice roamed to ap2, which asked for her policy as she arrived: $alice_bytes bytes of her upload intact; ap2's chain reads as staff's rule"

# bob's supplicant has no opportunistic key caching: a full EAP at ap2.
roam_policed client2 "$mac2" bob ap2 TTLS 2
flowing 5001 20000 "(bob's upload after his roam to ap2)"
check_denials ap2
ok "at ap2 (nftables) too: bob's upload goes on, his SYNs to 5002 and his pings are dropped ($(counter ap2 dp_policy_denied_packets) packets); alice reaches both"

start_transfer up 5004 100k client1
flowing 5004 20000 "(alice's upload opened at ap2)"
# Back on ap1's own PMKSA for her: still alice (hostapd's cached identity
# is not taken as it prints, docs/operations.md "Users (802.1X)").
roam_policed client1 "$mac1" alice ap1 "*" 1
flowing 5004 20000 "(alice's upload after her roam back to ap1)"
finish_transfer 5004
ok "alice roamed back to ap1, still alice under staff, with an upload anchored at ap2: $TRANSFERRED bytes intact, ACKs relayed through roamnat.ko's policy"

finish_transfer 5001
ok "bob's upload arrived intact across his roam: $TRANSFERRED bytes"

# What waited at ap2 for a policy went on under it: none was dropped.
released=$(counter ap2 policy_hold_released) dropped=$(counter ap2 policy_hold_dropped)
[ "${released:-0}" -gt 0 ] || fail "ap2 (filtering = hold) released no packet that waited for a policy: $(lab agentctl ap2 counters | grep policy)"
[ "${dropped:-0}" -eq 0 ] || fail "ap2 dropped $dropped packet(s) that waited for a policy: $(grep -i 'waited for its policy' "$ROAMLAB_DIR/logs/ap2.log")"
[ "$(counter ap2 dp_policy_held_packets)" -ge "$released" ] ||
	fail "ap2's chains queued $(counter ap2 dp_policy_held_packets) packet(s), fewer than roamd released ($released)"
ok "ap2 (filtering = hold) let $released packet(s) that arrived before their station's policy wait and go on under it, none dropped"
