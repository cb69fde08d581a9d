// DHCPv4 messages as roamd sees them leave toward a client (RFC 2131, 2132):
// which station (chaddr) was given which address (yiaddr). Every length is
// checked; the parser reads an IPv4 packet, header first. The socket that
// sees them is dhcp_snoop.cpp.
#pragma once

#include "../common/endpoint.hpp"
#include "../common/mac_addr.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace roamnat {

struct DhcpMessage {
	enum class Type : uint8_t {
		discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6, release = 7, inform = 8,
	};
	bool reply = false; // BOOTREPLY: from a server or relay toward the client
	Type type = Type::discover;
	MacAddr client;     // chaddr
	Address yiaddr;     // the address given (ack, offer)
	uint32_t lease = 0; // seconds, option 51; 0 when absent
};

const char *dhcp_type_name(DhcpMessage::Type t);

// nullopt with why set: not IPv4/UDP between ports 67 and 68, truncated or
// inconsistent lengths, a fragment, not Ethernet addressing (htype 1, hlen 6),
// no magic cookie, options that overrun, no or an unknown message type.
std::optional<DhcpMessage> parse_dhcp(std::span<const uint8_t> ip_packet, std::string &why);

} // namespace roamnat
