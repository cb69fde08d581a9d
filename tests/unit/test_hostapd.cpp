// hostapd's control-interface messages, and roamd's link to one BSS against
// a socket that answers as hostapd's ctrl_iface.c does (the real hostapd runs
// in the guest's Wi-Fi lab).
#include "../../common/log.hpp"
#include "../../userd/hostapd_link.hpp"
#include "../../userd/pmkid.hpp"
#include "../../userd/stations.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <map>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace roamnat;

namespace {
const MacAddr kSta1 = *MacAddr::parse("02:00:00:00:01:00");
const MacAddr kSta2 = *MacAddr::parse("02:00:00:00:02:00");

sockaddr_un unix_address(const std::string &path)
{
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path.data(), std::min(path.size(), sizeof(sa.sun_path) - 1));
	return sa;
}

// hostapd's side of the control interface: a datagram socket at the BSS's
// path that answers each request by the script and remembers who attached.
struct FakeHostapd {
	std::string path;
	UniqueFd fd;
	sockaddr_un client{};
	socklen_t client_len = 0;
	std::vector<std::string> received;
	std::vector<MacAddr> stations; // what STA-FIRST / STA-NEXT list, all authorized
	std::map<MacAddr, std::string> users; // 802.1X stations' users
	std::string sta_reply;                // overrides the answer to STA <mac>
	std::string config = "bssid=02:00:00:00:aa:00\nssid=lab\nwpa=2\nkey_mgmt=WPA-EAP \n";
	std::vector<std::string> pmksa_added; // PMKSA_ADD arguments, in order
	bool refuse_pmksa = false;
	bool answer = true;

	explicit FakeHostapd(std::string p) : path(std::move(p)) { open(); }
	void open()
	{
		unlink(path.c_str());
		fd.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
		auto sa = unix_address(path);
		REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0);
	}
	void close()
	{
		fd.reset();
		unlink(path.c_str());
	}
	void reply(const std::string &text)
	{
		sendto(fd.get(), text.data(), text.size(), 0, reinterpret_cast<sockaddr *>(&client), client_len);
	}
	std::string record(const MacAddr &mac)
	{
		std::string r = mac.str() + "\nflags=[AUTH][ASSOC][AUTHORIZED]\naid=1\n";
		if (users.count(mac))
			r += "dot1xAuthSessionUserName=" + users[mac] + "\nlast_eap_type_as=21 (TTLS)\n";
		return r;
	}
	void serve()
	{
		char buf[4096];
		for (;;) {
			client_len = sizeof(client);
			ssize_t n = recvfrom(fd.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr *>(&client), &client_len);
			if (n < 0)
				return;
			std::string cmd(buf, size_t(n));
			received.push_back(cmd);
			if (!answer)
				continue;
			if (cmd == "ATTACH")
				reply("OK\n");
			else if (cmd == "GET_CONFIG")
				reply(config);
			else if (cmd.rfind("PMKSA_ADD ", 0) == 0) {
				pmksa_added.push_back(cmd.substr(10));
				reply(refuse_pmksa ? "FAIL\n" : "OK\n");
			}
			else if (cmd.rfind("DEAUTHENTICATE ", 0) == 0) {
				auto mac = MacAddr::parse(cmd.substr(15, 17));
				if (mac)
					std::erase(stations, *mac);
				reply(mac ? "OK\n" : "FAIL\n");
			} else if (cmd == "PING")
				reply("PONG\n");
			else if (cmd == "STA-FIRST")
				reply(stations.empty() ? "" : record(stations[0]));
			else if (cmd.rfind("STA-NEXT ", 0) == 0) {
				auto after = MacAddr::parse(cmd.substr(9));
				size_t i = 0;
				while (i < stations.size() && !(after && stations[i] == *after))
					++i;
				reply(i + 1 < stations.size() ? record(stations[i + 1]) : "");
			} else if (cmd.rfind("STA ", 0) == 0) {
				auto mac = MacAddr::parse(cmd.substr(4));
				reply(!sta_reply.empty() ? sta_reply : mac ? record(*mac) : "FAIL\n");
			}
		}
	}
	void event(const std::string &text) { reply(text); }
};

