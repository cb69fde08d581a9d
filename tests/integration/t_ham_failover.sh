#!/usr/bin/env bash
# HAM failover (issue 12; docs/operations.md, "HAM failover"). A client
# roams from ap1 to ap2 with a TCP download and a 1,000 datagrams/s (divided by the slowdown) UDP
# download anchored at ap1 on ap1's masquerade address; both reach it
# through ap1 (inbound goes through the HAM). ap1 is taken off the backbone
# and its roamd killed (SIGKILL), as an AP that loses power: once the
# coordinator has declared it failed (dead_after_ms) and failover_after_ms
# have passed, it moves the address and its connections to ap2, which serves
# the client; ap2 takes the address, announces it, and both downloads go
# on, every byte intact, the server seeing one address:port per flow
# throughout. ap1 comes back: it gives the address up rather than fight for
# it, serves the client again as a FAM of ap2, and new connections through
# it work.
. "$(dirname "$0")/lib.sh"
FAILOVER_AFTER=$((1000 * SLOW))
export ROAMLAB_KEEPALIVE_MS=200 ROAMLAB_DEAD_AFTER_MS=$((1500 * SLOW)) ROAMLAB_FAILOVER_AFTER_MS=$FAILOVER_AFTER
lab up --aps 2 --clients 1 --movable >/dev/null
masq_of() { lab ctl connections --json | json_get "[c for c in d if c['server'].endswith(':$1')][0]['$2']"; }
event() { echo "$(date +%s.%N) client1 $1 $2 $3" >>"$ROAMLAB_DIR/events.log"; }
# The lab's roam window ends when the link is up at the new AP; the client
# only receives, so the new FAM joins on its station event a moment later,
# while a busy HAM holds or drops what arrives meanwhile. That moment is a
# window of its own, until the download resumes: what is lost after it is
# lost outside any move.
roam() { # from to
	local before
	lab roam client1 "$2" >/dev/null
	event "$1" "$2" left
	before=$(received 5201)
	wait_for 100 received_at_least 5201 $((before + 1)) || fail "the UDP download did not resume after the roam to $2"
	event "$1" "$2" ready
}
start_capture server1 "$WORK/server.pcap" "port 5001 or port 5201"

start_transfer down 5001 300k
start_udp_down 5201 $((1000 / SLOW)) # a slow guest's client cannot take more
flowing 5001 50000 "before the roam"
tcp_masq=$(masq_of 5001 masquerade)
udp_masq=$(masq_of 5201 masquerade)
[[ $tcp_masq == 10.201.0.201:* && $udp_masq == 10.201.0.201:* ]] ||
	fail "the downloads are not masqueraded on ap1's masquerade address: $tcp_masq, $udp_masq"
roam ap1 ap2
flowing 5001 50000 "after the roam"
flowing 5201 500 "after the roam"
[ "$(masq_of 5201 ham)" = ap1 ] || fail "the UDP download is not anchored at ap1 after the roam"
ok "both downloads anchored at ap1 ($tcp_masq, $udp_masq), their client on ap2"

# Recorded as a link move of its own: the judge counts what is lost between
# the kill and the first datagram after the takeover apart.
event ap1 ap2 left
lab backbone ap1 off
lab kill-daemon ap1
moved() { [ "$(masq_of 5201 ham) $(masq_of 5201 generation) $(masq_of 5001 ham)" = "ap2 2 ap2" ]; }
wait_for $((50 + FAILOVER_AFTER / 100)) moved ||
	fail "the connections did not move to ap2: $(lab ctl connections 2>&1)"
received_before=$(received 5201)
wait_for 100 received_at_least 5201 $((received_before + 1)) ||
	fail "the UDP download did not resume after the takeover"
event ap1 ap2 ready
flowing 5001 50000 "after the failover"
flowing 5201 500 "after the failover"
grep -q "HAM failover: masquerade address 10.201.0.201 of agent ap1 (gone) moves to agent ap2, generation 2, with 2 connection(s)" \
	"$ROAMLAB_DIR/logs/coordinator.log" || fail "the coordinator did not say what moved: $(grep -i failover "$ROAMLAB_DIR/logs/coordinator.log")"
