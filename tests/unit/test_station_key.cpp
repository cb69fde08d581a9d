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

TEST_CASE("roamctl station-key: the Access-Accept's authorization from FreeRADIUS's exec variables")
{
	proto::Message m;
	std::string why;
	std::vector<std::string> env_text = {"FILTER_ID=\"staff\"",
					     "NAS_FILTER_RULE=\"permit in tcp from any to 10.201.0.10 5001\"",
					     "NAS_FILTER_RULE=\"deny in ip from any to any\"",
					     "SESSION_TIMEOUT=600",
					     "CLASS=0x726f616d6e6174",
					     "TUNNEL_PRIVATE_GROUP_ID=\"20\"",
					     "USER_NAME=\"alice\"",
					     "NOT_A_PAIR"};
	std::vector<char *> env;
	for (auto &e : env_text)
		env.push_back(e.data());
	env.push_back(nullptr);
	REQUIRE(add_authorization(m, env.data(), why));
	CHECK(m.filter_id == "staff");
	REQUIRE(m.rules.size() == 2);
	CHECK(m.rules[0].str() == "permit in tcp from any to 10.201.0.10 5001");
	CHECK(m.rules[1].str() == "deny in ip from any to any");
	CHECK(m.session_timeout == 600u);
	CHECK(m.radius_class == "0x726f616d6e6174");
	CHECK(m.vlan == "20");

	// A rule an AP cannot enforce refuses the station (exit status 4).
	std::string bad_rule = "NAS_FILTER_RULE=\"permit out ip from any to any\"";
	char *bad[] = {bad_rule.data(), nullptr};
	proto::Message n;
	CHECK_FALSE(add_authorization(n, bad, why));
	CHECK(why.find("cannot be enforced: 'out'") != std::string::npos);
	std::string bad_timeout = "SESSION_TIMEOUT=soon";
	char *bad2[] = {bad_timeout.data(), nullptr};
	CHECK_FALSE(add_authorization(n, bad2, why));
	CHECK(why == "SESSION_TIMEOUT 'soon' is not a number of seconds");
	std::string empty_id = "FILTER_ID=\"\"";
	char *bad3[] = {empty_id.data(), nullptr};
	CHECK_FALSE(add_authorization(n, bad3, why));
	// An escaped quote inside a value comes out as a quote.
	std::string quoted = "FILTER_ID=\"a\\\"b\"";
	char *ok[] = {quoted.data(), nullptr};
	proto::Message q;
	REQUIRE(add_authorization(q, ok, why));
	CHECK(q.filter_id == "a\"b");
}
