// roamd's configuration keys (docs/configuration.md).
#pragma once

#include "../common/config_keys.hpp"

namespace roamnat {

inline constexpr ConfigKey kRoamdConfigKeys[] = {
	{"coordinator", nullptr, "coordinator address:port"},
	{"ca", nullptr, "CA certificate (PEM) that signs the coordinator"},
	{"cert", nullptr, "this agent's certificate; its CN is the agent's name"},
	{"key", nullptr, "this agent's private key"},
	{"address", nullptr, "backbone IPv4 address: FAM address, and masquerade address without masquerade_addresses"},
	{"masquerade_addresses", "",
	 "IPv4 addresses (up to 16) the connections anchored here are masqueraded on, kept apart from address so "
	 "another host can take them over; roamd adds each as a /32 to address's interface; empty: address"},
	{"client_interfaces", nullptr, "client-facing interfaces; 'wlan*' matches a prefix"},
	{"port_range", "40000-59999", "masquerade and FAM ports, reserved from local use"},
	{"port_quarantine", "120", "seconds a released port waits before reuse"},
	{"ham_policy", "local", "local | host:AGENT | port (Fig. 9 900)"},
	{"ham_ports", "", "with ham_policy = port: 'PORT:AGENT ...'"},
	{"outbound", "direct", "direct | via-ham"},
	{"udp_idle_timeout", "60", "seconds without traffic before a UDP flow ends"},
	{"tcp_idle_timeout", "7200", "the same for TCP (FIN/RST end it sooner)"},
	{"miss_queue", "0", "NFQUEUE number for misses at the FAM (Fig. 6)"},
	{"event_queue", "1", "NFQUEUE number for TCP FIN/RST"},
	{"ham_miss_queue", "2", "NFQUEUE number for misses at the HAM (Fig. 7)"},
	{"icmp_queue", "3", "NFQUEUE number for ICMP errors roamd translates (nftables back end)"},
	{"policy_queue", "4", "NFQUEUE number for packets that wait for their client's policy (filtering = hold)"},
	{"other_protocols", "drop", "drop | pass: what clients send that is not TCP, UDP or ICMP echo"},
	{"miss_hold_ms", "2000", "longest a packet is held for an answer"},
	{"max_held_packets", "4096", "packets held at once; more are dropped"},
	{"backend", "auto", "kmod | nftables | auto (kmod if roamnat.ko is loaded)"},
	{"control_socket", "/run/roamnat/roamd.sock", "socket for 'roamctl --agent'; empty: none"},
	{"hostapd", "", "hostapd control sockets of this AP's BSSes ('/run/hostapd/wlan0 ...'); empty: none"},
	{"filtering", "off",
	 "off | deny | hold: per-user policies from the coordinator (docs/policy.md); hold: a client's packets wait "
	 "for its policy (up to miss_hold_ms) instead of being dropped"},
	{"dhcp_snooping", "yes", "learn each station's address from the DHCP replies this AP sends to it"},
	{"ft_relay", "",
	 "802.11r across subnets: the interface whose peer hostapd's bridge= names; its key holder frames "
	 "(PMK-R1 pull, push) go to the other APs through the coordinator; empty: none"},
	{"log_level", "info", "debug, info, warn or error"},
};

} // namespace roamnat