lab exec ap2 -- ip -4 -o addr show dev eth0 | grep -q ' 10.201.0.201/32 ' ||
	fail "ap2 did not put 10.201.0.201 on its backbone link"
ap2_mac=$(lab exec ap2 -- cat /sys/class/net/eth0/address)
neigh=$(lab exec server1 -- ip neigh show 10.201.0.201)
[[ $neigh == *"lladdr $ap2_mac"* ]] || fail "server1 still sends 10.201.0.201 elsewhere: '$neigh' (ap2 is $ap2_mac)"
[ "$(counter ap2 takeover_connections)" = 2 ] || fail "ap2 took over $(counter ap2 takeover_connections) connections, not 2"
ok "failover: ap2 holds 10.201.0.201 (generation 2, server1's neighbour entry points at it) and anchors both downloads"

# ap1 returns, its stale address and entries still in place: it gives the
# address up at its hello, does not take it back, and serves as a FAM again.
lab backbone ap1 on
lab start-daemon ap1
wait_for 100 grep -q "masquerade address 10.201.0.201 is held by another agent now" "$ROAMLAB_DIR/logs/ap1.log" ||
	fail "the returning ap1 did not give up 10.201.0.201: $(grep -i masquerade "$ROAMLAB_DIR/logs/ap1.log" | tail -3)"
! lab exec ap1 -- ip -4 -o addr show dev eth0 | grep -q ' 10.201.0.201/32 ' ||
	fail "the returning ap1 kept 10.201.0.201 on its backbone link"
flowing 5201 500 "after ap1 came back"
neigh=$(lab exec server1 -- ip neigh show 10.201.0.201)
[[ $neigh == *"lladdr $ap2_mac"* ]] || fail "the returning ap1 took 10.201.0.201 back: server1 has '$neigh'"
[ "$(masq_of 5201 ham) $(masq_of 5001 ham)" = "ap2 ap2" ] || fail "the connections left ap2: $(lab ctl connections)"
ok "the returning ap1 gave 10.201.0.201 up ($(counter ap1 masquerade_fenced) address fenced) and left it with ap2"

roam ap2 ap1
flowing 5001 50000 "back at ap1"
flowing 5201 500 "back at ap1"
lab exec server1 -- socat -u TCP-LISTEN:5002,reuseaddr OPEN:/dev/null &
wait_for 30 lab exec server1 -- sh -c "ss -ltn | grep -q :5002"
lab exec client1 -- timeout 10 sh -c "head -c 100000 /dev/zero | socat -u - TCP:$SERVER:5002" ||
	fail "a new connection through the returned ap1 failed"
ok "back at ap1: both downloads flow through ap2, and a new connection through ap1 works"

finish_transfer 5001
finish_udp 5201
stop_capture
[ "$(json_get 'd["lost_outside"]' <<<"$JUDGED")" -eq 0 ] ||
	fail "the UDP download lost $(json_get 'd["lost_outside"]' <<<"$JUDGED") datagrams outside the roams and the failover"
[ "$(json_get 'len(d["sources"])' <<<"$JUDGED")" -eq 1 ] || fail "the client saw several sources: $(json_get 'd["sources"]' <<<"$JUDGED")"
one_source "$WORK/server.pcap" "tcp and dst port 5001" "$tcp_masq"
one_source "$WORK/server.pcap" "udp and dst port 5201" "$udp_masq"
# Windows: roam, join, failover, roam, join.
lost=$(json_get 'd["lost_while_link_moved"][2]' <<<"$JUDGED")
silence=$(json_get 'd["longest_silence_ms"]' <<<"$JUDGED")
# The HAM was really gone: what it held back is the failover's cost.
[ "$lost" -gt 0 ] || fail "nothing was lost while ap1 was cut off: the downloads did not go through it"
ok "TCP download intact ($TRANSFERRED bytes); the UDP download lost $lost datagrams at $((1000 / SLOW))/s in the failover, none elsewhere (longest silence at the client $silence ms; dead_after_ms $ROAMLAB_DEAD_AFTER_MS, failover_after_ms $FAILOVER_AFTER); one source at the server"
