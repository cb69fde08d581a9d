#!/usr/bin/env bash
# A download survives three roams: the client only acknowledges, so the new
# AP must learn its connections when the client arrives (its ARP after
# reassociation), not wait for it to send on them.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 >/dev/null
start_transfer down 5004 800k
flowing 5004 100000 "before the first roam"
for ap in ap2 ap3 ap1; do
	lab roam client1 $ap >/dev/null
	flowing 5004 100000 "after the roam to $ap"
done
finish_transfer 5004
[ "$(counter ap2 arrival_joins)" -ge 1 ] || fail "ap2 did not join the connection on arrival (arrival_joins $(counter ap2 arrival_joins))"
ok "$TRANSFERRED downloaded bytes intact across 3 roams, the download went on at each AP; ap2 joined it on the client's arrival"
