#!/usr/bin/env bash
# Per-user filtering enforced at the AP (Fig. 14 1435/1465, docs/policy.md)
# on the nftables back end (filtering = deny). alice (client1) is under
# staff, which her Filter-Id names: everything to the server network. bob
# (client2) brought his own NAS-Filter-Rules: TCP to server1:5001 and
# nothing else. Each AP asks the coordinator for a station's policy once
# hostapd reported its user, and passes only what that policy permits, both
# ways: bob's upload to 5001 flows, his connection to 5002 and his ping get
# no answer (dropped at ap1, counted), while alice reaches both. alice
# roams to ap2 with an upload open: ap2 asks for her policy as she arrives
# and her upload goes on, its returning ACKs relayed by her HAM (ap1)
# through ap2's policy. Runs in the QEMU guest.
. "$(dirname "$0")/lib.sh"
command -v freeradius >/dev/null || { echo "SKIP: freeradius is not installed (packaging/install-deps.sh)"; exit 77; }
export ROAMLAB_BACKEND=nftables ROAMLAB_FILTERING=deny
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
ok "ap1 asked for both stations' policies: alice ($addr1) under staff, bob ($addr2) under his NAS-Filter-Rules"

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
denied=$(counter ap1 dp_policy_denied_packets)
[ "$(tcp_try client2 5002)" = blocked ] || fail "bob reached server1:5002, which his rules deny"
[ "$(tcp_try client1 5002)" = refused ] || fail "alice's connection to server1:5002 got no answer; staff permits it"
if lab exec client2 -- ping -c 2 -W 1 -q "$SERVER" >/dev/null 2>&1; then fail "bob's ping to server1 was answered; his rules deny it"; fi
lab exec client1 -- ping -c 2 -W $((2 * SLOW)) -q "$SERVER" >/dev/null 2>&1 || fail "alice's ping to server1 got no answer"
[ "$(counter ap1 dp_policy_denied_packets)" -gt "$denied" ] || fail "ap1 counted no packet its policies denied"
ok "bob's upload to 5001 flows, his SYNs to 5002 and his pings are dropped at ap1 ($(counter ap1 dp_policy_denied_packets) packets); alice reaches both"

start_transfer up 5003 100k client1
flowing 5003 20000 "(alice's upload before her roam)"
lab roam client1 ap2 >/dev/null
wait_for 100 bound_as "$mac1" "alice ap2 PMKSA" || fail "alice's binding did not move to ap2: $(lab ctl users)"
wait_for 100 at_least ap2 stations_policed 1 || fail "ap2 gave alice no policy: $(grep -i policy "$ROAMLAB_DIR/logs/ap2.log")"
flowing 5003 20000 "(alice's upload after her roam to ap2)"
finish_transfer 5003
alice_bytes=$TRANSFERRED
lab exec ap2 -- nft list chain ip roamnat policy1_out | grep -q "ip daddr 10.201.0.0/24" ||
	fail "ap2's nftables chain for staff does not read as its rule: $(lab exec ap2 -- nft list chain ip roamnat policy1_out 2>&1)"
ok "alice roamed to ap2, which asked for her policy as she arrived: $alice_bytes bytes of her upload intact; ap2's chain reads as staff's rule"

finish_transfer 5001
ok "bob's upload arrived intact: $TRANSFERRED bytes"
