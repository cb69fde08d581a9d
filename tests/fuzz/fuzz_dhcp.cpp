// libFuzzer target: packets as roamd's DHCP snooping socket reads them.
// Nothing may crash; a refusal says why; what parses is consistent with the
// bytes it came from.
#include "../../userd/dhcp_messages.hpp"

#include <algorithm>
#include <cstdlib>

using namespace roamnat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string why;
	auto m = parse_dhcp({data, size}, why);
	if (!m) {
		if (why.empty())
			abort();
		return 0;
	}
	size_t ihl = size_t(data[0] & 0x0f) * 4;
	const uint8_t *bootp = data + ihl + 8;
	if (m->reply != (bootp[0] == 2) || !std::equal(m->client.bytes.begin(), m->client.bytes.end(), bootp + 28))
		abort();
	if (unsigned(m->type) < 1 || unsigned(m->type) > 8)
		abort();
	return 0;
}