struct Bench {
	std::string dir;
	EventLoop loop;
	std::vector<std::string> said; // "+mac" connected, "-mac" disconnected
	std::unique_ptr<FakeHostapd> hostapd;
	std::unique_ptr<HostapdLink> link;

	Bench()
	{
		set_log_level(LogLevel::error);
		char tmpl[] = "/tmp/roamnat-hostapd-test.XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		dir = tmpl;
		hostapd = std::make_unique<FakeHostapd>(dir + "/wlan0");
		HostapdLink::Handlers h;
		h.connected = [this](const MacAddr &m) { said.push_back("+" + m.str()); };
		h.disconnected = [this](const MacAddr &m) { said.push_back("-" + m.str()); };
		h.authenticated = [this](const StationRecord &s) {
			if (!s.user.empty())
				said.push_back("user " + s.mac.str() + " " + s.user + " " + s.eap_method);
		};
		// Pings often; a reply is late only after a second, which a scripted
		// peer served from the same loop never is, however slow the machine.
		HostapdLink::Timing fast{Millis(1000), Millis(50), Millis(100)};
		link = std::make_unique<HostapdLink>(loop, dir + "/wlan0", dir + "/roamd-wlan0", h, fast);
	}
	~Bench()
	{
		link.reset();
		hostapd.reset();
		std::filesystem::remove_all(dir);
	}
	// Runs both ends until pred holds; the bound is one only a broken link reaches.
	template <typename Pred> bool until(Pred pred, Millis bound = Millis(15000))
	{
		auto end = Clock::now() + bound;
		while (!pred() && Clock::now() < end) {
			loop.run_once(Millis(5));
			if (hostapd->fd)
				hostapd->serve();
		}
		return pred();
	}
};
} // namespace

TEST_CASE("hostapd events: station events parsed, everything else refused or passed over")
{
	std::string why;
	auto ev = parse_hostapd_event("<3>AP-STA-CONNECTED 02:00:00:00:01:00", why);
	REQUIRE(ev);
	CHECK(ev->kind == HostapdEvent::Kind::sta_connected);
	CHECK(ev->station == kSta1);
	ev = parse_hostapd_event("<3>AP-STA-CONNECTED 02:00:00:00:01:00 keyid=guest\n", why);
	REQUIRE(ev); // later hostapd versions append key=value details
	CHECK(ev->station == kSta1);
	ev = parse_hostapd_event("<3>AP-STA-DISCONNECTED 02:00:00:00:02:00", why);
	REQUIRE(ev);
	CHECK(ev->kind == HostapdEvent::Kind::sta_disconnected);
	CHECK(ev->station == kSta2);
	CHECK(parse_hostapd_event("<3>CTRL-EVENT-TERMINATING", why)->kind == HostapdEvent::Kind::terminating);
	CHECK(parse_hostapd_event("<3>AP-DISABLED", why)->kind == HostapdEvent::Kind::disabled);
	CHECK(parse_hostapd_event("<2>CTRL-EVENT-EAP-STARTED 02:00:00:00:01:00", why)->kind == HostapdEvent::Kind::other);

	for (const char *bad : {"AP-STA-CONNECTED 02:00:00:00:01:00", "<3AP-STA-CONNECTED 02:00:00:00:01:00",
				"<x>AP-STA-CONNECTED 02:00:00:00:01:00", "<3>AP-STA-CONNECTED",
				"<3>AP-STA-CONNECTED 02:00:00:00:01", "<3>AP-STA-CONNECTED 02:00:00:00:01:0g",
				"<3>AP-STA-DISCONNECTED 02-00-00-00-01-00", "<3>AP-STA-CONNECTED\x01"}) {
		INFO(bad);
		why.clear();
		CHECK_FALSE(parse_hostapd_event(bad, why));
		CHECK_FALSE(why.empty());
	}
	CHECK_FALSE(parse_hostapd_event("<3>" + std::string(kHostapdMaxMessage, 'A'), why));
	CHECK_THAT(why, Catch::Contains("at most"));
}

