#!/usr/bin/env bash
# Restarts. The coordinator restarts mid-transfer: established traffic keeps flowing
# (the data planes hold their entries), agents reconnect and replay their
# records, and a roam after the restart still works.
. "$(dirname "$0")/lib.sh"
lab up --aps 2 --clients 1 >/dev/null
start_transfer up 5001 600k
flowing 5001 100000 "before the coordinator restart"
before=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
lab restart-daemon coordinator
wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl connections --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 1 ]" ||
	fail "the restarted coordinator did not get the connection back: $(lab ctl connections 2>&1)"
after=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
[ "$before" = "$after" ] || fail "record changed across the restart: $before -> $after"
ok "agents replayed their records: $after"
flowing 5001 100000 "after the coordinator restart"
lab roam client1 ap2 >/dev/null
flowing 5001 100000 "after a roam that followed the restart"
finish_transfer 5001
ok "transfer intact across a coordinator restart and a roam after it ($TRANSFERRED bytes)"

if [ "$ROAMLAB_BACKEND" = kmod ]; then
	# roamnat.ko keeps forwarding while roamd restarts; the new roamd adopts
	# the module's entries and its predecessor's instance, so the coordinator
	# keeps the records and a roam after the restart is served by them.
	start_transfer up 5003 600k
	flowing 5003 100000 "before ap2's roamd stopped"
	lab stop-daemon ap2
	flowing 5003 100000 "while ap2's roamd was stopped"
	lab start-daemon ap2
	wait_for 50 at_least ap2 adopted_ham 1 ||
		fail "the restarted ap2 did not adopt the connection it anchors (adopted_ham $(counter ap2 adopted_ham))"
	[ "$(coord_counter agent_restarts)" = "" ] || [ "$(coord_counter agent_restarts)" = 0 ] ||
		fail "the coordinator forgot ap2's records (agent_restarts $(coord_counter agent_restarts))"
	lab roam client1 ap1 >/dev/null
	flowing 5003 100000 "after a roam that followed the restart"
	finish_transfer 5003
	ok "transfer intact ($TRANSFERRED bytes) across a restart of its HAM's roamd (the module forwarded while it was stopped) and a roam after it"
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
