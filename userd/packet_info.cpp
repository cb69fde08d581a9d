#include "packet_info.hpp"

namespace roamnat {

std::optional<PacketInfo> parse_packet(std::span<const uint8_t> p, std::string &why)
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
	auto proto = l4_from_number(p[9]);
	if (!proto) {
		why = "neither TCP nor UDP";
		return std::nullopt;
	}
	uint16_t frag = uint16_t(p[6] << 8 | p[7]);
	if (frag & 0x1fff) {
		why = "non-first fragment";
		return std::nullopt;
	}
	size_t need = ihl + (*proto == L4::tcp ? 14 : 8);
	if (p.size() < need) {
		why = "truncated transport header";
		return std::nullopt;
	}
	auto be32 = [&](size_t o) { return uint32_t(p[o]) << 24 | uint32_t(p[o + 1]) << 16 | uint32_t(p[o + 2]) << 8 | p[o + 3]; };
	auto be16 = [&](size_t o) { return uint16_t(p[o] << 8 | p[o + 1]); };
	PacketInfo info;
	info.proto = *proto;
	info.src = {Ipv4{be32(12)}, be16(ihl)};
	info.dst = {Ipv4{be32(16)}, be16(ihl + 2)};
	if (*proto == L4::tcp)
		info.tcp_flags = p[ihl + 13];
	return info;
}

} // namespace roamnat
