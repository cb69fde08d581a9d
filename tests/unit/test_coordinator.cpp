// The coordinator's request handling (Figs. 9-13), driven over plain socket
// pairs by fake agents that speak the real wire protocol.
#include "../../common/log.hpp"
#include "../../common/radius_packet.hpp"
#include "../../coordinator/coordinator.hpp"
#include "coordinator_harness.hpp"

#include <arpa/inet.h>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <thread>

#include <catch2/catch.hpp>
#include <sys/socket.h>

using namespace roamnat;
using namespace roamnat::proto;

using namespace roamnat::test;

TEST_CASE("requests before hello are refused and the session closed")
{
	Harness h;
	auto p = h.connect("ap1");
	p->conn->send(fam_request("10.201.0.101:40000", true));
	REQUIRE(h.run_until([&] { return p->closed; }));
	REQUIRE(last_of(*p, MsgType::error));
	CHECK(last_of(*p, MsgType::error)->status == Status::bad_message);
	CHECK(h.coord.table().size() == 0);
}

TEST_CASE("Figs. 10-13 end to end through the coordinator")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101");
	auto ap2 = h.agent("ap2", "10.201.0.102");

	// Fig. 10 1070: unknown connection without the combined flag.
	auto rej = h.ask(*ap2, fam_request("10.201.0.102:40000", false));
	CHECK(rej.status == Status::rejected);

	// Fig. 11: the first FAM becomes the HAM, its FAM endpoint the masquerade.
	auto first = h.ask(*ap1, fam_request("10.201.0.101:40000", true));
	REQUIRE(first.status == Status::became_ham);
	CHECK(first.masq == ep("10.201.0.101:40000"));
	CHECK(first.ham_agent == "ap1");

	// Fig. 10 1050-1060: the client roams to ap2.
	auto join = h.ask(*ap2, fam_request("10.201.0.102:40007", true));
	REQUIRE(join.status == Status::ok);
	CHECK(join.masq == ep("10.201.0.101:40000"));
	CHECK(join.ham_agent == "ap1");
	// ... and the HAM is told at once (push), newest FAM first.
	REQUIRE(h.run_until([&] { return last_of(*ap1, MsgType::fam_update) != nullptr; }));
	auto push = *last_of(*ap1, MsgType::fam_update);
	REQUIRE(push.fams.size() == 2);
	CHECK(push.fams[0] == FamRecord{"ap2", ep("10.201.0.102:40007")});

	// Fig. 12: the HAM's query; the server must match (suspect otherwise).
	Message q;
	q.type = MsgType::fam_query;
	q.proto = L4::tcp;
	q.server = ep("10.201.0.10:5001");
	q.masq = ep("10.201.0.101:40000");
	auto list = h.ask(*ap1, q);
	REQUIRE(list.status == Status::ok);
	CHECK(list.fams.size() == 2);
	q.server = ep("10.201.0.99:5001");
	CHECK(h.ask(*ap1, q).status == Status::suspect);
	q.masq = ep("10.201.0.101:49999");
	CHECK(h.ask(*ap1, q).status == Status::not_found);

	// Fig. 13: the client leaves ap2; the HAM hears the new FAM list.
	ap1->got.clear();
	Message dep;
	dep.type = MsgType::client_departed;
	dep.client_addr = Ipv4::parse("10.202.0.11");
	auto ack = h.ask(*ap2, dep);
	CHECK(ack.count == 1u);
	REQUIRE(h.run_until([&] { return last_of(*ap1, MsgType::fam_update) != nullptr; }));
	auto after = *last_of(*ap1, MsgType::fam_update);
	REQUIRE(after.fams.size() == 1);
	CHECK(after.fams[0].agent == "ap1");

	// Connection end: removed, and the HAM is told.
	Message end;
	end.type = MsgType::conn_end;
	end.proto = L4::tcp;
	end.client = ep("10.202.0.11:40123");
	end.server = ep("10.201.0.10:5001");
	CHECK(h.ask(*ap2, end).status == Status::ok);
	REQUIRE(h.run_until([&] { return last_of(*ap1, MsgType::conn_removed) != nullptr; }));
	CHECK(h.coord.table().size() == 0);
	CHECK(h.ask(*ap2, end).status == Status::not_found);
}

TEST_CASE("Fig. 9 registration: idempotent replay, conflict for another HAM")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101");
	auto ap2 = h.agent("ap2", "10.201.0.102");
	Message reg;
	reg.type = MsgType::ham_register;
	reg.proto = L4::udp;
	reg.client = ep("10.202.0.11:5353");
	reg.server = ep("10.201.0.10:53");
	reg.masq = ep("10.201.0.101:40001");
	reg.fam = reg.masq;
	CHECK(h.ask(*ap1, reg).status == Status::ok);
	reg.flags = kFlagResync;
	CHECK(h.ask(*ap1, reg).status == Status::ok);
	reg.masq = ep("10.201.0.102:40001");
	CHECK(h.ask(*ap2, reg).status == Status::conflict);
	CHECK(h.coord.table().size() == 1);
}

TEST_CASE("Fig. 9 980: a designated HAM anchors the connection for the requester")
{
	Harness h;
	auto central = h.agent("central", "10.201.0.2");
	auto ap2 = h.agent("ap2", "10.201.0.102");
	Message d;
	d.type = MsgType::ham_designate;
	d.request_id = 555;
	d.proto = L4::tcp;
	d.client = ep("10.202.0.11:40123");
	d.server = ep("10.201.0.10:23");
	d.ham_agent = "central";
	ap2->conn->send(d);
	REQUIRE(h.run_until([&] { return last_of(*central, MsgType::ham_designate) != nullptr; }));
	Message reg;
	reg.type = MsgType::ham_register;
	reg.proto = L4::tcp;
	reg.client = d.client;
	reg.server = d.server;
	reg.masq = ep("10.201.0.2:40000");
	CHECK(h.ask(*central, reg).status == Status::ok);
	REQUIRE(h.run_until([&] { return last_of(*ap2, MsgType::ham_designate) != nullptr; }));
	CHECK(last_of(*ap2, MsgType::ham_designate)->request_id == 555u);
	CHECK(last_of(*ap2, MsgType::ham_designate)->status == Status::ok);
	d.ham_agent = "nobody";
	d.client = ep("10.202.0.11:40124");
	CHECK(h.ask(*ap2, d).status == Status::not_found);
}

