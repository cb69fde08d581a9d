#!/usr/bin/env bash
# Stations and their addresses on real Wi-Fi (roamlab up --wifi): client1
# leases its address by DHCP through ap1's relay; roamd on ap1 sees the
# acknowledged lease and the coordinator binds the station's MAC to it. A
# client that only receives (a UDP download it asked for once) then roams
# silently to ap2: nothing but hostapd's AP-STA-CONNECTED tells ap2, which
# asks the coordinator for the station by its MAC and joins the download
# before the client sends a byte. A renewal at ap2 goes through ap2's relay
# and keeps the lease; a connection opened at ap2 anchors there. client2 is
# configured by hand: its association names a MAC no lease explains, which
# is logged and counted and changes nothing. Runs in the QEMU guest.
. "$(dirname "$0")/lib.sh"
wifi_lab_up --aps 2 --clients 2 --static client2
mac=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
addr=$(lab address client1)
lease=$(lab leases | awk -v a="$addr" '$1 == a')
[ "$(awk '{print $2}' <<<"$lease")" = "$mac" ] || fail "the DHCP server has no lease of $addr for $mac: $(lab leases)"
wait_for 100 at_least ap1 dhcp_acks 1 || fail "ap1's roamd did not see the DHCPACK its relay sent"
coord_has_station() { [ "$(coord_counter stations)" -ge 1 ] 2>/dev/null; }
wait_for 100 coord_has_station || fail "the coordinator holds no station binding: $(lab ctl counters)"
ok "client1 ($mac) leased $addr through ap1's relay; ap1's roamd saw the ACK and the coordinator bound the station"

start_udp_down 5003 50
assoc=$(counter ap2 station_associations); assoc=${assoc:-0}
lab roam --silent client1 ap2 >/dev/null
wait_for 100 at_least ap2 station_associations $((assoc + 1)) || fail "ap2's roamd missed the association"
wait_for 100 at_least ap2 arrival_joins 1 ||
	fail "ap2 did not join the download on the station event (station_lookups $(counter ap2 station_lookups), arrival_joins $(counter ap2 arrival_joins))"
flowing 5003 25 "(the download) after the silent roam to ap2"
[ "$(coord_counter arrivals_by_station)" -ge 1 ] || fail "the coordinator resolved no station by its MAC"
[ "$(lab address client1)" = "$addr" ] || fail "client1's address changed to $(lab address client1)"
ok "a download the client never spoke on again went on after a silent roam: ap2 learned $addr from the coordinator by the station's MAC and joined it"
finish_udp 5003
lost=$(json_get 'd["lost_outside"]' <<<"$JUDGED")
[ "$lost" -eq 0 ] || fail "$lost datagrams of the download lost outside the reassociation: $JUDGED"
ok "no datagram of the download lost outside the reassociation"

acks=$(counter ap2 dhcp_acks); acks=${acks:-0}
allocs() { grep -c "DHCP4_LEASE_ALLOC.*$mac.*lease $addr " "$ROAMLAB_DIR/logs/dhcp.log" || true; }
before=$(allocs)
lab renew client1 >/dev/null
wait_for 100 at_least ap2 dhcp_acks $((acks + 1)) || fail "the renewal's ACK did not leave through ap2"
[ "$(lab address client1)" = "$addr" ] || fail "the renewal at ap2 changed client1's address to $(lab address client1)"
[ "$(lab leases | awk -v m="$mac" '$2 == m' | wc -l)" -eq 1 ] || fail "client1 has more than one lease: $(lab leases)"
[ "$(allocs)" -gt "$before" ] || fail "Kea's log does not show the renewal of $addr"
ok "a renewal at ap2 went through ap2's relay and kept $addr (one lease for $mac)"

start_transfer up 5001 200k
flowing 5001 20000 "(a new connection at ap2)"
ham=$(lab ctl connections --json | json_get '[c["ham"] for c in d if c["proto"] == "tcp"][0]')
[ "$ham" = ap2 ] || fail "a connection opened at ap2 is anchored at $ham"
finish_transfer 5001
ok "a connection opened after the roam is anchored at ap2 ($TRANSFERRED bytes intact)"

wait_for 100 at_least ap1 station_lookups_unknown 1 ||
	fail "client2's association (no lease anywhere) was not looked up and found unknown at ap1"
grep -q "no AP has seen its DHCP lease" "$ROAMLAB_DIR/logs/ap1.log" || fail "ap1's log does not explain the unknown station"
ok "client2, set up by hand, associated with a MAC no lease explains: ap1 logged and counted it"
