// The agent's flowcharts (Figs. 6, 7, 9-13), connection end and adoption,
// driven through a data plane and a coordinator link that record what the
// agent asks of them. No namespaces, no root, no packets: the misses are
// handed to the agent as the data plane would hand them.
#include "../../common/log.hpp"
#include "../../userd/agent.hpp"
#include "fake_coordinator.hpp"
#include "fake_dataplane.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace roamnat;
using proto::Message;
using proto::MsgType;
using proto::Status;
using roamnat::test::FakeCoordinator;
using roamnat::test::FakeDataPlane;

namespace {
Endpoint ep(const char *s) { return *Endpoint::parse(s); }
const Endpoint kClient = ep("10.202.0.11:5000");
const Endpoint kServer = ep("10.201.0.10:80");
const Address kSelf = ep("10.201.0.101:0").addr;
const Endpoint kRemoteMasq = ep("10.201.0.102:45000"); // anchored at ap2
const Endpoint kRemoteFam = ep("10.201.0.103:46000");  // the client moved on to ap3
constexpr uint32_t kIfindex = 7;
constexpr uint8_t kSyn = 0x02, kAck = 0x10;

std::string fam_out(L4 p, Endpoint src) { return "fam_out " + FlowKey{p, kClient, kServer}.str() + " src " + src.str(); }
std::string fam_in(L4 p, Endpoint fam)
{
	return "fam_in " + std::string(l4_name(p)) + " " + kServer.str() + " -> " + fam.str() + " dst " + kClient.str();
}
std::string ham(L4 p, Endpoint masq, std::optional<Endpoint> fam)
{
	return "ham " + MasqKey{p, kServer, masq}.str() + (fam ? " fam " + fam->str() : " pending");
}

Message reply(Status st)
{
	Message r;
	r.status = st;
	return r;
}

// The coordinator's client_flows: the client has flow, anchored at ap2.
Message client_flows(const FlowKey &flow)
{
	Message r = reply(Status::ok);
	r.conns = {{flow, kRemoteMasq, "ap2", 0, {}}};
	return r;
}

Message joined(const char *ham_agent, Endpoint masq)
{
	Message r = reply(Status::ok);
	r.ham_agent = ham_agent;
	r.masq = masq;
	return r;
}

struct Lab {
	EventLoop loop;
	FakeDataPlane dp;
	FakeCoordinator coord;
	std::unique_ptr<Agent> agent;
	uint32_t next_id = 1;

	// client_here: the client has arrived already (its ARP on the link), so
	// its first packet asks nothing more than its flowchart does.
	explicit Lab(HamPolicy policy = {}, bool client_here = true, uint32_t udp_idle_s = 60,
		     Filtering filtering = Filtering::off, std::vector<Address> masquerade = {})
	{
		set_log_level(LogLevel::error);
		AgentOptions o;
		o.name = "ap1";
		o.address = kSelf;
		o.dp.client_interfaces = {"rn-unit-test-none"}; // no real interface is one
		o.ham_policy = std::move(policy);
		o.end_linger = Millis(1);
		o.dp.udp_idle_s = udp_idle_s;
		o.dp.filtering = filtering;
		o.dhcp_snooping = false; // a packet socket needs root; the agent's half is tested below
		o.masquerade_addresses = std::move(masquerade);
		agent = std::make_unique<Agent>(loop, o, dp, coord);
		std::string err;
		REQUIRE(agent->start(err));
		if (client_here) {
			agent->client_arrived(kClient.addr, kIfindex, "test");
			REQUIRE(coord.asked.size() == 1);
			Message none = reply(Status::ok);
			coord.answer(0, &none);
			coord.asked.clear();
		}
	}

	// What the data plane hands the agent for a packet without an entry.
	uint32_t miss(Direction way, L4 proto, Endpoint src, Endpoint dst, uint8_t tcp_flags = 0)
	{
		Miss m;
		m.id = {uint16_t(way == Direction::outbound ? 0 : 2), next_id++};
		m.way = way;
		m.ifindex = way == Direction::outbound ? kIfindex : 3;
		m.packet.proto = proto;
		m.packet.src = src;
		m.packet.dst = dst;
		m.packet.tcp_flags = tcp_flags;
		dp.misses(m);
		return m.id.packet;
	}
	uint32_t from_client(L4 proto, uint8_t tcp_flags = 0)
	{
		return miss(Direction::outbound, proto, kClient, kServer, tcp_flags);
	}
	// Runs timers until pred holds; the bound is one only a broken timer reaches.
	template <typename Pred> bool run_until(Pred pred)
	{
		auto until = Clock::now() + Millis(10000);
		while (!pred() && Clock::now() < until)
			loop.run_once(Millis(5));
		return pred();
	}
	std::vector<std::pair<uint32_t, Verdict>> verdicts() const { return dp.verdicts; }
	// Anchors a TCP connection here (Fig. 9) and returns its masquerade endpoint.
	Endpoint anchored_tcp()
	{
		from_client(L4::tcp, kSyn);
		REQUIRE(coord.asked.size() == 1);
		REQUIRE(coord.last().type == MsgType::ham_register);
		Endpoint masq = *coord.last().masq;
		coord.answer(0, Status::ok);
		return masq;
	}
};
} // namespace

TEST_CASE("Fig. 6 -> Fig. 9: a SYN anchors here at once; the coordinator learns of it afterwards")
{
	Lab lab;
	uint32_t syn = lab.from_client(L4::tcp, kSyn);
	// Released before the coordinator has answered anything: no round trip.
	CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{syn, Verdict::repeat}});
	REQUIRE(lab.coord.asked.size() == 1);
	const Message &reg = lab.coord.last();
	CHECK(reg.type == MsgType::ham_register);
	CHECK(reg.flow() == FlowKey{L4::tcp, kClient, kServer});
	REQUIRE(reg.masq);
	Endpoint masq = *reg.masq;
	CHECK(masq.addr == kSelf);
	CHECK(reg.fam == masq); // Fig. 11: one endpoint for both roles
	CHECK_FALSE(reg.has_flag(proto::kFlagResync));
	// HAM and FAM here: the FAM entries serve both roles.
	CHECK(lab.dp.entries == std::set<std::string>{fam_out(L4::tcp, masq), fam_in(L4::tcp, masq)});

	SECTION("someone else anchors it: this agent steps back and joins as a FAM (Fig. 10)")
	{
		lab.coord.answer(0, Status::conflict);
		CHECK(lab.dp.entries.empty());
		REQUIRE(lab.coord.asked.size() == 2);
		CHECK(lab.coord.last().type == MsgType::fam_request);
		CHECK_FALSE(lab.coord.last().has_flag(proto::kFlagCombined));
	}
}