TEST_CASE("unknown agents, control sessions and garbage are refused")
{
	CoordinatorOptions o;
	o.allowed_agents = {"ap1"};
	Harness h(o);
	auto stranger = h.connect("ap9");
	Message hello;
	hello.type = MsgType::hello;
	hello.role = Role::agent;
	hello.agent_addr = Ipv4{1};
	hello.instance = 7;
	stranger->conn->send(hello);
	REQUIRE(h.run_until([&] { return stranger->closed; }));
	CHECK(last_of(*stranger, MsgType::error)->status == Status::unauthorized);

	auto ctl = h.connect("roamctl");
	hello.role = Role::ctl;
	CHECK(h.ask(*ctl, hello).status == Status::ok);
	ctl->conn->send(fam_request("10.201.0.101:40000", true));
	REQUIRE(h.run_until([&] { return ctl->closed; }));
	CHECK(last_of(*ctl, MsgType::error)->status == Status::unauthorized);

	auto ap1 = h.agent("ap1", "10.201.0.101");
	REQUIRE(h.ask(*ap1, fam_request("10.201.0.101:40000", true)).status == Status::became_ham);
	auto junk = h.agent("ap1", "10.201.0.101"); // replaces the first session
	const uint8_t garbage[] = {0, 0, 0, 12, 1, 3, 0, 0, 0, 0, 0, 1, 0, 9, 0, 0x7f};
	REQUIRE(write(junk->raw, garbage, sizeof(garbage)) == sizeof(garbage));
	REQUIRE(h.run_until([&] { return junk->closed; }));
	CHECK(last_of(*junk, MsgType::error)->status == Status::bad_message);
	CHECK(h.coord.table().size() == 1); // nothing corrupted

	auto dumper = h.connect("roamctl");
	CHECK(h.ask(*dumper, hello).status == Status::ok);
	Message dump;
	dump.type = MsgType::dump_request;
	dump.what = DumpWhat::connections;
	auto conns = h.ask(*dumper, dump);
	REQUIRE(conns.conns.size() == 1);
	CHECK(conns.conns[0].masq == ep("10.201.0.101:40000"));
}

TEST_CASE("an agent that restarts loses what it anchored and served; HAMs are told")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101", 1);
	auto ap2 = h.agent("ap2", "10.201.0.102", 1);
	REQUIRE(h.ask(*ap1, fam_request("10.201.0.101:40000", true)).status == Status::became_ham);
	auto other = fam_request("10.201.0.102:40000", true);
	other.client = ep("10.202.0.12:5000");
	REQUIRE(h.ask(*ap2, other).status == Status::became_ham);
	auto join = other;
	join.fam = ep("10.201.0.101:40001");
	REQUIRE(h.ask(*ap1, join).status == Status::ok); // ap1 is FAM of ap2's connection
	REQUIRE(h.coord.table().size() == 2);

	// Same instance (a coordinator-side reconnect): nothing is forgotten.
	auto again = h.agent("ap1", "10.201.0.101", 1);
	CHECK(h.coord.table().size() == 2);

	ap2->got.clear();
	auto reborn = h.agent("ap1", "10.201.0.101", 2);
	CHECK(h.coord.table().size() == 1);
	REQUIRE(h.run_until([&] { return last_of(*ap2, MsgType::fam_update) != nullptr; }));
	const Message *upd = last_of(*ap2, MsgType::fam_update);
	REQUIRE(upd->fams.size() == 1);
	CHECK(upd->fams[0].agent == "ap2");
}

TEST_CASE("liveness: an agent silent for dead_after is declared failed, one late keepalive fails nobody")
{
	CoordinatorOptions o;
	o.keepalive = Millis(50);
	o.dead_after = Millis(400);
	Harness h(o);
	auto steady = h.agent("ap1", "10.201.0.101", 1, kFlagKeepalive); // one keepalive 150 ms late
	auto dies = h.agent("ap2", "10.201.0.102", 1, kFlagKeepalive);   // silent after 100 ms
	auto old = h.agent("ap3", "10.201.0.103", 1);                    // sends none, never judged
	const Message *ack = last_of(*steady, MsgType::hello_ack);
	REQUIRE(ack);
	CHECK(ack->keepalive_ms == 50u);
	CHECK(ack->dead_after_ms == 400u);
	CHECK_FALSE(last_of(*old, MsgType::hello_ack)->keepalive_ms);
	REQUIRE(h.ask(*dies, fam_request("10.201.0.102:40000", true)).status == Status::became_ham);

	auto start = h.loop.now();
	auto next = start;
	Message ka;
	ka.type = MsgType::keepalive;
	while (h.loop.now() - start < Millis(900)) {
		h.loop.run_once(Millis(5));
		auto now = h.loop.now();
		if (now < next)
			continue;
		auto at = now - start;
		if (at < Millis(300) || at > Millis(400)) // the late one: a 150 ms gap
			steady->conn->send(ka);
		if (at < Millis(100))
			dies->conn->send(ka);
		next = now + Millis(50);
	}
	CHECK_FALSE(steady->closed);
	CHECK(last_of(*steady, MsgType::keepalive_ack));
	CHECK(dies->closed);
	CHECK_FALSE(old->closed);
	// Its records stay for its return with the same instance.
	CHECK(h.coord.table().size() == 1);
	auto back = h.agent("ap2", "10.201.0.102", 1, kFlagKeepalive);
	CHECK(h.coord.table().size() == 1);
}

TEST_CASE("liveness: a coordinator that keeps stalling forgives its own lost time, not an agent's silence")
{
	CoordinatorOptions o;
	o.keepalive = Millis(50);
	o.dead_after = Millis(400);
	Harness h(o);
	auto live = h.agent("ap1", "10.201.0.101", 1, kFlagKeepalive);
	auto dies = h.agent("ap2", "10.201.0.102", 1, kFlagKeepalive); // never sends one
	Message ka;
	ka.type = MsgType::keepalive;
	// 100 ms of running, then an 80 ms stall (longer than keepalive), over
	// and over: each stall alone would look like everybody's silence.
	// ap2's silence while the coordinator ran adds up past dead_after
	// within a few cycles; forgiving whole stalls would never fail it.
	auto start = h.loop.now();
	while (h.loop.now() - start < Millis(2500) && !dies->closed) {
		auto cycle = h.loop.now();
		auto next = cycle;
		while (h.loop.now() - cycle < Millis(100)) {
			h.loop.run_once(Millis(5));
			if (h.loop.now() >= next) {
				live->conn->send(ka);
				next = h.loop.now() + Millis(50);
			}
		}
		std::this_thread::sleep_for(Millis(80));
	}
	CHECK(dies->closed);
	CHECK_FALSE(live->closed);
}

TEST_CASE("keepalive is for agents: a control session that sends one is refused")
{
	Harness h;
	auto ctl = h.peer("roamctl", Role::ctl);
	Message ka;
	ka.type = MsgType::keepalive;
	ctl->conn->send(ka);
	CHECK(h.run_until([&] { return ctl->closed; }));
}

TEST_CASE("a HAM reusing one of its masquerade endpoints supersedes the stale record")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101");
	auto ap2 = h.agent("ap2", "10.201.0.102");
	REQUIRE(h.ask(*ap1, fam_request("10.201.0.101:40000", true)).status == Status::became_ham);
	auto fresh = fam_request("10.201.0.101:40000", true);
	fresh.client = ep("10.202.0.13:6000");
	Message reg;
	reg.type = MsgType::ham_register;
	reg.proto = L4::tcp;
	reg.client = fresh.client;
	reg.server = fresh.server;
	reg.masq = ep("10.201.0.101:40000");
	CHECK(h.ask(*ap1, reg).status == Status::ok);
	CHECK(h.coord.table().size() == 1);
	CHECK(h.coord.table().find_masq(L4::tcp, *reg.masq)->flow.client == ep("10.202.0.13:6000"));
	// Another agent cannot take ap1's endpoint.
	reg.client = ep("10.202.0.14:7000");
	CHECK(h.ask(*ap2, reg).status == Status::conflict);
}

