// libFuzzer target: the header parser for packets held in NFQUEUE.
#include "../../userd/packet_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string why;
	auto pi = roamnat::parse_packet(std::span<const uint8_t>(data, size), why);
	if (pi)
		(void)pi->syn_only();
	return 0;
}