TEST_CASE("Fig. 6 -> Fig. 11: a new UDP flow asks once with the combined flag and becomes its HAM")
{
	Lab lab;
	uint32_t first = lab.from_client(L4::udp);
	uint32_t second = lab.from_client(L4::udp);
	CHECK(lab.verdicts().empty()); // both held (Fig. 6 640)
	REQUIRE(lab.coord.asked.size() == 1); // one question for the flow
	const Message &req = lab.coord.last();
	CHECK(req.type == MsgType::fam_request);
	CHECK(req.has_flag(proto::kFlagCombined));
	REQUIRE(req.fam);
	Endpoint fam = *req.fam;

	lab.coord.answer(0, Status::became_ham); // Fig. 11 1175
	CHECK(lab.verdicts() ==
	      std::vector<std::pair<uint32_t, Verdict>>{{first, Verdict::repeat}, {second, Verdict::repeat}});
	CHECK(lab.dp.entries == std::set<std::string>{fam_out(L4::udp, fam), fam_in(L4::udp, fam)});
}

TEST_CASE("ICMP echo: a ping is a flow keyed by its identifier, anchored like UDP, ended when idle")
{
	Lab lab({}, true, 1);
	// RFC 5508: the identifier is the client's port, the server's is 0.
	Endpoint client{kClient.addr, 4242}, server{kServer.addr, 0};
	Miss m;
	m.id = {0, 99};
	m.ifindex = kIfindex;
	m.packet.proto = L4::icmp;
	m.packet.src = client;
	m.packet.dst = server;
	m.packet.echo_request = true;
	lab.dp.misses(m);
	REQUIRE(lab.coord.asked.size() == 1);
	const Message &req = lab.coord.last();
	CHECK(req.type == MsgType::fam_request);
	CHECK(req.has_flag(proto::kFlagCombined)); // every request may open the flow
	CHECK(req.flow() == FlowKey{L4::icmp, client, server});
	Endpoint fam = *req.fam;
	lab.coord.answer(0, Status::became_ham);
	CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{99, Verdict::repeat}});
	CHECK(lab.dp.entries == std::set<std::string>{"fam_out " + FlowKey{L4::icmp, client, server}.str() + " src " +
							      fam.str(),
						      "fam_in icmp " + server.str() + " -> " + fam.str() + " dst " +
							      client.str()});
	// No echo since: after udp_idle_timeout the flow ends and its entries go.
	lab.dp.active = std::set<FlowKey>{};
	lab.coord.asked.clear();
	REQUIRE(lab.run_until([&] { return !lab.coord.asked.empty(); }));
	CHECK(lab.coord.last().type == MsgType::conn_end);
	CHECK(lab.coord.last().flow() == FlowKey{L4::icmp, client, server});
	CHECK(lab.dp.entries.empty());
}

TEST_CASE("Fig. 10: a mid-stream packet joins a connection anchored elsewhere")
{
	Lab lab;
	uint32_t id = lab.from_client(L4::tcp, kAck);
	REQUIRE(lab.coord.asked.size() == 1);
	CHECK(lab.coord.last().type == MsgType::fam_request);
	CHECK_FALSE(lab.coord.last().has_flag(proto::kFlagCombined)); // only a SYN or UDP may open one
	Endpoint fam = *lab.coord.last().fam;

	SECTION("the coordinator names its HAM (Fig. 10 1060)")
	{
		Message r = joined("ap2", kRemoteMasq);
		lab.coord.answer(0, &r);
		CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{id, Verdict::repeat}});
		// Out with the HAM's masquerade source; in at this FAM's own endpoint.
		CHECK(lab.dp.entries == std::set<std::string>{fam_out(L4::tcp, kRemoteMasq), fam_in(L4::tcp, fam)});
	}
	SECTION("no such connection (Fig. 10 1070): dropped, nothing installed")
	{
		lab.coord.answer(0, Status::rejected);
		CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{id, Verdict::drop}});
		CHECK(lab.dp.entries.empty());
	}
	SECTION("no answer: dropped, and the next packet asks again")
	{
		lab.coord.answer(0, nullptr);
		CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{id, Verdict::drop}});
		lab.from_client(L4::tcp, kAck);
		CHECK(lab.coord.asked.size() == 2);
	}
}

TEST_CASE("Fig. 9 980: a flow the HAM policy gives to another host is designated there, then joined")
{
	HamPolicy policy;
	policy.kind = HamPolicy::Kind::host;
	policy.host = "ap2";
	Lab lab(policy);
	uint32_t id = lab.from_client(L4::udp);
	REQUIRE(lab.coord.asked.size() == 1);
	CHECK(lab.coord.last().type == MsgType::fam_request); // Fig. 6 670 first: it may be roaming
	CHECK_FALSE(lab.coord.last().has_flag(proto::kFlagCombined));
	lab.coord.answer(0, Status::rejected);

	REQUIRE(lab.coord.asked.size() == 2);
	CHECK(lab.coord.last().type == MsgType::ham_designate);
	CHECK(lab.coord.last().ham_agent == "ap2");
	CHECK(lab.verdicts().empty());

	SECTION("the designated host registered it: join it (Fig. 10)")
	{
		lab.coord.answer(1, Status::ok);
		REQUIRE(lab.coord.asked.size() == 3);
		CHECK(lab.coord.last().type == MsgType::fam_request);
		Message r = joined("ap2", kRemoteMasq);
		lab.coord.answer(2, &r);
		CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{id, Verdict::repeat}});
		CHECK(lab.dp.entries.count(fam_out(L4::udp, kRemoteMasq)));
	}
	SECTION("the designated host did not: dropped")
	{
		lab.coord.answer(1, nullptr);
		CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{id, Verdict::drop}});
		CHECK(lab.dp.entries.empty());
	}
}

TEST_CASE("Fig. 9 940 at the designated host: a pushed designation anchors the flow and registers it")
{
	Lab lab;
	Message d;
	d.type = MsgType::ham_designate;
	d.proto = L4::udp;
	d.client = kClient;
	d.server = kServer;
	d.ham_agent = "ap1";
	lab.coord.push(d);
	REQUIRE(lab.coord.asked.size() == 1);
	CHECK(lab.coord.last().type == MsgType::ham_register);
	Endpoint masq = *lab.coord.last().masq;
	CHECK_FALSE(lab.coord.last().fam); // not this AP's client
	CHECK(lab.dp.entries == std::set<std::string>{ham(L4::udp, masq, std::nullopt)});
}

