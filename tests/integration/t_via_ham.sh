#!/usr/bin/env bash
# outbound = via-ham: after a roam, outbound packets go FAM -> HAM -> server
# (NAT both ways, no encapsulation); the transfer stays intact and the server
# still sees one source. A ping roams the same way (its echo requests carry
# the identifier on the FAM's side only).
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 --outbound via-ham >/dev/null
start_capture server1 "$WORK/server.pcap" "tcp port 5001"
start_transfer up 5001 1000k
flowing 5001 100000 "before the first roam"
start_ping server1
pinging 3 "at ap1"
lab roam client1 ap2 >/dev/null
flowing 5001 200000 "at ap2"
pinging 3 "at ap2, via the HAM"
via=$(counter ap2 dp_fam_out_via_packets); direct=$(counter ap2 dp_fam_out_packets)
rev=$(counter ap1 dp_ham_rev_packets)
[ "$via" -gt 0 ] && [ "$direct" -eq 0 ] || fail "ap2 sent $direct direct and $via via-HAM outbound packets"
[ "$rev" -gt 0 ] || fail "the HAM translated no outbound packets"
ok "on ap2: $via outbound packets sent via the HAM, which forwarded $rev to the server"
stop_ping
ok "ping went on at ap2 via the HAM: $(pings) echo replies"
lab roam client1 ap3 >/dev/null
flowing 5001 100000 "at ap3"
lab roam client1 ap1 >/dev/null
flowing 5001 100000 "back at ap1"
finish_transfer 5001
ok "$TRANSFERRED bytes intact across 3 roams"
stop_capture
one_source "$WORK/server.pcap" "tcp dst port 5001"
ok "server saw one source: $SOURCE"
