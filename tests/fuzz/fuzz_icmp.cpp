// libFuzzer target: ICMP errors as the nftables back end queues them to
// roamd, translated against a table with one connection of each kind.
// Nothing may crash or read past the packet; a refusal says why and leaves
// the packet as it was; a translated packet keeps its length, has a valid
// ICMP checksum, and a valid IPv4 header checksum where its addresses changed.
#include "../../userd/icmp_translate.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

using namespace roamnat;

namespace {
uint16_t fold(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += uint32_t(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += uint32_t(p[n - 1]) << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return uint16_t(~sum);
}

const IcmpTables &tables()
{
	static const IcmpTables t = [] {
		IcmpTables t;
		Endpoint client = *Endpoint::parse("10.202.0.11:33000");
		Endpoint server = *Endpoint::parse("10.201.0.10:5001");
		Endpoint masq = *Endpoint::parse("10.201.0.101:40000");
		for (L4 p : {L4::tcp, L4::udp}) {
			t.out[FlowKey{p, client, server}] = masq;
			t.in[FlowKey{p, server, masq}] = client;
			t.sent[FlowKey{p, masq, server}] = client;
		}
		t.in[FlowKey{L4::icmp, Endpoint{server.addr, 0}, masq}] = client;
		return t;
	}();
	return t;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	auto origin = IcmpOrigin(data[0] % 3);
	std::vector<uint8_t> pkt(data + 1, data + size);
	const std::vector<uint8_t> before = pkt;
	std::string why;
	auto outcome = translate_icmp_error(pkt, origin, tables(), PortRange{40000, 59999}, why);
	if (pkt.size() != before.size())
		abort();
	if (outcome != IcmpOutcome::translated) {
		if (why.empty() || pkt != before)
			abort();
		return 0;
	}
	size_t ihl = size_t(pkt[0] & 0x0f) * 4;
	size_t total = size_t(pkt[2] << 8 | pkt[3]);
	bool outer_rewritten = !std::equal(pkt.begin() + 12, pkt.begin() + 20, before.begin() + 12);
	if ((outer_rewritten && fold(pkt.data(), ihl) != 0) || fold(pkt.data() + ihl, total - ihl) != 0)
		abort();
	return 0;
}