TEST_CASE("Fig. 7 at the HAM: known FAM relays; unknown FAM is asked for while packets wait")
{
	Lab lab;
	Endpoint masq = lab.anchored_tcp();

	// Fig. 13 1300: the client leaves; the HAM holds inbound until it hears.
	lab.agent->client_departed(kClient.addr, "test");
	REQUIRE(lab.coord.asked.size() == 2);
	CHECK(lab.coord.last().type == MsgType::client_departed);
	CHECK(lab.coord.last().client_addr == kClient.addr);
	CHECK(lab.dp.entries == std::set<std::string>{ham(L4::tcp, masq, std::nullopt)});

	uint32_t first = lab.miss(Direction::inbound, L4::tcp, kServer, masq, kAck);
	uint32_t second = lab.miss(Direction::inbound, L4::tcp, kServer, masq, kAck);
	REQUIRE(lab.coord.asked.size() == 3); // one query for both (Fig. 7 725)
	const Message &q = lab.coord.last();
	CHECK(q.type == MsgType::fam_query);
	CHECK(q.masq_key() == MasqKey{L4::tcp, kServer, masq});
	CHECK(lab.verdicts().size() == 1); // only the SYN so far

	SECTION("Fig. 12 1240: the FAM is known; the HAM relays to it (Fig. 7 730)")
	{
		Message r = reply(Status::ok);
		r.fams = {{"ap3", kRemoteFam}};
		lab.coord.answer(2, &r);
		CHECK(lab.dp.entries == std::set<std::string>{ham(L4::tcp, masq, kRemoteFam)});
		auto v = lab.verdicts();
		REQUIRE(v.size() == 3);
		CHECK(v[1] == std::pair<uint32_t, Verdict>{first, Verdict::repeat});
		CHECK(v[2] == std::pair<uint32_t, Verdict>{second, Verdict::repeat});
	}
	SECTION("Fig. 12 1280: the coordinator does not know it; dropped")
	{
		lab.coord.answer(2, Status::not_found);
		auto v = lab.verdicts();
		REQUIRE(v.size() == 3);
		CHECK(v[1].second == Verdict::drop);
		CHECK(v[2].second == Verdict::drop);
	}
	SECTION("the coordinator pushes the new FAM first (Fig. 12, push)")
	{
		Message u;
		u.type = MsgType::fam_update;
		u.proto = L4::tcp;
		u.client = kClient;
		u.server = kServer;
		u.masq = masq;
		u.fams = {{"ap3", kRemoteFam}};
		lab.coord.push(u);
		CHECK(lab.dp.entries == std::set<std::string>{ham(L4::tcp, masq, kRemoteFam)});
		CHECK(lab.verdicts().size() == 3);
	}
}

TEST_CASE("Fig. 7 785: a packet to a masquerade endpoint nobody anchors is dropped")
{
	Lab lab;
	uint32_t id = lab.miss(Direction::inbound, L4::udp, kServer, ep("10.201.0.101:40123"));
	CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{id, Verdict::drop}});
	CHECK(lab.coord.asked.empty());
}

TEST_CASE("arrival: a client that appears joins each of its connections at once")
{
	Lab lab({}, false);
	lab.agent->client_arrived(kClient.addr, kIfindex, "test");
	REQUIRE(lab.coord.asked.size() == 1);
	CHECK(lab.coord.last().type == MsgType::client_arrived);
	Message flows = reply(Status::ok);
	FlowKey tcp{L4::tcp, kClient, kServer}, udp{L4::udp, kClient, kServer};
	flows.conns = {{tcp, kRemoteMasq, "ap2", 0, {}}, {udp, kRemoteMasq, "ap2", 0, {}}};
	lab.coord.answer(0, &flows);
	REQUIRE(lab.coord.asked.size() == 3);
	CHECK(lab.coord.asked[1].msg.type == MsgType::fam_request);
	CHECK(lab.coord.asked[1].msg.flow() == tcp);
	CHECK(lab.coord.asked[2].msg.flow() == udp);
	// Asked again within a second, or its first packet: once is enough.
	lab.agent->client_arrived(kClient.addr, kIfindex, "test");
	CHECK(lab.coord.asked.size() == 3);
}

TEST_CASE("arrival: a station new to this AP is named by its MAC; the coordinator's answer joins its connections")
{
	Lab lab({}, false);
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	lab.coord.stations = false; // an older coordinator: nothing to ask it
	lab.agent->station_associated(sta, kIfindex);
	CHECK(lab.coord.asked.empty());
	lab.agent->station_left(sta);
	lab.coord.stations = true;
	lab.agent->station_associated(sta, kIfindex);
	REQUIRE(lab.coord.asked.size() == 1);
	CHECK(lab.coord.last().type == MsgType::client_arrived);
	CHECK(lab.coord.last().mac == sta);
	CHECK_FALSE(lab.coord.last().client_addr);
	Message unknown = reply(Status::not_found);
	lab.coord.answer(0, &unknown);
	CHECK(lab.coord.asked.size() == 1); // it waits for the station's first packet

	// Associated again; this time the coordinator knows its address.
	lab.agent->station_left(sta);
	lab.agent->station_associated(sta, kIfindex);
	REQUIRE(lab.coord.asked.size() == 2);
	FlowKey udp{L4::udp, kClient, kServer};
	Message flows = client_flows(udp);
	flows.client_addr = kClient.addr;
	lab.coord.answer(1, &flows);
	REQUIRE(lab.coord.asked.size() == 3);
	CHECK(lab.coord.asked[2].msg.type == MsgType::fam_request);
	CHECK(lab.coord.asked[2].msg.flow() == udp);

	// An answer that comes after the station left joins nothing.
	MacAddr sta2 = *MacAddr::parse("02:00:00:00:02:00");
	lab.agent->station_associated(sta2, kIfindex);
	lab.agent->station_left(sta2);
	Message late = flows;
	late.client_addr = ep("10.202.0.12:0").addr;
	lab.coord.answer(3, &late);
	CHECK(lab.coord.asked.size() == 4);
}

TEST_CASE("users: an 802.1X station's user goes to the coordinator once, and again after each new session")
{
	Lab lab({}, false);
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	StationRecord rec;
	rec.mac = sta;
	rec.authorized = true;
	rec.user = "alice";
	rec.eap_method = "PEAP";
	lab.agent->station_authenticated(rec, "wlan0"); // not associated here: nobody to bind
	CHECK(lab.coord.count(MsgType::station_auth) == 0);

	lab.coord.stations = false; // only the user matters here
	lab.agent->station_associated(sta, kIfindex);
	lab.agent->station_authenticated(rec, "wlan0");
	REQUIRE(lab.coord.count(MsgType::station_auth) == 1);
	CHECK(lab.coord.last().mac == sta);
	CHECK(lab.coord.last().user == "alice");
	CHECK(lab.coord.last().auth_method == "PEAP");
	lab.agent->station_authenticated(rec, "wlan0"); // hostapd's list again: no news
	CHECK(lab.coord.count(MsgType::station_auth) == 1);

	lab.coord.new_session(); // a restarted coordinator learns it again
	CHECK(lab.coord.count(MsgType::station_auth) == 2);

	lab.agent->station_left(sta);
	lab.coord.new_session();
	CHECK(lab.coord.count(MsgType::station_auth) == 2);

	lab.coord.users = false; // a coordinator that does not keep users is not told
	lab.agent->station_associated(sta, kIfindex);
	lab.agent->station_authenticated(rec, "wlan0");
	CHECK(lab.coord.count(MsgType::station_auth) == 2);
}

