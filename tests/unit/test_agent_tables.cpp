// The agent's FAM and HAM tables (Figs. 4 and 5) and its held packets,
// against a data plane that records what it is asked to hold.
#include "../../common/log.hpp"
#include "../../userd/fam_table.hpp"
#include "../../userd/ham_table.hpp"
#include "../../userd/held_packets.hpp"
#include "../../userd/policy_holds.hpp"
#include "fake_dataplane.hpp"

#include <catch2/catch.hpp>

using namespace roamnat;
using roamnat::test::FakeDataPlane;

namespace {
Endpoint ep(const char *s) { return *Endpoint::parse(s); }
const FlowKey kFlow{L4::tcp, ep("10.202.0.11:5000"), ep("10.201.0.10:80")};
const Endpoint kMasq = ep("10.201.0.101:40000");
const Endpoint kFam2 = ep("10.201.0.102:41000");

bool commit(FakeDataPlane &dp)
{
	std::string err;
	return dp.commit(err);
}
} // namespace

TEST_CASE("FAM table: a record brings both Fig. 4 entries, and its removal takes them away")
{
	FakeDataPlane dp;
	FamTable fams(dp);
	fams.add(FamRec{kFlow, kMasq, kFam2, "ap1", false, 7, Clock::now()});
	REQUIRE(commit(dp));
	CHECK(dp.entries == std::set<std::string>{
				    "fam_out tcp 10.202.0.11:5000 -> 10.201.0.10:80 src 10.201.0.101:40000",
				    "fam_in tcp 10.201.0.10:80 -> 10.201.0.102:41000 dst 10.202.0.11:5000"});
	REQUIRE(fams.find_inbound(MasqKey{L4::tcp, kFlow.server, kFam2}));
	CHECK(fams.find_inbound(MasqKey{L4::tcp, kFlow.server, kFam2})->flow == kFlow);
	CHECK(fams.serves(kFlow.client.addr));
	CHECK(fams.clients_on(7) == std::set<Address>{kFlow.client.addr});
	CHECK(fams.clients_on(8).empty());

	auto removed = fams.remove(kFlow);
	REQUIRE(removed);
	CHECK(removed->fam == kFam2);
	REQUIRE(commit(dp));
	CHECK(dp.entries.empty());
	CHECK_FALSE(fams.find_inbound(MasqKey{L4::tcp, kFlow.server, kFam2}));
	CHECK_FALSE(fams.serves(kFlow.client.addr));
	CHECK_FALSE(fams.remove(kFlow));
}

TEST_CASE("FAM table: adding a flow again replaces its record and entries; via-HAM sends to the masquerade")
{
	FakeDataPlane dp;
	FamTable fams(dp);
	fams.add(FamRec{kFlow, kMasq, kFam2, "ap1", false, 7, Clock::now()});
	Endpoint fam3 = ep("10.201.0.102:41001");
	fams.add(FamRec{kFlow, kMasq, fam3, "ap1", true, 7, Clock::now()});
	REQUIRE(commit(dp));
	CHECK(dp.entries == std::set<std::string>{
				    "fam_out tcp 10.202.0.11:5000 -> 10.201.0.10:80 src 10.201.0.102:41001 dst 10.201.0.101:40000",
				    "fam_in tcp 10.201.0.10:80 -> 10.201.0.102:41001 dst 10.202.0.11:5000"});
	CHECK(fams.size() == 1);
	CHECK_FALSE(fams.find_inbound(MasqKey{L4::tcp, kFlow.server, kFam2}));
	CHECK(fams.find_inbound(MasqKey{L4::tcp, kFlow.server, fam3}));
}

