#!/usr/bin/env bash
# A 1,000 packets/s UDP stream (iperf3) survives three roams: the stream goes
# on after each, the server sees one source address:port and no datagram
# arrives with a bad checksum.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 >/dev/null
start_capture server1 "$WORK/server.pcap" "udp port 5201"
csum_srv=$(csum_errors server1 Udp)
lab exec server1 -- iperf3 -s -1 -J >"$WORK/server.json" 2>/dev/null &
srv=$!
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5201"
lab exec client1 -- iperf3 -c $SERVER -u -b 800k -l 100 -t 8 -J >"$WORK/client.json" &
cli=$!
sleep 2; lab roam client1 ap2 >/dev/null
sleep 2; lab roam client1 ap3 >/dev/null
sleep 2; lab roam client1 ap1 >/dev/null
wait "$cli" || fail "iperf3 client failed"
wait "$srv" || true
stop_capture

sent=$(json_get 'd["end"]["sum"]["packets"]' <"$WORK/client.json")
lost=$(json_get 'd["end"]["sum"]["lost_packets"]' <"$WORK/client.json")
[ "$sent" -gt 7000 ] || fail "only $sent datagrams sent"
# A roam costs the lab's link move plus the handoff: 5 % of 8 s here, more under TCG.
[ "$lost" -lt $((sent * SLOW / 20)) ] || fail "$lost of $sent datagrams lost"
ok "$sent datagrams at ~1000/s across 3 roams, $lost lost"
# Every one-second interval at the server received datagrams: no roam stalled the stream.
empty=$(json_get 'sum(1 for i in d["intervals"][:8] if i["sum"]["packets"] == 0)' <"$WORK/server.json")
[ "$empty" -eq 0 ] || fail "$empty one-second intervals without a datagram"
ok "every one-second interval at the server received datagrams"
srcs=$(sources "$WORK/server.pcap" "udp dst port 5201")
[ "$(echo "$srcs" | wc -l)" -eq 1 ] || fail "server saw several sources: $srcs"
ok "server saw one source: $srcs"
[ "$(csum_errors server1 Udp)" -eq "$csum_srv" ] || fail "UDP checksum errors at the server"
ok "no UDP checksum errors"
