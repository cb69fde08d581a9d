#!/usr/bin/env bash
# Restarts. The coordinator restarts mid-transfer: established traffic keeps flowing
# (the data planes hold their entries), agents reconnect and replay their
# records, and a roam after the restart still works.
. "$(dirname "$0")/lib.sh"
lab up --aps 2 --clients 1 >/dev/null
make_payload "$WORK/tx.bin" 3000000
start_upload 5001 600k
sleep 0.7
before=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
lab restart-daemon coordinator
wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl connections --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 1 ]" ||
	fail "the restarted coordinator did not get the connection back"
after=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
[ "$before" = "$after" ] || fail "record changed across the restart: $before -> $after"
ok "agents replayed their records: $after"
lab roam client1 ap2 >/dev/null
finish_upload
ok "transfer intact across a coordinator restart and a roam after it"

if [ "$ROAMLAB_BACKEND" = kmod ]; then
	# roamnat.ko keeps forwarding while roamd restarts; the new roamd adopts
	# the module's entries and its predecessor's instance, so the coordinator
	# keeps the records and a roam after the restart is served by them.
	start_upload 5003 600k
	sleep 0.7
	lab restart-daemon ap2
	wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' agentctl ap2 counters | awk '\$1 == \"adopted_ham\" {print \$2}')\" = 1 ]" ||
		fail "the restarted ap2 did not adopt the connection it anchors"
	[ "$(coord_counter agent_restarts)" = "" ] || [ "$(coord_counter agent_restarts)" = 0 ] ||
		fail "the coordinator forgot ap2's records"
	lab roam client1 ap1 >/dev/null
	finish_upload
	ok "transfer intact across a restart of its HAM's roamd (module kept forwarding) and a roam after it"
	exit 0
fi

# An agent restarts with empty tables: the coordinator forgets what it held,
# and new connections through it work at once (no stale masquerade endpoint).
lab exec server1 -- socat -u TCP-LISTEN:5002,reuseaddr,fork OPEN:/dev/null &
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5002"
lab exec client1 -- sh -c "head -c 100000 /dev/zero | socat -u - TCP:$SERVER:5002"
lab restart-daemon ap2
wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl counters | awk '\$1 == \"agent_restarts\" {print \$2}')\" = 1 ]" ||
	fail "the coordinator did not notice ap2's restart"
for i in 1 2 3; do
	lab exec client1 -- timeout 10 sh -c "head -c 100000 /dev/zero | socat -u - TCP:$SERVER:5002" ||
		fail "connection $i after ap2's restart failed"
done
ok "after an agent restart the coordinator dropped its stale records; new connections work"