TEST_CASE("users: back on hostapd's own PMKSA, a station is the user its EAP exchange here named, not hostapd's cached text")
{
	Lab lab({}, false);
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	lab.coord.stations = false;
	auto associate = [&](const StationRecord &r) {
		lab.agent->station_associated(r.mac, kIfindex);
		lab.agent->station_authenticated(r, "wlan0", true);
	};
	StationRecord eap;
	eap.mac = sta;
	eap.authorized = true;
	eap.user = "alice";
	eap.eap_method = "PEAP";
	eap.identity_responses = 1;
	associate(eap);
	REQUIRE(lab.coord.count(MsgType::station_auth) == 1);
	lab.agent->station_authenticated(eap, "wlan0", true); // read again: no news
	CHECK(lab.coord.count(MsgType::station_auth) == 1);
	lab.agent->station_left(sta);

	StationRecord cached = eap; // reassociated with no EAP exchange since
	cached.user = "aliceU";     // hostapd printed the cached identity past its end
	associate(cached);
	REQUIRE(lab.coord.count(MsgType::station_auth) == 2);
	CHECK(lab.coord.last().user == "alice");
	CHECK(lab.coord.last().auth_method == "PMKSA");
	lab.agent->station_left(sta);

	// Another station, never through EAP here and with no key from the
	// coordinator: its cached identity cannot be read, so it has no user.
	cached.mac = *MacAddr::parse("02:00:00:00:02:00");
	cached.user = "bob";
	cached.identity_responses = 0;
	associate(cached);
	CHECK(lab.coord.count(MsgType::station_auth) == 2);
	CHECK(lab.agent->counter("station_identity_unreadable") == 1);
	lab.agent->station_left(cached.mac);

	// A new EAP exchange (more identity responses): a new user, as printed.
	cached.mac = sta;
	cached.user = "aliceV";
	cached.identity_responses = 2;
	associate(cached);
	REQUIRE(lab.coord.count(MsgType::station_auth) == 3);
	CHECK(lab.coord.last().user == "aliceV");
	CHECK(lab.coord.last().auth_method == "PEAP");
}

TEST_CASE("arrival: a DHCP lease acknowledged here binds the station's MAC at the coordinator and joins its connections")
{
	Lab lab({}, false);
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	lab.agent->dhcp_acked(sta, kClient.addr, kIfindex);
	REQUIRE(lab.coord.asked.size() == 1);
	CHECK(lab.coord.last().type == MsgType::client_arrived);
	CHECK(lab.coord.last().client_addr == kClient.addr);
	CHECK(lab.coord.last().mac == sta);
	FlowKey udp{L4::udp, kClient, kServer};
	Message flows = client_flows(udp);
	lab.coord.answer(0, &flows);
	REQUIRE(lab.coord.asked.size() == 2);
	CHECK(lab.coord.asked[1].msg.type == MsgType::fam_request);
	CHECK(lab.coord.asked[1].msg.flow() == udp);
	// Its first packet right after is no second arrival.
	lab.agent->client_arrived(kClient.addr, kIfindex, "test");
	CHECK(lab.coord.asked.size() == 2);
}

TEST_CASE("departure: a packet the radio passed after its station left is dropped, not an arrival (Fig. 13 1300)")
{
	Lab lab({}, false);
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	lab.agent->station_associated(sta, kIfindex);
	lab.agent->dhcp_acked(sta, kClient.addr, kIfindex);
	size_t asked = lab.coord.asked.size();
	lab.agent->station_left(sta);
	uint32_t straggler = lab.from_client(L4::tcp, kAck);
	CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{straggler, Verdict::drop}});
	for (size_t i = asked; i < lab.coord.asked.size(); ++i)
		CHECK(lab.coord.asked[i].msg.type != MsgType::client_arrived);

	// Back on this AP: its packets are an arrival again.
	lab.agent->station_associated(sta, kIfindex);
	asked = lab.coord.asked.size();
	lab.from_client(L4::tcp, kAck);
	REQUIRE(lab.coord.asked.size() > asked);
	CHECK(lab.coord.asked[asked].msg.type == MsgType::client_arrived);
	CHECK(lab.verdicts().size() == 1);
}

TEST_CASE("arrival: a client's first packet here is its arrival")
{
	Lab lab({}, false);
	lab.from_client(L4::tcp, kAck);
	REQUIRE(lab.coord.asked.size() == 2);
	CHECK(lab.coord.asked[0].msg.type == MsgType::client_arrived);
	CHECK(lab.coord.asked[0].msg.client_addr == kClient.addr);
	CHECK(lab.coord.asked[1].msg.type == MsgType::fam_request);
}

TEST_CASE("connection end: FIN both ways ends the connection after the linger")
{
	Lab lab;
	Endpoint masq = lab.anchored_tcp();
	lab.dp.events({DataPlaneEvent::Kind::tcp_fin, FlowKey{L4::tcp, kClient, kServer}});
	lab.dp.events({DataPlaneEvent::Kind::tcp_fin, FlowKey{L4::tcp, kServer, masq}});
	REQUIRE(lab.run_until([&] { return lab.coord.count(MsgType::conn_end) == 1; }));
	CHECK(lab.coord.last().flow() == FlowKey{L4::tcp, kClient, kServer});
	CHECK(lab.dp.entries.empty());
}

TEST_CASE("connection end: one FIN is not the end")
{
	Lab lab;
	lab.anchored_tcp();
	lab.dp.events({DataPlaneEvent::Kind::tcp_fin, FlowKey{L4::tcp, kClient, kServer}});
	lab.loop.run_once(Millis(20));
	CHECK(lab.coord.count(MsgType::conn_end) == 0);
	CHECK(lab.dp.entries.size() == 2);
}

