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
	// ICMP echo (RFC 5508 query): a request is src (addr, identifier) ->
	// dst (addr, 0), a reply src (addr, 0) -> dst (addr, identifier), so the
	// identifier keys the flow as a port does, on both data planes.
	bool echo_request = false;
	// An ICMP error about a TCP, UDP or echo packet: proto, src and dst are the
	// quoted packet's, reversed, so they key the error like a packet
	// travelling the way the error does.
	bool icmp_error = false;
	bool syn_only() const { return proto == L4::tcp && (tcp_flags & 0x12) == 0x02; }
	bool fin() const { return proto == L4::tcp && (tcp_flags & 0x01); }
	bool rst() const { return proto == L4::tcp && (tcp_flags & 0x04); }
};

// nullopt with why set: not IPv4, neither TCP/UDP nor ICMP echo nor an ICMP
// error quoting one of them, a non-first fragment, truncated.
std::optional<PacketInfo> parse_packet(std::span<const uint8_t> pkt, std::string &why);

// ICMP types roamnat translates (RFC 792).
constexpr uint8_t kIcmpEchoReply = 0, kIcmpEchoRequest = 8;
// Errors that quote the packet they answer: destination unreachable, source
// quench, time exceeded, parameter problem.
constexpr bool is_icmp_error(uint8_t type) { return type == 3 || type == 4 || type == 11 || type == 12; }

} // namespace roamnat
