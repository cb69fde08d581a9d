#!/usr/bin/env bash
# Hostile ICMP at a masquerade address. While client1 has a UDP flow
# anchored at ap1 (so real masquerade ports exist there), server1 sends
# hand-built ICMP from a raw socket to ap1's masquerade address 10.201.0.101:
#  (i)   port unreachables quoting a UDP packet 10.201.0.101:45000 -> server
#        that no connection has;
#  (ii)  errors quoting the real flow whose quote is malformed: an IPv4
#        header that claims 60 bytes (IHL 15) in a 28-byte quote, and a quote
#        with only 4 of the UDP header's 8 bytes;
#  (iii) echo replies whose identifiers lie in the masquerade range
#        (40000-59999) though no ping uses them, one of them the UDP flow's
#        own masquerade port.
# client1 receives none of them (a raw ICMP socket there counts everything
# it gets); ap1 counts (i) and (iii) as unknown and (ii) as malformed. Then
# (iv): the server's receiver stops, server1's kernel answers the flow's
# datagrams with port unreachables, and those, quoting the real flow, reach
# client1 translated: its connected UDP socket gets ECONNREFUSED, and ap1
# counts them as ICMP errors translated.
. "$(dirname "$0")/lib.sh"
MASQ=10.201.0.101
PORT=5301
lab up --aps 2 --clients 1 >/dev/null

start_in server1 udprx python3 "$FLOW" udp-recv --listen $PORT --until "$WORK/udprx.stop" --log "$WORK/udprx.log" \
	--progress "$WORK/$PORT.progress"
listening $PORT udp
lab exec client1 -- python3 "$FLOW" udp-send "$SERVER:$PORT" --connected --refused "$WORK/refused" --rate 50 \
	--until "$WORK/udptx.stop" --log "$WORK/udptx.log" >"$WORK/udptx.json" 2>"$WORK/udptx.err" &
SENDER=$!
flowing $PORT 10 "(the client's UDP flow)"
conn=$(lab ctl connections --json)
sel="[c for c in d if c['proto'] == 'udp' and c['server'] == '$SERVER:$PORT']"
[ "$(json_get "len($sel)" <<<"$conn")" -eq 1 ] || fail "expected one UDP connection to $SERVER:$PORT at the coordinator: $conn"
MPORT=$(json_get "${sel}[0]['masquerade'].split(':')[1]" <<<"$conn")
CPORT=$(json_get "${sel}[0]['client'].split(':')[1]" <<<"$conn")
[ "$(json_get "${sel}[0]['masquerade'].split(':')[0]" <<<"$conn")" = $MASQ ] || fail "the flow is not anchored at ap1: $conn"
ok "client1's flow $CLIENT:$CPORT -> $SERVER:$PORT is masqueraded as $MASQ:$MPORT at ap1"

FAKE=45000
[ $FAKE -ne "$MPORT" ] || FAKE=45001
val() { local v; v=$(counter ap1 "$1"); echo "${v:-missing}"; }
unknown0=$(val dp_unknown_dropped_packets)
malformed0=$(val dp_malformed_dropped_packets)
icmp0=$(val dp_icmp_packets)
start_sniff client1
forge() { lab exec server1 -- python3 "$FLOW" icmp-forge --to $MASQ --count 3 "$@" >/dev/null || fail "icmp-forge $*"; }
forge --port-unreachable "$MASQ:$FAKE,$SERVER:$PORT"                           # (i): 3
forge --port-unreachable "$MASQ:$MPORT,$SERVER:$PORT" --quote-ihl 15            # (ii): 3
forge --port-unreachable "$MASQ:$MPORT,$SERVER:$PORT" --quote-transport-bytes 4 # (ii): 3
forge --echo-reply "40000,$FAKE,59999,$MPORT"                                   # (iii): 12
hostile_unknown=15 hostile_malformed=6

# (iv) The real thing: with nothing listening on the port, server1's kernel
# answers each datagram with a port unreachable quoting masquerade -> server.
stop_in udprx
wait_for 200 test -s "$WORK/refused" ||
	fail "client1's connected UDP socket got no ECONNREFUSED within $((20 * SLOW)) s: the server's port unreachable did not reach it translated"
