#include "../../userd/packet_info.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace roamnat;

namespace {
std::vector<uint8_t> packet(uint8_t proto, uint8_t tcp_flags = 0x02, uint16_t frag = 0)
{
	std::vector<uint8_t> p(20 + (proto == 6 ? 20 : 8), 0);
	p[0] = 0x45;
	p[6] = uint8_t(frag >> 8);
	p[7] = uint8_t(frag);
	p[9] = proto;
	uint8_t src[] = {10, 202, 0, 11}, dst[] = {10, 201, 0, 10};
	std::copy(src, src + 4, p.begin() + 12);
	std::copy(dst, dst + 4, p.begin() + 16);
	p[20] = 0x9c; p[21] = 0x40; // 40000
	p[22] = 0x13; p[23] = 0x89; // 5001
	if (proto == 6)
		p[33] = tcp_flags;
	return p;
}
} // namespace

TEST_CASE("parses a TCP SYN")
{
	std::string why;
	auto pi = parse_packet(packet(6, 0x02), why);
	REQUIRE(pi);
	CHECK(pi->proto == L4::tcp);
	CHECK(pi->src.str() == "10.202.0.11:40000");
	CHECK(pi->dst.str() == "10.201.0.10:5001");
	CHECK(pi->syn_only());
	CHECK_FALSE(pi->fin());
}

TEST_CASE("SYN-ACK is not an opening packet; FIN and RST are seen")
{
	std::string why;
	CHECK_FALSE(parse_packet(packet(6, 0x12), why)->syn_only());
	CHECK(parse_packet(packet(6, 0x11), why)->fin());
	CHECK(parse_packet(packet(6, 0x04), why)->rst());
}

TEST_CASE("UDP, and what cannot be parsed")
{
	std::string why;
	auto u = parse_packet(packet(17), why);
	REQUIRE(u);
	CHECK(u->proto == L4::udp);
	CHECK_FALSE(parse_packet(packet(47), why)); // GRE
	CHECK(why == "neither TCP nor UDP nor ICMP");
	CHECK_FALSE(parse_packet(packet(17, 0, 0x0010), why));
	CHECK(why == "non-first fragment");
	auto p = packet(6);
	for (size_t n = 0; n < 34; ++n)
		CHECK_FALSE(parse_packet(std::span<const uint8_t>(p).first(n), why));
	p[0] = 0x46; // IHL 24 bytes, longer than what follows allows for TCP
	CHECK_FALSE(parse_packet(std::span<const uint8_t>(p).first(36), why));
	p[0] = 0x65;
	CHECK_FALSE(parse_packet(p, why));
}

TEST_CASE("an ICMP error is keyed by the packet it quotes, reversed")
{
	std::string why;
	// Time exceeded from a router, quoting masquerade 10.201.0.101:40000 ->
	// server 10.201.0.10:5001 cut to the first 8 bytes of UDP.
	auto quoted = packet(17);
	quoted[12] = 10; quoted[13] = 201; quoted[14] = 0; quoted[15] = 101;
	std::vector<uint8_t> p(20 + 8, 0);
	p[0] = 0x45;
	p[9] = 1;
	p[20] = 11;
	p.insert(p.end(), quoted.begin(), quoted.end());
	auto pi = parse_packet(p, why);
	REQUIRE(pi);
	CHECK(pi->icmp_error);
	CHECK(pi->proto == L4::udp);
	CHECK(pi->src.str() == "10.201.0.10:5001");
	CHECK(pi->dst.str() == "10.201.0.101:40000");
	// A TCP quote needs only its ports.
	auto tcp_quote = packet(6);
	std::vector<uint8_t> t(p.begin(), p.begin() + 28);
	t.insert(t.end(), tcp_quote.begin(), tcp_quote.begin() + 24);
	REQUIRE(parse_packet(t, why));
	CHECK_FALSE(parse_packet(t, why)->syn_only());
	// An error quoting an echo request is keyed by its identifier; quoting
	// other ICMP, or cut before the ports, it is refused.
	p[28 + 9] = 1;
	p[48] = 8;
	p[52] = 0x9c; p[53] = 0x41; // identifier 40001
	pi = parse_packet(p, why);
	REQUIRE(pi);
	CHECK(pi->proto == L4::icmp);
	CHECK(pi->src.str() == "10.201.0.10:0");
	CHECK(pi->dst.str() == "10.201.0.101:40001");
	p[48] = 3;
	CHECK_FALSE(parse_packet(p, why));
	p[28 + 9] = 17;
	for (size_t n = 0; n < 52; ++n)
		CHECK_FALSE(parse_packet(std::span<const uint8_t>(p).first(n), why));
	CHECK(parse_packet(std::span<const uint8_t>(p).first(52), why));
}

TEST_CASE("an echo is keyed by its identifier, on its side of the flow")
{
	std::string why;
	auto p = packet(1);
	p[20] = 8;                  // echo request
	p[24] = 0x12; p[25] = 0x34; // identifier 4660
	auto req = parse_packet(p, why);
	REQUIRE(req);
	CHECK(req->proto == L4::icmp);
	CHECK(req->echo_request);
	CHECK_FALSE(req->icmp_error);
	CHECK(req->src.str() == "10.202.0.11:4660");
	CHECK(req->dst.str() == "10.201.0.10:0");
	p[20] = 0; // echo reply
	auto rep = parse_packet(p, why);
	REQUIRE(rep);
	CHECK_FALSE(rep->echo_request);
	CHECK(rep->src.str() == "10.202.0.11:0");
	CHECK(rep->dst.str() == "10.201.0.10:4660");
	p[20] = 13; // timestamp: not translated
	CHECK_FALSE(parse_packet(p, why));
	CHECK_THAT(why, Catch::Contains("ICMP type 13"));
	p[20] = 8;
	CHECK_FALSE(parse_packet(std::span<const uint8_t>(p).first(27), why));
	CHECK(why == "truncated ICMP header");
}
