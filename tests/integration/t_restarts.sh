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
