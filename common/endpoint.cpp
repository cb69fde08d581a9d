#include "endpoint.hpp"

#include <arpa/inet.h>
#include <charconv>

namespace roamnat {

std::string Ipv4::str() const
{
	char buf[INET_ADDRSTRLEN];
	in_addr a{htonl(value)};
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return buf;
}

std::optional<Ipv4> Ipv4::parse(std::string_view text)
{
	if (text.size() >= INET_ADDRSTRLEN)
		return std::nullopt;
	std::string copy(text);
	in_addr a{};
	if (inet_pton(AF_INET, copy.c_str(), &a) != 1)
		return std::nullopt;
	return Ipv4{ntohl(a.s_addr)};
}

std::string Endpoint::str() const
{
	return addr.str() + ":" + std::to_string(port);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text)
{
	auto colon = text.rfind(':');
	if (colon == std::string_view::npos)
		return std::nullopt;
	auto addr = Ipv4::parse(text.substr(0, colon));
	auto port_text = text.substr(colon + 1);
	unsigned port = 0;
	auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
	if (!addr || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
		return std::nullopt;
	return Endpoint{*addr, uint16_t(port)};
}

const char *l4_name(L4 proto)
{
	switch (proto) {
	case L4::icmp:
		return "icmp";
	case L4::tcp:
		return "tcp";
	case L4::udp:
		return "udp";
	}
	return "?";
}

std::optional<L4> l4_from_number(uint8_t number)
{
	if (number == uint8_t(L4::icmp))
		return L4::icmp;
	if (number == uint8_t(L4::tcp))
		return L4::tcp;
	if (number == uint8_t(L4::udp))
		return L4::udp;
	return std::nullopt;
}

std::string FlowKey::str() const
{
	return std::string(l4_name(proto)) + " " + client.str() + " -> " + server.str();
}

std::string MasqKey::str() const
{
	return std::string(l4_name(proto)) + " " + server.str() + " -> " + masq.str();
}

size_t hash_mix(size_t seed, uint64_t value)
{
	// splitmix64 finaliser: cheap and spreads sequential ports across buckets.
	uint64_t z = value + 0x9e3779b97f4a7c15ULL + (uint64_t(seed) << 6) + (seed >> 2);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return size_t(z ^ (z >> 31));
}

} // namespace roamnat
