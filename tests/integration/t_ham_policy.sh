#!/usr/bin/env bash
# HAM selection (Fig. 9 900/980): with 'port' policy, connections to port
# 5001 anchor at ap3 wherever the client is, others at the client's AP. The
# designated HAM is asked through the coordinator; traffic flows FAM ap1 ->
# server, server -> HAM ap3 -> FAM ap1.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 --ham-policy port --ham-ports "5001:ap3" >/dev/null
start_transfer up 5001 500k
start_transfer up 5002 100k
flowing 5001 50000 "through the designated HAM"
flowing 5002 10000 "anchored locally"
conns=$(lab ctl connections --json)
ham5001=$(json_get '[c["ham"] + " " + c["masquerade"] for c in d if c["server"].endswith(":5001")][0]' <<<"$conns")
ham5002=$(json_get '[c["ham"] for c in d if c["server"].endswith(":5002")][0]' <<<"$conns")
[ "${ham5001% *}" = ap3 ] && [ "${ham5001#* }" != "${ham5001#* 10.201.0.103:}" ] || fail "port 5001 anchored at $ham5001, not ap3"
[ "$ham5002" = ap1 ] || fail "port 5002 anchored at $ham5002, not ap1"
ok "port 5001 anchored at the designated HAM ($ham5001), port 5002 locally at ap1"
clients=$(lab ctl clients --json)
[ "$(json_get 'd[0]["aps"][0]' <<<"$clients")" = ap1 ] || fail "roamctl clients does not place client1 on ap1: $clients"
ok "roamctl clients: client1 on ap1, HAMs $(json_get '",".join(d[0]["hams"])' <<<"$clients")"
relayed=$(counter ap3 dp_ham_in_packets)
[ "$relayed" -gt 0 ] || fail "ap3 relayed nothing (dp_ham_in_packets $relayed)"
finish_transfer 5001
sent5001=$TRANSFERRED
finish_transfer 5002
ok "transfers intact ($sent5001 bytes through the designated HAM, $TRANSFERRED locally); ap3 relayed $relayed inbound packets"
