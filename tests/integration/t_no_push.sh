#!/usr/bin/env bash
# With FAM push off, the HAM learns the new FAM on demand (Fig. 7 725,
# Fig. 12): inbound packets are held while it asks, then released.
. "$(dirname "$0")/lib.sh"
lab up --aps 2 --clients 1 --no-push >/dev/null
lab exec server1 -- python3 "$ROOT/bench/udp_gap.py" recv 6000 6 >"$WORK/gap.json" &
rx=$!
sleep 0.3
# An echo keeps server->client traffic flowing so the HAM has something to hold.
lab exec server1 -- socat -u TCP-LISTEN:5003,reuseaddr OPEN:/dev/null &
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5003"
lab exec client1 -- python3 "$ROOT/bench/udp_gap.py" send $SERVER 6000 500 5 >/dev/null &
(head -c 1500000 /dev/zero | pv -q -L "$(rate 300k)" | lab exec client1 -- socat -u - TCP:$SERVER:5003) &
cli=$!
sleep 2
lab roam client1 ap2 >/dev/null
wait $rx
wait "$cli" || fail "TCP transfer failed without push"
queries=$(counter ap1 fam_queries)
[ "$queries" -gt 0 ] || fail "the HAM never asked for the FAM"
[ "$(coord_counter fam_updates_pushed)" = "" ] || fail "new FAMs were pushed with push off"
lost=$(json_get 'd["lost_below_highest"]' <"$WORK/gap.json")
[ "$lost" -lt $((250 * SLOW)) ] || fail "$lost datagrams lost"
ok "push off: the HAM asked $queries time(s) (Fig. 12), the TCP transfer completed, $lost datagrams lost in the roam"