TEST_CASE("hostapd station records: the address, and whether the station is authorized")
{
	std::string why;
	auto sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTH][ASSOC][AUTHORIZED]\naid=1\n", why);
	REQUIRE(sta);
	CHECK(sta->mac == kSta1);
	CHECK(sta->authorized);
	sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTH][ASSOC]\n", why);
	REQUIRE(sta);
	CHECK_FALSE(sta->authorized); // still in the 4-way handshake
	CHECK_FALSE(parse_station_record("", why));
	CHECK(why.empty()); // the end of the list
	CHECK_FALSE(parse_station_record("FAIL\n", why));
	CHECK_FALSE(why.empty());
	CHECK(MacAddr::parse("02:AB:cd:00:01:00")->str() == "02:ab:cd:00:01:00");
}

TEST_CASE("hostapd station records: the 802.1X user and EAP method, when there is one")
{
	std::string why;
	auto sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTH][ASSOC][AUTHORIZED]\n"
					"dot1xAuthSessionUserName=alice\nlast_eap_type_as=25 (PEAP)\n", why);
	REQUIRE(sta);
	CHECK(sta->user == "alice");
	CHECK(sta->eap_method == "PEAP");
	sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTHORIZED]\nlast_eap_type_as=21\n", why);
	REQUIRE(sta);
	CHECK(sta->user.empty()); // WPA-PSK or open: no user
	CHECK(sta->eap_method == "21");
	// hostapd's own EAP server: the authentication server's type is 0, the
	// station's names the method.
	sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTHORIZED]\ndot1xAuthSessionUserName=client1\n"
				   "last_eap_type_as=0 (unknown)\nlast_eap_type_sta=4 (MD5)\n", why);
	REQUIRE(sta);
	CHECK(sta->user == "client1");
	CHECK(sta->eap_method == "MD5");
	CHECK(sta->own_eap_server);
	CHECK_FALSE(sta->rsn);
	// A PMKSA roamd installed: no EAP exchange, no identity.
	sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTHORIZED]\ndot1xAuthSessionUserName=N/A\n"
				   "last_eap_type_as=0 (unknown)\nlast_eap_type_sta=0 (unknown)\n", why);
	REQUIRE(sta);
	CHECK(sta->user.empty());
	CHECK(sta->eap_method.empty());
	CHECK_FALSE(sta->identity_responses);
	// The 802.1X machine's identity responses tell an EAP exchange from
	// hostapd's own PMKSA cache; the identity is kept as printed.
	sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTHORIZED]\ndot1xAuthEapolRespIdFramesRx=2\n"
				   "dot1xAuthSessionUserName=aliceU\nlast_eap_type_as=25 (PEAP)\n", why);
	REQUIRE(sta);
	CHECK(sta->identity_responses == 2u);
	CHECK(sta->user == "aliceU");
	sta = parse_station_record("02:00:00:00:01:00\nflags=[AUTHORIZED]\ndot1xAuthEapolRespIdFramesRx=x1\n", why);
	REQUIRE(sta);
	CHECK_FALSE(sta->identity_responses); // not a number: as if absent
	// The AKM tells an 802.11r association (FT over 802.1X, SHA-256 or
	// SHA-384) from the others.
	for (auto [akm, ft] : {std::pair{"00-0f-ac-3", true}, {"00-0f-ac-13", true}, {"00-0f-ac-1", false},
			       {"00-0f-ac-4", false}}) {
		sta = parse_station_record(std::string("02:00:00:00:01:00\nflags=[AUTHORIZED]\nAKMSuiteSelector=") + akm +
					   "\nlast_eap_type_as=0 (unknown)\n", why);
		REQUIRE(sta);
		CHECK(sta->ft == ft);
	}
	// RADIUS cannot carry a longer User-Name; hostapd never reports one.
	CHECK_FALSE(parse_station_record("02:00:00:00:01:00\ndot1xAuthSessionUserName=" + std::string(254, 'a') + "\n", why));
	CHECK(why.find("user name of 254 bytes") != std::string::npos);
}

