// Transport endpoints and the flow keys that index every roamnat table.
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

// The address family is a property of this one type. Everything above the
// codecs names Address; IPv6 makes it a variant of Ipv4 and an Ipv6 type, and
// only what reads or writes addresses changes: parse/str/hash here, the
// protocol's Wire<Address> (common/protocol.cpp), socket_util.cpp, the packet
// parser (userd/packet_info.cpp) and the data planes' key builders.
using Address = Ipv4;

struct Endpoint {
	Address addr;
	uint16_t port = 0;
	friend auto operator<=>(const Endpoint &, const Endpoint &) = default;
	bool is_nil() const { return addr.is_unspecified() && port == 0; }
	std::string str() const;
	static std::optional<Endpoint> parse(std::string_view text);
};

// Inclusive: the masquerade ports, a filter rule's ports.
struct PortRange {
	uint16_t min = 0, max = 0;
	friend bool operator==(const PortRange &, const PortRange &) = default;
	bool contains(uint16_t p) const { return p >= min && p <= max; }
};

// ICMP is an echo (query) flow, RFC 5508: the identifier plays the client's
// port and the server's port is 0 (see PacketInfo for the packet's view).
enum class L4 : uint8_t { icmp = 1, tcp = 6, udp = 17 };
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
inline size_t hash_of(const Address &a, size_t seed = 0) { return hash_mix(seed, a.value); }
inline size_t hash_of(const Endpoint &e, size_t seed = 0)
{
	return hash_mix(seed, uint64_t(e.addr.value) << 16 | e.port);
}

} // namespace roamnat

template <> struct std::hash<roamnat::Address> {
	size_t operator()(const roamnat::Address &a) const noexcept { return roamnat::hash_of(a); }
};
template <> struct std::hash<roamnat::Endpoint> {
	size_t operator()(const roamnat::Endpoint &e) const noexcept { return roamnat::hash_of(e); }
};
template <> struct std::hash<roamnat::FlowKey> {
	size_t operator()(const roamnat::FlowKey &k) const noexcept
	{
		return roamnat::hash_of(k.server, roamnat::hash_of(k.client, uint8_t(k.proto)));
	}
};
template <> struct std::hash<roamnat::MasqKey> {
	size_t operator()(const roamnat::MasqKey &k) const noexcept
	{
		return roamnat::hash_of(k.masq, roamnat::hash_of(k.server, uint8_t(k.proto)));
	}
};
