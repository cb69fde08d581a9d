#!/usr/bin/env bash
# A TCP transfer survives three roams (ap1 -> ap2 -> ap3 -> ap1): every byte
# intact, no reset, no checksum error, one constant source address:port at
# the server (the HAM's), and no triangle: after a roam, outbound packets
# leave from the new AP while only inbound packets pass the HAM. The APs
# masquerade on addresses of their own (masquerade_addresses), not on their
# backbone addresses.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 --movable >/dev/null
start_capture server1 "$WORK/server.pcap" "tcp port 5001"
csum_srv=$(csum_errors server1 Tcp)
csum_cli=$(csum_errors client1 Tcp)

start_transfer up 5001 1200k
flowing 5001 200000 "before the first roam"
masq=$(lab ctl connections --json | json_get 'd[0]["masquerade"]')
ham=$(lab ctl connections --json | json_get 'd[0]["ham"]')
[ "$ham" = ap1 ] || fail "connection anchored at $ham, not ap1"
[ "${masq%:*}" = 10.201.0.201 ] || fail "connection masqueraded as $masq, not on ap1's masquerade address 10.201.0.201"
lab exec ap1 -- ip -4 -o addr show dev eth0 | grep -q ' 10.201.0.201/32 ' ||
	fail "roamd did not put its masquerade address on ap1's backbone link: $(lab exec ap1 -- ip -4 -o addr show dev eth0)"
ok "connection anchored at ap1 as $masq"

lab roam client1 ap2 >/dev/null
# Once ap2 rewrites the client's packets, nothing more reaches ap1 from it.
wait_for 100 at_least ap2 dp_fam_out_packets 10 ||
	fail "ap2 rewrote no outbound packets after the roam (dp_fam_out_packets $(counter ap2 dp_fam_out_packets))"
a1_out=$(counter ap1 dp_fam_out_packets); a1_ham=$(counter ap1 dp_ham_in_packets); a2_out=$(counter ap2 dp_fam_out_packets)
flowing 5001 200000 "at ap2"
a1_out2=$(counter ap1 dp_fam_out_packets); a1_ham2=$(counter ap1 dp_ham_in_packets); a2_out2=$(counter ap2 dp_fam_out_packets)
fams=$(lab ctl connections --json | json_get 'd[0]["fams"][0]["agent"]')
[ "$fams" = ap2 ] || fail "newest FAM is $fams, not ap2"
[ "$a1_out2" -eq "$a1_out" ] || fail "ap1 still rewrote $((a1_out2 - a1_out)) outbound packets after the roam (triangle)"
[ "$a2_out2" -gt "$a2_out" ] || fail "ap2 rewrote no outbound packets while 200000 bytes went ($a2_out -> $a2_out2)"
[ "$a1_ham2" -gt "$a1_ham" ] || fail "the HAM relayed no inbound packets to ap2 while 200000 bytes went ($a1_ham -> $a1_ham2)"
ok "on ap2: $((a2_out2 - a2_out)) outbound packets straight from ap2, ap1 relayed $((a1_ham2 - a1_ham)) inbound, ap1 outbound +0"
[ -z "$(lab agentctl ap1 fam | awk -v c=$CLIENT 'NR > 1 && index($2, c ":") == 1')" ] ||
	fail "ap1 still holds a FAM record for the departed client: $(lab agentctl ap1 fam)"
ok "ap1 dropped its FAM record on departure"

lab roam client1 ap3 >/dev/null
flowing 5001 200000 "at ap3"
lab roam client1 ap1 >/dev/null
flowing 5001 200000 "back at ap1"
finish_transfer 5001
ok "$TRANSFERRED bytes intact after 3 roams (sha256 ${TRANSFER_SHA:0:16}...)"

stop_capture
one_source "$WORK/server.pcap" "tcp dst port 5001" "$masq"
ok "server saw one source: $SOURCE"
rst=$(tcpdump -r "$WORK/server.pcap" -nn 'tcp[tcpflags] & tcp-rst != 0' 2>/dev/null | wc -l)
[ "$rst" -eq 0 ] || fail "$rst TCP resets seen"
[ "$(csum_errors server1 Tcp)" -eq "$csum_srv" ] || fail "server counted TCP checksum errors ($csum_srv -> $(csum_errors server1 Tcp))"
[ "$(csum_errors client1 Tcp)" -eq "$csum_cli" ] || fail "client counted TCP checksum errors ($csum_cli -> $(csum_errors client1 Tcp))"
ok "no reset, no checksum error at either end"

# FIN both ways ends the connection everywhere.
wait_for 80 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl connections --json)\" = '[]' ]" ||
	fail "connection not removed after close: $(lab ctl connections)"
for ap in ap1 ap2 ap3; do
	[ "$(counter $ap fam_records)" -eq 0 ] && [ "$(counter $ap ham_records)" -eq 0 ] ||
		fail "$ap kept records: fam_records $(counter $ap fam_records), ham_records $(counter $ap ham_records)"
	[ "$(dp_entries $ap)" -eq 0 ] || fail "$ap's data plane kept $(dp_entries $ap) entries"
done
ok "after close: coordinator, agents and $ROAMLAB_BACKEND data planes are empty"
