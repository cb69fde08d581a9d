#!/usr/bin/env bash
# Station events from a real hostapd: ap1 authenticates its client with
# 802.1X (hostapd's wired driver and its own EAP server on the client link,
# wpa_supplicant's wired driver on the client; Wi-Fi itself runs in the
# guest's lab on mac80211_hwsim). roamd attaches to hostapd's control socket:
# the association is the client's arrival, a deauthentication by hostapd its
# departure (Fig. 13), and a hostapd that exits and comes back is attached to
# again and believed from its station list.
. "$(dirname "$0")/lib.sh"
command -v hostapd >/dev/null && command -v wpa_supplicant >/dev/null ||
	{ echo "SKIP: hostapd or wpa_supplicant not installed (packaging/install-deps.sh)"; exit 77; }
# The coordinator's policies: user client1 is under a policy of 100 rules,
# the last one permitting UDP to 5005 (the filtering check at the end).
{
	echo "policy wired100 default deny"
	for i in $(seq 1 99); do echo "deny in tcp from any to 10.$((100 + i)).0.0/16 80,443,8000-8080"; done
	echo "permit in udp from any to $SERVER 5005"
	echo "user client1 wired100"
} >"$WORK/policies"
ROAMLAB_POLICIES=$WORK/policies lab up --aps 2 --clients 1 >/dev/null

HAPD=$ROAMLAB_DIR/hostapd-ap1
WPA=$ROAMLAB_DIR/wpa-client1
mkdir -p "$HAPD" "$WPA"
cat >"$WORK/hostapd.conf" <<EOF
interface=cl1
driver=wired
ctrl_interface=$HAPD
ieee8021x=1
eapol_version=2
eap_server=1
eap_user_file=$WORK/eap_users
EOF
echo '"client1" MD5 "lab-secret"' >"$WORK/eap_users"
cat >"$WORK/wpa.conf" <<EOF
ctrl_interface=$WPA
ap_scan=0
network={
	key_mgmt=IEEE8021X
	eap=MD5
	identity="client1"
	password="lab-secret"
	eapol_flags=0
}
EOF
start_hostapd() {
	start_in ap1 hostapd hostapd "$WORK/hostapd.conf"
	wait_for 100 test -S "$HAPD/cl1" || fail "hostapd made no control socket: $(tail -5 "$WORK/hostapd.log")"
}
hapd_cli() { lab exec ap1 -- hostapd_cli -p "$HAPD" -i cl1 "$@"; }
associated() { hapd_cli all_sta | grep -q "$MAC"; }
MAC=$(lab exec client1 -- cat /sys/class/net/eth0/address)

start_hostapd
echo "hostapd = $HAPD/cl1" >>"$ROAMLAB_DIR/ap1.conf"
lab restart-daemon ap1 >/dev/null
wait_for 100 at_least ap1 hostapd_attached 1 || fail "roamd did not attach to hostapd: $(lab agentctl ap1 counters | grep hostapd)"
ok "roamd attached to hostapd's control socket"

# The lab's radio is a bridge; 802.1X frames (to 01:80:c2:00:00:03) must pass it.
lab exec air1 -- ip link set br0 type bridge group_fwd_mask 8
start_in client1 wpa wpa_supplicant -D wired -i eth0 -c "$WORK/wpa.conf"
wait_for 200 associated || fail "802.1X did not complete: $(tail -5 "$WORK/wpa.log")"
wait_for 100 at_least ap1 station_associations 1 ||
	fail "roamd missed AP-STA-CONNECTED: $(lab agentctl ap1 counters | grep -E 'hostapd|station')"
[ "$(counter ap1 stations_associated)" = 1 ] || fail "ap1 counts $(counter ap1 stations_associated) stations"
ok "the client's 802.1X authentication reached roamd as AP-STA-CONNECTED"

# A connection through ap1; the station's address is learned from its traffic.
# The stream stops before the departure: on a wired port nothing stops a
# deauthenticated station from sending (on Wi-Fi nothing can), and its next
# packet would be an arrival again.
start_udp 5003 50
wait_for 100 at_least ap1 stations_known 1 || fail "ap1 never learned the station's address"
[ "$(lab agentctl ap1 fam | awk 'NR > 1' | wc -l)" -ge 1 ] || fail "no FAM record on ap1: $(lab agentctl ap1 fam)"
finish_udp 5003 >/dev/null

