#!/usr/bin/env bash
# A download survives three roams: the client only acknowledges, so the new
# AP must learn its connections when the client arrives (its ARP after
# reassociation), not wait for it to send on them.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 >/dev/null
make_payload "$WORK/tx.bin" 4000000
start_download 5004 800k
sleep 1
for ap in ap2 ap3 ap1; do
	lab roam client1 $ap >/dev/null
	sleep 1.2
done
finish_download
[ "$(counter ap2 arrival_joins)" -ge 1 ] || fail "ap2 did not join the connection on arrival"
ok "4000000 downloaded bytes intact across 3 roams; each new AP joined on the client's arrival"
