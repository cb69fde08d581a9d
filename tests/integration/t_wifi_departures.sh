#!/usr/bin/env bash
# A station leaves its AP in every way it can, under a live TCP upload:
# it disassociates, the AP deauthenticates it (hostapd_cli), its radio goes
# off the air without a frame (hostapd drops it after its inactivity
# timeout), and hostapd itself is killed and restarted. After each
# departure the AP holds no FAM record of the client and the coordinator's
# table names no FAM there; after each return the upload goes on, and at
# the end every byte is intact. A forged station event sent to roamd's
# hostapd socket by another process is refused by the kernel and changes
# nothing. One AP, so that the station can only come back to it (with two,
# wpa_supplicant may rejoin the other after a deauthentication). Runs in the
# QEMU guest.
. "$(dirname "$0")/lib.sh"
wifi_lab_up --aps 1 --clients 1
mac=$(lab exec client1 -- cat /sys/class/net/wlan0/address)
bssid=$(lab exec ap1 -- cat /sys/class/net/wlan0/address)
wpa() { lab exec client1 -- wpa_cli -p "$ROAMLAB_DIR/wpa/client1" -i wlan0 "$@"; }
associated() { wpa status | grep -qx "bssid=$bssid" && wpa status | grep -qx wpa_state=COMPLETED; }
ap1_serves_none() { [ -z "$(lab agentctl ap1 fam | awk 'NR > 1')" ]; }
coord_fams_at_ap1() { lab ctl connections --json | json_get 'sum(1 for c in d for f in c["fams"] if f["agent"] == "ap1")'; }
no_fam_at_ap1() { [ "$(coord_fams_at_ap1)" -eq 0 ]; }

start_transfer up 5001 200k
flowing 5001 20000 "before the first departure"

# Each departure: the AP lets go of the client, and so does the coordinator's table.
departed() { # how
	wait_for 150 ap1_serves_none || fail "after $1, ap1 still has FAM records: $(lab agentctl ap1 fam)"
	wait_for 100 no_fam_at_ap1 || fail "after $1, the coordinator still lists a FAM at ap1: $(lab ctl connections)"
	ok "$1: ap1 let go of the client and the coordinator's table names no FAM at ap1"
}
returned() { # how
	wait_for 150 associated || fail "client1 did not associate with ap1 again after $1"
	flowing 5001 20000 "after $1 and the client's return"
}

# A forged AP-STA-DISCONNECTED from another process on the AP: roamd's end
# of the hostapd socket is connected to hostapd's, so the kernel refuses it.
sock="$ROAMLAB_DIR/run/hostapd-ap1-wlan0"
[ -S "$sock" ] || fail "roamd's hostapd socket $sock is missing"
if lab exec ap1 -- python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b'<3>AP-STA-DISCONNECTED $mac', sys.argv[1])" "$sock" 2>"$WORK/forge.err"; then
	fail "a forged station event was accepted by roamd's hostapd socket"
fi
sleep 1 # proving an absence: the departure must not happen
ap1_serves_none && fail "a forged station event made ap1 let go of the client"
ok "a forged AP-STA-DISCONNECTED from another process was refused ($(tail -1 "$WORK/forge.err" | sed 's/.*Error: //')) and changed nothing"

deps=$(counter ap1 station_departures)
wpa disconnect >/dev/null
wait_for 100 at_least ap1 station_departures $((deps + 1)) || fail "ap1's roamd did not hear the disassociation"
departed "a disassociation"
wpa reconnect >/dev/null
returned "the disassociation"

deps=$(counter ap1 station_departures)
lab exec ap1 -- hostapd_cli -p "$ROAMLAB_DIR/hostapd/ap1" -i wlan0 deauthenticate "$mac" >/dev/null
wait_for 100 at_least ap1 station_departures $((deps + 1)) || fail "ap1's roamd did not hear the deauthentication"
departed "a deauthentication by the AP"
returned "the deauthentication"

deps=$(counter ap1 station_departures)
lab radio client1 off >/dev/null
wait_for 150 at_least ap1 station_departures $((deps + 1)) ||
	fail "ap1's roamd heard no departure after client1's radio went off the air"
departed "the radio going off the air"
lab radio client1 on >/dev/null
returned "the radio coming back"

attaches=$(grep -c 'attached to hostapd' "$ROAMLAB_DIR/logs/ap1.log" || true)
lab restart-daemon ap1-hostapd
reattached() { [ "$(grep -c 'attached to hostapd' "$ROAMLAB_DIR/logs/ap1.log" || true)" -gt "$attaches" ]; }
wait_for 300 reattached || fail "roamd did not attach to the restarted hostapd"
returned "hostapd's restart"
ok "hostapd killed and restarted: roamd attached again, the client associated again, the upload goes on"

finish_transfer 5001
ok "$TRANSFERRED bytes intact across four departures and returns (sha256 ${TRANSFER_SHA:0:16}...)"
