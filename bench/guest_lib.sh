# Shared by the guest benchmarks (bench/guest_bench.sh,
# bench/nft_policy_guest_bench.sh): sourced after ROOT, SECS, ROUNDS,
# SERVER, CLIENT and log() are set, inside a roamlab lab of the wired kind.
lab() { "$ROOT/lab/roamlab" "$@"; }
py() { python3 -c "$1"; }
mac_of() { lab exec "$1" -- cat "/sys/class/net/$2/address"; }
rx_packets() { lab exec "$1" -- cat "/sys/class/net/$2/statistics/rx_packets"; }

# 64-byte frames (60 + FCS) from pktgen in FROM's eth0, UDP SRC_IP:SPORT ->
# DST_IP:DPORT, next hop MAC; packets/s received on TO's DEV.
pps() { # from src_ip sport dst_ip dport mac to dev
	local from=$1 src=$2 sport=$3 dst=$4 dport=$5 mac=$6 to=$7 dev=$8 c0 c1
	lab exec "$from" -- sh -c "
		echo rem_device_all > /proc/net/pktgen/kpktgend_0
		echo add_device eth0 > /proc/net/pktgen/kpktgend_0
		P=/proc/net/pktgen/eth0
		for c in 'count 0' 'pkt_size 60' 'delay 0' 'clone_skb 0' 'dst $dst' 'dst_mac $mac' \
			'src_min $src' 'src_max $src' 'udp_src_min $sport' 'udp_src_max $sport' \
			'udp_dst_min $dport' 'udp_dst_max $dport'; do echo \"\$c\" > \$P; done"
	lab exec "$from" -- sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	local gen=$!
	sleep 1
	c0=$(rx_packets "$to" "$dev")
	sleep "$SECS"
	c1=$(rx_packets "$to" "$dev")
	lab exec "$from" -- sh -c 'echo stop > /proc/net/pktgen/pgctrl'
	wait $gen 2>/dev/null || true
	echo $(( (c1 - c0) / SECS ))
}

median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
# ROUNDS runs of a measurement command; prints the median.
rounds() {
	local v=()
	for _ in $(seq 1 "$ROUNDS"); do v+=("$("$@")"); done
	log "  $1 ${*: -3}: ${v[*]}"
	median "${v[@]}"
}

# 64-byte pps of the UDP flow CLIENT:5000 -> SERVER:9 through ap1.
pps_up() { pps client1 $CLIENT 5000 $SERVER 9 "$(mac_of ap1 cl1)" server1 eth0; }
# A UDP flow from CLIENT:5000 to SERVER:9, so the packets measured are translated.
prime_udp() { lab exec client1 -- sh -c 'echo x | socat -u - UDP:10.201.0.10:9,sourceport=5000'; sleep 1; }
