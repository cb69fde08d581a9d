#!/usr/bin/env bash
# Real Wi-Fi (roamlab up --wifi: mac80211_hwsim radios, hostapd BSSes with
# WPA2-PSK, a wpa_supplicant client): a TCP upload and a UDP stream go on
# across three reassociations (ap1 -> ap2 -> ap3 -> ap1). Every byte intact,
# one source at the server, the new AP the newest FAM, and each AP's roamd
# hears the association from its hostapd. The client's address is its DHCP
# lease from ap1 (Kea through ap1's relay) and stays at every AP. A station that reassociates
# elsewhere sends its old AP nothing (hostapd there would notice only at its
# inactivity timeout): the coordinator tells the old AP (client_moved), which
# lets go of the client at once. Runs in the QEMU guest
# (tests/kmod/lab_in_guest.sh); this host cannot load hwsim.
. "$(dirname "$0")/lib.sh"
wifi_lab_up --aps 3 --clients 1
ok "client1 associated with ap1 over WPA2-PSK ($(lab exec ap1 -- cat /sys/class/net/wlan0/address)) and leased $(lab address client1) by DHCP"
start_capture server1 "$WORK/server.pcap" "tcp port 5001 or udp port 5002"

start_transfer up 5001 400k
start_udp 5002 50
flowing 5001 50000 "before the first reassociation"
masq=$(lab ctl connections --json | json_get '[c["masquerade"] for c in d if c["proto"] == "tcp"][0]')
wait_for 100 at_least ap1 stations_associated 1 || fail "ap1's roamd does not know the station from hostapd"
ok "the connection is anchored at ap1 as $masq; ap1's roamd has the station from hostapd"

addr=$(lab address client1)
for ap in ap2 ap3 ap1; do
	from=$(cat "$ROAMLAB_DIR/clients/client1")
	assoc=$(counter "$ap" station_associations); assoc=${assoc:-0}
	lab roam client1 "$ap" >/dev/null
	wait_for 100 sh -c "[ \"\$('$ROOT/lab/roamlab' agentctl $ap counters | awk '\$1 == \"station_associations\" {print \$2}')\" -gt $assoc ]" ||
		fail "$ap's roamd missed the association (AP-STA-CONNECTED)"
	# The station told its old AP nothing; the coordinator did (client_moved).
	wait_for 100 sh -c "[ -z \"\$('$ROOT/lab/roamlab' agentctl $from fam | awk 'NR > 1')\" ]" ||
		fail "$from kept FAM records after the station reassociated to $ap: $(lab agentctl "$from" fam)"
	out_from=$(counter "$from" dp_fam_out_packets); out_to=$(counter "$ap" dp_fam_out_packets)
	flowing 5001 50000 "after reassociating to $ap"
	flowing 5002 25 "(UDP) after reassociating to $ap"
	[ "$(counter "$from" dp_fam_out_packets)" -eq "$out_from" ] || fail "$from still rewrote outbound packets after the station left it"
	[ "$(counter "$ap" dp_fam_out_packets)" -gt "$out_to" ] || fail "$ap rewrote no outbound packets: they do not leave straight from it"
	[ "$(lab address client1)" = "$addr" ] || fail "client1's address changed from $addr to $(lab address client1)"
	fams=$(lab ctl connections --json | json_get '[c["fams"][0]["agent"] for c in d if c["proto"] == "tcp"][0]')
	[ "$fams" = "$ap" ] || fail "the newest FAM is $fams, not $ap"
	ok "reassociated $from -> $ap: $ap's hostapd and roamd have the station, $ap is the newest FAM and sends the outbound packets, $from let go of it, the transfer goes on"
done
finish_transfer 5001
ok "$TRANSFERRED bytes intact after 3 reassociations (sha256 ${TRANSFER_SHA:0:16}...)"
finish_udp 5002
lost=$(json_get 'd["lost_outside"]' <<<"$JUDGED")
[ "$lost" -eq 0 ] || fail "$lost datagrams lost outside the reassociations: $JUDGED"
udp_sources=$(json_get '" ".join(d["sources"])' <<<"$JUDGED")
[ "$(wc -w <<<"$udp_sources")" -eq 1 ] || fail "the server saw the UDP stream from more than one source: $udp_sources"
ok "no datagram lost outside the reassociations themselves; the server saw the stream from one source ($udp_sources)"
stop_capture
one_source "$WORK/server.pcap" "tcp dst port 5001" "$masq"
ok "the server saw one source for the transfer: $SOURCE"
for p in Tcp Udp; do
	[ "$(csum_errors server1 $p)" -eq 0 ] || fail "the server counted $(csum_errors server1 $p) $p checksum errors"
done
ok "no TCP or UDP checksum error at the server"
