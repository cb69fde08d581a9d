#!/usr/bin/env bash
# Hostile input is refused while traffic keeps flowing: agents without a
# certificate from the deployment CA, a certificate the coordinator does not
# list, malformed and oversized protocol frames, and spoofed packets to
# masquerade endpoints. The transfer under way must complete intact.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 --servers 2 >/dev/null
PKI=$ROAMLAB_DIR/pki
COORD=10.201.0.2:7447
start_transfer up 5001 250k
flowing 5001 20000 "before the refusals"
masq=$(lab ctl connections --json | json_get 'd[0]["masquerade"]')

# Opens a TLS session from ap3 with CERT/KEY (none if empty), sends BYTES
# (printf escapes) and prints what the coordinator said until it closed the
# session: stdin stays open until then, so the answer is never cut short by
# a slow machine.
tls() { # bytes cert key
	local fifo=$WORK/tls.in holder
	rm -f "$fifo"; mkfifo "$fifo"
	(printf "$1"; exec sleep $((30 * SLOW))) >"$fifo" &
	holder=$!
	lab exec ap3 -- timeout $((30 * SLOW)) openssl s_client -connect $COORD -quiet -verify_return_error \
		-CAfile "$PKI/ca.crt" ${2:+-cert "$2" -key "$3"} <"$fifo" 2>/dev/null | head -c 4096 | tr -c '[:print:]' ' '
	kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
}
refusals_logged() { grep -c "TLS handshake failed\|no valid certificate" "$ROAMLAB_DIR/logs/coordinator.log" || true; }
logged_at_least() { [ "$(refusals_logged)" -ge "$1" ]; }

# 1. A certificate signed by another CA, and no certificate at all.
before=$(refusals_logged)
tls '' "$PKI/rogue.crt" "$PKI/rogue.key" >/dev/null || true
tls '' "" "" >/dev/null || true
wait_for 50 logged_at_least $((before + 2)) ||
	fail "coordinator did not refuse the rogue and the missing certificate ($before -> $(refusals_logged) refusals logged)"
ok "a rogue-CA certificate and a missing certificate are refused in the TLS handshake"

# 2. A valid certificate whose name is not in the agents list, saying hello as an agent.
hello='\x00\x00\x00\x24\x01\x01\x00\x00\x00\x00\x00\x01\x00\x0f\x00\x01\x01\x00\x00\x00\x00\x05\x00\x04\x0a\xc9\x00\x63\x00\x16\x00\x08\x00\x00\x00\x00\x00\x00\x00\x09'
said=$(tls "$hello" "$PKI/roamctl.crt" "$PKI/roamctl.key")
grep -q "not in this coordinator's agents list" <<<"$said" || fail "unlisted agent not refused (got: $said)"
ok "an agent whose certificate is not listed is refused: 'roamctl' is not in this coordinator's agents list"

# 3. Malformed frames from an authenticated peer: garbage, an oversized
# length, a wrong version, and a partial frame that never completes (the
# coordinator gives up on it after its partial-frame timeout).
said=$(tls '\x00\x00\x00\x0c\x01\x03\x00\x00\x00\x00\x00\x01\x00\x09\x00\x7f' "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "expected hello\|overruns" <<<"$said" || fail "garbage frame not refused (got: $said)"
said=$(tls '\xff\xff\xff\xff' "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "frame length" <<<"$said" || fail "oversized frame not refused (got: $said)"
said=$(tls '\x00\x00\x00\x08\x02\x01\x00\x00\x00\x00\x00\x01' "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "version 2 not supported" <<<"$said" || fail "wrong version not refused (got: $said)"
said=$(tls '\x00\x00\x01\x00\x01\x01' "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "truncated frame" <<<"$said" || fail "a stalled partial frame was not refused (got: $said)"
ok "garbage, oversized, wrong-version and truncated frames get a clear error and a closed session"
[ "$(lab ctl connections --json | json_get 'len(d)')" -eq 1 ] || fail "the connection table changed: $(lab ctl connections)"
[ "$(coord_counter sessions_refused)" -ge 5 ] || fail "refused sessions not counted (sessions_refused $(coord_counter sessions_refused), expected 5 or more)"
[ "$(coord_counter tls_refused)" -ge 2 ] || fail "TLS refusals not counted (tls_refused $(coord_counter tls_refused), expected 2 or more)"
ok "the coordinator still serves an intact table"

# 4. Spoofed packets to masquerade endpoints: an unused port, and the live
# masquerade endpoint from a server that is not the connection's.
d0=$(counter ap1 dp_unknown_dropped_packets)
lab exec server2 -- sh -c "for i in 1 2 3 4 5; do echo spoof | socat -u - UDP:${masq%:*}:45678; done"
lab exec server2 -- sh -c "for i in 1 2 3 4 5; do echo spoof | socat -u - TCP:$masq,connect-timeout=0.2 2>/dev/null; done" || true
wait_for 50 at_least ap1 dp_unknown_dropped_packets $((d0 + 10)) ||
	fail "only $(( $(counter ap1 dp_unknown_dropped_packets) - d0 )) of 10 spoofed packets counted as dropped"
d1=$(counter ap1 dp_unknown_dropped_packets)
ok "$((d1 - d0)) spoofed packets to masquerade endpoints dropped in the kernel and counted"

flowing 5001 20000 "after the refusals"
finish_transfer 5001
ok "the transfer under way went on and completed intact ($TRANSFERRED bytes)"