TEST_CASE("adoption after a restart: records rebuilt from the data plane, replayed to the coordinator")
{
	Lab lab;
	const FlowKey here{L4::tcp, kClient, kServer};           // anchored and served here
	const FlowKey relayed{L4::udp, ep("10.202.0.12:6000"), kServer}; // anchored here, its client on ap3
	const Endpoint masq = ep("10.201.0.101:40010"), masq2 = ep("10.201.0.101:40011");
	Leftover left;
	left.fam_out = {{here, masq, std::nullopt, kIfindex}};
	left.fam_in = {{L4::tcp, kServer, masq, kClient}};
	left.ham = {{MasqKey{L4::udp, kServer, masq2}, kRemoteFam, relayed.client}};
	// An entry without its other half is removed, not adopted.
	left.fam_in.push_back({L4::udp, kServer, ep("10.201.0.101:40012"), ep("10.202.0.13:7000")});
	lab.agent->adopt(left);
	CHECK(lab.dp.entries.empty()); // the fake holds nothing: only the orphan's removal was staged
	CHECK(lab.dp.commits == 1);

	lab.coord.new_session();
	REQUIRE(lab.coord.count(MsgType::ham_register) == 2);
	for (const auto &a : lab.coord.asked) {
		CHECK(a.msg.type == MsgType::ham_register);
		CHECK(a.msg.has_flag(proto::kFlagResync));
		if (a.msg.flow() == here) {
			CHECK(a.msg.masq == masq);
			CHECK(a.msg.fam == masq);
		} else {
			CHECK(a.msg.flow() == relayed);
			CHECK(a.msg.masq == masq2);
		}
	}
	// The adopted records serve: an inbound miss for the relayed flow is
	// raced (its entry exists), not unknown.
	uint32_t id = lab.miss(Direction::inbound, L4::udp, kServer, masq2);
	CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{id, Verdict::repeat}});
}

TEST_CASE("masquerade addresses: connections anchored here take turns on them; FAM-only endpoints stay on the AP's own")
{
	const Address m1 = ep("10.201.0.201:0").addr, m2 = ep("10.201.0.202:0").addr;
	Lab lab({}, true, 60, Filtering::off, {m1, m2});
	auto client = [](uint16_t port) { return Endpoint{kClient.addr, port}; };

	lab.miss(Direction::outbound, L4::tcp, client(5001), kServer, kSyn); // Fig. 9
	lab.miss(Direction::outbound, L4::tcp, client(5002), kServer, kSyn);
	lab.miss(Direction::outbound, L4::udp, client(5003), kServer);      // Fig. 11: may become its HAM
	lab.miss(Direction::outbound, L4::tcp, client(5004), kServer, kAck); // Fig. 10: a FAM only
	REQUIRE(lab.coord.asked.size() == 4);
	CHECK(lab.coord.asked[0].msg.masq->addr == m1);
	CHECK(lab.coord.asked[0].msg.fam == lab.coord.asked[0].msg.masq);
	CHECK(lab.coord.asked[1].msg.masq->addr == m2);
	CHECK(lab.coord.asked[2].msg.has_flag(proto::kFlagCombined));
	CHECK(lab.coord.asked[2].msg.fam->addr == m1);
	CHECK_FALSE(lab.coord.asked[3].msg.has_flag(proto::kFlagCombined));
	CHECK(lab.coord.asked[3].msg.fam->addr == kSelf);

	SECTION("a restarted agent knows a record on a masquerade address for its own")
	{
		Lab again({}, true, 60, Filtering::off, {m1, m2});
		const FlowKey here{L4::tcp, kClient, kServer};
		const Endpoint masq{m2, 40010};
		Leftover left;
		left.fam_out = {{here, masq, std::nullopt, kIfindex}};
		left.fam_in = {{L4::tcp, kServer, masq, kClient}};
		again.agent->adopt(left);
		again.coord.new_session();
		REQUIRE(again.coord.count(MsgType::ham_register) == 1);
		CHECK(again.coord.last().masq == masq);
		CHECK(again.agent->counter("adopted_ham") == 1);
	}
}

TEST_CASE("HAM failover at the agent: a takeover installs the failed HAM's connections; an address lost is given up")
{
	const Address m1 = ep("10.201.0.201:0").addr, m2 = ep("10.201.0.202:0").addr;
	Lab lab({}, true, 60, Filtering::off, {m1});
	// This AP serves the client of a connection anchored at ap2.
	lab.from_client(L4::tcp, kAck);
	REQUIRE(lab.coord.asked.size() == 1);
	Endpoint fam = *lab.coord.last().fam;
	const Endpoint here_masq{m2, 45000}, relayed_masq{m2, 45001};
	Message r = joined("ap2", here_masq);
	lab.coord.answer(0, &r);
	REQUIRE(lab.dp.entries.count(fam_in(L4::tcp, fam)));

	Message take;
	take.type = MsgType::ham_takeover;
	take.request_id = 7;
	take.masq_addrs = {m2};
	take.generation = 2;
	take.agent_id = "ap2";
	take.conns = {{{L4::tcp, kClient, kServer}, here_masq, "ap1", 2, {{"ap1", fam}, {"ap2", ep("10.201.0.102:41000")}}},
		      {{L4::tcp, ep("10.202.0.12:6000"), kServer}, relayed_masq, "ap1", 2, {{"ap3", kRemoteFam}}},
		      {{L4::tcp, ep("10.202.0.13:6000"), kServer}, Endpoint{m2, 80}, "ap1", 2, {}}}; // outside port_range
	lab.coord.push(take);
	// Served here: its FAM endpoint is now the masquerade endpoint, one set
	// of entries for both roles (Fig. 11). Elsewhere: relayed to its FAM.
	CHECK(lab.dp.entries.count(fam_out(L4::tcp, here_masq)));
	CHECK(lab.dp.entries.count(fam_in(L4::tcp, here_masq)));
	CHECK_FALSE(lab.dp.entries.count(fam_in(L4::tcp, fam)));
	CHECK(lab.dp.entries.count(ham(L4::tcp, relayed_masq, kRemoteFam)));
	REQUIRE(lab.coord.answers.size() == 1);
	CHECK(lab.coord.answers[0].type == MsgType::ham_takeover_ack);
	CHECK(lab.coord.answers[0].request_id == 7u);
	CHECK(lab.coord.answers[0].status == Status::ok);
	CHECK(lab.coord.answers[0].count == 2u);
	CHECK(lab.agent->counter("takeovers") == 1);
	CHECK(lab.agent->counter("takeover_out_of_range") == 1);
	// New connections stay on its own address: the failed HAM released
	// ports on the one taken over moments ago.
	lab.miss(Direction::outbound, L4::tcp, ep("10.202.0.11:7001"), kServer, kSyn);
	lab.miss(Direction::outbound, L4::tcp, ep("10.202.0.11:7002"), kServer, kSyn);
	std::set<Address> used{lab.coord.asked[lab.coord.asked.size() - 2].msg.masq->addr, lab.coord.last().masq->addr};
	CHECK(used == std::set<Address>{m1});

	SECTION("a restarted agent takes back what it took over, for those connections only")
	{
		Lab again({}, true, 60, Filtering::off, {m1});
		Leftover left;
		left.fam_out = {{{L4::tcp, kClient, kServer}, here_masq, std::nullopt, kIfindex}};
		left.fam_in = {{L4::tcp, kServer, here_masq, kClient}};
		left.ham = {{MasqKey{L4::tcp, kServer, relayed_masq}, kRemoteFam, ep("10.202.0.12:6000")}};
		again.agent->adopt(left);
		CHECK(again.agent->counter("adopted_ham") == 2);
		again.coord.lease_list = std::vector<Address>{m1, m2};
		again.coord.new_session();
		CHECK(again.coord.count(MsgType::ham_register) == 2);
		CHECK(again.agent->counter("masquerade_fenced") == 0);
		again.miss(Direction::outbound, L4::tcp, ep("10.202.0.11:7009"), kServer, kSyn);
		CHECK(again.coord.last().masq->addr == m1);
	}
	SECTION("the next hello_ack no longer lists the address: everything on it is forgotten, nothing replayed on it")
	{
		size_t before = lab.coord.asked.size();
		lab.coord.lease_list = std::vector<Address>{m1};
		lab.coord.new_session();
		for (const auto &e : lab.dp.entries)
			CHECK(e.find("10.201.0.202") == std::string::npos);
		CHECK(lab.agent->counter("masquerade_fenced") == 1);
		size_t replays = 0;
		for (size_t i = before; i < lab.coord.asked.size(); ++i) {
			const Message &m = lab.coord.asked[i].msg;
			if (m.type != MsgType::ham_register && m.type != MsgType::fam_request)
				continue;
			++replays;
			CHECK((m.masq && m.masq->addr != m2));
		}
		CHECK(replays == 2); // the two connections anchored on m1
		// Its own address stays, and new connections go there.
		lab.miss(Direction::outbound, L4::tcp, ep("10.202.0.11:7003"), kServer, kSyn);
		CHECK(lab.coord.last().masq->addr == m1);
	}
}