TEST_CASE("a client arriving at one FAM is a departure from the others: client_moved, to agents that take it")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagClientMoved);
	auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagClientMoved);
	auto ap3 = h.agent("ap3", "10.201.0.103"); // an older agent: never sent one
	REQUIRE(h.ask(*ap1, fam_request("10.201.0.101:40000", true)).status == Status::became_ham);
	REQUIRE(h.ask(*ap3, fam_request("10.201.0.103:40001", false)).status == Status::ok);

	Message arrived;
	arrived.type = MsgType::client_arrived;
	arrived.client_addr = Ipv4::parse("10.202.0.11");
	auto flows = h.ask(*ap2, arrived);
	CHECK(flows.conns.size() == 1);
	REQUIRE(h.run_until([&] { return last_of(*ap1, MsgType::client_moved) != nullptr; }));
	auto moved = *last_of(*ap1, MsgType::client_moved);
	CHECK(moved.client_addr == Ipv4::parse("10.202.0.11"));
	CHECK(moved.agent_id == "ap2");
	h.loop.run_once(Millis(20));
	CHECK_FALSE(last_of(*ap3, MsgType::client_moved)); // it did not ask for them
	CHECK_FALSE(last_of(*ap2, MsgType::client_moved)); // nor to the FAM it arrived at
	CHECK_FALSE(ap3->closed);
}

TEST_CASE("a station the coordinator has bound is found by its MAC alone at an AP it never visited")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagClientMoved);
	auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagClientMoved);
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");

	Message by_mac;
	by_mac.type = MsgType::client_arrived;
	by_mac.mac = sta;
	CHECK(h.ask(*ap2, by_mac).status == Status::not_found); // no AP has told its address yet

	// ap1 saw its DHCP lease: the binding, and an arrival there.
	REQUIRE(h.ask(*ap1, fam_request("10.201.0.101:40000", true)).status == Status::became_ham);
	Message bind;
	bind.type = MsgType::client_arrived;
	bind.client_addr = Ipv4::parse("10.202.0.11");
	bind.mac = sta;
	CHECK(h.ask(*ap1, bind).status == Status::ok);
	CHECK(h.coord.stations().size() == 1);

	auto flows = h.ask(*ap2, by_mac);
	CHECK(flows.status == Status::ok);
	CHECK(flows.client_addr == Ipv4::parse("10.202.0.11"));
	REQUIRE(flows.conns.size() == 1);
	CHECK(flows.conns[0].flow.client.addr == *Ipv4::parse("10.202.0.11"));
	// ap1 served it: it left ap1 without a word, as a reassociating station does.
	REQUIRE(h.run_until([&] { return last_of(*ap1, MsgType::client_moved) != nullptr; }));

	// DHCP gave the address to another station: the newest binding wins.
	Message rebind = bind;
	rebind.mac = *MacAddr::parse("02:00:00:00:02:00");
	CHECK(h.ask(*ap1, rebind).status == Status::ok);
	CHECK(h.ask(*ap2, by_mac).status == Status::not_found);
	CHECK(h.coord.stations().size() == 1);

	Message neither;
	neither.type = MsgType::client_arrived;
	CHECK(validate(neither) == "client_arrived lacks client_addr or mac");
}

TEST_CASE("Fig. 14 1455: the coordinator keeps each station's user, newest authentication first")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101");
	auto ap2 = h.agent("ap2", "10.201.0.102");
	MacAddr sta = *MacAddr::parse("02:00:00:00:01:00");
	Message auth;
	auth.type = MsgType::station_auth;
	auth.mac = sta;
	auth.user = "alice";
	auth.auth_method = "PEAP";
	CHECK(h.ask(*ap1, auth).status == Status::ok);
	auto u = h.coord.users().find(sta);
	REQUIRE(u);
	CHECK(u->user == "alice");
	CHECK(u->agent == "ap1");
	CHECK(u->method == "PEAP");
	CHECK(u->since > 1700000000);

	Message nobody = auth; // an empty user would make every users dump undecodable
	nobody.user = "";
	CHECK(h.ask(*ap1, nobody).status == Status::bad_message);
	CHECK(h.coord.users().find(sta)->user == "alice");

	auth.user = "mallory"; // the same MAC as another user: kept, and counted
	CHECK(h.ask(*ap2, auth).status == Status::ok);
	CHECK(h.coord.users().find(sta)->agent == "ap2");
	CHECK(h.coord.users().size() == 1);

	Message dump;
	dump.type = MsgType::dump_request;
	dump.what = DumpWhat::users;
	auto d = h.ask(*ap1, dump);
	REQUIRE(d.users.size() == 1);
	CHECK(d.users[0].user == "mallory");
	dump.what = DumpWhat::counters;
	d = h.ask(*ap1, dump);
	std::map<std::string, uint64_t> c;
	for (const auto &r : d.counters)
		c[r.name] = r.value;
	CHECK(c["user_authentications"] == 2);
	CHECK(c["user_changes"] == 1);
	CHECK(c["users"] == 1);
	CHECK(c["rx_dump_request"] == 2); // this one counted as it came in
	CHECK(c["rx_hello"] >= 2);
	CHECK_FALSE(c.count("rx_fam_request"));
}

TEST_CASE("the user table is bounded: the oldest authentication goes first")
{
	UserTable t(2);
	MacAddr a = *MacAddr::parse("02:00:00:00:00:01"), b = *MacAddr::parse("02:00:00:00:00:02"),
		c = *MacAddr::parse("02:00:00:00:00:03");
	CHECK(t.authenticated({a, "alice", "ap1", "PEAP", 1, ""}) == UserTable::Change::added);
	CHECK(t.authenticated({b, "bob", "ap1", "TTLS", 2, ""}) == UserTable::Change::added);
	CHECK(t.authenticated({a, "alice", "ap2", "PEAP", 3, ""}) == UserTable::Change::reauthenticated); // a is now newest
	CHECK(t.authenticated({c, "carol", "ap1", "PEAP", 4, ""}) == UserTable::Change::added);
	CHECK_FALSE(t.find(b));
	CHECK(t.find(a)->agent == "ap2");
	CHECK(t.size() == 2);
}

