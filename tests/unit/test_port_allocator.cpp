#include "../../userd/endpoint_allocator.hpp"
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

TEST_CASE("endpoints: masquerade addresses take turns, FAM endpoints use the AP's own, each address has its own ports")
{
	const Address own = *Address::parse("10.201.0.101"), m1 = *Address::parse("10.201.0.201"),
		      m2 = *Address::parse("10.201.0.202"), other = *Address::parse("10.201.0.102");
	EndpointAllocator e(own, {m1, m2}, {40000, 40001}, Millis(1000), 0);
	auto now = Clock::now();
	auto a = e.masquerade(now), b = e.masquerade(now), c = e.masquerade(now);
	REQUIRE((a && b && c));
	CHECK(a->addr == m1);
	CHECK(b->addr == m2);
	CHECK(c->addr == m1);
	CHECK(c->port != a->port);
	auto d = e.masquerade(now); // m1 is full: m2 serves
	REQUIRE(d);
	CHECK(d->addr == m2);
	CHECK_FALSE(e.masquerade(now));
	auto f = e.fam(now);
	REQUIRE(f);
	CHECK(f->addr == own); // the AP's own ports are not the masquerade addresses'
	CHECK(e.in_use() == 5);
	CHECK(e.holds(m2));
	CHECK_FALSE(e.holds(own));

	e.release(Endpoint{other, a->port}, now); // another AP's endpoint: not ours to free
	CHECK(e.in_use() == 5);
	e.release(*a, now);
	CHECK(e.in_use() == 4);
	CHECK(e.quarantined() == 1);
	CHECK_FALSE(e.claim(*b));
	CHECK_FALSE(e.claim(Endpoint{other, 40000}));
}

TEST_CASE("endpoints: without masquerade addresses, connections are anchored on the AP's own address")
{
	const Address own = *Address::parse("10.201.0.101");
	EndpointAllocator e(own, {}, {40000, 40009}, Millis(1000), 3);
	auto now = Clock::now();
	auto m = e.masquerade(now), f = e.fam(now);
	REQUIRE((m && f));
	CHECK(m->addr == own);
	CHECK(f->addr == own);
	CHECK(m->port != f->port); // one address, one set of ports
	CHECK_FALSE(e.holds(own)); // the AP's own address is not a masquerade address
	CHECK(e.held().empty());

	// One taken over serves its records only; one of its own joins the turns.
	const Address taken = *Address::parse("10.201.0.202"), home = *Address::parse("10.201.0.201");
	e.hold(taken, false);
	CHECK(e.claim(Endpoint{taken, 40005}));
	CHECK(e.masquerade(now)->addr == own);
	e.hold(home, true);
	CHECK(e.masquerade(now)->addr == home);
	CHECK(e.masquerade(now)->addr == home);
	e.release_address(home);
	CHECK(e.masquerade(now)->addr == own);
	CHECK(e.held() == std::vector<Address>{taken});
}
