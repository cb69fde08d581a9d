#include "../../userd/port_allocator.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace roamnat;

TEST_CASE("allocates every port of the range once, then reports exhaustion")
{
	PortAllocator a(40000, 40009, Millis(1000));
	auto now = Clock::now();
	std::set<uint16_t> got;
	for (int i = 0; i < 10; ++i) {
		auto p = a.allocate(now);
		REQUIRE(p);
		CHECK(*p >= 40000);
		CHECK(*p <= 40009);
		got.insert(*p);
	}
	CHECK(got.size() == 10);
	CHECK_FALSE(a.allocate(now));
	CHECK(a.in_use() == 10);
}

TEST_CASE("a released port is quarantined before reuse")
{
	PortAllocator a(40000, 40000, Millis(1000));
	auto now = Clock::now();
	auto p = a.allocate(now);
	REQUIRE(p);
	a.release(*p, now);
	CHECK(a.quarantined() == 1);
	CHECK_FALSE(a.allocate(now + Millis(999)));
	auto again = a.allocate(now + Millis(1000));
	REQUIRE(again);
	CHECK(*again == *p);
}

TEST_CASE("double release and foreign ports are ignored; claim takes a free port")
{
	PortAllocator a(40000, 40003, Millis(10));
	auto now = Clock::now();
	auto p = a.allocate(now);
	a.release(*p, now);
	a.release(*p, now);
	a.release(12345, now);
	CHECK(a.quarantined() == 1);
	CHECK(a.in_use() == 0);
	CHECK(a.claim(40002));
	CHECK_FALSE(a.claim(40002));
	CHECK_FALSE(a.claim(39999));
	CHECK_FALSE(a.claim(*p)); // still quarantined
}

TEST_CASE("allocation moves round-robin through the range")
{
	PortAllocator a(40000, 40003, Millis(0));
	auto now = Clock::now();
	auto first = a.allocate(now);
	a.release(*first, now);
	auto second = a.allocate(now + Millis(1));
	CHECK(*second != *first); // not the port just released
}