TEST_CASE("the station table is bounded: the oldest binding goes first")
{
	StationTable t(2);
	MacAddr a = *MacAddr::parse("02:00:00:00:00:01"), b = *MacAddr::parse("02:00:00:00:00:02"),
		c = *MacAddr::parse("02:00:00:00:00:03");
	t.bind(a, *Ipv4::parse("10.0.0.1"));
	t.bind(b, *Ipv4::parse("10.0.0.2"));
	t.bind(a, *Ipv4::parse("10.0.0.1")); // no news: keeps its age
	t.bind(c, *Ipv4::parse("10.0.0.3"));
	CHECK_FALSE(t.find(a));
	CHECK(t.find(b) == Ipv4::parse("10.0.0.2"));
	t.bind(b, *Ipv4::parse("10.0.0.9")); // a new lease for b
	CHECK(t.find(b) == Ipv4::parse("10.0.0.9"));
	CHECK(t.find(c) == Ipv4::parse("10.0.0.3"));
	CHECK(t.size() == 2);
}

Message station_key(const char *user, uint8_t fill, uint32_t lifetime)
{
	Message key;
	key.type = MsgType::station_key;
	key.mac = *MacAddr::parse("02:00:00:00:01:00");
	key.user = user;
	key.pmk = SecretBytes(32, fill);
	key.lifetime = lifetime;
	return key;
}

TEST_CASE("Fig. 15 1500: a key source's station key goes to every other AP that takes keys, and to APs that connect later")
{
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	Harness h(o);
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys);
	auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagKeys);
	auto old = h.agent("ap3", "10.201.0.103"); // an older agent: never sent a key
	auto radius = h.peer("radius", Role::key_source);

	Message key = station_key("alice", 0x5a, 3600);
	key.agent_id = "ap1"; // it authenticated the station: it has the key
	auto ack = h.ask(*radius, key);
	CHECK(ack.status == Status::ok);
	CHECK(ack.count == 1u);
	REQUIRE(h.run_until([&] { return last_of(*ap2, MsgType::key_push) != nullptr; }));
	auto push = *last_of(*ap2, MsgType::key_push);
	CHECK(push.mac == key.mac);
	CHECK(push.user == "alice");
	CHECK(push.pmk == key.pmk);
	CHECK(*push.lifetime <= 3600u);
	CHECK(*push.lifetime >= 3598u);
	h.loop.run_once(Millis(20));
	CHECK_FALSE(last_of(*ap1, MsgType::key_push));
	CHECK_FALSE(last_of(*old, MsgType::key_push));

	auto ap4 = h.agent("ap4", "10.201.0.104", 1, kFlagKeys); // connects later: handed what is still usable
	REQUIRE(h.run_until([&] { return last_of(*ap4, MsgType::key_push) != nullptr; }));
	CHECK(last_of(*ap4, MsgType::key_push)->pmk == key.pmk);

	Message bad = key; // no user, or a lifetime out of bounds: refused, nothing pushed
	bad.user = "";
	CHECK(h.ask(*radius, bad).status == Status::bad_message);
	bad = key;
	bad.lifetime = 0;
	CHECK(h.ask(*radius, bad).status == Status::bad_message);
	CHECK_FALSE(radius->closed);
}

TEST_CASE("station keys come from key sources only, and key sources send nothing else")
{
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	Harness h(o);
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys);
	Message key = station_key("mallory", 1, 60);
	ap1->conn->send(key); // an agent may not hand keys around
	REQUIRE(h.run_until([&] { return ap1->closed; }));
	REQUIRE(last_of(*ap1, MsgType::error));
	CHECK(last_of(*ap1, MsgType::error)->status == Status::unauthorized);

	Message hello;
	hello.type = MsgType::hello;
	hello.role = Role::key_source;
	auto rogue = h.connect("ap2"); // a valid certificate, but not a key source
	rogue->conn->send(hello);
	REQUIRE(h.run_until([&] { return rogue->closed; }));
	CHECK(last_of(*rogue, MsgType::error)->status == Status::unauthorized);

	auto radius = h.connect("radius");
	REQUIRE(h.ask(*radius, hello).status == Status::ok);
	Message dump;
	dump.type = MsgType::dump_request;
	dump.what = DumpWhat::users;
	radius->conn->send(dump);
	REQUIRE(h.run_until([&] { return radius->closed; }));
	CHECK(last_of(*radius, MsgType::error)->status == Status::unauthorized);
}

namespace {
size_t count_of(const FakePeer &p, MsgType type)
{
	size_t n = 0;
	for (const auto &m : p.got)
		n += m.type == type;
	return n;
}

// The agent's side of station_revoke: confirms every one it is asked to.
void confirm_revokes(FakePeer &ap, size_t &seen)
{
	for (; seen < ap.got.size(); ++seen) {
		const Message &m = ap.got[seen];
		if (m.type != MsgType::station_revoke || !m.request_id)
			continue;
		Message ack;
		ack.type = MsgType::station_revoke_ack;
		ack.request_id = m.request_id;
		ack.status = Status::ok;
		ack.mac = m.mac;
		ack.count = 1;
		ap.conn->send(ack);
	}
}

Message user_action(const char *user, UserAction action)
{
	Message m;
	m.type = MsgType::user_action;
	m.user = user;
	m.action = action;
	return m;
}
} // namespace

TEST_CASE("revocation: one user's keys are withdrawn from every AP, its authentications refused until reinstated")
{
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	o.operators = {"ops"};
	Harness h(o);
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys);
	auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagKeys);
	auto radius = h.peer("radius", Role::key_source);
	Message alice_key = station_key("alice", 0x11, 3600);
	alice_key.agent_id = "ap1";
	REQUIRE(h.ask(*radius, alice_key).status == Status::ok);
	Message bob_key = station_key("bob", 0x22, 3600);
	bob_key.mac = *MacAddr::parse("02:00:00:00:02:00");
	REQUIRE(h.ask(*radius, bob_key).status == Status::ok);
	Message auth;
	auth.type = MsgType::station_auth;
	auth.mac = alice_key.mac;
	auth.user = "alice";
	REQUIRE(h.ask(*ap1, auth).status == Status::ok);

	auto ops = h.peer("ops", Role::ctl);
	Message revoke = user_action("alice", UserAction::revoke);
	revoke.request_id = 7;
	ops->conn->send(revoke);
	size_t seen1 = 0, seen2 = 0;
	REQUIRE(h.run_until([&] {
		confirm_revokes(*ap1, seen1);
		confirm_revokes(*ap2, seen2);
		return last_of(*ops, MsgType::user_action_ack) != nullptr;
	}));
	auto ack = *last_of(*ops, MsgType::user_action_ack);
	CHECK(ack.status == Status::ok);
	CHECK(ack.count == 1u);
	CHECK(ack.text->find("2 AP(s) confirmed") != std::string::npos);
	for (FakePeer *ap : {ap1.get(), ap2.get()}) {
		REQUIRE(count_of(*ap, MsgType::station_revoke) == 1);
		CHECK(last_of(*ap, MsgType::station_revoke)->mac == alice_key.mac);
		CHECK(last_of(*ap, MsgType::station_revoke)->user == "alice");
	}

	// Refused from now on, at the RADIUS server's hook and at an AP.
	auto refused = h.ask(*radius, alice_key);
	CHECK(refused.status == Status::unauthorized);
	auto auth_refused = h.ask(*ap2, auth);
	CHECK(auth_refused.status == Status::unauthorized);
	REQUIRE(h.run_until([&] { return count_of(*ap2, MsgType::station_revoke) == 2; }));
	// Bob is untouched: his key still goes to an AP that connects, alice's is
	// withdrawn there again.
	auto ap3 = h.agent("ap3", "10.201.0.103", 1, kFlagKeys);
	REQUIRE(h.run_until([&] { return last_of(*ap3, MsgType::station_revoke) != nullptr; }));
	REQUIRE(last_of(*ap3, MsgType::key_push));
	CHECK(last_of(*ap3, MsgType::key_push)->user == "bob");
	CHECK(count_of(*ap3, MsgType::key_push) == 1);
	CHECK(last_of(*ap3, MsgType::station_revoke)->mac == alice_key.mac);

	// Only operators act on users.
	auto stranger = h.peer("someone", Role::ctl);
	CHECK(h.ask(*stranger, user_action("bob", UserAction::revoke)).status == Status::unauthorized);
	CHECK(h.ask(*radius, bob_key).status == Status::ok);

	CHECK(h.ask(*ops, user_action("alice", UserAction::reinstate)).status == Status::ok);
	CHECK(h.ask(*ap2, auth).status == Status::ok);
	// Back by an authentication alone (a RADIUS server without the hook):
	// an AP that connects now is not told to disconnect her again.
	auto ap5 = h.agent("ap5", "10.201.0.105", 1, kFlagKeys);
	h.loop.run_once(Millis(20));
	CHECK_FALSE(last_of(*ap5, MsgType::station_revoke));
	CHECK(h.ask(*radius, alice_key).status == Status::ok);
}