TEST_CASE("HAM table: pending until a FAM is known (Fig. 7 725), then relayed to the newest FAM (Fig. 12 1250)")
{
	FakeDataPlane dp;
	HamTable hams(dp, "ap1", OutboundMode::direct);
	HamRec rec;
	rec.flow = kFlow;
	rec.masq = kMasq;
	hams.add(rec);
	REQUIRE(commit(dp));
	CHECK(dp.entries == std::set<std::string>{"ham tcp 10.201.0.10:80 -> 10.201.0.101:40000 pending"});
	REQUIRE(hams.find(MasqKey{L4::tcp, kFlow.server, kMasq}));
	CHECK_FALSE(hams.find(kFlow)->relays());

	hams.set_fams(kFlow, {{"ap2", kFam2}});
	REQUIRE(commit(dp));
	CHECK(dp.entries == std::set<std::string>{"ham tcp 10.201.0.10:80 -> 10.201.0.101:40000 fam 10.201.0.102:41000"});
	CHECK(hams.find(kFlow)->relays());

	// Back at the HAM: its own FAM_IN entry serves the connection, no relay.
	hams.set_fams(kFlow, {{"ap1", kMasq}, {"ap2", kFam2}});
	REQUIRE(commit(dp));
	CHECK(dp.entries.empty());
	CHECK(hams.find(kFlow)->installed == HamRec::Installed::local);

	// The client left this AP (Fig. 13): inbound waits for the next FAM.
	hams.drop_fam(kFlow, "ap1");
	REQUIRE(commit(dp));
	CHECK(dp.entries == std::set<std::string>{"ham tcp 10.201.0.10:80 -> 10.201.0.101:40000 fam 10.201.0.102:41000"});

	auto removed = hams.remove(kFlow);
	REQUIRE(removed);
	CHECK(removed->masq == kMasq);
	REQUIRE(commit(dp));
	CHECK(dp.entries.empty());
	CHECK_FALSE(hams.find(MasqKey{L4::tcp, kFlow.server, kMasq}));
}

TEST_CASE("HAM table: via-HAM outbound keeps a reverse entry for the current FAM only")
{
	FakeDataPlane dp;
	HamTable hams(dp, "ap1", OutboundMode::via_ham);
	HamRec rec;
	rec.flow = kFlow;
	rec.masq = kMasq;
	rec.fams = {{"ap2", kFam2}};
	hams.add(rec);
	REQUIRE(commit(dp));
	CHECK(dp.entries.count("ham_rev tcp 10.201.0.102:41000 -> 10.201.0.101:40000 to 10.201.0.10:80"));
	Endpoint fam3 = ep("10.201.0.103:42000");
	hams.set_fams(kFlow, {{"ap3", fam3}, {"ap2", kFam2}});
	REQUIRE(commit(dp));
	CHECK(dp.entries == std::set<std::string>{
				    "ham tcp 10.201.0.10:80 -> 10.201.0.101:40000 fam 10.201.0.103:42000",
				    "ham_rev tcp 10.201.0.103:42000 -> 10.201.0.101:40000 to 10.201.0.10:80"});
}

TEST_CASE("HAM table: an adopted record programs nothing until it changes")
{
	FakeDataPlane dp;
	HamTable hams(dp, "ap1", OutboundMode::direct);
	HamRec rec;
	rec.flow = kFlow;
	rec.masq = kMasq;
	rec.fams = {{"", kFam2}};
	rec.installed = HamRec::Installed::remote;
	rec.installed_fam = kFam2;
	hams.adopt(rec);
	CHECK(dp.staged.empty());
	REQUIRE(hams.find(MasqKey{L4::tcp, kFlow.server, kMasq}));
	hams.set_fams(kFlow, {{"ap2", kFam2}}); // the name arrives; the entry is right already
	CHECK(dp.staged.empty());
}

