#!/usr/bin/env bash
# Users on WPA2-Enterprise (roamlab up --wifi --eap: every hostapd does
# 802.1X against FreeRADIUS on the backbone). client1 authenticates as alice
# with PEAP-MSCHAPv2, client2 as bob with EAP-TTLS/PAP, each under the outer
# identity 'anonymous': the coordinator learns each station's inner user and
# method from its AP, and logs them. client1 roams to ap2 with a TCP upload
# open: ap2 authenticates it again (a full EAP exchange: no key handoff yet)
# and reports it, the binding moves to ap2, every byte arrives. A wrong
# password is refused by FreeRADIUS, the station never gets on the air
# (no association at hostapd, nothing sent to the coordinator), and the
# right one lets it in again. Runs in the QEMU guest.
. "$(dirname "$0")/lib.sh"
command -v freeradius >/dev/null || { echo "SKIP: freeradius is not installed (packaging/install-deps.sh)"; exit 77; }
wifi_lab_up --eap --aps 2 --clients 2
mac1=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
mac2=$(lab exec client2 -- cat /sys/class/net/wlan0/address)
RADIUS_LOG=$ROAMLAB_DIR/logs/radius.log
COORD_LOG=$ROAMLAB_DIR/logs/coordinator.log

user_of() { # mac: "USER AP METHOD" of the coordinator's binding
	lab ctl users --json | json_get "' '.join([u['user'], u['ap'], u['method']]) if (u := next((u for u in d if u['mac'] == '$1'), None)) else ''"
}
bound_as() { [ "$(user_of "$1")" = "$2" ]; } # mac "USER AP METHOD"
# Inner authentications FreeRADIUS accepted, or refused, for a user.
logins() { grep -c "Login $1.*\[$2\] (from client lab-aps port 0 via TLS tunnel)" "$RADIUS_LOG" || true; } # OK|incorrect user
wpa() { local c=$1; shift; lab exec "$c" -- wpa_cli -p "$ROAMLAB_DIR/wpa/$c" -i wlan0 "$@"; }
wpa_state() { wpa "$1" status | sed -n 's/^wpa_state=//p'; }

wait_for 100 bound_as "$mac1" "alice ap1 PEAP" || fail "the coordinator has no alice for $mac1: $(lab ctl users)"
wait_for 100 bound_as "$mac2" "bob ap1 TTLS" || fail "the coordinator has no bob for $mac2: $(lab ctl users)"
[ "$(logins OK alice)" -eq 1 ] && [ "$(logins OK bob)" -eq 1 ] ||
	fail "FreeRADIUS did not log one accepted inner login each: $(grep Login "$RADIUS_LOG")"
grep -q "audit: station $mac1 authenticated: user=alice ap=ap1 method=PEAP" "$COORD_LOG" ||
	fail "the coordinator logged no audit line for alice"
[ "$(counter ap1 station_authentications)" -eq 2 ] || fail "ap1 counted $(counter ap1 station_authentications) authentications, not 2"
[ "$(coord_counter users)" -eq 2 ] || fail "the coordinator counts $(coord_counter users) users, not 2"
ok "alice (PEAP, $mac1) and bob (TTLS, $mac2) authenticated at ap1 under the outer identity 'anonymous'; the coordinator has both by their inner names"

start_transfer up 5001 200k
flowing 5001 20000 "before the roam"
lab roam client1 ap2 >/dev/null
wait_for 100 bound_as "$mac1" "alice ap2 PEAP" || fail "alice's binding did not move to ap2: $(lab ctl users)"
flowing 5001 20000 "after the roam to ap2"
finish_transfer 5001
[ "$(logins OK alice)" -eq 2 ] || fail "ap2 did not authenticate alice by a full EAP exchange: $(grep Login "$RADIUS_LOG")"
grep -q "audit: station $mac1 reauthenticated: user=alice ap=ap2 method=PEAP" "$COORD_LOG" ||
	fail "the coordinator logged no reauthentication of alice at ap2"
changes=$(coord_counter user_changes) # counted from the first one on
[ "${changes:-0}" -eq 0 ] || fail "a roam counted as a change of user"
ok "client1 roamed to ap2 and authenticated there again (FreeRADIUS: 2 logins of alice); the binding moved to ap2; $TRANSFERRED bytes of the upload intact"

# A wrong password. The supplicant's PMKSA cache would let it back without
# EAP: flushed, so the password is asked for.
auths=$(coord_counter user_authentications)
assoc=$(counter ap1 station_associations)
wpa client2 set_network 0 password '"not-bobs-password"' >/dev/null
wpa client2 pmksa_flush >/dev/null
wpa client2 reassociate >/dev/null
incorrect() { [ "$(logins incorrect bob)" -ge 1 ]; }
wait_for 150 incorrect || fail "FreeRADIUS refused no login of bob: $(grep Login "$RADIUS_LOG")"
eap_failed() { grep -q "CTRL-EVENT-EAP-FAILURE" "$ROAMLAB_DIR/logs/client2-wpa.log"; }
wait_for 100 eap_failed || fail "client2's supplicant saw no EAP failure"
[ "$(wpa_state client2)" != COMPLETED ] || fail "client2 is associated with a wrong password"
[ "$(counter ap1 station_associations)" -eq "$assoc" ] || fail "ap1 reported an association of a refused station"
[ "$(coord_counter user_authentications)" -eq "$auths" ] || fail "the coordinator recorded an authentication of a refused station"
ok "a wrong password for bob: FreeRADIUS refused it, the supplicant saw EAP failure, hostapd let the station on to nothing, the coordinator heard nothing"

wpa client2 set_network 0 password '"bob-lab-password"' >/dev/null
wpa client2 reassociate >/dev/null
completed() { [ "$(wpa_state client2)" = COMPLETED ]; }
wait_for 300 completed || fail "client2 did not get back on with the right password ($(wpa_state client2))"
wait_for 100 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl counters | awk '\$1 == \"user_authentications\" {print \$2}')\" -gt $auths ]" ||
	fail "the coordinator heard no new authentication of bob"
bound_as "$mac2" "bob ap1 TTLS" || fail "bob's binding is not at ap1: $(lab ctl users)"
ok "with the right password bob is back on ap1 and reported again"