TEST_CASE("a disconnection withdraws the keys but refuses nothing; unconfirmed APs are named")
{
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	o.operators = {"ops"};
	Harness h(o);
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys); // never answers
	auto radius = h.peer("radius", Role::key_source);
	REQUIRE(h.ask(*radius, station_key("carol", 0x33, 600)).status == Status::ok);
	auto ops = h.peer("ops", Role::ctl);
	Message m = user_action("carol", UserAction::disconnect);
	m.request_id = 9;
	ops->conn->send(m);
	for (int i = 0; i < 400 && !last_of(*ops, MsgType::user_action_ack); ++i)
		h.loop.run_once(Millis(10)); // the 3 s deadline
	REQUIRE(last_of(*ops, MsgType::user_action_ack));
	auto ack = *last_of(*ops, MsgType::user_action_ack);
	CHECK(ack.status == Status::ok);
	CHECK(ack.text->find("not confirmed by: ap1") != std::string::npos);
	CHECK(h.ask(*radius, station_key("carol", 0x34, 600)).status == Status::ok);
}

TEST_CASE("RFC 5176: a RADIUS Disconnect-Request for a station withdraws its key at every AP and is ACKed once they confirm")
{
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	DasOptions das;
	das.listen = *Endpoint::parse("127.0.0.1:0");
	das.clients = {*Ipv4::parse("127.0.0.1")};
	das.secret = "das-secret";
	o.das = das;
	o.listen = *Endpoint::parse("127.0.0.1:0"); // start() opens the agents' listener too
	Harness h(o);
	std::string err;
	REQUIRE(h.coord.start(err));
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys);
	auto radius = h.peer("radius", Role::key_source);
	REQUIRE(h.ask(*radius, station_key("alice", 0x11, 600)).status == Status::ok);

	UniqueFd udp(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	sockaddr_in to{};
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(h.coord.das()->port());
	auto dm = [&](uint8_t id, const std::string &station) {
		radius::Packet p;
		p.code = radius::Code::disconnect_request;
		p.id = id;
		p.attrs.push_back({radius::attr::calling_station_id, {station.begin(), station.end()}});
		uint32_t t = uint32_t(time(nullptr));
		p.attrs.push_back({radius::attr::event_timestamp, {uint8_t(t >> 24), uint8_t(t >> 16), uint8_t(t >> 8), uint8_t(t)}});
		auto wire = radius::encode_request(p, "das-secret");
		REQUIRE(sendto(udp.get(), wire.data(), wire.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof(to)) > 0);
	};
	auto answer = [&]() -> std::optional<radius::Code> {
		uint8_t buf[4096];
		size_t seen = 0;
		for (int i = 0; i < 100; ++i) {
			h.loop.run_once(Millis(10));
			confirm_revokes(*ap1, seen);
			ssize_t n = recv(udp.get(), buf, sizeof(buf), 0);
			std::string why;
			if (n > 0)
				return radius::parse({buf, size_t(n)}, why)->code;
		}
		return std::nullopt;
	};
	dm(1, "02-00-00-00-01-00");
	CHECK(answer() == radius::Code::disconnect_ack);
	REQUIRE(last_of(*ap1, MsgType::station_revoke));
	CHECK(last_of(*ap1, MsgType::station_revoke)->user == "alice");
	dm(2, "02-00-00-00-09-09"); // no such station
	CHECK(answer() == radius::Code::disconnect_nak);
	// A disconnection refuses nothing: alice's next key is taken.
	CHECK(h.ask(*radius, station_key("alice", 0x12, 600)).status == Status::ok);
}

namespace {
Message policy_request(const char *mac)
{
	Message m;
	m.type = MsgType::policy_request;
	m.mac = *MacAddr::parse(mac);
	return m;
}

FilterRule rule_of(const char *text)
{
	std::string why;
	auto r = parse_filter_rule(text, why);
	REQUIRE(r);
	return *r;
}
} // namespace