TEST_CASE("hostapd link: attaches, reads the station list, then follows events")
{
	Bench b;
	b.hostapd->stations = {kSta1, kSta2};
	b.link->start();
	REQUIRE(b.until([&] { return b.said.size() == 2; }));
	CHECK(b.link->attached());
	CHECK(b.hostapd->received == std::vector<std::string>{"ATTACH", "GET_CONFIG", "STA-FIRST",
								 "STA-NEXT " + kSta1.str(), "STA-NEXT " + kSta2.str()});
	CHECK(b.link->bssid().str() == "02:00:00:00:aa:00");
	CHECK(b.link->wpa_eap());
	CHECK(b.said == std::vector<std::string>{"+" + kSta1.str(), "+" + kSta2.str()});

	b.said.clear();
	b.hostapd->event("<3>AP-STA-DISCONNECTED " + kSta1.str());
	b.hostapd->event("<3>AP-STA-CONNECTED " + kSta1.str());
	b.hostapd->event("<3>AP-STA-CONNECTED garbage");
	REQUIRE(b.until([&] { return b.said.size() == 2; }));
	CHECK(b.said == std::vector<std::string>{"-" + kSta1.str(), "+" + kSta1.str()});
	REQUIRE(b.until([&] { return b.link->stats().malformed == 1; }));
	CHECK(b.link->stations() == std::set<MacAddr>{kSta1, kSta2});
}

TEST_CASE("hostapd link: an 802.1X station's user is read from its record, after the event and in the list")
{
	Bench b;
	b.hostapd->stations = {kSta1};
	b.hostapd->users[kSta1] = "alice";
	b.link->start();
	REQUIRE(b.until([&] { return b.said.size() == 2; }));
	CHECK(b.said == std::vector<std::string>{"+" + kSta1.str(), "user " + kSta1.str() + " alice TTLS"});

	b.said.clear();
	b.hostapd->users[kSta2] = "bob";
	b.hostapd->event("<3>AP-STA-CONNECTED " + kSta2.str());
	REQUIRE(b.until([&] { return b.said.size() == 2; }));
	CHECK(b.said == std::vector<std::string>{"+" + kSta2.str(), "user " + kSta2.str() + " bob TTLS"});

	// A record that is not the station asked about, or not a record, names nobody.
	b.said.clear();
	b.hostapd->sta_reply = b.hostapd->record(kSta1);
	b.hostapd->event("<3>AP-STA-CONNECTED " + kSta2.str());
	REQUIRE(b.until([&] { return b.link->stats().malformed == 1; }));
	b.hostapd->sta_reply = "not a record\n";
	b.hostapd->event("<3>AP-STA-CONNECTED " + kSta2.str());
	REQUIRE(b.until([&] { return b.link->stats().malformed == 2; }));
	CHECK(b.said == std::vector<std::string>{"+" + kSta2.str(), "+" + kSta2.str()});
}

TEST_CASE("hostapd link: only hostapd's own socket can speak to it")
{
	Bench b;
	b.link->start();
	REQUIRE(b.until([&] { return b.link->attached(); }));
	UniqueFd forger(socket(AF_UNIX, SOCK_DGRAM, 0));
	auto to = unix_address(b.dir + "/roamd-wlan0");
	std::string forged = "<3>AP-STA-DISCONNECTED " + kSta1.str();
	// The link's socket is connected to hostapd's: the kernel refuses others.
	CHECK(sendto(forger.get(), forged.data(), forged.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof(to)) < 0);
	b.loop.run_once(Millis(20));
	CHECK(b.link->stats().events == 0);
}