TEST_CASE("client interfaces reach the data plane once per appearance, other interfaces never")
{
	Lab lab;
	lab.agent->link_exists(9, "rn-unit-test-none", true);
	lab.agent->link_exists(9, "rn-unit-test-none", true); // NEWLINK again: a flag changed
	lab.agent->link_exists(10, "eth0", true);
	CHECK(lab.dp.interfaces == std::vector<std::pair<uint32_t, bool>>{{9, true}});
	lab.agent->link_exists(9, "rn-unit-test-none", false);
	lab.agent->link_exists(9, "rn-unit-test-none", true); // moved back into this namespace
	CHECK(lab.dp.interfaces == std::vector<std::pair<uint32_t, bool>>{{9, true}, {9, false}, {9, true}});
}

TEST_CASE("client_moved: the client arrived at another AP without a word here; a fresh arrival here wins")
{
	auto arrived = Clock::now();
	Lab lab; // the client arrives here
	Endpoint masq = lab.anchored_tcp();
	Message moved;
	moved.type = MsgType::client_moved;
	moved.client_addr = kClient.addr;
	moved.agent_id = "ap2";

	// Sent before the client's arrival here was seen (it came back since).
	// Only judged while that arrival is recent: a machine slow enough to
	// spend half a second getting here cannot tell the two cases apart.
	lab.coord.push(moved);
	if (Clock::now() - arrived < Millis(400)) {
		CHECK(lab.coord.count(MsgType::client_departed) == 0);
		CHECK(lab.dp.entries.size() == 2);
	}

	// Older than half a second: this AP departs the client (Fig. 13 1300).
	std::this_thread::sleep_for(Millis(600));
	lab.coord.push(moved);
	CHECK(lab.coord.count(MsgType::client_departed) == 1);
	CHECK(lab.dp.entries == std::set<std::string>{ham(L4::tcp, masq, std::nullopt)});
}

TEST_CASE("revocation at the AP: a withdrawn station's key is wiped, and the coordinator's request is answered")
{
	Lab lab({}, false);
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	Message push;
	push.type = MsgType::key_push;
	push.mac = sta;
	push.user = "alice";
	push.pmk = SecretBytes(32, 0x42);
	push.lifetime = 600;
	lab.coord.push(push);
	StationRecord rec; // reassociated on that key: no identity at hostapd
	rec.mac = sta;
	rec.authorized = true;
	lab.coord.stations = false;
	lab.agent->station_associated(sta, kIfindex);
	lab.agent->station_authenticated(rec, "wlan0", true);
	REQUIRE(lab.coord.count(MsgType::station_auth) == 1);
	CHECK(lab.coord.last().auth_method == "PMKSA");
	lab.agent->station_left(sta);

	Message revoke;
	revoke.type = MsgType::station_revoke;
	revoke.request_id = 5;
	revoke.mac = sta;
	revoke.user = "alice";
	lab.coord.push(revoke);
	REQUIRE(lab.coord.answers.size() == 1);
	CHECK(lab.coord.answers[0].type == MsgType::station_revoke_ack);
	CHECK(lab.coord.answers[0].request_id == 5u);
	CHECK(lab.coord.answers[0].status == Status::ok);
	CHECK(lab.coord.answers[0].mac == sta);

	// The key is gone: the same reassociation names no user any more.
	lab.agent->station_associated(sta, kIfindex);
	lab.agent->station_authenticated(rec, "wlan0", true);
	CHECK(lab.coord.count(MsgType::station_auth) == 1);

	revoke.request_id = 0; // a replay on connect: nothing to answer
	lab.coord.push(revoke);
	CHECK(lab.coord.answers.size() == 1);
}

namespace {
// The index of the newest request of that type.
size_t newest(const FakeCoordinator &c, MsgType type)
{
	for (size_t i = c.asked.size(); i-- > 0;)
		if (c.asked[i].msg.type == type)
			return i;
	FAIL("no " << proto::msg_type_name(type) << " was asked");
	return 0;
}
} // namespace

// A station associates here and hostapd reports its 802.1X user, which the
// coordinator takes.
void authenticate(Lab &lab, const MacAddr &mac, const char *user)
{
	StationRecord rec;
	rec.mac = mac;
	rec.authorized = true;
	rec.user = user;
	rec.eap_method = "PEAP";
	lab.agent->station_associated(mac, kIfindex);
	lab.agent->station_authenticated(rec, "wlan0");
	lab.coord.answer(newest(lab.coord, MsgType::station_auth), Status::ok);
}