TEST_CASE("Fig. 14 1435/1465: a station's policy from NAS-Filter-Rule, Filter-Id or the policies_file, deny by default")
{
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	o.operators = {"ops"};
	std::string err;
	o.policies = PolicySet::parse("policy staff\npermit in ip from any to 10.201.0.0/24\n"
				      "policy guest\npermit in tcp from any to 10.201.0.10 5001-5009\n"
				      "user carol staff\ndefault guest\n",
				      "policies", err);
	REQUIRE(o.policies);
	Harness h(o);
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys);
	auto radius = h.peer("radius", Role::key_source);
	auto ops = h.peer("ops", Role::ctl);
	auto authenticate = [&](const char *mac, const char *user) {
		Message auth;
		auth.type = MsgType::station_auth;
		auth.mac = *MacAddr::parse(mac);
		auth.user = user;
		REQUIRE(h.ask(*ap1, auth).status == Status::ok);
	};

	// Unknown: nobody authenticated there. Refused, never "no policy".
	auto unknown = h.ask(*ap1, policy_request("02:00:00:00:09:00"));
	CHECK(unknown.status == Status::not_found);
	CHECK(unknown.text->find("no user is known") != std::string::npos);

	// Filter-Id names a policy of the file.
	Message key = station_key("alice", 0x11, 3600);
	key.filter_id = "staff";
	key.radius_class = "0x726f616d";
	key.session_timeout = 600;
	REQUIRE(h.ask(*radius, key).status == Status::ok);
	authenticate("02:00:00:00:01:00", "alice");
	auto a = h.ask(*ops, policy_request("02:00:00:00:01:00"));
	REQUIRE(a.status == Status::ok);
	CHECK(a.user == "alice");
	CHECK(a.filter_id == "staff");
	CHECK(a.text == "Filter-Id");
	CHECK(a.verdict == RuleAction::deny);
	REQUIRE(a.rules.size() == 1);
	CHECK(a.rules[0].str() == "permit in ip from any to 10.201.0.0/24");
	CHECK(h.coord.authorizations().find(*key.mac)->session_timeout == 600u);

	// NAS-Filter-Rules come first, and are complete: the rest is denied.
	Message bob = station_key("bob", 0x22, 3600);
	bob.mac = *MacAddr::parse("02:00:00:00:02:00");
	bob.filter_id = "staff";
	bob.rules = {rule_of("permit in tcp from any to 10.201.0.10 5001")};
	REQUIRE(h.ask(*radius, bob).status == Status::ok);
	authenticate("02:00:00:00:02:00", "bob");
	auto b = h.ask(*ap1, policy_request("02:00:00:00:02:00"));
	REQUIRE(b.status == Status::ok);
	CHECK(b.filter_id == "radius:bob");
	CHECK(b.text == "NAS-Filter-Rule");
	CHECK(b.rules == bob.rules);
	CHECK(b.verdict == RuleAction::deny);

	// Without RADIUS attributes: the file's user line, then its default.
	authenticate("02:00:00:00:03:00", "carol");
	CHECK(h.ask(*ap1, policy_request("02:00:00:00:03:00")).filter_id == "staff");
	authenticate("02:00:00:00:04:00", "dave");
	auto d = h.ask(*ap1, policy_request("02:00:00:00:04:00"));
	CHECK(d.filter_id == "guest");
	CHECK(d.text == "policies_file");

	// A Filter-Id the file does not define denies everything.
	Message erin = station_key("erin", 0x33, 3600);
	erin.mac = *MacAddr::parse("02:00:00:00:05:00");
	erin.filter_id = "contractors";
	REQUIRE(h.ask(*radius, erin).status == Status::ok);
	authenticate("02:00:00:00:05:00", "erin");
	auto e = h.ask(*ap1, policy_request("02:00:00:00:05:00"));
	CHECK(e.filter_id == "contractors");
	CHECK(e.rules.empty());
	CHECK(e.verdict == RuleAction::deny);

	// Another user on alice's MAC: her authorization does not follow it.
	authenticate("02:00:00:00:01:00", "mallory");
	CHECK(h.ask(*ap1, policy_request("02:00:00:00:01:00")).filter_id == "guest");

	// The users dump names each station's policy.
	Message dump;
	dump.type = MsgType::dump_request;
	dump.what = DumpWhat::users;
	std::map<std::string, std::string> policy_of;
	for (const auto &u : h.ask(*ops, dump).users)
		policy_of[u.user] = u.policy;
	CHECK(policy_of["bob"] == "radius:bob");
	CHECK(policy_of["carol"] == "staff");

	// Revoked: refused, and the authorization is gone with the key.
	size_t seen = 0;
	Message revoke = user_action("bob", UserAction::revoke);
	revoke.request_id = 9;
	ops->conn->send(revoke);
	REQUIRE(h.run_until([&] {
		confirm_revokes(*ap1, seen);
		return last_of(*ops, MsgType::user_action_ack) != nullptr;
	}));
	auto r = h.ask(*ap1, policy_request("02:00:00:00:02:00"));
	CHECK(r.status == Status::unauthorized);
	CHECK_FALSE(h.coord.authorizations().find(*bob.mac));

	dump.what = DumpWhat::counters;
	std::map<std::string, uint64_t> c;
	for (const auto &x : h.ask(*ops, dump).counters)
		c[x.name] = x.value;
	CHECK(c["policy_lookups"] == 8);
	CHECK(c["policy_unknown_station"] == 1);
	CHECK(c["policy_undefined_filter_id"] == 1);
	CHECK(c["policy_revoked"] == 1);
	CHECK(c["policies"] == 2);
	CHECK(c["authorizations_received"] == 3);
}

TEST_CASE("without a policies_file a station is not filtered unless RADIUS said so; key sources may not ask")
{
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	Harness h(o);
	auto ap1 = h.agent("ap1", "10.201.0.101");
	Message auth;
	auth.type = MsgType::station_auth;
	auth.mac = *MacAddr::parse("02:00:00:00:01:00");
	auth.user = "alice";
	REQUIRE(h.ask(*ap1, auth).status == Status::ok);
	auto p = h.ask(*ap1, policy_request("02:00:00:00:01:00"));
	CHECK(p.status == Status::ok);
	CHECK(p.filter_id == "none");
	CHECK(p.verdict == RuleAction::permit);
	CHECK(p.rules.empty());

	auto radius = h.peer("radius", Role::key_source);
	radius->conn->send(policy_request("02:00:00:00:01:00"));
	REQUIRE(h.run_until([&] { return radius->closed; }));
}

namespace {
std::string temp_dir()
{
	char tmpl[] = "/tmp/roamnat-state-XXXXXX";
	REQUIRE(mkdtemp(tmpl));
	return tmpl;
}

uint64_t coordinator_counter(Harness &h, const std::string &name)
{
	auto ctl = h.peer("roamctl", Role::ctl);
	Message dump;
	dump.type = MsgType::dump_request;
	dump.what = DumpWhat::counters;
	auto r = h.ask(*ctl, dump);
	for (const auto &c : r.counters)
		if (c.name == name)
			return c.value;
	return 0;
}
} // namespace

TEST_CASE("two agents presenting one name: the live one keeps its session and records, the other is refused")
{
	// dead_after long enough that ap1, which keeps sending, stays alive on a
	// slow machine (sanitizers, a loaded CI) through every check below.
	CoordinatorOptions o;
	o.keepalive = Millis(100);
	o.dead_after = Millis(1000);
	Harness h(o);
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeepalive);
	REQUIRE(h.ask(*ap1, fam_request("10.201.0.101:40000", true)).status == Status::became_ham);
	auto hello_as_ap1 = [&](const char *addr, uint64_t instance) {
		auto p = h.connect("ap1");
		Message m;
		m.type = MsgType::hello;
		m.role = Role::agent;
		m.agent_addr = Ipv4::parse(addr);
		m.instance = instance;
		m.flags = kFlagKeepalive;
		m.request_id = 1;
		p->conn->send(m);
		h.run_until([&] { return p->closed || last_of(*p, MsgType::hello_ack); });
		return p;
	};
	Message ka;
	ka.type = MsgType::keepalive;
	// A clone from another address, and a second roamd on ap1 itself.
	for (auto [addr, instance] : {std::pair{"10.201.0.109", uint64_t(7)}, std::pair{"10.201.0.101", uint64_t(8)}}) {
		ap1->conn->send(ka);
		auto clone = hello_as_ap1(addr, instance);
		CHECK(clone->closed);
		REQUIRE(last_of(*clone, MsgType::error));
		CHECK(last_of(*clone, MsgType::error)->status == Status::conflict);
		CHECK_FALSE(ap1->closed);
		CHECK(h.coord.table().size() == 1); // its records were not forgotten
	}
	CHECK(coordinator_counter(h, "refused_duplicate_agent") == 2);
	// ap1 itself reconnecting (same address and instance) replaces its session.
	auto again = hello_as_ap1("10.201.0.101", 1);
	CHECK(last_of(*again, MsgType::hello_ack));
	CHECK(h.run_until([&] { return ap1->closed; }));
	CHECK(h.coord.table().size() == 1);
	// Once the live one has been silent for dead_after (a reboot left it
	// half-open), a new instance replaces it.
	auto start = h.loop.now();
	while (h.loop.now() - start < Millis(1100))
		h.loop.run_once(Millis(10));
	auto rebooted = hello_as_ap1("10.201.0.101", 2);
	CHECK(last_of(*rebooted, MsgType::hello_ack));
	CHECK_FALSE(rebooted->closed);
}

