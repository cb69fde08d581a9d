#!/usr/bin/env bash
# ICMP echo across three roams. client1 pings server1 (by name: the lab's
# hosts files) and gets replies at ap1, ap2, ap3 and ap1 again, and the
# server sees every echo request from one source, ap1's masquerade address
# (where the ping began), with one identifier: the echo is a connection
# anchored at its HAM like any other. traceroute with UDP probes (-U) and
# with echo requests (-I) shows the AP's client-side gateway as hop 1 and
# the server as the last hop, at ap1 and at ap2 after a roam: the AP's own
# "time exceeded" reaches the client, and so does the server's answer
# through the masquerade (a port unreachable for -U, an echo reply for -I).
. "$(dirname "$0")/lib.sh"
MASQ=10.201.0.101 # ap1's backbone address: its masquerade address
GATEWAY=10.202.0.1
lab up --aps 3 --clients 1 >/dev/null

addr=$(lab exec client1 -- getent ahostsv4 server1 | awk 'NR == 1 { print $1 }')
[ "$addr" = "$SERVER" ] || fail "server1 resolves to '$addr' in client1, not $SERVER (roamlab's /etc/netns hosts files)"
ok "node names resolve in the lab: server1 is $addr in client1"

# One traceroute at a time (-N 1), one probe per hop, a bounded wait: hop 1
# must be the AP's gateway and the last hop the server.
traced() { # -U|-I where
	local out hops
	out=$(lab exec client1 -- traceroute -n "$1" -N 1 -q 1 -w $((2 * SLOW)) -m 5 server1 2>&1) ||
		fail "traceroute $1 at $2 failed: $out"
	hops=$(awk '$1 ~ /^[0-9]+$/ { printf "%s%s", sep, $2; sep = " " }' <<<"$out")
	[ "${hops%% *}" = "$GATEWAY" ] && [ "${hops##* }" = "$SERVER" ] ||
		fail "traceroute $1 at $2: expected hop 1 $GATEWAY and the last hop $SERVER, got hops '$hops': $(tr '\n' '|' <<<"$out")"
	ok "traceroute $1 at $2: ${hops// / -> }"
}
traced -U ap1
traced -I ap1

start_sniff server1 --type 8
start_ping server1
pinging 3 "at ap1"
for ap in ap2 ap3 ap1; do
	lab roam client1 $ap >/dev/null
	pinging 3 "after the roam to $ap"
done
stop_ping
stop_sniff
replies=$(pings)
srcs=$(json_get '" ".join("%s:%d" % (s, n) for s, n in sorted(d["by_source"].items()))' <<<"$SNIFFED")
[ "$srcs" = "$MASQ:$(json_get 'd["packets"]' <<<"$SNIFFED")" ] ||
	fail "the server saw echo requests from '$srcs' (source:count), expected all from ap1's masquerade $MASQ"
ids=$(json_get '" ".join(sorted({str(p["id"]) for p in d["first"]}))' <<<"$SNIFFED")
[ "$(wc -w <<<"$ids")" -eq 1 ] || fail "the server saw the echo requests with several identifiers: $ids"
ok "$replies echo replies across 3 roams; the server saw $(json_get 'd["packets"]' <<<"$SNIFFED") echo requests, all from $MASQ, identifier $ids"

lab roam client1 ap2 >/dev/null
traced -U "ap2 (after a roam)"
traced -I "ap2 (after a roam)"