TEST_CASE("held packets: released with the verdict, bounded in total, dropped after the hold time")
{
	set_log_level(LogLevel::error);
	EventLoop loop;
	Counters counters;
	std::vector<std::pair<uint32_t, Verdict>> verdicts;
	HeldPackets held(loop, Millis(50), 3, [&](MissId id, Verdict v) { verdicts.push_back({id.packet, v}); }, counters);
	using Way = HeldPackets::Way;
	FlowKey other = kFlow;
	other.client.port = 5001;

	CHECK(held.hold(Way::outbound, kFlow, MissId{0, 1}));
	CHECK(held.hold(Way::outbound, kFlow, MissId{0, 2}));
	CHECK(held.hold(Way::inbound, other, MissId{0, 3}));
	CHECK_FALSE(held.hold(Way::inbound, other, MissId{0, 4})); // the bound is across both ways
	CHECK(verdicts == std::vector<std::pair<uint32_t, Verdict>>{{4, Verdict::drop}});
	CHECK(counters.get("held_overflow_dropped") == 1);
	CHECK(held.total() == 3);

	held.release(Way::outbound, kFlow, Verdict::repeat, "");
	CHECK(verdicts.size() == 3);
	CHECK(verdicts[1] == std::pair<uint32_t, Verdict>{1, Verdict::repeat});
	CHECK(verdicts[2] == std::pair<uint32_t, Verdict>{2, Verdict::repeat});
	CHECK(counters.get("held_released") == 2);
	CHECK(held.total() == 1);
	held.release(Way::outbound, other, Verdict::repeat, ""); // nothing held that way
	CHECK(held.held(Way::inbound, other) == 1);

	// No answer: the hold timer drops what waits.
	auto until = Clock::now() + Millis(20000); // a bound only a broken timer reaches
	while (held.total() && Clock::now() < until)
		loop.run_once(Millis(10));
	CHECK(held.total() == 0);
	CHECK(verdicts.back() == std::pair<uint32_t, Verdict>{3, Verdict::drop});
	CHECK(counters.get("held_dropped") == 1);
}

TEST_CASE("held packets: everything still held is dropped when the agent stops")
{
	set_log_level(LogLevel::error);
	EventLoop loop;
	Counters counters;
	std::vector<std::pair<uint32_t, Verdict>> verdicts;
	HeldPackets held(loop, Millis(60000), 10, [&](MissId id, Verdict v) { verdicts.push_back({id.packet, v}); }, counters);
	held.hold(HeldPackets::Way::outbound, kFlow, MissId{0, 1});
	held.hold(HeldPackets::Way::inbound, kFlow, MissId{0, 2});
	held.release_all(Verdict::drop, "agent stopping");
	CHECK(held.total() == 0);
	CHECK(verdicts.size() == 2);
	CHECK(counters.get("held_dropped") == 2);
}

TEST_CASE("policy holds: per client address, bounded in total, released by verdict, dropped after the hold time")
{
	set_log_level(LogLevel::error);
	EventLoop loop;
	Counters counters;
	std::vector<std::pair<uint32_t, Verdict>> verdicts;
	PolicyHolds holds(loop, Millis(50), 3, [&](MissId id, Verdict v) { verdicts.push_back({id.packet, v}); },
			  counters);
	Address alice = *Address::parse("10.202.0.11"), bob = *Address::parse("10.202.0.12");

	CHECK(holds.hold(alice, MissId{4, 1}));
	CHECK(holds.hold(alice, MissId{4, 2}));
	CHECK(holds.hold(bob, MissId{4, 3}));
	CHECK_FALSE(holds.hold(bob, MissId{4, 4}));
	CHECK(verdicts == std::vector<std::pair<uint32_t, Verdict>>{{4, Verdict::drop}});
	CHECK(counters.get("policy_hold_overflow_dropped") == 1);
	CHECK(counters.get("policy_held") == 3);

	holds.release(alice, Verdict::repeat, "");
	CHECK(verdicts.size() == 3);
	CHECK(verdicts[1] == std::pair<uint32_t, Verdict>{1, Verdict::repeat});
	CHECK(verdicts[2] == std::pair<uint32_t, Verdict>{2, Verdict::repeat});
	CHECK(counters.get("policy_hold_released") == 2);
	CHECK(holds.held(alice) == 0);
	CHECK(holds.held(bob) == 1);

	auto until = Clock::now() + Millis(20000); // a bound only a broken timer reaches
	while (holds.total() && Clock::now() < until)
		loop.run_once(Millis(10));
	CHECK(holds.total() == 0);
	CHECK(verdicts.back() == std::pair<uint32_t, Verdict>{3, Verdict::drop});
	CHECK(counters.get("policy_hold_expired") == 1);
	CHECK(counters.get("policy_hold_dropped") == 1);

	holds.hold(alice, MissId{4, 5});
	holds.release_all(Verdict::drop, "agent stopping");
	CHECK(verdicts.back() == std::pair<uint32_t, Verdict>{5, Verdict::drop});
}