TEST_CASE("hard state: agents, revoked users and withdrawn keys survive a restart of the coordinator")
{
	std::string dir = temp_dir();
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	o.operators = {"ops"};
	o.state_file = dir + "/roamcoord.state";
	Message alice_key = station_key("alice smith", 0x11, 3600);
	alice_key.agent_id = "ap1";
	{
		Harness h(o);
		std::string err;
		REQUIRE(h.coord.load_state(err));
		auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys);
		auto radius = h.peer("radius", Role::key_source);
		REQUIRE(h.ask(*radius, alice_key).status == Status::ok);
		auto ops = h.peer("ops", Role::ctl);
		Message revoke = user_action("alice smith", UserAction::revoke);
		revoke.request_id = 7;
		ops->conn->send(revoke);
		size_t seen = 0;
		REQUIRE(h.run_until([&] {
			confirm_revokes(*ap1, seen);
			return last_of(*ops, MsgType::user_action_ack) != nullptr;
		}));
	} // as abruptly as kill -9: nothing is written on the way out

	Harness h(o);
	std::string err;
	REQUIRE(h.coord.load_state(err));
	auto radius = h.peer("radius", Role::key_source);
	CHECK(h.ask(*radius, alice_key).status == Status::unauthorized);
	// An AP that connects is told again to drop the withdrawn key.
	auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagKeys);
	REQUIRE(h.run_until([&] { return last_of(*ap2, MsgType::station_revoke) != nullptr; }));
	CHECK(last_of(*ap2, MsgType::station_revoke)->mac == alice_key.mac);
	// ap1 is known with its instance: the same one is a reconnect, another a restart.
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeys);
	CHECK(coordinator_counter(h, "agent_restarts") == 0);
	auto ap1_again = h.agent("ap1", "10.201.0.101", 2, kFlagKeys);
	CHECK(coordinator_counter(h, "agent_restarts") == 1);

	// Reinstated, and that too survives.
	auto ops = h.peer("ops", Role::ctl);
	REQUIRE(h.ask(*ops, user_action("alice smith", UserAction::reinstate)).status == Status::ok);
	Harness again(o);
	REQUIRE(again.coord.load_state(err));
	auto radius2 = again.peer("radius", Role::key_source);
	CHECK(again.ask(*radius2, alice_key).status == Status::ok);
	std::filesystem::remove_all(dir);
}

TEST_CASE("hard state: a revocation the state_file could not keep is enforced, and the operator is told")
{
	std::string dir = temp_dir();
	CoordinatorOptions o;
	o.key_sources = {"radius"};
	o.operators = {"ops"};
	o.state_file = dir + "/roamcoord.state";
	Harness h(o);
	std::string err;
	REQUIRE(h.coord.load_state(err));
	// Its temporary file cannot be made (a directory is in the way; root
	// ignores permission bits), as on a full or read-only disk.
	std::filesystem::create_directory(o.state_file + ".tmp");
	auto radius = h.peer("radius", Role::key_source);
	Message alice_key = station_key("alice", 0x12, 3600);
	alice_key.agent_id = "ap1";
	REQUIRE(h.ask(*radius, alice_key).status == Status::ok);
	auto ops = h.peer("ops", Role::ctl);
	Message ack = h.ask(*ops, user_action("alice", UserAction::revoke));
	CHECK(ack.status == Status::ok);
	REQUIRE(ack.text);
	CHECK(ack.text->find("NOT saved to the state_file") != std::string::npos);
	CHECK(h.ask(*radius, alice_key).status == Status::unauthorized);
	CHECK(coordinator_counter(h, "state_write_failures") >= 1);
	std::filesystem::remove_all(dir);
}

TEST_CASE("hard state: a corrupt state_file stops the coordinator with the line at fault, an absent one is empty")
{
	std::string dir = temp_dir();
	CoordinatorOptions o;
	o.state_file = dir + "/roamcoord.state";
	std::string err;
	{
		Harness h(o);
		CHECK(h.coord.load_state(err)); // absent: created
		CHECK(std::filesystem::exists(o.state_file));
	}
	{
		CoordinatorOptions nested = o; // in a directory nobody made: made, 0700
		nested.state_file = dir + "/lib/roamnat/roamcoord.state";
		Harness h(nested);
		CHECK(h.coord.load_state(err));
		CHECK(std::filesystem::exists(nested.state_file));
		CHECK(std::filesystem::status(dir + "/lib/roamnat").permissions() == std::filesystem::perms::owner_all);
	}
	auto write = [&](const std::string &text) { std::ofstream(o.state_file) << text; };
	write("roamcoord-state 1\nagent 10.201.0.101 1 ap1\nagent nonsense\n");
	{
		Harness h(o);
		CHECK_FALSE(h.coord.load_state(err));
		CHECK(err.find(o.state_file + ":3: expected 'agent ADDRESS INSTANCE NAME'") != std::string::npos);
	}
	write("revoked forever alice\n");
	{
		Harness h(o);
		CHECK_FALSE(h.coord.load_state(err));
		CHECK(err.find(":1: not a roamcoord state file") != std::string::npos);
	}
	for (const char *bad : {"lease 10.201.0.201 0 ap1 ap2", "lease 10.201.0.201 2 ap1", "lease nowhere 2 ap1 ap2",
				"lease 10.201.0.201 2 ap1 ap2 ap3"}) {
		write(std::string("roamcoord-state 1\n") + bad + "\nend 1\n");
		Harness h(o);
		INFO(bad);
		CHECK_FALSE(h.coord.load_state(err));
		CHECK(err.find(":2: expected 'lease ADDRESS GENERATION HOME HOLDER'") != std::string::npos);
	}
	write("roamcoord-state 1\nrevoked someday alice\n");
	{
		Harness h(o);
		CHECK_FALSE(h.coord.load_state(err));
		CHECK(err.find(":2: expected 'revoked forever|UNIX-SECONDS USER'") != std::string::npos);
	}
	// Cut short, empty, miscounted, or with a record after the end: refused.
	for (auto [text, why] : {std::pair{"roamcoord-state 1\nrevoked forever alice\n", ":3: cut short: no 'end RECORDS' line"},
				 std::pair{"", ":1: cut short: no 'end RECORDS' line (the file is empty)"},
				 std::pair{"roamcoord-state 1\nrevoked forever alice\nend 2\n", "counts 2 record(s), the file holds 1"},
				 std::pair{"roamcoord-state 1\nend 0\nrevoked forever alice\n", ":3: a record after the 'end' line"}}) {
		write(text);
		Harness h(o);
		CHECK_FALSE(h.coord.load_state(err));
		CHECK(err.find(why) != std::string::npos);
	}
	write("roamcoord-state 1\nwithdrawn 02:00:00:00:01:00 1 alice\nrevoked 1 bob\nend 2\n"); // both lapsed long ago
	{
		Harness h(o);
		CHECK(h.coord.load_state(err));
	}
	CHECK(std::ifstream(o.state_file).rdbuf() != nullptr);
	{
		std::ifstream in(o.state_file);
		std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		CHECK(text.find("alice") == std::string::npos); // lapsed entries are not written back
		CHECK(text.find("bob") == std::string::npos);
	}
	std::filesystem::remove_all(dir);
}

