// DHCP messages as roamd's snooping socket reads them: what a lease says,
// and every way a packet can fail to be one.
#include "../../userd/dhcp_messages.hpp"

#include <catch2/catch.hpp>

using namespace roamnat;

namespace {
// An IPv4/UDP packet from port sport to dport carrying a BOOTP message.
std::vector<uint8_t> packet(uint8_t op, std::vector<uint8_t> options, uint16_t sport = 67, uint16_t dport = 68)
{
	std::vector<uint8_t> bootp(236);
	bootp[0] = op;
	bootp[1] = 1;
	bootp[2] = 6;
	const uint8_t yiaddr[] = {10, 202, 0, 10}, chaddr[] = {2, 0, 0, 0, 1, 0};
	std::copy(std::begin(yiaddr), std::end(yiaddr), bootp.begin() + 16);
	std::copy(std::begin(chaddr), std::end(chaddr), bootp.begin() + 28);
	const uint8_t cookie[] = {99, 130, 83, 99};
	bootp.insert(bootp.end(), std::begin(cookie), std::end(cookie));
	bootp.insert(bootp.end(), options.begin(), options.end());
	size_t udp_len = 8 + bootp.size(), total = 20 + udp_len;
	std::vector<uint8_t> p = {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0, 0, 0, 0, 64, 17, 0, 0,
				  10, 202, 0, 1, 10, 202, 0, 10,
				  uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport),
				  uint8_t(udp_len >> 8), uint8_t(udp_len), 0, 0};
	p.insert(p.end(), bootp.begin(), bootp.end());
	return p;
}
const std::vector<uint8_t> kAckOptions = {53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 0, 54, 4, 10, 202, 0, 1, 255};
} // namespace

TEST_CASE("dhcp: an ACK names the station, the address and the lease")
{
	std::string why;
	auto m = parse_dhcp(packet(2, kAckOptions), why);
	REQUIRE(m);
	CHECK(m->reply);
	CHECK(m->type == DhcpMessage::Type::ack);
	CHECK(m->client.str() == "02:00:00:00:01:00");
	CHECK(m->yiaddr.str() == "10.202.0.10");
	CHECK(m->lease == 3600);
	CHECK(std::string(dhcp_type_name(m->type)) == "ACK");

	auto req = parse_dhcp(packet(1, {53, 1, 3, 255}, 68, 67), why);
	REQUIRE(req);
	CHECK_FALSE(req->reply);
	CHECK(req->type == DhcpMessage::Type::request);
}

TEST_CASE("dhcp: what is not a whole DHCP message is refused with a reason")
{
	std::string why;
	auto refused = [&](std::vector<uint8_t> p) {
		why.clear();
		return !parse_dhcp(p, why) && !why.empty();
	};
	auto good = packet(2, kAckOptions);
	CHECK(refused({}));
	for (size_t cut : {10ul, 27ul, 100ul, 20ul + 8 + 239}) // inside IP, UDP, BOOTP, the cookie
		CHECK(refused({good.begin(), good.begin() + long(cut)}));
	CHECK(refused(packet(2, kAckOptions, 53, 68)));         // not DHCP's ports
	CHECK(refused(packet(2, {51, 4, 0, 0, 0, 1, 255})));    // no message type: BOOTP
	CHECK(refused(packet(2, {53, 1, 9, 255})));             // unknown message type
	CHECK(refused(packet(2, {53, 1, 5, 51, 200, 0, 0})));   // an option overruns
	CHECK(refused(packet(3, kAckOptions)));                 // neither request nor reply
	auto frag = good;
	frag[6] = 0x20; // more fragments
	CHECK(refused(frag));
	auto not_eth = good;
	not_eth[20 + 8 + 2] = 8; // hlen
	CHECK(refused(not_eth));
	auto long_total = good;
	long_total[3] += 1;
	CHECK(refused(long_total));
	auto no_cookie = good;
	no_cookie[20 + 8 + 236] = 0;
	CHECK(refused(no_cookie));
	auto bad_udp = good;
	bad_udp[20 + 5] = 4; // shorter than its header
	bad_udp[20 + 4] = 0;
	CHECK(refused(bad_udp));
}
