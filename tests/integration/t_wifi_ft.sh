#!/usr/bin/env bash
# 802.11r FT-EAP across subnets (roamlab up --wifi --eap --ft). Every BSS
# offers FT-EAP in mobility domain a1b2, its key holders configured from
# the coordinator's configuration (roamctl ft-config). alice (client1,
# PEAP-MSCHAPv2, key_mgmt FT-EAP) authenticates at ap1, whose hostapd
# becomes her R0KH. She roams to ap2 with a TCP upload open: ap2's hostapd
# asks for her PMK-R1 with a layer-2 frame that roamd carries to ap1
# through the coordinator (ft_relay), across the routed backbone, and ap1
# answers the same way. She reassociates by FT with no EAP exchange
# (FreeRADIUS and her supplicant see none), the upload arrives intact, and
# the coordinator moves her binding as an FT handoff. She goes back to ap1
# by FT too. ft-config is refused to a certificate that is no operator's.
# Runs in the QEMU guest.
. "$(dirname "$0")/lib.sh"
command -v freeradius >/dev/null || { echo "SKIP: freeradius is not installed (packaging/install-deps.sh)"; exit 77; }
wifi_lab_up --eap --ft --aps 2 --clients 1
mac1=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
COORD_LOG=$ROAMLAB_DIR/logs/coordinator.log
eap_starts() { grep -c "CTRL-EVENT-EAP-STARTED" "$ROAMLAB_DIR/logs/client1-wpa.log" || true; }
key_mgmt() { wpa client1 status | sed -n 's/^key_mgmt=//p'; }
# The AKM of alice's association, as the AP's hostapd has it.
akm_at() { lab exec "$1" -- hostapd_cli -p "$ROAMLAB_DIR/hostapd/$1" -i wlan0 sta "$mac1" | sed -n 's/^AKMSuiteSelector=//p'; }

grep -q "^mobility_domain=a1b2$" "$ROAMLAB_DIR/ap1-hostapd.conf" && grep -q "^r0kh=ff:ff:ff:ff:ff:ff \* [0-9a-f]\{64\}$" "$ROAMLAB_DIR/ap1-hostapd.conf" ||
	fail "ap1's hostapd.conf has no mobility domain or key holders from roamctl ft-config"
[ "$(stat -c %a "$ROAMLAB_DIR/ap1-hostapd.conf")" = 600 ] || fail "ap1's hostapd.conf, which holds the FT key, is not mode 600"
grep -q "audit: 802.11r key holders' key of mobility domain a1b2 given to operator roamctl" "$COORD_LOG" ||
	fail "the coordinator logged no audit line for ft-config"
coord=$(sed -n 's/^coordinator = //p' "$ROAMLAB_DIR/roamctl.conf")
if out=$(lab exec coordinator -- "$ROAMNAT_BIN/roamctl" --coordinator "$coord" --ca "$ROAMLAB_DIR/pki/ca.crt" \
	--cert "$ROAMLAB_DIR/pki/ap1.crt" --key "$ROAMLAB_DIR/pki/ap1.key" ft-config 2>&1); then
	fail "the coordinator gave the FT key to ap1's certificate: $out"
fi
[[ $out == *"'ap1' is not in this coordinator's operators list"* ]] || fail "ft-config as ap1 said: $out"
ok "both APs' hostapd.conf (mode 600) carry mobility domain a1b2 and key holders from roamctl ft-config; a non-operator is refused"

wait_for 100 bound_as "$mac1" "alice ap1 PEAP" || fail "the coordinator has no alice at ap1: $(lab ctl users)"
[ "$(key_mgmt)" = FT-EAP ] || fail "alice associated with key_mgmt $(key_mgmt), not FT-EAP"
[ "$(akm_at ap1)" = 00-0f-ac-3 ] || fail "ap1 has alice under AKM $(akm_at ap1), not FT over 802.1X (00-0f-ac-3)"
[ "$(logins OK alice)" -eq 1 ] || fail "FreeRADIUS did not log one login of alice"
ok "alice authenticated at ap1 by PEAP with FT-EAP (her initial mobility domain association)"

starts=$(eap_starts client1)
relayed0=$(counter ap1 ft_frames_delivered)
start_transfer up 5001 200k
flowing 5001 20000 "before the roam"
lab roam client1 ap2 >/dev/null
wait_for 100 bound_as "$mac1" "alice ap2 FT" || fail "alice's binding did not move to ap2 as an FT handoff: $(lab ctl users)"
flowing 5001 20000 "after the FT roam to ap2"
[ "$(logins OK alice)" -eq 1 ] || fail "ap2 authenticated alice by EAP: $(grep Login "$ROAMLAB_DIR/logs/radius.log")"
[ "$(eap_starts client1)" -eq "$starts" ] || fail "alice's supplicant ran EAP at ap2"
[ "$(key_mgmt)" = FT-EAP ] && [ "$(akm_at ap2)" = 00-0f-ac-3 ] || fail "alice is not on ap2 by FT: $(key_mgmt), AKM $(akm_at ap2)"
# ap2's pull reached ap1's hostapd, and ap1's answer ap2's.
[ "$(counter ap2 ft_frames_sent)" -ge 1 ] && [ "$(counter ap1 ft_frames_delivered)" -gt "${relayed0:-0}" ] ||
	fail "no key holder frame went from ap2 to ap1 (ap2 sent $(counter ap2 ft_frames_sent), ap1 was given $(counter ap1 ft_frames_delivered))"
[ "$(counter ap1 ft_frames_sent)" -ge 1 ] && [ "$(counter ap2 ft_frames_delivered)" -ge 1 ] ||
	fail "no key holder frame went from ap1 to ap2 (ap1 sent $(counter ap1 ft_frames_sent), ap2 was given $(counter ap2 ft_frames_delivered))"
[ "$(counter ap2 station_ft_handoffs)" -eq 1 ] || fail "ap2 counted $(counter ap2 station_ft_handoffs) FT handoffs, not 1"
grep -q "audit: station $mac1 reauthenticated: user=alice ap=ap2 method=FT" "$COORD_LOG" ||
	fail "the coordinator logged no FT reauthentication of alice at ap2"
grep -q "802.11r key holder .* is at agent ap2" "$COORD_LOG" || fail "the coordinator did not learn ap2's key holder"
ok "alice roamed to ap2 by FT: her PMK-R1 came from ap1's key holder through the coordinator ($(coord_counter ft_frames_flooded) frame(s) flooded, $(coord_counter ft_frames_relayed) relayed), no EAP exchange"

# Back at her R0KH: hostapd there carries on the 802.1X session of her EAP
# exchange, whose method it names (PEAP).
lab roam client1 ap1 >/dev/null
wait_for 100 bound_as "$mac1" "alice ap1 *" || fail "alice's binding did not move back to ap1: $(lab ctl users)"
flowing 5001 20000 "after the FT roam back to ap1"
finish_transfer 5001
[ "$(akm_at ap1)" = 00-0f-ac-3 ] || fail "alice is not on ap1 by FT: AKM $(akm_at ap1)"
[ "$(logins OK alice)" -eq 1 ] && [ "$(eap_starts client1)" -eq "$starts" ] || fail "alice ran EAP on her way back to ap1"
ok "back to ap1 by FT, no EAP; $TRANSFERRED bytes of the upload intact across both roams"
