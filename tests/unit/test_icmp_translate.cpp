#include "../../userd/icmp_translate.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace roamnat;

namespace {

const Endpoint kClient = *Endpoint::parse("10.202.0.11:33000");
const Endpoint kServer = *Endpoint::parse("10.201.0.10:5001");
const Endpoint kMasq = *Endpoint::parse("10.201.0.101:40000");
const Address kRouter = *Ipv4::parse("10.201.0.250");
const PortRange kPorts{40000, 59999};

uint16_t rd16(const std::vector<uint8_t> &p, size_t o) { return uint16_t(p[o] << 8 | p[o + 1]); }
void wr16(std::vector<uint8_t> &p, size_t o, uint16_t v)
{
	p[o] = uint8_t(v >> 8);
	p[o + 1] = uint8_t(v);
}
void wr32(std::vector<uint8_t> &p, size_t o, uint32_t v)
{
	wr16(p, o, uint16_t(v >> 16));
	wr16(p, o + 2, uint16_t(v));
}

uint32_t sum16(const std::vector<uint8_t> &p, size_t from, size_t to, uint32_t sum = 0)
{
	for (size_t i = from; i + 1 < to; i += 2)
		sum += rd16(p, i);
	if ((to - from) & 1)
		sum += uint32_t(p[to - 1]) << 8;
	return sum;
}
uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return uint16_t(~sum);
}

std::vector<uint8_t> ip(uint8_t proto, Address src, Address dst, size_t payload)
{
	std::vector<uint8_t> p(20 + payload, 0);
	p[0] = 0x45;
	wr16(p, 2, uint16_t(p.size()));
	p[8] = 64;
	p[9] = proto;
	wr32(p, 12, src.value);
	wr32(p, 16, dst.value);
	wr16(p, 10, fold(sum16(p, 0, 20)));
	return p;
}

// A whole UDP datagram without payload (its checksum then covers all of it)
// or an echo request: what an error quotes.
std::vector<uint8_t> udp(Endpoint src, Endpoint dst)
{
	auto p = ip(17, src.addr, dst.addr, 8);
	wr16(p, 20, src.port);
	wr16(p, 22, dst.port);
	wr16(p, 24, 8);
	return p;
}
uint32_t pseudo(const std::vector<uint8_t> &p, size_t at)
{
	return sum16(p, at + 12, at + 20) + p[at + 9] + rd16(p, at + 2) - 20;
}
void udp_checksum(std::vector<uint8_t> &p)
{
	wr16(p, 26, fold(sum16(p, 20, 28, pseudo(p, 0))));
}
std::vector<uint8_t> echo(Address src, Address dst, uint16_t id)
{
	auto p = ip(1, src, dst, 8);
	p[20] = 8;
	wr16(p, 24, id);
	wr16(p, 26, 7); // sequence
	wr16(p, 22, fold(sum16(p, 20, 28)));
	return p;
}

std::vector<uint8_t> error(uint8_t type, Address src, Address dst, const std::vector<uint8_t> &quoted)
{
	auto p = ip(1, src, dst, 8 + quoted.size());
	p[20] = type;
	std::copy(quoted.begin(), quoted.end(), p.begin() + 28);
	wr16(p, 22, fold(sum16(p, 20, p.size())));
	return p;
}

void checksums_hold(const std::vector<uint8_t> &p)
{
	CHECK(fold(sum16(p, 0, 20)) == 0);          // outer IPv4
	CHECK(fold(sum16(p, 20, p.size())) == 0);   // ICMP
	CHECK(fold(sum16(p, 28, 48)) == 0);         // quoted IPv4
	if (p[28 + 9] == 17)                        // quoted UDP, whole
		CHECK(fold(sum16(p, 48, 56, pseudo(p, 28))) == 0);
	if (p[28 + 9] == 1)                         // quoted echo header
		CHECK(fold(sum16(p, 48, 56)) == 0);
}

Address addr_at(const std::vector<uint8_t> &p, size_t o)
{
	return Ipv4{uint32_t(rd16(p, o)) << 16 | rd16(p, o + 2)};
}

} // namespace

