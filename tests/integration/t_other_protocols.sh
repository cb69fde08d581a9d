#!/usr/bin/env bash
# other_protocols = pass: what roamnat cannot translate (here GRE) leaves
# the AP untranslated, with the client's own address, for networks that
# route the clients' subnet; nothing is counted as dropped. (The default,
# drop, is t_icmp_hostile.sh's last check.) TCP, UDP and ping are
# translated as always.
. "$(dirname "$0")/lib.sh"
ROAMLAB_OTHER_PROTOCOLS=pass lab up --aps 2 --clients 1 >/dev/null
other0=$(counter ap1 dp_other_dropped_packets)
start_in server1 grerx python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
s.settimeout(0.2)
open(sys.argv[1] + ".ready", "w").close()
srcs, end = [], time.time() + 20
while time.time() < end and len(srcs) < 3:
    try:
        d, a = s.recvfrom(2048)
        srcs.append(a[0])
    except socket.timeout:
        pass
open(sys.argv[1], "w").write(" ".join(srcs) + "\n")' "$WORK/gre.srcs"
wait_for 100 test -e "$WORK/gre.srcs.ready" || fail "server1's GRE receiver did not start"
lab exec client1 -- python3 -c '
import socket
g = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
for _ in range(3):
    g.sendto(b"\0\0\x08\0" + b"roamnat", ("'"$SERVER"'", 0))' || fail "could not send GRE from client1"
wait_for 250 test -s "$WORK/gre.srcs" || fail "server1's GRE receiver did not finish"
srcs=$(cat "$WORK/gre.srcs")
[ "$srcs" = "$CLIENT $CLIENT $CLIENT" ] ||
	fail "server1 received GRE from '$srcs', expected 3 packets from the client's own address $CLIENT"
other=$(counter ap1 dp_other_dropped_packets)
[ "${other:-x}" = "${other0:-y}" ] || fail "ap1 counted other protocols as dropped ($other0 -> $other) with other_protocols = pass"
ok "with other_protocols = pass, 3 GRE packets reached server1 untranslated, from $CLIENT; none counted as dropped"
lab exec client1 -- ping -n -c 2 -W 2 server1 >/dev/null || fail "ping from client1 failed with other_protocols = pass"
ok "ping is still translated"
