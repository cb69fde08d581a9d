// The headers roamd needs from a queued packet, parsed with every length checked.
#pragma once

#include "../common/endpoint.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace roamnat {

struct PacketInfo {
	L4 proto = L4::tcp;
	Endpoint src;
	Endpoint dst;
	uint8_t tcp_flags = 0;
	// An ICMP error about a TCP or UDP packet: proto, src and dst are the
	// quoted packet's, reversed, so they key the error like a packet
	// travelling the way the error does.
	bool icmp_error = false;
	bool syn_only() const { return proto == L4::tcp && (tcp_flags & 0x12) == 0x02; }
	bool fin() const { return proto == L4::tcp && (tcp_flags & 0x01); }
	bool rst() const { return proto == L4::tcp && (tcp_flags & 0x04); }
};

// nullopt with why set: not IPv4, neither TCP/UDP nor an ICMP error quoting
// one, a non-first fragment, truncated.
std::optional<PacketInfo> parse_packet(std::span<const uint8_t> pkt, std::string &why);

} // namespace roamnat
