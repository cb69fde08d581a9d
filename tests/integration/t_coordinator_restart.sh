#!/usr/bin/env bash
# The coordinator restarts mid-transfer: established traffic keeps flowing
# (the data planes hold their entries), agents reconnect and replay their
# records, and a roam after the restart still works.
. "$(dirname "$0")/lib.sh"
lab up --aps 2 --clients 1 >/dev/null
make_payload "$WORK/tx.bin" 3000000
lab exec server1 -- socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$WORK/rx.bin",creat,trunc &
srv=$!
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5001"
(pv -q -L 600k "$WORK/tx.bin" | lab exec client1 -- socat -u - TCP:$SERVER:5001) &
cli=$!
sleep 0.7
before=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
lab restart-daemon coordinator
wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl connections --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = 1 ]" ||
	fail "the restarted coordinator did not get the connection back"
after=$(lab ctl connections --json | json_get 'd[0]["masquerade"] + " " + d[0]["ham"]')
[ "$before" = "$after" ] || fail "record changed across the restart: $before -> $after"
ok "agents replayed their records: $after"
lab roam client1 ap2 >/dev/null
wait "$cli" || fail "transfer failed"
wait "$srv" || fail "server failed"
cmp -s "$WORK/tx.bin" "$WORK/rx.bin" || fail "bytes differ"
ok "transfer intact across a coordinator restart and a roam after it"
