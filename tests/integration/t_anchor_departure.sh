#!/usr/bin/env bash
# A connection opened after a roam anchors at the new AP (the server sees that
# AP's address), and once the client has left an AP and its connections have
# ended, that AP holds no state for the client: no records, no map entries.
. "$(dirname "$0")/lib.sh"
ROAMLAB_UDP_IDLE=3 lab up --aps 3 --clients 1 >/dev/null

lab roam client1 ap2 >/dev/null
start_transfer up 5002 200k
flowing 5002 20000 "after the roam to ap2"
conn=$(lab ctl connections --json)
read -r ham masq < <(json_get '"%s %s" % (d[0]["ham"], d[0]["masquerade"])' <<<"$conn")
[ "$ham" = ap2 ] || fail "new connection anchored at $ham, not ap2: $conn"
[ "${masq%:*}" = 10.201.0.102 ] || fail "masquerade $masq is not ap2's address"
ok "connection opened on ap2 anchors at ap2 as $masq"
# The same client's UDP flow opened here anchors here too (Fig. 11 path). It
# streams until checked: with a 3 s idle timeout a single datagram's flow
# could expire on a slow machine before anyone looked.
start_udp 5003 50
wait_for 30 sh -c "'$ROOT/lab/roamlab' ctl connections | grep -q 'udp.*:5003.*ap2'" ||
	fail "UDP flow not anchored at ap2: $(lab ctl connections)"
ok "a UDP flow opened on ap2 anchors at ap2 (coordinator made it the HAM)"

lab roam client1 ap3 >/dev/null
wait_for 20 sh -c "[ -z \"\$('$ROOT/lab/roamlab' agentctl ap2 fam | awk 'NR > 1')\" ]" ||
	fail "ap2 kept FAM records after the client left: $(lab agentctl ap2 fam)"
ok "ap2 dropped every FAM record of the departed client"
[ "$(lab agentctl ap2 ham | awk 'NR > 1' | wc -l)" -ge 1 ] || fail "ap2 lost the HAM record of a live connection"
flowing 5002 20000 "after the roam to ap3"
conn=$(lab ctl connections --json)
fam=$(json_get '[c["fams"][0]["agent"] for c in d if c["proto"] == "tcp"]' <<<"$conn")
[ "$fam" = "['ap3']" ] || fail "the tcp connection's newest FAM is $fam, not ap3: $conn"
ok "ap2 stays HAM of the live connection, now relayed to ap3"
finish_transfer 5002
ok "transfer anchored at ap2 completed from ap3 ($TRANSFERRED bytes intact)"
finish_udp 5003 >/dev/null

# The UDP flow ends by idle timeout; the TCP one by FIN. Then ap2 is empty.
wait_for 100 sh -c "[ \"\$('$ROOT/lab/roamlab' agentctl ap2 ham | awk 'NR > 1' | grep -c tcp)\" = 0 ]" ||
	fail "ap2 kept the HAM record after FIN: $(lab agentctl ap2 ham)"
ok "FIN removed the TCP connection from ap2"
wait_for 60 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl connections --json)\" = '[]' ]" ||
	fail "idle UDP flow not expired: $(lab ctl connections)"
[ "$(lab agentctl ap2 ham | awk 'NR > 1' | wc -l)" -eq 0 ] || fail "ap2 kept HAM records: $(lab agentctl ap2 ham)"
[ "$(dp_entries ap2)" -eq 0 ] || fail "ap2's data plane kept $(dp_entries ap2) entries"
ok "the idle UDP flow expired (udp_idle_timeout = 3 s): ap2 holds nothing for the client"
