// IPv4 transport endpoints and the flow keys that index every roamnat table.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace roamnat {

// Host byte order throughout userspace; the data planes convert at their edge.
struct Ipv4 {
	uint32_t value = 0;
	friend auto operator<=>(const Ipv4 &, const Ipv4 &) = default;
	bool is_unspecified() const { return value == 0; }
	std::string str() const;
	static std::optional<Ipv4> parse(std::string_view text);
};

struct Endpoint {
	Ipv4 addr;
	uint16_t port = 0;
	friend auto operator<=>(const Endpoint &, const Endpoint &) = default;
	bool is_nil() const { return addr.is_unspecified() && port == 0; }
	std::string str() const;
	static std::optional<Endpoint> parse(std::string_view text);
};

enum class L4 : uint8_t { tcp = 6, udp = 17 };
const char *l4_name(L4 proto);
std::optional<L4> l4_from_number(uint8_t number);

// Fig. 4 outbound key, Fig. 8 primary key: one connection between a client and a server.
struct FlowKey {
	L4 proto = L4::tcp;
	Endpoint client;
	Endpoint server;
	friend auto operator<=>(const FlowKey &, const FlowKey &) = default;
	std::string str() const;
};

// Fig. 5 key at the HAM and Fig. 12 key at the coordinator: what the server addresses.
struct MasqKey {
	L4 proto = L4::tcp;
	Endpoint server;
	Endpoint masq;
	friend auto operator<=>(const MasqKey &, const MasqKey &) = default;
	std::string str() const;
};

size_t hash_mix(size_t seed, uint64_t value);

} // namespace roamnat

template <> struct std::hash<roamnat::Endpoint> {
	size_t operator()(const roamnat::Endpoint &e) const noexcept
	{
		return roamnat::hash_mix(0, (uint64_t(e.addr.value) << 16) | e.port);
	}
};
template <> struct std::hash<roamnat::FlowKey> {
	size_t operator()(const roamnat::FlowKey &k) const noexcept
	{
		size_t h = roamnat::hash_mix(uint8_t(k.proto), (uint64_t(k.client.addr.value) << 16) | k.client.port);
		return roamnat::hash_mix(h, (uint64_t(k.server.addr.value) << 16) | k.server.port);
	}
};
template <> struct std::hash<roamnat::MasqKey> {
	size_t operator()(const roamnat::MasqKey &k) const noexcept
	{
		size_t h = roamnat::hash_mix(uint8_t(k.proto), (uint64_t(k.server.addr.value) << 16) | k.server.port);
		return roamnat::hash_mix(h, (uint64_t(k.masq.addr.value) << 16) | k.masq.port);
	}
};
