#include "packet_info.hpp"

namespace roamnat {

namespace {

uint32_t be32(std::span<const uint8_t> p, size_t o)
{
	return uint32_t(p[o]) << 24 | uint32_t(p[o + 1]) << 16 | uint32_t(p[o + 2]) << 8 | p[o + 3];
}
uint16_t be16(std::span<const uint8_t> p, size_t o) { return uint16_t(p[o] << 8 | p[o + 1]); }

// The echo identifier as the port of its side of the flow (PacketInfo).
std::optional<PacketInfo> parse_echo(std::span<const uint8_t> p, size_t ihl, std::string &why)
{
	uint8_t type = p[ihl];
	if (type != kIcmpEchoRequest && type != kIcmpEchoReply) {
		why = "ICMP type " + std::to_string(type) + ": neither echo nor an error about a translated packet";
		return std::nullopt;
	}
	PacketInfo info;
	info.proto = L4::icmp;
	info.echo_request = type == kIcmpEchoRequest;
	uint16_t id = be16(p, ihl + 4);
	info.src = {Ipv4{be32(p, 12)}, info.echo_request ? id : uint16_t(0)};
	info.dst = {Ipv4{be32(p, 16)}, info.echo_request ? uint16_t(0) : id};
	return info;
}

// An IPv4 header and the start of its TCP, UDP or ICMP header: the whole
// UDP header or TCP up to its flags, or only the ports when quoted in an
// ICMP error (RFC 792 quotes 8 bytes, which hold an echo's identifier).
std::optional<PacketInfo> parse_ip(std::span<const uint8_t> p, bool quoted, std::string &why)
{
	if (p.size() < 20 || (p[0] >> 4) != 4) {
		why = "not an IPv4 packet";
		return std::nullopt;
	}
	size_t ihl = size_t(p[0] & 0x0f) * 4;
	if (ihl < 20 || p.size() < ihl) {
		why = "bad IPv4 header length";
		return std::nullopt;
	}
	if (be16(p, 6) & 0x1fff) {
		why = "non-first fragment";
		return std::nullopt;
	}
	if (p[9] == 1 && p.size() < ihl + 8) {
		why = "truncated ICMP header";
		return std::nullopt;
	}
	if (p[9] == 1 && (quoted || !is_icmp_error(p[ihl])))
		return parse_echo(p, ihl, why);
	if (p[9] == 1) {
		auto answered = parse_ip(p.subspan(ihl + 8), true, why);
		if (!answered) {
			why = "ICMP error quoting: " + why;
			return std::nullopt;
		}
		// Keyed like a packet travelling the other way (the error answers it).
		PacketInfo info;
		info.proto = answered->proto;
		info.src = answered->dst;
		info.dst = answered->src;
		info.icmp_error = true;
		return info;
	}
	auto proto = l4_from_number(p[9]);
	if (!proto || *proto == L4::icmp) {
		why = "neither TCP nor UDP nor ICMP";
		return std::nullopt;
	}
	size_t l4_min = quoted ? 4 : *proto == L4::tcp ? 14 : 8;
	if (p.size() < ihl + l4_min) {
		why = "truncated transport header";
		return std::nullopt;
	}
	PacketInfo info;
	info.proto = *proto;
	info.src = {Ipv4{be32(p, 12)}, be16(p, ihl)};
	info.dst = {Ipv4{be32(p, 16)}, be16(p, ihl + 2)};
	if (*proto == L4::tcp && !quoted)
		info.tcp_flags = p[ihl + 13];
	return info;
}

} // namespace

std::optional<PacketInfo> parse_packet(std::span<const uint8_t> p, std::string &why)
{
	return parse_ip(p, false, why);
}

} // namespace roamnat
