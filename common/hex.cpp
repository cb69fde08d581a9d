#include "hex.hpp"

namespace roamnat {

bool hex_to_bytes(std::string_view text, SecretBytes &out)
{
	out.clear();
	if (text.size() % 2)
		return false;
	out.resize(text.size() / 2);
	for (size_t i = 0; i < out.size(); ++i) {
		int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			out.clear();
			return false;
		}
		out[i] = uint8_t(hi << 4 | lo);
	}
	return true;
}

} // namespace roamnat
