#!/usr/bin/env bash
# A 1,000 datagrams/s UDP stream survives three roams: it goes on after each,
# the server sees one source address:port, no datagram arrives with a bad
# checksum, and the only datagrams lost are those the link move itself cost:
# the ones sent while the client had no link (roamlab's events bracket that
# window in this run, however long the machine took to move the link).
# Roamnat's own handoff loses nothing on the way out: at the new AP a packet
# with no entry waits in the queue while the coordinator answers.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 >/dev/null
csum_srv=$(csum_errors server1 Udp)
start_udp 5201 1000
flowing 5201 500 "before the first roam"
for ap in ap2 ap3 ap1; do
	lab roam client1 $ap >/dev/null
	flowing 5201 500 "at $ap"
done
finish_udp 5201

sent=$(json_get 'd["sent"]' <<<"$JUDGED")
lost=$(json_get 'd["lost"]' <<<"$JUDGED")
outside=$(json_get 'd["lost_outside"]' <<<"$JUDGED")
moves=$(json_get '" ".join("%s ms (%d lost)" % (m, n) for m, n in zip(d["link_move_ms"], d["lost_while_link_moved"]))' <<<"$JUDGED")
[ "$(json_get 'len(d["link_move_ms"])' <<<"$JUDGED")" -eq 3 ] || fail "expected 3 link moves in the lab's events, saw: $moves"
[ "$outside" -eq 0 ] ||
	fail "$outside of $sent datagrams lost outside the link moves (seqs $(json_get 'd["lost_outside_seqs"]' <<<"$JUDGED"), ms after the link was up $(json_get 'd["lost_outside_ms_after_ready"]' <<<"$JUDGED")); link moves: $moves"
ok "$sent datagrams across 3 roams, $lost lost, all while the link moved: $moves"
srcs=$(json_get '" ".join(d["sources"])' <<<"$JUDGED")
[ "$(wc -w <<<"$srcs")" -eq 1 ] || fail "server saw several sources: $srcs"
[ "$(json_get 'd["malformed"]' <<<"$JUDGED")" -eq 0 ] || fail "the server received malformed datagrams"
ok "server saw one source: $srcs"
[ "$(csum_errors server1 Udp)" -eq "$csum_srv" ] || fail "UDP checksum errors at the server ($csum_srv -> $(csum_errors server1 Udp))"
ok "no UDP checksum errors"
