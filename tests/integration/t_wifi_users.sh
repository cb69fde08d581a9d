#!/usr/bin/env bash
# Users and key handoff on WPA2-Enterprise (roamlab up --wifi --eap: every
# hostapd does 802.1X against FreeRADIUS on the backbone). client1
# authenticates as alice with PEAP-MSCHAPv2, client2 as bob with
# EAP-TTLS/PAP, each under the outer identity 'anonymous': the coordinator
# learns each station's inner user and method from its AP. FreeRADIUS hands
# each station's key to the coordinator (roamctl station-key), which gives
# it to ap2 (ap1 authenticated them and has it). alice (opportunistic key
# caching) roams to ap2 with a TCP upload open and gets in without an EAP
# exchange (FreeRADIUS and her supplicant see none), on the key ap2 was
# given; the upload arrives intact and the coordinator moves her binding.
# bob (no key caching) roams too: a full EAP exchange, the baseline. A
# wrong password is refused by FreeRADIUS, the station never gets on the
# air, the coordinator hears nothing; the right one lets it in again. The
# Access-Accepts' authorization (Filter-Id, NAS-Filter-Rule) travels with
# the keys, and the coordinator answers each station's policy. Runs in the
# QEMU guest.
. "$(dirname "$0")/lib.sh"
command -v freeradius >/dev/null || { echo "SKIP: freeradius is not installed (packaging/install-deps.sh)"; exit 77; }
wifi_lab_up --eap --aps 2 --clients 2
mac1=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
mac2=$(lab exec client2 -- cat /sys/class/net/wlan0/address)
RADIUS_LOG=$ROAMLAB_DIR/logs/radius.log
COORD_LOG=$ROAMLAB_DIR/logs/coordinator.log

eap_starts() { grep -c "CTRL-EVENT-EAP-STARTED" "$ROAMLAB_DIR/logs/$1-wpa.log" || true; } # client

wait_for 100 bound_as "$mac1" "alice ap1 PEAP" || fail "the coordinator has no alice for $mac1: $(lab ctl users)"
wait_for 100 bound_as "$mac2" "bob ap1 TTLS" || fail "the coordinator has no bob for $mac2: $(lab ctl users)"
[ "$(logins OK alice)" -eq 1 ] && [ "$(logins OK bob)" -eq 1 ] ||
	fail "FreeRADIUS did not log one accepted inner login each: $(grep Login "$RADIUS_LOG")"
grep -q "audit: station $mac1 authenticated: user=alice ap=ap1 method=PEAP" "$COORD_LOG" ||
	fail "the coordinator logged no audit line for alice"
[ "$(counter ap1 station_authentications)" -eq 2 ] || fail "ap1 counted $(counter ap1 station_authentications) authentications, not 2"
[ "$(coord_counter users)" -eq 2 ] || fail "the coordinator counts $(coord_counter users) users, not 2"
ok "alice (PEAP, $mac1) and bob (TTLS, $mac2) authenticated at ap1 under the outer identity 'anonymous'; the coordinator has both by their inner names"

wait_for 100 at_least ap2 pmksa_installed 2 ||
	fail "ap2's hostapd was not given both keys (pmksa_installed $(counter ap2 pmksa_installed)); roamctl station-key said: $(grep roamctl "$RADIUS_LOG")"
for m in "$mac1 (user=alice)" "$mac2 (user=bob)"; do
	grep -q "audit: key of station $m from radius, authenticated at ap1: handed to 1 AP(s): ap2" "$COORD_LOG" ||
		fail "the coordinator logged no handoff of $m's key to ap2"
done
[ "$(coord_counter keys)" -eq 2 ] || fail "the coordinator holds $(coord_counter keys) keys, not 2"
installed=$(counter ap1 pmksa_installed)
[ "${installed:-0}" -eq 0 ] || fail "ap1, which authenticated both, was given their keys again"
grep -q "audit: key of station $mac1 (user=alice) installed in BSS wlan0" "$ROAMLAB_DIR/logs/ap2.log" ||
	fail "ap2 logged no audit line for alice's key"
ok "FreeRADIUS handed both keys to the coordinator, which gave them to ap2 alone; ap2 installed them in its hostapd"

# Policies (docs/policy.md): alice's Access-Accept names one (Filter-Id),
# bob's brings its rules (NAS-Filter-Rule); both came with the keys.
grep -q "audit: key of station $mac1 (user=alice) from radius.*; authorized: Filter-Id=staff Class=0x726f616d6e6174$" "$COORD_LOG" ||
	fail "the coordinator logged no authorization for alice's key: $(grep "key of station $mac1" "$COORD_LOG")"
grep -q "audit: key of station $mac2 (user=bob) from radius.*; authorized: NAS-Filter-Rules=2$" "$COORD_LOG" ||
	fail "the coordinator logged no authorization for bob's key: $(grep "key of station $mac2" "$COORD_LOG")"
