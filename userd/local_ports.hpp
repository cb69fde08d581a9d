// Local sockets that already hold a masquerade port. roamd reserves its
// port_range from the kernel's ephemeral ports when it starts, but a daemon
// started earlier (hostapd's RADIUS client, a DHCP relay) may have been
// given one before: packets to it then look like masquerade traffic and are
// dropped as connections nobody anchored. Found so the operator is told.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace roamnat {

struct LocalSocket {
	std::string proto; // "tcp" or "udp"
	std::string local; // ADDRESS:PORT
	uint16_t port = 0;
};

// The sockets of one /proc/net/{tcp,udp} table whose local port lies in
// [min, max]: listening or connected, every socket receives. Lines that do
// not parse are skipped.
std::vector<LocalSocket> local_sockets_in_range(std::istream &proc_net_table, const std::string &proto,
						uint16_t min, uint16_t max);

// Both tables of the current network namespace.
std::vector<LocalSocket> local_sockets_in_range(uint16_t min, uint16_t max);

} // namespace roamnat
