#!/usr/bin/env bash
# Revocation on WPA2-Enterprise (roamlab up --wifi --eap, two APs). alice
# (client1) and bob (client2) are on ap1, each with a TCP upload through
# roamnat; ap2 holds both keys. 'roamctl revoke alice' withdraws her key
# from the coordinator and from both APs (each hostapd's PMKSA replaced),
# deauthenticates her station at ap1 and ends her connection: her upload
# stops, while bob's goes on untouched. She cannot come back: at ap2 her
# cached key is gone, so EAP runs, and FreeRADIUS rejects her because the
# coordinator refuses her key (roamctl station-key exits 3). Reinstated, she
# gets on again. A RADIUS Disconnect-Request for bob's station (RFC 5176,
# FreeRADIUS's radclient, to the coordinator) deauthenticates him and
# withdraws his keys without refusing him: he is back after a full EAP
# exchange. A certificate that is not an operator's may not revoke anyone;
# an unknown user is NAKed, a wrong secret dropped. Runs in the QEMU guest.
. "$(dirname "$0")/lib.sh"
command -v freeradius >/dev/null || { echo "SKIP: freeradius is not installed (packaging/install-deps.sh)"; exit 77; }
wifi_lab_up --eap --aps 2 --clients 2
mac1=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
mac2=$(lab exec client2 -- cat /sys/class/net/wlan0/address)
RADIUS_LOG=$ROAMLAB_DIR/logs/radius.log
COORD_LOG=$ROAMLAB_DIR/logs/coordinator.log

on_air() { [ "$(wpa_state "$1")" = COMPLETED ]; }
off_air() { ! on_air "$1"; }
# A PMKSA hostapd still holds for a station, usable for more than a second.
pmksa_of() { # ap mac
	lab exec "$1" -- hostapd_cli -p "$ROAMLAB_DIR/hostapd/$1" -i wlan0 pmksa |
		awk -v m="$2" 'tolower($2) == m && $4 > 1 { n++ } END { print n + 0 }'
}
# The supplicant's refused authentications (hostapd: IEEE 802.1X failed).
auth_failures() { grep -c "CTRL-EVENT-SSID-TEMP-DISABLED.*reason=AUTH_FAILED" "$ROAMLAB_DIR/logs/$1-wpa.log" || true; }
key_refusals() { grep -c "audit: key of station $1 (user=$2) from radius refused: the user is revoked" "$COORD_LOG" || true; }

wait_for 100 bound_as "$mac1" "alice ap1 PEAP" || fail "the coordinator has no alice for $mac1: $(lab ctl users)"
wait_for 100 bound_as "$mac2" "bob ap1 TTLS" || fail "the coordinator has no bob for $mac2: $(lab ctl users)"
wait_for 100 at_least ap2 pmksa_installed 2 || fail "ap2 was not given both keys (pmksa_installed $(counter ap2 pmksa_installed))"
[ "$(pmksa_of ap2 "$mac1")" -eq 1 ] || fail "ap2's hostapd lists no PMKSA of alice: $(lab exec ap2 -- hostapd_cli -p "$ROAMLAB_DIR/hostapd/ap2" -i wlan0 pmksa)"
start_transfer up 5001 100k client1
start_transfer up 5002 100k client2
flowing 5001 10000 "(alice) before the revocation"
flowing 5002 10000 "(bob) before the revocation"
ok "alice and bob are on ap1 with an upload each; ap2 holds both keys"

# Not an operator: the RADIUS server's certificate may hand keys, not revoke.
if out=$(lab exec coordinator -- "$ROOT/build/roamctl" --config "$ROAMLAB_DIR/radius/roamctl.conf" revoke bob 2>&1); then
	fail "a key source's certificate revoked bob: $out"
fi
on_air client2 || fail "bob lost his link to a refused revocation"
ok "a certificate that is not in operators may not revoke: $out"

out=$(lab ctl revoke alice) || fail "roamctl revoke alice failed: $out"
[[ $out == *"1 station(s), 1 key(s) withdrawn, 1 connection(s) ended; 2 AP(s) confirmed in"* ]] ||
	fail "roamctl revoke alice did not report 1 station, 1 key, 1 connection and 2 confirming APs: $out"
wait_for 50 off_air client1 || fail "alice's station is still associated after the revocation"
for a in ap1 ap2; do
	grep -q "audit: station $mac1 (user=alice) withdrawn here" "$ROAMLAB_DIR/logs/$a.log" || fail "$a logged no withdrawal of alice's station"
	[ "$(counter "$a" station_revokes)" -eq 1 ] || fail "$a counted $(counter "$a" station_revokes) station revocations, not 1"
done
[ "$(counter ap1 stations_deauthenticated)" -eq 1 ] || fail "ap1 did not deauthenticate alice's station"
[ "$(pmksa_of ap2 "$mac1")" -eq 0 ] || fail "ap2's hostapd still holds a usable PMKSA of alice"
[ "$(pmksa_of ap2 "$mac2")" -eq 1 ] || fail "ap2's hostapd lost bob's PMKSA to alice's revocation"
grep -q "audit: user alice revoked by operator roamctl until reinstated" "$COORD_LOG" || fail "the coordinator logged no audit line for the revocation"
[ "$(coord_counter keys)" -eq 1 ] || fail "the coordinator holds $(coord_counter keys) keys, not bob's alone"
stalled=$(received 5001)
sleep 3
[ "$(received 5001)" -eq "$stalled" ] || fail "alice's upload went on after the revocation: $stalled then $(received 5001) bytes"
flowing 5002 10000 "(bob) during alice's revocation"
on_air client2 || fail "bob's station lost its link"
ok "revoked: $out; alice's upload stopped at $stalled bytes, her key is gone from both hostapds, bob's upload goes on"

