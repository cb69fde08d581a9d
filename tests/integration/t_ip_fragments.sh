#!/usr/bin/env bash
# IP fragments through a HAM and across a roam, at the lab's MTU of 1500
# (nothing here avoids fragmentation): 3,000-byte UDP datagrams, each three
# fragments, client1 -> server1 and server1 -> client1, arrive whole and
# intact (the receiver checks every byte against what its sender put in)
# at ap1 and after a roam to ap2, where the download reaches the client
# through its HAM (ap1 -> ap2); and ping -s 3000 (fragmented echo requests
# and replies) gets replies at ap1 and across the roam. The server sees
# each flow from ap1's masquerade address alone.
. "$(dirname "$0")/lib.sh"
MASQ=10.201.0.101
lab up --aps 2 --clients 1 >/dev/null
[ "$(lab exec client1 -- cat /sys/class/net/eth0/mtu)" -eq 1500 ] || fail "client1's link is not 1500 bytes"
csum_srv=$(csum_errors server1 Udp)
csum_cl=$(csum_errors client1 Udp)
start_udp 5401 50 3000
start_udp_down 5402 50 3000
start_ping server1 -s 3000
flowing 5401 25 "(3,000-byte datagrams up) at ap1"
flowing 5402 25 "(3,000-byte datagrams down) at ap1"
pinging 3 "(-s 3000) at ap1"
ok "3,000-byte datagrams both ways and ping -s 3000 at ap1"

lab roam client1 ap2 >/dev/null
flowing 5401 25 "(3,000-byte datagrams up) after the roam to ap2"
flowing 5402 25 "(3,000-byte datagrams down, through the HAM) after the roam to ap2"
pinging 3 "(-s 3000) after the roam to ap2"
stop_ping
ok "3,000-byte datagrams both ways and ping -s 3000 after the roam to ap2 ($(pings) echo replies in all)"

for port in 5401 5402; do
	finish_udp $port
	what=$([ $port = 5401 ] && echo "up (client -> server)" || echo "down (server -> client)")
	[ "$(json_get 'd["malformed"]' <<<"$JUDGED")" -eq 0 ] ||
		fail "$(json_get 'd["malformed"]' <<<"$JUDGED") datagrams $what arrived truncated or with other bytes than were sent"
	outside=$(json_get 'd["lost_outside"]' <<<"$JUDGED")
	[ "$outside" -eq 0 ] ||
		fail "$outside datagrams $what lost outside the link move (seqs $(json_get 'd["lost_outside_seqs"]' <<<"$JUDGED"))"
	ok "$what: $(json_get 'd["received"]' <<<"$JUDGED") of $(json_get 'd["sent"]' <<<"$JUDGED") 3,000-byte datagrams arrived intact, $(json_get 'd["lost"]' <<<"$JUDGED") lost while the link moved"
	if [ $port = 5401 ]; then
		# The upload's receiver is the server: one source, the masquerade.
		srcs=$(json_get '" ".join(d["sources"])' <<<"$JUDGED")
		[ "$(wc -w <<<"$srcs")" -eq 1 ] && [ "${srcs%:*}" = "$MASQ" ] ||
			fail "the server saw the upload from '$srcs', expected one source at $MASQ"
		ok "the server saw the upload from one source: $srcs"
	fi
done
[ "$(csum_errors server1 Udp)" -eq "$csum_srv" ] && [ "$(csum_errors client1 Udp)" -eq "$csum_cl" ] ||
	fail "UDP checksum errors: server $csum_srv -> $(csum_errors server1 Udp), client $csum_cl -> $(csum_errors client1 Udp)"
ok "no UDP checksum errors at either end"