# hostapd deauthenticates the station: that is the departure (Fig. 13 1300).
departures=$(counter ap1 departures); departures=${departures:-0}
hapd_cli deauthenticate "$MAC" >/dev/null
wait_for 100 sh -c "[ \"\$('$ROOT/lab/roamlab' agentctl ap1 counters | awk '\$1 == \"departures\" {print \$2}')\" -gt $departures ]" ||
	fail "no departure after hostapd deauthenticated the station: $(lab agentctl ap1 counters | grep -E 'depart|station')"
wait_for 50 sh -c "[ -z \"\$('$ROOT/lab/roamlab' agentctl ap1 fam | awk 'NR > 1')\" ]" ||
	fail "ap1 kept FAM records of the departed station: $(lab agentctl ap1 fam)"
conn=$(lab ctl connections --json)
fams=$(json_get '[f["agent"] for c in d for f in c["fams"]]' <<<"$conn")
[ "$fams" = "[]" ] || fail "the coordinator still lists FAMs $fams for the departed client: $conn"
ok "hostapd's deauthentication is the client's departure: ap1 and the coordinator dropped its FAM records"

# The station authenticates again: the arrival, then hostapd restarts.
lab exec client1 -- wpa_cli -p "$WPA" -i eth0 logon >/dev/null
lab exec client1 -- wpa_cli -p "$WPA" -i eth0 reassociate >/dev/null
wait_for 200 associated || fail "the station did not authenticate again"
wait_for 100 at_least ap1 station_associations 2 || fail "roamd missed the second association"
start_udp 5004 50
ok "associated again, a new stream flows through ap1"

lost=$(counter ap1 hostapd_lost)
stop_in hostapd
wait_for 100 sh -c "[ \"\$('$ROOT/lab/roamlab' agentctl ap1 counters | awk '\$1 == \"hostapd_lost\" {print \$2}')\" -gt $lost ]" ||
	fail "roamd did not notice hostapd exiting"
[ "$(counter ap1 stations_associated)" = 0 ] || fail "stations of an exited hostapd still counted"
start_hostapd
wait_for 150 at_least ap1 hostapd_attached 1 || fail "roamd did not attach to the restarted hostapd"
lab exec client1 -- wpa_cli -p "$WPA" -i eth0 reassociate >/dev/null
wait_for 200 associated || fail "the station did not authenticate with the restarted hostapd"
wait_for 100 sh -c "[ \"\$('$ROOT/lab/roamlab' agentctl ap1 counters | awk '\$1 == \"stations_associated\" {print \$2}')\" = 1 ]" ||
	fail "roamd did not take the station from the restarted hostapd"
flowing 5004 50 "after hostapd restarted"
ok "hostapd exited and restarted: roamd attached again, took its station list, the stream goes on"
finish_udp 5004 >/dev/null

# Filtering on a port of hostapd's own EAP server (its exchanges count no
# identity responses; a wired port has no PMKSA cache to mistake for one):
# the station is user client1, under the 100-rule wired100, which one
# batch of the data plane carries. roamd restarts with filtering = deny and
# learns the station's address from the coordinator.
sed -i 's/^filtering = .*/filtering = deny/' "$ROAMLAB_DIR/ap1.conf"
lab restart-daemon ap1 >/dev/null
wait_for 150 bound_as "$MAC" "client1 ap1 MD5" || fail "the coordinator has no user client1 for the station: $(lab ctl users)"
under_policy() { grep -q "audit: station $MAC (user=client1) under policy wired100" "$ROAMLAB_DIR/logs/ap1.log"; }
wait_for 100 under_policy || fail "ap1 did not put the station under wired100: $(grep -i polic "$ROAMLAB_DIR/logs/ap1.log" | tail -3)"
start_udp 5005 50
denied=$(counter ap1 dp_policy_denied_packets)
lab exec client1 -- sh -c 'for i in 1 2 3; do echo x | socat -u - UDP:10.201.0.10:5006; done'
denied_more() { [ "$(counter ap1 dp_policy_denied_packets)" -ge $((${denied:-0} + 3)) ]; }
wait_for 50 denied_more || fail "ap1 denied $(counter ap1 dp_policy_denied_packets) packets, not 3 more than $denied"
finish_udp 5005 >/dev/null
ok "hostapd's own EAP server named user client1 (MD5); its 100-rule policy let UDP to 5005 through and dropped 3 datagrams to 5006"
stop_in wpa
stop_in hostapd
