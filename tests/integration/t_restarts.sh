#!/usr/bin/env bash
# Restarts. The coordinator is killed (SIGKILL) and restarted mid-transfer:
# established traffic keeps flowing (the data planes hold their entries),
# its hard state (agents and their instances) comes back from its
# state_file, agents reconnect and replay their records, and a roam after
# the restart still works. The APs masquerade on addresses of their own
# (masquerade_addresses), which stay on their links across a restart.
# Restarts here, not failovers: failover_after_ms is longer than any
# restart takes, even under TCG (t_ham_failover tests failover).
. "$(dirname "$0")/lib.sh"
export ROAMLAB_FAILOVER_AFTER_MS=600000
lab up --aps 2 --clients 1 --movable >/dev/null
start_transfer up 5001 600k
flowing 5001 100000 "before the coordinator restart"
before=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
lab kill-daemon coordinator
lab start-daemon coordinator
wait_for 50 grep -q "state from $ROAMLAB_DIR/coordinator.state: 2 agent(s)" "$ROAMLAB_DIR/logs/coordinator.log" ||
	fail "the restarted coordinator did not read its agents from its state_file: $(grep 'state from' "$ROAMLAB_DIR/logs/coordinator.log")"
wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl connections --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 1 ]" ||
	fail "the restarted coordinator did not get the connection back: $(lab ctl connections 2>&1)"
after=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
[[ $before == 10.201.0.201:*" ap1" ]] || fail "connection not masqueraded on ap1's masquerade address: $before"
[ "$before" = "$after" ] || fail "record changed across the restart: $before -> $after"
ok "agents replayed their records: $after"
flowing 5001 100000 "after the coordinator restart"
lab roam client1 ap2 >/dev/null
flowing 5001 100000 "after a roam that followed the restart"
finish_transfer 5001
ok "transfer intact across a coordinator restart and a roam after it ($TRANSFERRED bytes)"

# An agent killed (SIGKILL: no clean-up) mid-transfer, on either back end:
# its data plane (roamnat.ko's tables, or the nftables table) goes on
# translating, and the next roamd adopts the entries and its predecessor's
# instance, so the coordinator keeps the records. First ap2, HAM and FAM of
# a TCP transfer and a 1,000 datagrams/s UDP stream, then, after a roam,
# ap1, their FAM alone. Nothing is lost but what the link move costs.
start_transfer up 5003 600k
start_udp 5203 1000
flowing 5003 100000 "before ap2's roamd was killed"
lab kill-daemon ap2
flowing 5003 100000 "while ap2's roamd was down"
flowing 5203 500 "while ap2's roamd was down"
if [ "$ROAMLAB_BACKEND" != kmod ]; then
	# Entries anyone with CAP_NET_ADMIN may have added: one whose comment
	# does not name its client is removed, not adopted.
	lab exec ap2 -- nft add element ip roamnat ham \
		'{ tcp . 10.201.0.10 . 80 . 10.201.0.102 . 40001 comment "client nonsense" : 10.201.0.101 . 40002 }'
else
	# As if ap2 had run the nftables back end before: its table would
	# queue misses beside the module's, so roamd on roamnat.ko removes it.
	lab exec ap2 -- nft add table ip roamnat
fi
lab start-daemon ap2
wait_for 50 at_least ap2 adopted_ham 2 ||
	fail "the restarted ap2 did not adopt the connections it anchors (adopted_ham $(counter ap2 adopted_ham))"
at_least ap2 adopted_fam 2 || fail "the restarted ap2 did not adopt the connections it serves (adopted_fam $(counter ap2 adopted_fam))"
[ "$(coord_counter agent_restarts)" = "" ] || [ "$(coord_counter agent_restarts)" = 0 ] ||
	fail "the coordinator forgot ap2's records (agent_restarts $(coord_counter agent_restarts))"
flowing 5003 100000 "after ap2's roamd came back"
grep -q "masquerade address 10.201.0.202 is already on eth0" "$ROAMLAB_DIR/logs/ap2.log" ||
	fail "the restarted ap2 did not find its masquerade address where its previous run left it"
