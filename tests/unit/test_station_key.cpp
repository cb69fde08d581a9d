#include "../../ctl/station_key.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

using namespace roamnat;

TEST_CASE("roamctl station-key: the MAC as FreeRADIUS writes it, the key from the environment only")
{
	CHECK(parse_station_mac("02-00-00-00-01-0A")->str() == "02:00:00:00:01:0a");
	CHECK(parse_station_mac("02:00:00:00:01:0a"));
	CHECK_FALSE(parse_station_mac("02-00-00-00-01"));

	std::string why;
	std::string hex(64, 'a');
	auto key = parse_key_hex(("0x" + hex).c_str(), why);
	REQUIRE(key);
	CHECK(*key == SecretBytes(32, 0xaa));
	CHECK(parse_key_hex(hex.c_str(), why));
	CHECK_FALSE(parse_key_hex(std::string(62, 'a').c_str(), why)); // 31 bytes
	CHECK(why.find("62 hex digits") != std::string::npos);
	CHECK_FALSE(parse_key_hex((std::string(63, 'a') + "g").c_str(), why));
	CHECK_FALSE(parse_key_hex(nullptr, why));
	CHECK(why == "no key: MS_MPPE_RECV_KEY is not set");

	setenv(kKeyVariable, ("0x" + std::string(64, 'b')).c_str(), 1);
	auto m = station_key_request("02-00-00-00-01-00", "alice", "ap1", 3600, why);
	REQUIRE(m);
	CHECK(m->pmk == SecretBytes(32, 0xbb));
	CHECK(m->agent_id == "ap1");
	CHECK(proto::validate(*m).empty());
	// The variable is wiped once read: nothing is left for a second reader.
	CHECK(std::string(std::getenv(kKeyVariable)).find_first_not_of('\0') == std::string::npos);
	CHECK_FALSE(station_key_request("02-00-00-00-01-00", "alice", "", 3600, why));
	unsetenv(kKeyVariable);
	CHECK_FALSE(station_key_request("nonsense", "alice", "", 3600, why));
	CHECK(why == "'nonsense' is not a MAC address");
}
