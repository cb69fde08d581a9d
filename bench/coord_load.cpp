// Coordinator load generator: one agent session sends FAM requests (the
// Fig. 11 path, each creating a connection), then FAM queries (Fig. 12)
// for the same connections, keeping a window of requests in flight; with
// STATIONS, then that many station_auth (Fig. 15 1580b: a station's user)
// and policy_request (Fig. 14 1465: the policy an AP enforces for it).
// Prints requests per second for each phase as JSON.
#include "../common/framed_conn.hpp"
#include "../common/mac_addr.hpp"
#include "../common/socket_util.hpp"

#include <cstdio>
#include <string>

using namespace roamnat;
using namespace roamnat::proto;

int main(int argc, char **argv)
{
	if (argc != 7 && argc != 8) {
		fprintf(stderr, "usage: coord_load COORDINATOR CA CERT KEY CONNECTIONS WINDOW [STATIONS]\n");
		return 1;
	}
	auto coord = Endpoint::parse(argv[1]);
	const uint32_t connections = uint32_t(std::stoul(argv[5]));
	const uint32_t stations = argc == 8 ? uint32_t(std::stoul(argv[7])) : 0;
	const int last_phase = stations ? 4 : 2;
	uint32_t total = connections;
	uint32_t window = uint32_t(std::stoul(argv[6]));
	std::string err;
	auto tls = TlsContext::create(false, {argv[2], argv[3], argv[4]}, err);
	if (!coord || !tls) {
		fprintf(stderr, "coord_load: %s\n", err.c_str());
		return 1;
	}
	EventLoop loop;
	UniqueFd fd = tcp_connect(*coord, err);
	if (!fd) {
		fprintf(stderr, "coord_load: %s\n", err.c_str());
		return 1;
	}
	auto ssl = tls->new_session(fd.get());
	FramedConn conn(loop, std::move(fd), std::move(ssl), "coordinator");
	// 0 hello, 1 fam_request, 2 fam_query, 3 station_auth, 4 policy_request
	int phase = 0;
	uint32_t sent = 0, answered = 0, failed = 0;
	Clock::time_point t0;
	double rate[4] = {0, 0, 0, 0};
	auto flow_msg = [&](uint32_t i) {
		Message m;
		if (phase >= 3) {
			m.type = phase == 3 ? MsgType::station_auth : MsgType::policy_request;
			MacAddr mac;
			mac.bytes = {0x02, 0x10, uint8_t(i >> 24), uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
			m.mac = mac;
			if (phase == 3) {
				m.user = "user" + std::to_string(i % 1000);
				m.auth_method = "PEAP";
			}
			m.request_id = i + 1;
			return m;
		}
		m.proto = L4::udp;
		m.client = Endpoint{Ipv4{0x0a000000u | (i >> 8)}, uint16_t(1024 + (i & 0xff))};
		m.server = Endpoint{Ipv4{0x0a640001u}, 53};
		Endpoint mine{Ipv4{0x0ac80000u | (i >> 16)}, uint16_t(i & 0xffff)};
		if (phase == 1) {
			m.type = MsgType::fam_request;
			m.fam = mine;
			m.flags = kFlagCombined;
		} else {
			m.type = MsgType::fam_query;
			m.masq = mine;
		}
		m.request_id = i + 1;
		return m;
	};
	auto pump = [&] {
		while (sent < total && sent - answered < window)
			conn.send(flow_msg(sent++));
	};
	conn.on_open([&](FramedConn &c) {
		Message h;
		h.type = MsgType::hello;
		h.role = Role::agent;
		h.agent_addr = Ipv4{0x0ac80001u};
		h.instance = 1;
		c.send(h);
	});
	conn.on_message([&](FramedConn &, Message &&m) {
		if (phase == 0) {
			phase = 1;
			t0 = Clock::now();
			pump();
			return;
		}
		if (m.type == MsgType::fam_update)
			return;
		++answered;
		if (m.status != Status::became_ham && m.status != Status::ok)
			++failed;
		if (answered == total) {
			double secs = std::chrono::duration<double>(Clock::now() - t0).count();
			rate[phase - 1] = total / secs;
			if (++phase > last_phase) {
				loop.stop();
				return;
			}
			total = phase >= 3 ? stations : connections;
			sent = answered = 0;
			t0 = Clock::now();
		}
		pump();
	});
	conn.on_close([&](FramedConn &, const std::string &reason) {
		fprintf(stderr, "coord_load: %s\n", reason.c_str());
		loop.stop();
	});
	conn.start();
	loop.run();
	printf("{\"connections\": %u, \"fam_request_per_s\": %.0f, \"fam_query_per_s\": %.0f, \"stations\": %u, "
	       "\"station_auth_per_s\": %.0f, \"policy_request_per_s\": %.0f, \"failed\": %u}\n",
	       connections, rate[0], rate[1], stations, rate[2], rate[3], failed);
	return phase > last_phase && failed == 0 ? 0 : 1;
}
