#!/usr/bin/env bash
# Liveness (docs/protocol.md, "Session rules"). A stalled roamd (SIGSTOP:
# as silent as a dead or cut-off AP) is declared failed by the coordinator
# once it has been silent for dead_after_ms, not before, while the data
# plane it left goes on forwarding; running again, it reconnects with its
# instance and the coordinator still has every record. A stalled
# coordinator is given up by the agents, which reconnect when it runs again;
# coming back from its own stall, it declares nobody failed.
. "$(dirname "$0")/lib.sh"
DEAD_AFTER=$((1500 * SLOW))
export ROAMLAB_KEEPALIVE_MS=200 ROAMLAB_DEAD_AFTER_MS=$DEAD_AFTER
lab up --aps 2 --clients 1 >/dev/null
not_connected() { [ "$(agent_connected "$1")" = no ]; }
failed_count() { local n; n=$(coord_counter agents_failed); echo "${n:-0}"; }

start_transfer up 5001 300k
flowing 5001 50000 "before the roam"
lab roam client1 ap2 >/dev/null # ap1 stays the connection's HAM
flowing 5001 50000 "after the roam"

pid=$(cat "$ROAMLAB_DIR/pids/ap1")
kill -STOP "$pid"
wait_for $((50 + DEAD_AFTER / 100)) not_connected ap1 ||
	fail "the coordinator still counts the stopped ap1 as connected after ${DEAD_AFTER} ms"
line=$(grep 'agent ap1 failed: nothing heard for' "$ROAMLAB_DIR/logs/coordinator.log" | tail -1)
[ -n "$line" ] || fail "the coordinator did not say why ap1 is gone: $(tail -3 "$ROAMLAB_DIR/logs/coordinator.log")"
silent=$(sed -n 's/.*nothing heard for \([0-9]*\) ms.*/\1/p' <<<"$line")
[ "$silent" -gt "$DEAD_AFTER" ] || fail "ap1 was declared failed after $silent ms of silence, before dead_after ($DEAD_AFTER ms)"
[ "$(failed_count)" = 1 ] || fail "agents_failed is $(failed_count), expected 1"
ok "the stopped ap1 was declared failed after $silent ms of silence (dead_after $DEAD_AFTER ms)"
flowing 5001 50000 "while ap1's roamd was stopped (its data plane forwards)"
kill -CONT "$pid"
wait_for 100 is_connected ap1 || fail "ap1 did not reconnect after it resumed"
[ "$(coord_counter agent_restarts)" = "" ] || [ "$(coord_counter agent_restarts)" = 0 ] ||
	fail "ap1's return was taken for a restart: the coordinator forgot its records"
[ "$(lab ctl connections --json | json_get 'd[0]["ham"]')" = ap1 ] || fail "the connection's record changed: $(lab ctl connections)"
flowing 5001 50000 "after ap1 came back"
ok "ap1 reconnected with its instance; the coordinator kept its records"

cpid=$(cat "$ROAMLAB_DIR/pids/coordinator")
kill -STOP "$cpid"
gave_up() { grep -q 'nothing heard from the coordinator for' "$ROAMLAB_DIR/logs/$1.log"; }
wait_for $((50 + DEAD_AFTER / 100)) gave_up ap1 && wait_for 50 gave_up ap2 ||
	{ kill -CONT "$cpid"; fail "the agents did not give up the stopped coordinator"; }
flowing 5001 50000 "while the coordinator was stopped"
kill -CONT "$cpid"
wait_for 100 is_connected ap1 && wait_for 100 is_connected ap2 || fail "the agents did not reconnect to the resumed coordinator"
[ "$(failed_count)" = 1 ] || fail "the coordinator, back from its own stall, declared agents failed (agents_failed $(failed_count))"
lab roam client1 ap1 >/dev/null
flowing 5001 50000 "after a roam back to the HAM"

# Two agents presenting one name: a second roamd with ap1's certificate and
# address (started in the coordinator's node, as if roamd ran twice on ap1)
# is refused while ap1 is alive; ap1 keeps its session and its records.
sed "s|^control_socket = .*|control_socket = $WORK/dup.sock|" "$ROAMLAB_DIR/ap1.conf" >"$WORK/dup.conf"
start_in coordinator dup "$ROAMNAT_BIN/roamd" --config "$WORK/dup.conf"
wait_for 50 grep -q "coordinator refused this agent: agent 'ap1' is already connected from 10.201.0.101" "$WORK/dup.log" ||
	fail "a second agent named ap1 was not refused: $(tail -3 "$WORK/dup.log")"
grep -q "agent ap1 from 10.201.0.101 (instance [0-9]*) refused: an agent of that name is connected" \
	"$ROAMLAB_DIR/logs/coordinator.log" || fail "the coordinator did not log why it refused the second ap1"
flowing 5001 50000 "while a second ap1 was refused"
stop_in dup
is_connected ap1 || fail "ap1 lost its session to a second agent of its name"
[ "$(coord_counter agent_restarts)" = "" ] || [ "$(coord_counter agent_restarts)" = 0 ] ||
	fail "a second agent named ap1 made the coordinator forget ap1's records"
[ "$(coord_counter refused_duplicate_agent)" -ge 1 ] || fail "refused_duplicate_agent was not counted"
ok "a second roamd presenting ap1's name was refused ($(coord_counter refused_duplicate_agent) attempt(s)); ap1 kept its session and records"
finish_transfer 5001
ok "the agents gave up the stopped coordinator and reconnected; it failed nobody for its own stall; $TRANSFERRED bytes intact throughout"