TEST_CASE("HAM failover: a gone agent's masquerade address moves with its connections; back, it is fenced")
{
	auto dir = std::filesystem::temp_directory_path() / ("roamnat-failover-" + std::to_string(getpid()));
	std::filesystem::remove_all(dir);
	CoordinatorOptions o;
	o.keepalive = Millis(50);
	o.dead_after = Millis(400);
	o.failover_after = Millis(100);
	o.state_file = (dir / "state").string();
	const Address m1 = *Address::parse("10.201.0.201"), m2 = *Address::parse("10.201.0.202");
	{
		Harness h(o);
		std::string err;
		REQUIRE(h.coord.load_state(err));
		auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeepalive, {m1});
		auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagKeepalive, {m2});
		auto ap3 = h.agent("ap3", "10.201.0.103", 1, kFlagKeepalive);
		const Message *ack = last_of(*ap1, MsgType::hello_ack);
		REQUIRE(ack);
		CHECK(ack->has_flag(kFlagLeases));
		CHECK(ack->masq_addrs == std::vector<Address>{m1});
		CHECK(last_of(*ap3, MsgType::hello_ack)->masq_addrs.empty());

		// Anchored at ap1 on its masquerade address; its client moved on to ap2.
		auto movable = fam_request("10.201.0.201:40000", true);
		REQUIRE(h.ask(*ap1, movable).status == Status::became_ham);
		auto join = movable;
		join.fam = ep("10.201.0.102:41000");
		join.flags = 0;
		REQUIRE(h.ask(*ap2, join).status == Status::ok);
		// One on ap1's own address cannot move.
		auto fixed = fam_request("10.201.0.101:40001", true);
		fixed.client = ep("10.202.0.12:5000");
		REQUIRE(h.ask(*ap1, fixed).status == Status::became_ham);

		// Another agent configured with ap2's address is refused.
		auto clash = h.connect("ap4");
		Message hello;
		hello.type = MsgType::hello;
		hello.role = Role::agent;
		hello.agent_addr = Ipv4::parse("10.201.0.104");
		hello.instance = 1;
		hello.masq_addrs = {m2};
		clash->conn->send(hello);
		REQUIRE(h.run_until([&] { return clash->closed; }));
		REQUIRE(last_of(*clash, MsgType::error));
		CHECK(last_of(*clash, MsgType::error)->status == Status::conflict);

		ap1->conn->close("killed");
		REQUIRE(h.run_until([&] { return last_of(*ap2, MsgType::ham_takeover) != nullptr; }));
		const Message *take = last_of(*ap2, MsgType::ham_takeover); // ap2 serves the client: chosen
		CHECK(take->masq_addrs == std::vector<Address>{m1});
		CHECK(take->generation == 2u);
		CHECK(take->agent_id == "ap1");
		REQUIRE(take->conns.size() == 1);
		CHECK(take->conns[0].masq == ep("10.201.0.201:40000"));
		REQUIRE(take->conns[0].fams.size() == 1);
		CHECK(take->conns[0].fams[0].agent == "ap2");
		CHECK_FALSE(last_of(*ap3, MsgType::ham_takeover));
		const ConnRecord *moved = h.coord.table().find(*movable.flow());
		REQUIRE(moved);
		CHECK(moved->ham_agent == "ap2");
		CHECK(moved->generation == 2u);
		CHECK(h.coord.table().find(*fixed.flow())->ham_agent == "ap1");

		// Back with the same instance: it holds nothing, and its replay is refused.
		auto back = h.agent("ap1", "10.201.0.101", 1, kFlagKeepalive, {m1});
		ack = last_of(*back, MsgType::hello_ack);
		CHECK(ack->has_flag(kFlagLeases));
		CHECK(ack->masq_addrs.empty());
		Message replay;
		replay.type = MsgType::ham_register;
		replay.proto = L4::tcp;
		replay.client = movable.client;
		replay.server = movable.server;
		replay.masq = movable.fam;
		replay.flags = kFlagResync;
		CHECK(h.ask(*back, replay).status == Status::conflict);
		CHECK(h.coord.table().find(*movable.flow())->ham_agent == "ap2");
		// The new holder anchors there with the address's generation.
		auto fresh = fam_request("10.201.0.201:40002", true);
		fresh.client = ep("10.202.0.13:5000");
		Message r = h.ask(*ap2, fresh);
		CHECK(r.status == Status::became_ham);
		CHECK(r.generation == 2u);
		// ap2 reconnects: what it holds is sent again, in case a frame was lost.
		auto ap2_again = h.agent("ap2", "10.201.0.102", 1, kFlagKeepalive, {m2});
		REQUIRE(h.run_until([&] { return last_of(*ap2_again, MsgType::ham_takeover) != nullptr; }));
		CHECK(last_of(*ap2_again, MsgType::ham_takeover)->conns.size() == 2);
	}
	{
		// A restarted coordinator keeps who holds what, and gives a holder
		// time to reconnect before its addresses move.
		Harness h(o);
		std::string err;
		REQUIRE(h.coord.load_state(err));
		auto ap3 = h.agent("ap3", "10.201.0.103", 1, kFlagKeepalive);
		auto t0 = h.loop.now();
		while (h.loop.now() - t0 < Millis(500)) // failover_after 100 ms, dead_after 400
			h.loop.run_once(Millis(10));
		CHECK_FALSE(last_of(*ap3, MsgType::ham_takeover));
		auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagKeepalive, {m2});
		auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagKeepalive, {m1});
		CHECK(last_of(*ap2, MsgType::hello_ack)->masq_addrs == std::vector<Address>{m1, m2});
		CHECK(last_of(*ap1, MsgType::hello_ack)->masq_addrs.empty());
	}
	std::filesystem::remove_all(dir);
}