TEST_CASE("an error from the network about a masquerade goes to the next hop, quote and all")
{
	IcmpTables t;
	t.in[FlowKey{L4::udp, kServer, kMasq}] = kClient; // this AP is HAM and FAM
	auto quoted = udp(kMasq, kServer);
	udp_checksum(quoted);
	auto p = error(3, kRouter, kMasq.addr, quoted);
	std::string why;
	REQUIRE(translate_icmp_error(p, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::translated);
	CHECK(addr_at(p, 12) == kRouter);
	CHECK(addr_at(p, 16) == kClient.addr);
	CHECK(addr_at(p, 28 + 12) == kClient.addr);
	CHECK(rd16(p, 48) == kClient.port);
	CHECK(rd16(p, 50) == kServer.port);
	checksums_hold(p);
}

TEST_CASE("a client's error about a server's packet leaves with the masquerade")
{
	IcmpTables t;
	t.out[FlowKey{L4::udp, kClient, kServer}] = kMasq;
	auto quoted = udp(kServer, kClient);
	udp_checksum(quoted);
	auto p = error(3, kClient.addr, kServer.addr, quoted);
	std::string why;
	REQUIRE(translate_icmp_error(p, IcmpOrigin::client, t, kPorts, why) == IcmpOutcome::translated);
	CHECK(addr_at(p, 12) == kMasq.addr);
	CHECK(addr_at(p, 16) == kServer.addr);
	CHECK(addr_at(p, 28 + 16) == kMasq.addr);
	CHECK(rd16(p, 50) == kMasq.port);
	checksums_hold(p);
	// The same error sent by this host keeps its own source.
	auto own = error(3, kRouter, kServer.addr, quoted);
	REQUIRE(translate_icmp_error(own, IcmpOrigin::this_host, t, kPorts, why) == IcmpOutcome::translated);
	CHECK(addr_at(own, 12) == kRouter);
	CHECK(addr_at(own, 28 + 16) == kMasq.addr);
	checksums_hold(own);
}

TEST_CASE("this host's error about a packet it translated outbound goes to the client")
{
	// Fragmentation needed on the uplink, quoting masquerade -> server with
	// another AP's masquerade: only what this FAM sent knows the client.
	IcmpTables t;
	t.sent[FlowKey{L4::udp, kMasq, kServer}] = kClient;
	auto quoted = udp(kMasq, kServer);
	udp_checksum(quoted);
	auto p = error(3, kRouter, kMasq.addr, quoted);
	std::string why;
	REQUIRE(translate_icmp_error(p, IcmpOrigin::this_host, t, kPorts, why) == IcmpOutcome::translated);
	CHECK(addr_at(p, 16) == kClient.addr);
	CHECK(addr_at(p, 28 + 12) == kClient.addr);
	CHECK(rd16(p, 48) == kClient.port);
	checksums_hold(p);
}

TEST_CASE("an error quoting an echo request translates its identifier")
{
	IcmpTables t;
	t.in[FlowKey{L4::icmp, Endpoint{kServer.addr, 0}, Endpoint{kMasq.addr, 40001}}] = Endpoint{kClient.addr, 777};
	auto p = error(11, kRouter, kMasq.addr, echo(kMasq.addr, kServer.addr, 40001));
	std::string why;
	REQUIRE(translate_icmp_error(p, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::translated);
	CHECK(addr_at(p, 16) == kClient.addr);
	CHECK(rd16(p, 52) == 777);
	checksums_hold(p);
}

TEST_CASE("forged, stale and unreadable errors are told apart")
{
	IcmpTables t;
	t.in[FlowKey{L4::udp, kServer, kMasq}] = kClient;
	std::string why;
	// A masquerade port nothing uses, and the same flow from another server.
	auto p = error(3, kRouter, kMasq.addr, udp(Endpoint{kMasq.addr, 45000}, kServer));
	CHECK(translate_icmp_error(p, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::unknown);
	CHECK_THAT(why, Catch::Contains("45000"));
	p = error(3, kRouter, kMasq.addr, udp(kMasq, *Endpoint::parse("10.201.0.11:5001")));
	CHECK(translate_icmp_error(p, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::unknown);
	// This host's own connections (outside the range) are not roamnat's.
	p = error(3, kRouter, kMasq.addr, udp(Endpoint{kMasq.addr, 7447}, kServer));
	CHECK(translate_icmp_error(p, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::not_ours);
	// Echo replies and other ICMP are not errors.
	auto e = echo(kServer.addr, kMasq.addr, 40000);
	e[20] = 0;
	CHECK(translate_icmp_error(e, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::not_ours);

	auto good = error(3, kRouter, kMasq.addr, udp(kMasq, kServer));
	// The quoted header claims 60 bytes; 28 are there.
	auto lying = good;
	lying[28] = 0x4f;
	CHECK(translate_icmp_error(lying, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::malformed);
	// Fewer than 8 bytes past the quoted header.
	std::vector<uint8_t> cut(good.begin(), good.end() - 4);
	wr16(cut, 2, uint16_t(cut.size()));
	CHECK(translate_icmp_error(cut, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::malformed);
	// The outer length runs past the packet; the quote is not IPv4.
	auto longer = good;
	wr16(longer, 2, uint16_t(good.size() + 1));
	CHECK(translate_icmp_error(longer, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::malformed);
	auto v6 = good;
	v6[28] = 0x65;
	CHECK(translate_icmp_error(v6, IcmpOrigin::network, t, kPorts, why) == IcmpOutcome::malformed);
	// Nothing was rewritten in any of them.
	CHECK(addr_at(lying, 16) == kMasq.addr);
	// Every prefix of a good error is refused without reading past it.
	for (size_t n = 0; n < good.size(); ++n) {
		std::vector<uint8_t> part(good.begin(), good.begin() + long(n));
		CHECK(translate_icmp_error(part, IcmpOrigin::network, t, kPorts, why) != IcmpOutcome::translated);
	}
}
