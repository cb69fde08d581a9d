#!/usr/bin/env bash
# A stalled agent (SIGSTOP): packets that miss wait in the kernel's NFQUEUE,
# at most max_held_packets of them; the kernel drops and counts the rest, so
# a stuck roamd cannot exhaust memory. Established connections keep flowing
# through the data plane meanwhile, and the agent catches up when it runs.
. "$(dirname "$0")/lib.sh"
export ROAMLAB_MAX_HELD=64
lab up --aps 1 --clients 1 >/dev/null
start_transfer up 5001 500k
flowing 5001 50000 "before the agent stalled"
pid=$(cat "$ROAMLAB_DIR/pids/ap1")
# queue 0's (held, dropped) in ap1 (/proc/net/netfilter/nfnetlink_queue).
queue0() { lab exec ap1 -- awk '$1 == 0 { print $3, $6 }' /proc/net/netfilter/nfnetlink_queue; }
# True once every one of N misses is either held or dropped.
accounted() { local h d; read -r h d < <(queue0); [ $((h + d - dropped0)) -ge "$1" ]; }
read -r held0 dropped0 < <(queue0)

kill -STOP "$pid"
# 300 new UDP flows, one datagram each: every one is a miss.
lab exec client1 -- python3 -c '
import socket
for port in range(20000, 20300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.sendto(b"x", ("10.201.0.10", 9999))
    s.close()'
wait_for 100 accounted 300
read -r held dropped < <(queue0)
flowing 5001 50000 "while the agent was stopped"
kill -CONT "$pid"
echo "  queue 0 while stalled: $held held, $((dropped - dropped0)) dropped by the kernel"
[ "$held" -le 64 ] || fail "more packets held than max_held_packets (64): $held"
[ "$held" -ge 32 ] || fail "misses were not held while the agent was stalled: $held held, expected 32 to 64"
[ $((dropped - dropped0)) -ge $((300 - 64)) ] || fail "the overflow was not dropped and counted: $((dropped - dropped0)) dropped, expected $((300 - 64)) or more"
ok "a stalled agent holds at most max_held_packets ($held), the kernel dropped and counted the rest"

finish_transfer 5001
ok "the established transfer went on through the data plane while the agent was stopped ($TRANSFERRED bytes intact)"
wait_for 50 sh -c "[ \"\$('$ROOT/lab/roamlab' exec ap1 -- awk '\$1 == 0 { print \$3 }' /proc/net/netfilter/nfnetlink_queue)\" = 0 ]" ||
	fail "the resumed agent left packets in the queue: $(queue0)"
[ "$(counter ap1 miss_outbound)" -ge 32 ] || fail "the resumed agent did not handle the held misses (miss_outbound $(counter ap1 miss_outbound))"
lab exec server1 -- socat -u TCP-LISTEN:5002,reuseaddr OPEN:/dev/null &
listening 5002
lab exec client1 -- timeout $((10 * SLOW)) sh -c "head -c 100000 /dev/zero | socat -u - TCP:$SERVER:5002" ||
	fail "a new connection after the stall failed"
ok "the resumed agent answered the held misses ($(counter ap1 miss_outbound)) and new connections work"