TEST_CASE("hostapd link: a restarted hostapd is found again and its station list is the truth")
{
	Bench b;
	b.hostapd->stations = {kSta1, kSta2};
	b.link->start();
	REQUIRE(b.until([&] { return b.said.size() == 2; }));

	// hostapd goes away without a word and comes back knowing only kSta2.
	b.hostapd->close();
	b.hostapd->stations = {kSta2};
	b.hostapd->open();
	b.said.clear();
	REQUIRE(b.until([&] { return b.link->stats().attaches == 2 && !b.said.empty(); }));
	CHECK(b.said == std::vector<std::string>{"-" + kSta1.str()});
	CHECK(b.link->stations() == std::set<MacAddr>{kSta2});
}

TEST_CASE("hostapd link: hostapd exiting takes its stations with it")
{
	Bench b;
	b.hostapd->stations = {kSta1};
	b.link->start();
	REQUIRE(b.until([&] { return b.said.size() == 1; }));
	b.hostapd->event("<3>CTRL-EVENT-TERMINATING");
	REQUIRE(b.until([&] { return b.said.size() == 2; }));
	CHECK(b.said.back() == "-" + kSta1.str());
	CHECK_FALSE(b.link->attached());
}

TEST_CASE("hostapd link: a hostapd that stops answering is left and reattached")
{
	Bench b;
	b.link->start();
	REQUIRE(b.until([&] { return b.link->attached(); }));
	b.hostapd->answer = false; // the next PING goes unanswered
	REQUIRE(b.until([&] { return b.link->stats().lost == 1; }));
	b.hostapd->answer = true;
	REQUIRE(b.until([&] { return b.link->attached(); }));
	CHECK(b.link->stats().attaches == 2);
}

TEST_CASE("stations: an association is an arrival once the station's address is known; leaving is a departure")
{
	set_log_level(LogLevel::error);
	std::vector<std::string> said;
	Stations st({[&](const MacAddr &m, Address a, uint32_t i, const char *) {
			     said.push_back("arrived " + m.str() + " " + a.str() + " on " + std::to_string(i));
		     },
		     [&](const MacAddr &m, uint32_t i) { said.push_back("unknown " + m.str() + " on " + std::to_string(i)); },
		     [&](Address a, const char *) { said.push_back("departed " + a.str()); }});
	Address a1 = *Address::parse("10.202.0.11"), a2 = *Address::parse("10.202.0.12");

	st.connected(kSta1, 7); // its address comes later: the agent asks the coordinator
	CHECK(said == std::vector<std::string>{"unknown 02:00:00:00:01:00 on 7"});
	st.learned(kSta1, a1, 7);
	CHECK(said.back() == "arrived 02:00:00:00:01:00 10.202.0.11 on 7");
	st.learned(kSta1, a1, 7); // the same again is no news
	CHECK(said.size() == 2);

	st.learned(kSta2, a2, 7); // a neighbour entry alone is not an association
	CHECK(said.size() == 2);
	st.connected(kSta2, 8); // on another BSS of this AP
	CHECK(said.back() == "arrived 02:00:00:00:02:00 10.202.0.12 on 8");
	MacAddr sta3 = *MacAddr::parse("02:00:00:00:03:00");
	st.connected(sta3, 7);
	st.learned(sta3, *Address::parse("10.202.0.13"), 7, false); // the agent announced it itself
	CHECK(said.back() == "unknown 02:00:00:00:03:00 on 7");

	Clock::time_point t0{};
	st.disconnected(kSta1, t0);
	CHECK(said.back() == "departed 10.202.0.11");
	CHECK_FALSE(st.associated(kSta1));
	st.connected(kSta1, 7); // back: its address may have changed meanwhile, so it is asked again
	CHECK(said.back() == "unknown 02:00:00:00:01:00 on 7");

	MacAddr stranger = *MacAddr::parse("02:00:00:00:09:00");
	st.disconnected(stranger, t0);
	CHECK(st.unknown_departures() == 1);
	CHECK(said.size() == 6);
}

