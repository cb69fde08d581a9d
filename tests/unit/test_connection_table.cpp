#include "../../coordinator/connection_table.hpp"

#include <catch2/catch.hpp>

using namespace roamnat;

namespace {
Endpoint ep(const char *s) { return *Endpoint::parse(s); }

ConnRecord conn(const char *client, const char *masq, const char *ham = "ap1")
{
	ConnRecord c;
	c.flow = {L4::tcp, ep(client), ep("10.201.0.10:80")};
	c.masq = ep(masq);
	c.ham_agent = ham;
	c.fams = {{ham, ep(masq)}};
	return c;
}
} // namespace

TEST_CASE("Fig. 8 table: every index finds the record")
{
	ConnectionTable t;
	auto a = conn("10.202.0.11:1000", "10.201.0.101:40000");
	REQUIRE(t.add(a) == ConnectionTable::AddResult::added);
	REQUIRE(t.find(a.flow));
	CHECK(t.find(a.flow)->masq == a.masq);
	CHECK(t.find_masq(L4::tcp, a.masq) == t.find(a.flow));
	CHECK_FALSE(t.find_masq(L4::udp, a.masq)); // protocol is part of the key
	CHECK(t.flows_of_ham("ap1") == std::vector<FlowKey>{a.flow});
}

TEST_CASE("a replayed registration is 'same'; a clash is a conflict")
{
	ConnectionTable t;
	auto a = conn("10.202.0.11:1000", "10.201.0.101:40000");
	REQUIRE(t.add(a) == ConnectionTable::AddResult::added);
	CHECK(t.add(a) == ConnectionTable::AddResult::same);
	auto other_ham = a;
	other_ham.ham_agent = "ap2";
	CHECK(t.add(other_ham) == ConnectionTable::AddResult::conflict);
	auto same_masq = conn("10.202.0.12:1000", "10.201.0.101:40000");
	CHECK(t.add(same_masq) == ConnectionTable::AddResult::conflict);
	CHECK(t.size() == 1);
}

TEST_CASE("Fig. 10 1050: the newest FAM comes first, one record per agent")
{
	ConnectionTable t;
	auto a = conn("10.202.0.11:1000", "10.201.0.101:40000");
	t.add(a);
	t.add_fam(a.flow, {"ap2", ep("10.201.0.102:40001")});
	t.add_fam(a.flow, {"ap3", ep("10.201.0.103:40002")});
	t.add_fam(a.flow, {"ap2", ep("10.201.0.102:40009")});
	auto *c = t.find(a.flow);
	REQUIRE(c->fams.size() == 3);
	CHECK(c->fams[0] == FamRecord{"ap2", ep("10.201.0.102:40009")});
	CHECK(c->fams[1].agent == "ap3");
	CHECK(c->fams[2].agent == "ap1");
	CHECK_FALSE(t.add_fam({L4::udp, a.flow.client, a.flow.server}, {"ap2", ep("10.201.0.102:1")}));
}

TEST_CASE("Fig. 13: a departure removes only that agent's FAMs of that client")
{
	ConnectionTable t;
	auto a = conn("10.202.0.11:1000", "10.201.0.101:40000");
	auto b = conn("10.202.0.11:1001", "10.201.0.101:40001");
	auto other = conn("10.202.0.12:1000", "10.201.0.101:40002");
	for (auto *c : {&a, &b, &other})
		t.add(*c);
	t.add_fam(a.flow, {"ap2", ep("10.201.0.102:40001")});
	auto changed = t.remove_fams_of_client(a.flow.client.addr, "ap1");
	CHECK(changed.size() == 2);
	CHECK(t.find(a.flow)->fams.size() == 1);
	CHECK(t.find(a.flow)->fams[0].agent == "ap2");
	CHECK(t.find(b.flow)->fams.empty());
	CHECK(t.find(other.flow)->fams.size() == 1);
	CHECK(t.remove_fams_of_client(a.flow.client.addr, "ap1").empty());
}

TEST_CASE("removal clears every index so keys can be reused")
{
	ConnectionTable t;
	auto a = conn("10.202.0.11:1000", "10.201.0.101:40000");
	t.add(a);
	auto gone = t.remove(a.flow);
	REQUIRE(gone);
	CHECK(gone->masq == a.masq);
	CHECK_FALSE(t.find(a.flow));
	CHECK_FALSE(t.find_masq(L4::tcp, a.masq));
	CHECK(t.flows_of_ham("ap1").empty());
	CHECK(t.remove_fams_of_client(a.flow.client.addr, "ap1").empty());
	CHECK_FALSE(t.remove(a.flow));
	CHECK(t.add(conn("10.202.0.13:5", "10.201.0.101:40000")) == ConnectionTable::AddResult::added);
}
