#!/usr/bin/env bash
# A download survives three roams: the client only acknowledges, so the new
# AP must learn its connections when the client arrives (its ARP after
# reassociation), not wait for it to send on them.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 >/dev/null
make_payload "$WORK/tx.bin" 4000000
(pv -q -L "$(rate 800k)" "$WORK/tx.bin" | lab exec server1 -- socat -u - TCP-LISTEN:5004,reuseaddr) &
srv=$!
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5004"
lab exec client1 -- socat -u TCP:$SERVER:5004 OPEN:"$WORK/rx.bin",creat,trunc &
cli=$!
sleep 1
for ap in ap2 ap3 ap1; do
	lab roam client1 $ap >/dev/null
	sleep 1.2
done
wait "$srv" || fail "server side failed"
wait "$cli" || fail "client side failed"
cmp -s "$WORK/tx.bin" "$WORK/rx.bin" || fail "bytes differ"
[ "$(counter ap2 arrival_joins)" -ge 1 ] || fail "ap2 did not join the connection on arrival"
ok "4000000 downloaded bytes intact across 3 roams; each new AP joined on the client's arrival"