policy_of() { lab ctl policy "$1" --json | json_get 'd["user"] + " " + d["policy"] + " (" + d["source"] + ", default " + d["default"] + "): " + "; ".join(d["rules"])'; }
want="alice staff (Filter-Id, default deny): permit in ip from any to 10.201.0.0/24"
[ "$(policy_of "$mac1")" = "$want" ] || fail "alice's policy is '$(policy_of "$mac1")', not '$want'"
want="bob radius:bob (NAS-Filter-Rule, default deny): permit in tcp from any to 10.201.0.10 5001; deny in ip from any to any"
[ "$(policy_of "$mac2")" = "$want" ] || fail "bob's policy is '$(policy_of "$mac2")', not '$want'"
if out=$(lab ctl policy 02:00:00:00:99:00 2>&1); then fail "a MAC nobody authenticated at has a policy: $out"; fi
[[ $out == *"no user is known for station 02:00:00:00:99:00"* ]] || fail "roamctl policy for an unknown MAC said: $out"
users=$(lab ctl users --json | json_get '" ".join(sorted(u["user"] + "=" + u["policy"] for u in d))')
[ "$users" = "alice=staff bob=radius:bob" ] || fail "roamctl users lists the policies as $users"
grep -q "audit: policy for station $mac2 (user=bob) asked by roamctl: radius:bob (2 rule(s), default deny) from NAS-Filter-Rule" "$COORD_LOG" ||
	fail "the coordinator logged no audit line for the policy lookup of bob's station"
ok "policies: alice under staff by her Filter-Id, bob under his two NAS-Filter-Rules, an unknown MAC refused; each lookup audited"

starts=$(eap_starts client1)
start_transfer up 5001 200k
flowing 5001 20000 "before the roam"
lab roam client1 ap2 >/dev/null
wait_for 100 bound_as "$mac1" "alice ap2 PMKSA" || fail "alice's binding did not move to ap2 as a key handoff: $(lab ctl users)"
flowing 5001 20000 "after the roam to ap2"
finish_transfer 5001
[ "$(logins OK alice)" -eq 1 ] || fail "ap2 authenticated alice by EAP again: $(grep Login "$RADIUS_LOG")"
[ "$(eap_starts client1)" -eq "$starts" ] || fail "alice's supplicant ran EAP again at ap2"
[ "$(counter ap2 station_key_handoffs)" -eq 1 ] || fail "ap2 counted $(counter ap2 station_key_handoffs) key handoffs, not 1"
grep -q "audit: station $mac1 reauthenticated: user=alice ap=ap2 method=PMKSA" "$COORD_LOG" ||
	fail "the coordinator logged no reauthentication of alice at ap2"
ok "alice reassociated with ap2 on the handed-over key: no EAP exchange (FreeRADIUS: 1 login of alice, her supplicant: no EAP start), the binding moved to ap2; $TRANSFERRED bytes of the upload intact"

lab roam client2 ap2 >/dev/null
wait_for 100 bound_as "$mac2" "bob ap2 TTLS" || fail "bob's binding did not move to ap2: $(lab ctl users)"
[ "$(logins OK bob)" -eq 2 ] || fail "bob (no key caching) was not authenticated by EAP at ap2: $(grep Login "$RADIUS_LOG")"
changes=$(coord_counter user_changes) # counted from the first one on
[ "${changes:-0}" -eq 0 ] || fail "a roam counted as a change of user"
ok "bob, without key caching, had a full EAP exchange at ap2 (FreeRADIUS: 2 logins of bob)"

# A wrong password. The supplicant's PMKSA cache would let it back without
# EAP: flushed, so the password is asked for.
auths=$(coord_counter user_authentications)
assoc=$(sum_counter station_associations)
wpa client2 set_network 0 password '"not-bobs-password"' >/dev/null
wpa client2 pmksa_flush >/dev/null
wpa client2 reassociate >/dev/null
incorrect() { [ "$(logins incorrect bob)" -ge 1 ]; }
wait_for 150 incorrect || fail "FreeRADIUS refused no login of bob: $(grep Login "$RADIUS_LOG")"
eap_failed() { grep -q "CTRL-EVENT-EAP-FAILURE" "$ROAMLAB_DIR/logs/client2-wpa.log"; }
wait_for 100 eap_failed || fail "client2's supplicant saw no EAP failure"
[ "$(wpa_state client2)" != COMPLETED ] || fail "client2 is associated with a wrong password"
[ "$(sum_counter station_associations)" -eq "$assoc" ] || fail "an AP reported an association of a refused station"
[ "$(coord_counter user_authentications)" -eq "$auths" ] || fail "the coordinator recorded an authentication of a refused station"
ok "a wrong password for bob: FreeRADIUS refused it, the supplicant saw EAP failure, hostapd let the station on to nothing, the coordinator heard nothing"

wpa client2 set_network 0 password '"bob-lab-password"' >/dev/null
wpa client2 reassociate >/dev/null
completed() { [ "$(wpa_state client2)" = COMPLETED ]; }
wait_for 300 completed || fail "client2 did not get back on with the right password ($(wpa_state client2))"
wait_for 100 sh -c "[ \"\$('$ROOT/lab/roamlab' ctl counters | awk '\$1 == \"user_authentications\" {print \$2}')\" -gt $auths ]" ||
	fail "the coordinator heard no new authentication of bob"
[[ $(user_of "$mac2") == "bob ap"[12]" TTLS" ]] || fail "bob's binding is not a new TTLS authentication: $(lab ctl users)"
ok "with the right password bob is back on and reported again"