if [ "$ROAMLAB_BACKEND" = kmod ]; then
	! lab exec ap2 -- nft list table ip roamnat >/dev/null 2>&1 || fail "roamd on roamnat.ko left an nftables table ip roamnat"
	grep -q "removed the nftables table ip roamnat a previous roamd on the nftables back end left" "$ROAMLAB_DIR/logs/ap2.log" ||
		fail "ap2 did not say it removed the nftables table"
	ok "roamd on roamnat.ko removed an nftables table ip roamnat left behind"
fi
if [ "$ROAMLAB_BACKEND" != kmod ]; then
	! lab exec ap2 -- nft list map ip roamnat ham 2>/dev/null | grep -q nonsense ||
		fail "ap2 kept a HAM entry that names no client"
	# At least the two flows of each table (the finished transfer's FAM
	# entries may still be there, until its FIN is handled or it idles).
	grep -qE "adopted ([2-9]|[1-9][0-9]+) FAM and 2 HAM record\(s\) from the data plane \(1 incomplete entry removed\)" \
		"$ROAMLAB_DIR/logs/ap2.log" ||
		fail "ap2 did not say what it adopted and removed: $(grep adopted "$ROAMLAB_DIR/logs/ap2.log")"
fi
lab roam client1 ap1 >/dev/null
flowing 5003 100000 "after a roam that followed the restart"
flowing 5203 500 "after a roam that followed the restart"
lab kill-daemon ap1
flowing 5203 500 "while ap1's roamd was down"
lab start-daemon ap1
wait_for 50 at_least ap1 adopted_fam 2 ||
	fail "the restarted ap1 did not adopt the connections it serves (adopted_fam $(counter ap1 adopted_fam))"
flowing 5003 100000 "after ap1's roamd came back"
flowing 5203 500 "after ap1's roamd came back"
finish_transfer 5003
finish_udp 5203
[ "$(json_get 'd["lost_outside"]' <<<"$JUDGED")" -eq 0 ] ||
	fail "the UDP stream lost $(json_get 'd["lost_outside"]' <<<"$JUDGED") datagrams outside the link move"
[ "$(json_get 'len(d["sources"])' <<<"$JUDGED")" -eq 1 ] || fail "the server saw several sources: $(json_get 'd["sources"]' <<<"$JUDGED")"
ok "TCP ($TRANSFERRED bytes intact) and UDP ($(json_get 'd["sent"]' <<<"$JUDGED") datagrams, $(json_get 'd["lost"]' <<<"$JUDGED") lost in the link move) across SIGKILL and restart of the HAM's and the FAM's roamd and a roam between, one source at the server"

[ "$ROAMLAB_BACKEND" = kmod ] && exit 0

# A clean stop (SIGTERM) leaves the table too. Without it (a reboot; here
# deleted by hand) the agent starts empty: the coordinator forgets what it
# held, and new connections through it work at once (no stale masquerade
# endpoint).
lab roam client1 ap2 >/dev/null
lab exec server1 -- socat -u TCP-LISTEN:5002,reuseaddr,fork OPEN:/dev/null &
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5002"
lab exec client1 -- timeout 10 sh -c "head -c 100000 /dev/zero | socat -u - TCP:$SERVER:5002" ||
	fail "a connection through ap2 before its restart failed"
lab stop-daemon ap2
lab exec ap2 -- nft list table ip roamnat >/dev/null 2>&1 || fail "ap2's roamd removed its table on SIGTERM"
lab exec ap2 -- nft delete table ip roamnat
lab start-daemon ap2
wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl counters | awk '\$1 == \"agent_restarts\" {print \$2}')\" = 1 ]" ||
	fail "the coordinator did not notice ap2's restart"
for i in 1 2 3; do
	lab exec client1 -- timeout 10 sh -c "head -c 100000 /dev/zero | socat -u - TCP:$SERVER:5002" ||
		fail "connection $i after ap2's restart failed"
done
ok "a SIGTERM left ap2's table; started without it, the coordinator dropped ap2's stale records and new connections work"