TEST_CASE("stations: packets from a station's address just after it left are stragglers until it or a new owner associates")
{
	set_log_level(LogLevel::error);
	Stations st({[](const MacAddr &, Address, uint32_t, const char *) {}, [](const MacAddr &, uint32_t) {},
		     [](Address, const char *) {}});
	Address a1 = *Address::parse("10.202.0.11"), a2 = *Address::parse("10.202.0.12");
	Clock::time_point t0{};
	auto at = [&](int ms) { return t0 + Millis(ms); };

	st.connected(kSta1, 7);
	st.learned(kSta1, a1, 7);
	CHECK_FALSE(st.just_left(a1, t0)); // associated: its packets are its own
	st.disconnected(kSta1, t0);
	CHECK(st.just_left(a1, at(7))); // the radio passed one more uplink packet
	CHECK(st.just_left(a1, at(1999)));
	CHECK_FALSE(st.just_left(a1, at(2000)));
	CHECK_FALSE(st.just_left(a2, at(7))); // only the address that left

	st.disconnected(kSta1, t0); // a second departure event for a station gone: nothing recorded
	st.connected(kSta2, 7);
	st.learned(kSta2, a2, 7);
	st.disconnected(kSta2, at(10));
	st.connected(kSta2, 7); // back at once: an arrival again
	CHECK_FALSE(st.just_left(a2, at(20)));

	st.connected(kSta1, 7);
	st.learned(kSta1, a1, 7);
	st.disconnected(kSta1, at(30));
	MacAddr sta3 = *MacAddr::parse("02:00:00:00:03:00");
	st.connected(sta3, 7);
	CHECK(st.just_left(a1, at(40))); // a new station, address not known yet
	st.learned(sta3, a1, 7); // DHCP gave it the address kSta1 had
	CHECK_FALSE(st.just_left(a1, at(50)));
}

TEST_CASE("PMKID: HMAC-SHA1-128(PMK, \"PMK Name\" || AA || SPA)")
{
	// Expected values from Python's hmac module.
	SecretBytes pmk(32);
	for (size_t i = 0; i < pmk.size(); ++i)
		pmk[i] = uint8_t(i);
	auto hex = [](const Pmkid &id) {
		std::string s;
		char b[3];
		for (uint8_t x : id) {
			snprintf(b, sizeof b, "%02x", x);
			s += b;
		}
		return s;
	};
	CHECK(hex(pmkid_for(pmk, kSta1, kSta2)) == "88fea6c6212d3258273dc2f4811cd5c3");
	CHECK(hex(pmkid_for(pmk, *MacAddr::parse("02:00:00:00:aa:00"), kSta2)) == "90175af49c9e1ffc90cf4d40b038589d");
}

TEST_CASE("hostapd GET_CONFIG: the BSSID and whether the BSS is WPA-EAP")
{
	std::string why;
	auto c = parse_bss_config("bssid=02:00:00:00:aa:00\nssid=lab\nwpa=2\nkey_mgmt=FT-EAP WPA-EAP \n", why);
	REQUIRE(c);
	CHECK(c->bssid.str() == "02:00:00:00:aa:00");
	CHECK(c->wpa_eap);
	c = parse_bss_config("bssid=02:00:00:00:aa:00\nkey_mgmt=WPA-PSK WPA-EAP-SHA256 \n", why);
	REQUIRE(c);
	CHECK_FALSE(c->wpa_eap); // only AKM 1 keys are installed
	CHECK_FALSE(parse_bss_config("ssid=lab\nkey_mgmt=WPA-EAP\n", why));
	CHECK(why == "GET_CONFIG reply names no valid bssid");
	CHECK_FALSE(parse_bss_config("bssid=garbage\n", why));
	CHECK_FALSE(parse_bss_config(std::string("bssid=02:00:00:00:aa:00\n\x01"), why));
}

