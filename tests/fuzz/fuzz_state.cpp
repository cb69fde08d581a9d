// libFuzzer target: roamcoord's state_file parser. What it accepts renders
// back to text that parses to the same state.
#include "../../coordinator/hard_state.hpp"

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	std::string err;
	auto st = roamnat::parse_hard_state(text, "fuzz.state", err);
	if (!st)
		return 0;
	auto again = roamnat::parse_hard_state(roamnat::render_hard_state(*st), "fuzz.state", err);
	if (!again || !(*again == *st))
		abort();
	return 0;
}
