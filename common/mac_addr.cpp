#include "mac_addr.hpp"

#include "hex.hpp"

#include <cstdio>

namespace roamnat {

std::string MacAddr::str() const
{
	char buf[18];
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
		 bytes[5]);
	return buf;
}

std::optional<MacAddr> MacAddr::parse(std::string_view text)
{
	if (text.size() != 17)
		return std::nullopt;
	MacAddr mac;
	for (size_t i = 0; i < 6; ++i) {
		int hi = hex_digit(text[3 * i]), lo = hex_digit(text[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && text[3 * i + 2] != ':'))
			return std::nullopt;
		mac.bytes[i] = uint8_t(hi << 4 | lo);
	}
	return mac;
}

std::optional<MacAddr> parse_station_mac(std::string text)
{
	for (char &c : text)
		if (c == '-')
			c = ':';
	return MacAddr::parse(text);
}

} // namespace roamnat