# The revocation is hard state: a coordinator killed and restarted still
# refuses her (its state_file).
lab kill-daemon coordinator
lab start-daemon coordinator
wait_for 100 is_connected ap1 && wait_for 100 is_connected ap2 || fail "the agents did not reconnect to the restarted coordinator"
grep -q "state from $ROAMLAB_DIR/coordinator.state: 2 agent(s), 1 revoked user(s), 1 withdrawn key(s)" "$COORD_LOG" ||
	fail "the restarted coordinator did not read the revocation back: $(grep 'state from' "$COORD_LOG" | tail -1)"

# She tries ap2, where her key was: EAP runs and FreeRADIUS rejects her.
failures=$(auth_failures client1)
accepted=$(sum_counter station_authentications)
bssid2=$(lab exec ap2 -- cat /sys/class/net/wlan0/address)
wpa client1 set_network 0 bssid "$bssid2" >/dev/null
wpa client1 reassociate >/dev/null
refused() { [ "$(key_refusals "$mac1" alice)" -ge 1 ] && [ "$(auth_failures client1)" -gt "$failures" ]; }
wait_for 100 refused || fail "alice's return was not refused (key refusals $(key_refusals "$mac1" alice), authentication failures $(auth_failures client1))"
grep -q "Rejected in post-auth: \[anonymous\] (from client lab-aps port [0-9]* cli ${mac1//:/-})" "$RADIUS_LOG" ||
	fail "FreeRADIUS did not reject alice in post-auth: $(grep Login "$RADIUS_LOG" | tail -3)"
grep -q "Trying to associate with $bssid2" "$ROAMLAB_DIR/logs/client1-wpa.log" || fail "alice's supplicant never tried ap2"
off_air client1 || fail "alice is back on the air while revoked"
[ "$(sum_counter station_authentications)" -eq "$accepted" ] || fail "an AP let alice's station through while she is revoked"
[ "$(coord_counter refused_revoked)" -ge 1 ] || fail "the coordinator counted no refusal"
ok "alice's station tried ap2: no cached key there, EAP ran and FreeRADIUS rejected her in post-auth (the coordinator refused her key); no AP let her through"
kill -9 "${FLOW_SENDER[5001]}" "${FLOW_RECEIVER[5001]}" 2>/dev/null || true

out=$(lab ctl reinstate alice) || fail "roamctl reinstate alice failed: $out"
# The supplicant holds off after failures (temporarily disabled network,
# ignored BSSIDs): a user who was told she is back tries again at once.
wpa client1 set_network 0 bssid any >/dev/null
wpa client1 bssid_ignore clear >/dev/null 2>&1 || wpa client1 blacklist clear >/dev/null
wpa client1 enable_network 0 >/dev/null
wpa client1 reassociate >/dev/null
wait_for 300 on_air client1 || fail "alice did not get back on after her reinstatement ($(wpa_state client1))"
wait_for 100 bound_as "$mac1" "alice ap[12] PEAP" || fail "the coordinator has no new authentication of alice: $(lab ctl users)"
ok "reinstated ($out): alice is back by a new PEAP authentication"

finish_transfer 5002
ok "bob's upload arrived intact: $TRANSFERRED bytes"

# The RADIUS server disconnects bob (RFC 5176) through the coordinator,
# with FreeRADIUS's own client.
bob_logins=$(logins OK bob)
dm() { # attributes
	printf '%s, Event-Timestamp = %s, Message-Authenticator = 0x00\n' "$1" "$(date +%s)" |
		lab exec radius -- radclient -x -r 2 -t 5 "10.201.0.2:3799" disconnect "$(cat "$ROAMLAB_DIR/das-secret")" 2>&1
}
out=$(dm "Calling-Station-Id = \"${mac2//:/-}\"") || fail "radclient's Disconnect-Request for bob failed: $out"
[[ $out == *"Received Disconnect-ACK"* ]] || fail "the coordinator did not ACK the Disconnect-Request: $out"
grep -q "audit: user bob disconnected by RADIUS Disconnect-Request from 10.201.0.4:[0-9]* (station $mac2): 1 station(s)" "$COORD_LOG" ||
	fail "the coordinator logged no audit line for the Disconnect-Request"
[ "$(pmksa_of ap2 "$mac2")" -eq 0 ] || fail "ap2's hostapd still holds bob's PMKSA after his disconnection"
reauthed() { [ "$(logins OK bob)" -gt "$bob_logins" ] && on_air client2; }
wait_for 300 reauthed || fail "bob did not come back by a full EAP exchange ($(wpa_state client2), logins $(logins OK bob))"
ok "a RADIUS Disconnect-Request for bob's station (radclient): Disconnect-ACK once both APs confirmed; bob came back by a new EAP exchange, nothing refused"

out=$(dm 'User-Name = "nobody"') && fail "a Disconnect-Request for an unknown user was ACKed: $out"
[[ $out == *"Received Disconnect-NAK"*"Session-Context-Not-Found"* ]] || fail "no NAK 503 for an unknown user: $out"
out=$(printf 'User-Name = "bob", Event-Timestamp = %s, Message-Authenticator = 0x00\n' "$(date +%s)" |
	lab exec radius -- radclient -r 1 -t 2 "10.201.0.2:3799" disconnect not-the-secret 2>&1) &&
	fail "a Disconnect-Request under a wrong secret was answered: $out"
on_air client2 || fail "bob was disconnected by a request under a wrong secret"
[ "$(coord_counter das_dropped)" -ge 1 ] || fail "the coordinator counted no dropped Disconnect-Request"
ok "an unknown user is NAKed (Session-Context-Not-Found); a request under a wrong secret is dropped unanswered"
