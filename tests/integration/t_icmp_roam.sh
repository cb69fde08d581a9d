#!/usr/bin/env bash
# ICMP errors across a roam, on both back ends (roamnat.ko translates them
# in the kernel, the nftables back end in roamd on the queued error).
#
# Path MTU discovery: a download anchored at ap1 goes on at ap2, whose client
# link is smaller (1280). ap2's own "fragmentation needed" quotes the packet
# as ap2 delivered it (server -> client); roamnat.ko rewrites the quote to
# server -> masquerade, so the server's socket lowers its segment size and
# the download completes. Without the translation the server ignores the
# error and the download stalls (a PMTU black hole).
#
# The other way: an upload anchored at ap1 goes on at ap2, whose path to the
# server is smaller (1200: below the 1280 the server's segment size now
# fits). ap2 has already written ap1's masquerade source when a packet does
# not fit, so its "fragmentation needed" quotes masquerade -> server, which
# no table at ap2 keys by the masquerade; roamnat.ko matches it with the
# packet it has just translated, roamd with what ap2 sends as that
# masquerade, and either sends it to the client, whose TCP lowers its
# segment size.
# (Sent on to ap1, it would come back from ap2's own address: a martian.)
. "$(dirname "$0")/lib.sh"
lab up --aps 2 --clients 1 >/dev/null
start_transfer down 5004 800k
flowing 5004 100000 "before the roam"
icmp0=$(counter ap2 dp_icmp_packets)
lab roam client1 ap2 >/dev/null
lab exec ap2 -- ip link set cl1 mtu 1280
# Full-sized segments no longer fit: the download goes on only if the server
# learnt the smaller path MTU from ap2's translated error.
flowing 5004 300000 "after the roam to the 1280-byte link"
icmp=$(( $(counter ap2 dp_icmp_packets) - icmp0 ))
[ "$icmp" -gt 0 ] || fail "ap2 translated no ICMP error (did the MTU bite?)"
mtu=$(lab exec server1 -- ip route get 10.201.0.101 | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }')
[ "${mtu:-0}" -eq 1280 ] || fail "the server did not learn the smaller path MTU (route mtu '${mtu:-none}')"
finish_transfer 5004
lab exec ap2 -- ip link set cl1 mtu 1500
ok "$TRANSFERRED bytes intact after a roam to a 1280-byte client link: $icmp ICMP error(s) translated at ap2, the server's path MTU to the masquerade is $mtu"

lab roam client1 ap1 >/dev/null
start_transfer up 5005 800k
flowing 5005 100000 "before the roam"
icmp0=$(counter ap2 dp_icmp_packets)
lab roam client1 ap2 >/dev/null
lab exec ap2 -- ip route add $SERVER/32 dev eth0 mtu lock 1200
flowing 5005 300000 "after the roam to the AP with a 1200-byte path"
icmp=$(( $(counter ap2 dp_icmp_packets) - icmp0 ))
[ "$icmp" -gt 0 ] || fail "ap2 translated no ICMP error of its own (did the route MTU bite?)"
mtu=$(lab exec client1 -- ip route get $SERVER | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }')
[ "${mtu:-0}" -eq 1200 ] || fail "the client did not learn the smaller path MTU (route mtu '${mtu:-none}')"
finish_transfer 5005
ok "$TRANSFERRED bytes uploaded intact after a roam to an AP with a 1200-byte path to the server: $icmp fragmentation-needed error(s) of ap2's own translated to the client; the client's path MTU to the server is $mtu"
