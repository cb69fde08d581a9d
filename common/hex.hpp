// Keys and addresses as hex text: hostapd's control interface, RADIUS
// exec variables, key files.
#pragma once

#include "secret.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace roamnat {

// 0-15, or -1 for a character that is not a hex digit (either case).
constexpr int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
// Exactly text.size() / 2 bytes; false for an odd length or a non-hex
// character, out then holding nothing.
bool hex_to_bytes(std::string_view text, SecretBytes &out);
// Lower-case digits appended to out, which may be a std::string or a
// container that wipes itself.
template <typename Out> void append_hex(std::span<const uint8_t> bytes, Out &out)
{
	static constexpr char kDigits[] = "0123456789abcdef";
	for (uint8_t b : bytes) {
		out.push_back(kDigits[b >> 4]);
		out.push_back(kDigits[b & 15]);
	}
}

} // namespace roamnat
