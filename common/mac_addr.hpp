// A station's link-layer address: what hostapd and the neighbour table name
// a client by before its IPv4 address is known.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roamnat {

struct MacAddr {
	std::array<uint8_t, 6> bytes{};
	friend auto operator<=>(const MacAddr &, const MacAddr &) = default;
	std::string str() const;
	// Broadcast or multicast: the I/G bit.
	bool group() const { return bytes[0] & 1; }
	// "02:00:00:00:01:00", either case; nothing else.
	static std::optional<MacAddr> parse(std::string_view text);
};

// A RADIUS Calling-Station-Id: "02-00-00-00-01-00" (RFC 3580 3.21) or
// with colons, either case.
std::optional<MacAddr> parse_station_mac(std::string text);

} // namespace roamnat
