#!/usr/bin/env bash
# Hostile input is refused while traffic keeps flowing: agents without a
# certificate from the deployment CA, a certificate the coordinator does not
# list, malformed and oversized protocol frames, and spoofed packets to
# masquerade endpoints. The transfer under way must complete intact.
. "$(dirname "$0")/lib.sh"
lab up --aps 3 --clients 1 --servers 2 >/dev/null
PKI=$ROAMLAB_DIR/pki
COORD=10.201.0.2:7447
make_payload "$WORK/tx.bin" 3000000
start_upload 5001 250k
sleep 0.7
masq=$(lab ctl connections --json | json_get 'd[0]["masquerade"]')

tls() { # cert key: prints what the coordinator said (or nothing)
	lab exec ap3 -- timeout 8 openssl s_client -connect $COORD -quiet -verify_return_error \
		-CAfile "$PKI/ca.crt" ${1:+-cert "$1" -key "$2"} 2>/dev/null | head -c 4096 | tr -c '[:print:]' ' '
}

# 1. A certificate signed by another CA, and no certificate at all.
before=$(grep -c "TLS handshake failed\|no valid certificate" "$ROAMLAB_DIR/logs/coordinator.log" || true)
echo | tls "$PKI/rogue.crt" "$PKI/rogue.key" >/dev/null || true
echo | tls "" "" >/dev/null || true
after=$(grep -c "TLS handshake failed\|no valid certificate" "$ROAMLAB_DIR/logs/coordinator.log" || true)
[ "$after" -ge $((before + 2)) ] || fail "coordinator did not refuse the rogue and the missing certificate"
ok "a rogue-CA certificate and a missing certificate are refused in the TLS handshake"

# 2. A valid certificate whose name is not in the agents list, saying hello as an agent.
hello='\x00\x00\x00\x24\x01\x01\x00\x00\x00\x00\x00\x01\x00\x0f\x00\x01\x01\x00\x00\x00\x00\x05\x00\x04\x0a\xc9\x00\x63\x00\x16\x00\x08\x00\x00\x00\x00\x00\x00\x00\x09'
said=$( (printf "$hello"; sleep 1) | tls "$PKI/roamctl.crt" "$PKI/roamctl.key")
grep -q "not in this coordinator's agents list" <<<"$said" || fail "unlisted agent not refused (got: $said)"
ok "an agent whose certificate is not listed is refused: 'roamctl' is not in this coordinator's agents list"

# 3. Malformed frames from an authenticated peer: garbage, an oversized length, truncation.
said=$( (printf '\x00\x00\x00\x0c\x01\x03\x00\x00\x00\x00\x00\x01\x00\x09\x00\x7f'; sleep 1) | tls "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "expected hello\|overruns" <<<"$said" || fail "garbage frame not refused (got: $said)"
said=$( (printf '\xff\xff\xff\xff'; sleep 1) | tls "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "frame length" <<<"$said" || fail "oversized frame not refused (got: $said)"
said=$( (printf '\x00\x00\x00\x08\x02\x01\x00\x00\x00\x00\x00\x01'; sleep 1) | tls "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "version 2 not supported" <<<"$said" || fail "wrong version not refused (got: $said)"
said=$( (printf '\x00\x00\x01\x00\x01\x01'; sleep 7) | tls "$PKI/ap3.crt" "$PKI/ap3.key")
grep -q "truncated frame" <<<"$said" || fail "a stalled partial frame was not refused (got: $said)"
ok "garbage, oversized, wrong-version and truncated frames get a clear error and a closed session"
[ "$(lab ctl connections --json | json_get 'len(d)')" -eq 1 ] || fail "the connection table changed"
[ "$(coord_counter sessions_refused)" -ge 5 ] || fail "refused sessions not counted"
[ "$(coord_counter tls_refused)" -ge 2 ] || fail "TLS refusals not counted"
ok "the coordinator still serves an intact table"

# 4. Spoofed packets to masquerade endpoints: an unused port, and the live
# masquerade endpoint from a server that is not the connection's.
d0=$(counter ap1 dp_unknown_dropped_packets)
lab exec server2 -- sh -c "for i in 1 2 3 4 5; do echo spoof | socat -u - UDP:${masq%:*}:45678; done"
lab exec server2 -- sh -c "for i in 1 2 3 4 5; do echo spoof | socat -u - TCP:$masq,connect-timeout=0.2 2>/dev/null; done" || true
d1=$(counter ap1 dp_unknown_dropped_packets)
[ $((d1 - d0)) -ge 10 ] || fail "only $((d1 - d0)) spoofed packets counted as dropped"
ok "$((d1 - d0)) spoofed packets to masquerade endpoints dropped in the kernel and counted"

finish_upload
ok "the transfer under way completed intact"
