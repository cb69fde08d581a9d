#include "../../userd/local_ports.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace roamnat;

TEST_CASE("local sockets holding a masquerade port are found in /proc/net tables")
{
	// hostapd's RADIUS client on 10.201.0.101:41000 (0xA028), sshd on :22,
	// a client connection from 127.0.0.1:59999 (0xEA5F), and garbage.
	std::istringstream udp(
		"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
		"  101: 6500C90A:A028 0465C90A:0714 01 00000000:00000000 00:00000000 00000000     0        0 1 2 0 0\n"
		"  102: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 2 0 0\n"
		"  103: 0100007F:EA5F 0100007F:1D21 01 00000000:00000000 00:00000000 00000000     0        0 3 2 0 0\n"
		"  104: 0100007F:EA60 0100007F:1D21 01\n"
		"garbage\n"
		"  105: 0100007F:XYZW 0100007F:1D21 01\n"
		"  106: 100007F:A028 0100007F:1D21 01\n");
	auto found = local_sockets_in_range(udp, "udp", 40000, 59999);
	REQUIRE(found.size() == 2);
	CHECK(found[0].proto == "udp");
	CHECK(found[0].local == "10.201.0.101:41000");
	CHECK(found[0].port == 41000);
	CHECK(found[1].local == "127.0.0.1:59999");

	std::istringstream empty("   sl  local_address\n");
	CHECK(local_sockets_in_range(empty, "tcp", 40000, 59999).empty());
}