TEST_CASE("filtering: a station's policy is asked once its user is taken, given to its address, gone when it is")
{
	Lab lab({}, false, 60, Filtering::deny);
	lab.coord.stations = false;
	MacAddr alice = *MacAddr::parse("02:00:00:00:01:00"), bob = *MacAddr::parse("02:00:00:00:02:00");
	Address bob_addr = *Address::parse("10.202.0.12");
	std::string why;
	auto policy_reply = [&](const char *user, const char *name, std::vector<const char *> rules) {
		Message r = reply(Status::ok);
		r.user = user;
		r.filter_id = name;
		for (const char *t : rules)
			r.rules.push_back(*parse_filter_rule(t, why));
		r.verdict = RuleAction::deny;
		r.text = "Filter-Id";
		return r;
	};

	lab.agent->dhcp_acked(alice, kClient.addr, kIfindex); // its address, before its user
	authenticate(lab, alice, "alice");
	size_t asked = newest(lab.coord, MsgType::policy_request);
	CHECK(lab.coord.asked[asked].msg.mac == alice);
	CHECK(lab.dp.entries.count("policy 10.202.0.11 1") == 0); // nothing passes until the answer
	Message staff = policy_reply("alice", "staff", {"permit in ip from any to 10.201.0.0/24"});
	lab.coord.answer(asked, &staff);
	REQUIRE(lab.dp.policies.size() == 1);
	CHECK(lab.dp.policies[1].name == "staff");
	CHECK(lab.dp.policies[1].rules == staff.rules);
	CHECK(lab.dp.entries.count("policy 10.202.0.11 1") == 1);

	// bob's user comes before his address; his policy is alice's: installed once.
	authenticate(lab, bob, "bob");
	Message same = policy_reply("bob", "staff", {"permit in ip from any to 10.201.0.0/24"});
	lab.coord.answer(newest(lab.coord, MsgType::policy_request), &same);
	CHECK(lab.dp.policies.size() == 1);
	lab.agent->dhcp_acked(bob, bob_addr, kIfindex);
	CHECK(lab.dp.entries.count("policy 10.202.0.12 1") == 1);

	// A new lease moves the entry; leaving removes it.
	lab.agent->dhcp_acked(bob, *Address::parse("10.202.0.13"), kIfindex);
	CHECK(lab.dp.entries.count("policy 10.202.0.12 1") == 0);
	CHECK(lab.dp.entries.count("policy 10.202.0.13 1") == 1);
	lab.agent->station_left(bob);
	CHECK(lab.dp.entries.count("policy 10.202.0.13 1") == 0);

	// Refused (a revoked user) or withdrawn: alice's entry goes.
	lab.coord.new_session(); // the users are reported and their policies asked again
	lab.coord.answer(newest(lab.coord, MsgType::station_auth), Status::ok);
	lab.coord.answer(newest(lab.coord, MsgType::policy_request), Status::unauthorized);
	CHECK(lab.dp.entries.count("policy 10.202.0.11 1") == 0);
	CHECK(lab.dp.entries.empty());
}

TEST_CASE("filtering = hold: a station's packets wait for its policy, then run the hook again; refused, they are dropped")
{
	Lab lab({}, false, 60, Filtering::hold);
	REQUIRE(lab.dp.holds);
	lab.coord.stations = false;
	MacAddr alice = *MacAddr::parse("02:00:00:00:01:00"), bob = *MacAddr::parse("02:00:00:00:02:00");
	Address bob_addr = *Address::parse("10.202.0.12");
	auto held = [&](uint32_t id, Address client, bool outbound) {
		lab.dp.holds(PolicyHold{{4, id}, client, outbound});
	};

	lab.agent->dhcp_acked(alice, kClient.addr, kIfindex);
	authenticate(lab, alice, "alice");
	held(50, kClient.addr, true); // her first SYN, before the answer
	held(51, kClient.addr, false); // and something for her
	CHECK(lab.verdicts().empty());
	Message staff = reply(Status::ok);
	staff.user = "alice";
	staff.filter_id = "staff";
	staff.verdict = RuleAction::permit;
	lab.coord.answer(newest(lab.coord, MsgType::policy_request), &staff);
	REQUIRE(lab.dp.entries.count("policy 10.202.0.11 1") == 1);
	CHECK(lab.verdicts() == std::vector<std::pair<uint32_t, Verdict>>{{50, Verdict::repeat}, {51, Verdict::repeat}});
	held(52, kClient.addr, true); // queued by the kernel just before the policy went in
	CHECK(lab.verdicts().back() == std::pair<uint32_t, Verdict>{52, Verdict::repeat});

	lab.agent->dhcp_acked(bob, bob_addr, kIfindex);
	authenticate(lab, bob, "bob");
	held(60, bob_addr, true);
	lab.coord.answer(newest(lab.coord, MsgType::policy_request), Status::unauthorized);
	CHECK(lab.verdicts().back() == std::pair<uint32_t, Verdict>{60, Verdict::drop});
	CHECK(lab.dp.entries.count("policy 10.202.0.12 1") == 0);

	// A station that leaves takes its waiting packets with it.
	held(61, bob_addr, true);
	lab.agent->station_left(bob);
	CHECK(lab.verdicts().back() == std::pair<uint32_t, Verdict>{61, Verdict::drop});

	// A policy the data plane would not take: what waited is dropped, and
	// what comes next waits again instead of bouncing back to the kernel.
	MacAddr carol = *MacAddr::parse("02:00:00:00:03:00");
	Address carol_addr = *Address::parse("10.202.0.13");
	lab.agent->dhcp_acked(carol, carol_addr, kIfindex);
	authenticate(lab, carol, "carol");
	held(70, carol_addr, true);
	lab.dp.refuse_commits = true;
	Message carols = staff;
	carols.user = "carol";
	lab.coord.answer(newest(lab.coord, MsgType::policy_request), &carols);
	CHECK(lab.verdicts().back() == std::pair<uint32_t, Verdict>{70, Verdict::drop});
	size_t given = lab.verdicts().size();
	held(71, carol_addr, true);
	CHECK(lab.verdicts().size() == given);
	lab.dp.refuse_commits = false;
	lab.agent->stop();
}