TEST_CASE("hostapd link: a station key goes in by PMKSA_ADD under this BSS's PMKID")
{
	Bench b;
	int attached = 0;
	std::vector<bool> results;
	b.link.reset();
	HostapdLink::Handlers h;
	h.attached = [&] { ++attached; };
	b.link = std::make_unique<HostapdLink>(b.loop, b.dir + "/wlan0", b.dir + "/roamd-wlan0", h,
					       HostapdLink::Timing{Millis(1000), Millis(50), Millis(100)});
	b.link->start();
	REQUIRE(b.until([&] { return attached == 1; }));
	SecretBytes pmk(32);
	for (size_t i = 0; i < pmk.size(); ++i)
		pmk[i] = uint8_t(i);
	b.link->add_pmksa(kSta2, pmk, 3600, [&](bool ok) { results.push_back(ok); });
	REQUIRE(b.until([&] { return results.size() == 1; }));
	CHECK(results[0]);
	REQUIRE(b.hostapd->pmksa_added.size() == 1);
	CHECK(b.hostapd->pmksa_added[0] == kSta2.str() + " 90175af49c9e1ffc90cf4d40b038589d "
						  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 3600 1");
	b.hostapd->refuse_pmksa = true;
	b.link->add_pmksa(kSta1, pmk, 60, [&](bool ok) { results.push_back(ok); });
	REQUIRE(b.until([&] { return results.size() == 2; }));
	CHECK_FALSE(results[1]);

	// A GET_CONFIG that names no BSS: the link is dropped and tried again.
	b.hostapd->config = "ssid=lab\n";
	auto lost = b.link->stats().lost;
	b.hostapd->close();
	b.hostapd->open();
	REQUIRE(b.until([&] { return b.link->stats().lost > lost + 1; }));
	CHECK(attached == 1);
}

TEST_CASE("hostapd link: a withdrawn station's key is replaced by one nobody knows, and the station deauthenticated")
{
	Bench b;
	b.hostapd->stations = {kSta1};
	b.link->start();
	REQUIRE(b.until([&] { return b.link->stations().count(kSta1) == 1; }));
	std::vector<std::pair<bool, bool>> done;
	b.link->withdraw_station(kSta1, [&](bool ok, bool deauth) { done.push_back({ok, deauth}); });
	REQUIRE(b.until([&] { return done.size() == 1; }));
	CHECK(done[0] == std::pair(true, true));
	REQUIRE(b.hostapd->pmksa_added.size() == 1);
	const std::string &added = b.hostapd->pmksa_added[0];
	CHECK(added.rfind(kSta1.str() + " ", 0) == 0);
	CHECK(added.size() == 17 + 1 + 32 + 1 + 64 + 4); // mac pmkid pmk " 1 1"
	CHECK(added.substr(added.size() - 4) == " 1 1");  // gone in a second
	CHECK(std::count(b.hostapd->received.begin(), b.hostapd->received.end(),
			 "DEAUTHENTICATE " + kSta1.str() + " reason=2") == 1);

	// Not associated here: only the key is replaced.
	b.link->withdraw_station(kSta2, [&](bool ok, bool deauth) { done.push_back({ok, deauth}); });
	REQUIRE(b.until([&] { return done.size() == 2; }));
	CHECK(done[1] == std::pair(true, false));
	CHECK(b.hostapd->pmksa_added.size() == 2);

	// hostapd away: done at once, and the withdrawal happens on the next attach.
	b.hostapd->close();
	REQUIRE(b.until([&] { return !b.link->attached(); }));
	b.link->withdraw_station(kSta2, [&](bool ok, bool deauth) { done.push_back({ok, deauth}); });
	CHECK(done.size() == 3);
	b.hostapd->open();
	REQUIRE(b.until([&] { return b.hostapd->pmksa_added.size() == 3; }));
	CHECK(b.hostapd->pmksa_added[2].rfind(kSta2.str() + " ", 0) == 0);
}
