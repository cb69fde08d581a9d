#!/usr/bin/env bash
# HAM selection (Fig. 9 900/980): with 'port' policy, connections to port
# 5001 anchor at ap3 wherever the client is, others at the client's AP. The
# designated HAM is asked through the coordinator; traffic flows FAM ap1 ->
# server, server -> HAM ap3 -> FAM ap1.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 --ham-policy port --ham-ports "5001:ap3" >/dev/null
make_payload "$WORK/tx.bin" 1000000
lab exec server1 -- socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$WORK/rx.bin",creat,trunc &
srv=$!
lab exec server1 -- socat -u TCP-LISTEN:5002,reuseaddr,fork OPEN:/dev/null &
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5001"
(pv -q -L "$(rate 500k)" "$WORK/tx.bin" | lab exec client1 -- socat -u - TCP:$SERVER:5001) &
cli=$!
(head -c 300000 /dev/zero | pv -q -L "$(rate 100k)" | lab exec client1 -- socat -u - TCP:$SERVER:5002) &
other=$!
wait_for 30 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl connections | grep -c tcp)\" = 2 ]" || fail "connections not registered"
lab ctl connections --json >"$WORK/conns.json"
ham5001=$(json_get '[c["ham"] + " " + c["masquerade"] for c in d if c["server"].endswith(":5001")][0]' <"$WORK/conns.json")
ham5002=$(json_get '[c["ham"] for c in d if c["server"].endswith(":5002")][0]' <"$WORK/conns.json")
[ "${ham5001% *}" = ap3 ] && [ "${ham5001#* }" != "${ham5001#* 10.201.0.103:}" ] || fail "port 5001 anchored at $ham5001, not ap3"
[ "$ham5002" = ap1 ] || fail "port 5002 anchored at $ham5002, not ap1"
ok "port 5001 anchored at the designated HAM ($ham5001), port 5002 locally at ap1"
[ "$(lab ctl clients --json | json_get 'd[0]["aps"][0]')" = ap1 ] || fail "roamctl clients does not place client1 on ap1"
ok "roamctl clients: client1 on ap1, HAMs $(lab ctl clients --json | json_get '",".join(d[0]["hams"])')"
wait "$cli" || fail "transfer failed"
wait "$srv" || fail "server failed"
wait "$other" || fail "second transfer failed"
cmp -s "$WORK/tx.bin" "$WORK/rx.bin" || fail "bytes differ"
[ "$(counter ap3 dp_ham_in_packets)" -gt 0 ] || fail "ap3 relayed nothing"
ok "transfer through the designated HAM intact; ap3 relayed $(counter ap3 dp_ham_in_packets) inbound packets"