TEST_CASE("users: an 802.11r (FT) reassociation is the user of the key handed over, or of the EAP exchange here")
{
	Lab lab({}, false);
	lab.coord.stations = false;
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	auto associate = [&](const StationRecord &r) {
		lab.agent->station_associated(r.mac, kIfindex);
		lab.agent->station_authenticated(r, "wlan0", true);
	};
	StationRecord eap; // the initial mobility domain association, by EAP here
	eap.mac = sta;
	eap.authorized = true;
	eap.user = "alice";
	eap.eap_method = "PEAP";
	eap.identity_responses = 1;
	eap.ft = true;
	associate(eap);
	REQUIRE(lab.coord.count(MsgType::station_auth) == 1);
	CHECK(lab.coord.last().auth_method == "PEAP");
	lab.agent->station_left(sta);

	StationRecord ft; // back by FT: no EAP, so hostapd names no user
	ft.mac = sta;
	ft.authorized = true;
	ft.ft = true;
	associate(ft);
	REQUIRE(lab.coord.count(MsgType::station_auth) == 2);
	CHECK(lab.coord.last().user == "alice");
	CHECK(lab.coord.last().auth_method == "FT");
	CHECK(lab.agent->counter("station_ft_handoffs") == 1);
	lab.agent->station_left(sta);

	// Another station by FT, its exchange elsewhere: the key the
	// coordinator handed over names it; without one it has no user here.
	ft.mac = *MacAddr::parse("02:00:00:00:02:00");
	associate(ft);
	CHECK(lab.coord.count(MsgType::station_auth) == 2);
	lab.agent->station_left(ft.mac);
	Message push;
	push.type = MsgType::key_push;
	push.mac = ft.mac;
	push.user = "bob";
	push.pmk = SecretBytes(32, 0x42);
	push.lifetime = 600;
	lab.coord.push(push);
	associate(ft);
	REQUIRE(lab.coord.count(MsgType::station_auth) == 3);
	CHECK(lab.coord.last().user == "bob");
	CHECK(lab.coord.last().auth_method == "FT");
	CHECK(lab.agent->counter("station_ft_handoffs") == 2);
	CHECK(lab.agent->counter("station_key_handoffs") == 0);
	lab.agent->station_left(ft.mac);

	// Withdrawn (revoked): hostapd keeps its PMK-R1, so it may come back by
	// FT; it is turned away, not reported, until a new EAP exchange.
	Message revoke;
	revoke.type = MsgType::station_revoke;
	revoke.mac = ft.mac;
	revoke.user = "bob";
	lab.coord.push(revoke);
	associate(ft);
	CHECK(lab.coord.count(MsgType::station_auth) == 3);
	CHECK(lab.agent->counter("ft_withdrawn_deauthenticated") == 1);
	lab.agent->station_left(ft.mac);
	StationRecord again = ft; // a new EAP exchange here: the coordinator decides
	again.user = "bob";
	again.eap_method = "TTLS";
	again.identity_responses = 1;
	associate(again);
	CHECK(lab.coord.count(MsgType::station_auth) == 4);
	CHECK(lab.agent->counter("ft_withdrawn_deauthenticated") == 1);
}

TEST_CASE("802.11r relay: frames from the coordinator go to hostapd only when addressed to this AP, and never without ft_relay")
{
	Lab lab({}, false);
	Message m;
	m.type = MsgType::ft_frame;
	m.agent_id = "ap2";
	std::vector<uint8_t> frame(64, 0);
	std::fill_n(frame.begin(), 6, 0xff); // broadcast: a pull to the wildcard R0KH
	frame[6] = 0x02;
	frame[12] = 0x88;
	frame[13] = 0xb7;
	m.frame = proto::EtherFrame{frame};
	lab.coord.push(m); // no ft_relay configured here: nowhere to deliver
	CHECK(lab.agent->counter("ft_frames_not_ours") == 1);
	CHECK(lab.agent->counter("ft_frames_delivered") == 0);
}

TEST_CASE("users: a wired 802.1X port on hostapd's own EAP server names its user, though it counts no identity responses")
{
	Lab lab({}, false);
	lab.coord.stations = false;
	StationRecord sta;
	sta.mac = *MacAddr::parse("02:00:00:00:01:00");
	sta.authorized = true;
	sta.user = "client1";
	sta.eap_method = "MD5";
	sta.identity_responses = 0;
	sta.own_eap_server = true;
	lab.agent->station_associated(sta.mac, kIfindex);
	lab.agent->station_authenticated(sta, "cl1");
	REQUIRE(lab.coord.count(MsgType::station_auth) == 1);
	CHECK(lab.coord.last().user == "client1");
	CHECK(lab.coord.last().auth_method == "MD5");
	lab.agent->station_left(sta.mac);

	// On Wi-Fi (RSN) the same record may be hostapd's PMKSA cache speaking:
	// not believed without an exchange roamd saw.
	sta.mac = *MacAddr::parse("02:00:00:00:02:00");
	sta.rsn = true;
	lab.agent->station_associated(sta.mac, kIfindex);
	lab.agent->station_authenticated(sta, "wlan0", true);
	CHECK(lab.coord.count(MsgType::station_auth) == 1);
	CHECK(lab.agent->counter("station_identity_unreadable") == 1);
}

TEST_CASE("stations: one that associated before the coordinator session is looked up by its MAC once the session is up")
{
	Lab lab({}, false);
	lab.coord.stations = false; // no session that resolves stations yet
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	lab.agent->station_associated(sta, kIfindex);
	CHECK(lab.coord.count(MsgType::client_arrived) == 0);
	lab.coord.stations = true;
	lab.coord.new_session();
	REQUIRE(lab.coord.count(MsgType::client_arrived) == 1);
	CHECK(lab.coord.last().mac == sta);
	CHECK_FALSE(lab.coord.last().client_addr);
}

TEST_CASE("arrival: one the coordinator could not answer is asked again when its session is up, and a departure cancels it")
{
	Lab lab({}, false);
	lab.agent->client_arrived(kClient.addr, kIfindex, "test");
	REQUIRE(lab.coord.count(MsgType::client_arrived) == 1);
	lab.coord.answer(0, nullptr); // no session: no answer
	CHECK(lab.agent->counter("arrivals_unanswered") == 1);
	lab.coord.new_session();
	REQUIRE(lab.coord.count(MsgType::client_arrived) == 2);
	CHECK(lab.coord.last().client_addr == kClient.addr);
	FlowKey udp{L4::udp, kClient, kServer};
	Message flows = client_flows(udp);
	lab.coord.answer(newest(lab.coord, MsgType::client_arrived), &flows);
	CHECK(lab.coord.last().type == MsgType::fam_request); // its connection joined at last
	lab.coord.new_session();
	CHECK(lab.coord.count(MsgType::client_arrived) == 2); // answered: not asked again

	Address other = ep("10.202.0.12:0").addr;
	lab.agent->client_arrived(other, kIfindex, "test");
	lab.coord.answer(newest(lab.coord, MsgType::client_arrived), nullptr);
	lab.agent->client_departed(other, "test");
	size_t before = lab.coord.count(MsgType::client_arrived);
	lab.coord.new_session();
	CHECK(lab.coord.count(MsgType::client_arrived) == before);
}