ok "server1's own port unreachable reached client1 translated: its connected socket got ECONNREFUSED ($(cat "$WORK/refused") so far)"
# Proving an absence: a forged message a data plane held back (queued as a
# miss) would have had this long to arrive too.
sleep 1
stop_sniff
touch "$WORK/udptx.stop"
wait $SENDER || fail "the UDP sender failed: $(cat "$WORK/udptx.err")"

quote="udp $CLIENT:$CPORT>$SERVER:$PORT"
others=$(json_get "[p for p in d['first'] if not (p['type'] == 3 and p['code'] == 3 and p['src'] == '$SERVER' and p.get('quote') == '$quote')]" <<<"$SNIFFED")
[ "$others" = "[]" ] || fail "client1 received ICMP it must not have: $others (all it received, by TYPE/CODE: $(json_get 'd["by_kind"]' <<<"$SNIFFED"))"
real=$(json_get 'd["packets"]' <<<"$SNIFFED")
[ "$real" -ge 1 ] || fail "client1's raw socket saw no port unreachable quoting its flow ($quote)"
ok "client1 received none of the $((hostile_unknown + hostile_malformed)) forged messages; only $real port unreachable(s) quoting its own flow ($quote)"

unknown=$(val dp_unknown_dropped_packets)
malformed=$(val dp_malformed_dropped_packets)
icmp=$(val dp_icmp_packets)
for c in unknown malformed icmp; do
	[ "${!c}" != missing ] || fail "ap1 reports no counter dp_${c}$([ $c = icmp ] || echo _dropped)_packets"
done
[ $((unknown - unknown0)) -ge $hostile_unknown ] ||
	fail "ap1's dp_unknown_dropped_packets rose by $((unknown - unknown0)) ($unknown0 -> $unknown), expected at least $hostile_unknown: the (i) and (iii) packets"
[ $((malformed - malformed0)) -ge $hostile_malformed ] ||
	fail "ap1's dp_malformed_dropped_packets rose by $((malformed - malformed0)) ($malformed0 -> $malformed), expected at least $hostile_malformed: the (ii) packets"
[ $((icmp - icmp0)) -ge 1 ] || fail "ap1's dp_icmp_packets did not rise ($icmp0 -> $icmp): it translated no ICMP error"
ok "ap1 counted $((unknown - unknown0)) unknown (>= $hostile_unknown forged), $((malformed - malformed0)) malformed (>= $hostile_malformed forged) and $((icmp - icmp0)) ICMP error(s) translated"

# Other IP protocols (GRE) and ICMP roamnat does not translate (timestamp
# requests) from a client: dropped at its AP and counted (other_protocols =
# drop, the default), never forwarded with the client's own address.
other0=$(val dp_other_dropped_packets)
start_in server1 grerx python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
s.settimeout(0.2)
open(sys.argv[1] + ".ready", "w").close()
got, end = 0, time.time() + 3
while time.time() < end:
    try:
        s.recv(2048)
        got += 1
    except socket.timeout:
        pass
open(sys.argv[1], "w").write(str(got))' "$WORK/gre.count"
wait_for 100 test -e "$WORK/gre.count.ready" || fail "server1's GRE receiver did not start"
lab exec client1 -- python3 -c '
import socket
g = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
t = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
stamp = bytes([13, 0, 0xf2, 0xfd, 0, 1, 0, 1]) + bytes(12) # checksum precomputed
for _ in range(3):
    g.sendto(b"\0\0\x08\0" + b"roamnat", ("'"$SERVER"'", 0))
    t.sendto(stamp, ("'"$SERVER"'", 0))' || fail "could not send GRE and timestamp requests from client1"
wait_for 100 test -s "$WORK/gre.count" || fail "server1's GRE receiver did not finish"
[ "$(cat "$WORK/gre.count")" -eq 0 ] || fail "server1 received $(cat "$WORK/gre.count") GRE packet(s) from client1: other protocols must be dropped at the AP"
other=$(val dp_other_dropped_packets)
[ "$other0" != missing ] && [ "$other" != missing ] || fail "ap1 reports no counter dp_other_dropped_packets"
[ $((other - other0)) -ge 6 ] ||
	fail "ap1's dp_other_dropped_packets rose by $((other - other0)) ($other0 -> $other), expected at least 6 (3 GRE, 3 timestamp requests)"
ok "3 GRE packets and 3 ICMP timestamp requests from client1 were dropped at ap1 and counted ($((other - other0))); server1 received none"
