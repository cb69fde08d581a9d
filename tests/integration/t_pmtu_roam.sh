#!/usr/bin/env bash
# Path MTU discovery across a roam: a download anchored at ap1 goes on at
# ap2, whose client link is smaller (1280). ap2's own "fragmentation needed"
# quotes the packet as ap2 delivered it (server -> client); roamnat.ko
# rewrites the quote to server -> masquerade, so the server's socket lowers
# its segment size and the download completes. Without the translation the
# server ignores the error and the download stalls (a PMTU black hole).
. "$(dirname "$0")/lib.sh"
if [ "$ROAMLAB_BACKEND" != kmod ]; then
	echo "  skipped: ICMP errors are translated by roamnat.ko only (the nftables back end passes them)"
	exit 77
fi
lab up --aps 2 --clients 1 >/dev/null
make_payload "$WORK/tx.bin" 2000000
start_download 5004 800k
sleep 1
icmp0=$(counter ap2 dp_icmp_packets)
lab roam client1 ap2 >/dev/null
lab exec ap2 -- ip link set cl1 mtu 1280
finish_download
icmp=$(( $(counter ap2 dp_icmp_packets) - icmp0 ))
[ "$icmp" -gt 0 ] || fail "ap2 translated no ICMP error (did the MTU bite?)"
mtu=$(lab exec server1 -- ip route get 10.201.0.101 | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }')
[ "${mtu:-0}" -eq 1280 ] || fail "the server did not learn the smaller path MTU (route mtu '${mtu:-none}')"
ok "2000000 bytes intact after a roam to a 1280-byte client link: $icmp ICMP error(s) translated at ap2, the server's path MTU to the masquerade is $mtu"
