#include "../../common/config_file.hpp"
#include "../../common/endpoint.hpp"

#include <catch2/catch.hpp>

using namespace roamnat;

TEST_CASE("parses keys, values and comments")
{
	std::string err;
	auto c = ConfigFile::parse("# top\nlisten = 10.0.0.1:7447  # trailing\n\nagents = ap1 ap2\n", "x.conf", err);
	REQUIRE(c);
	CHECK(*c->get("listen") == "10.0.0.1:7447");
	CHECK(split_words(*c->get("agents")) == std::vector<std::string>{"ap1", "ap2"});
	CHECK_FALSE(c->get("missing"));
	CHECK(c->check_keys({"listen", "agents"}, err));
}

TEST_CASE("errors name the file and line")
{
	std::string err;
	CHECK_FALSE(ConfigFile::parse("a = 1\nnot a pair\n", "x.conf", err));
	CHECK(err == "x.conf:2: expected 'key = value', got 'not a pair'");
	CHECK_FALSE(ConfigFile::parse("a = 1\na = 2\n", "x.conf", err));
	CHECK_THAT(err, Catch::Contains("x.conf:2: 'a' already set on line 1"));
	CHECK_FALSE(ConfigFile::parse("Bad-Key = 1\n", "x.conf", err));
	auto c = ConfigFile::parse("listen = 1\ntypo = 2\n", "x.conf", err);
	REQUIRE(c);
	CHECK_FALSE(c->check_keys({"listen"}, err));
	CHECK(err == "x.conf:2: unknown key 'typo'");
}

TEST_CASE("numbers and booleans are strict")
{
	CHECK(parse_number("42", 100) == 42ul);
	CHECK_FALSE(parse_number("101", 100));
	CHECK_FALSE(parse_number("4x", 100));
	CHECK_FALSE(parse_number("", 100));
	CHECK_FALSE(parse_number("-1", 100));
	CHECK(parse_bool("yes") == true);
	CHECK(parse_bool("off") == false);
	CHECK_FALSE(parse_bool("maybe"));
}

TEST_CASE("endpoints parse strictly")
{
	CHECK(Endpoint::parse("10.1.2.3:80")->str() == "10.1.2.3:80");
	CHECK_FALSE(Endpoint::parse("10.1.2.3"));
	CHECK_FALSE(Endpoint::parse("10.1.2.3:65536"));
	CHECK_FALSE(Endpoint::parse("10.1.2:80"));
	CHECK_FALSE(Endpoint::parse("10.1.2.3:8o"));
}
