// A coordinator served over plain socket pairs, and fake agents, key
// sources and control sessions that speak the real wire protocol to it.
#pragma once

#include "../../common/log.hpp"
#include "../../coordinator/coordinator.hpp"

#include <catch2/catch.hpp>
#include <sys/socket.h>

namespace roamnat::test {

using namespace roamnat::proto;

inline Endpoint ep(const char *s) { return *Endpoint::parse(s); }

struct FakePeer {
	std::unique_ptr<FramedConn> conn;
	std::vector<Message> got;
	bool closed = false;
	int raw = -1; // our end, for writing garbage
};

struct Harness {
	EventLoop loop;
	Coordinator coord;
	explicit Harness(CoordinatorOptions o = {}) : coord(loop, std::move(o), nullptr) { set_log_level(LogLevel::error); }

	std::unique_ptr<FakePeer> connect(const std::string &identity)
	{
		int sv[2];
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
		coord.adopt(UniqueFd(sv[0]), identity);
		auto p = std::make_unique<FakePeer>();
		p->raw = sv[1];
		p->conn = std::make_unique<FramedConn>(loop, UniqueFd(sv[1]), nullptr, "fake " + identity);
		FakePeer *raw = p.get();
		p->conn->on_message([raw](FramedConn &, Message &&m) { raw->got.push_back(std::move(m)); });
		p->conn->on_close([raw](FramedConn &, const std::string &) { raw->closed = true; });
		p->conn->start();
		return p;
	}

	template <typename Pred> bool run_until(Pred pred)
	{
		for (int i = 0; i < 200 && !pred(); ++i)
			loop.run_once(Millis(10));
		return pred();
	}

	// Sends and waits for the reply with the same request id.
	Message ask(FakePeer &p, Message m)
	{
		static uint32_t id = 100;
		m.request_id = ++id;
		p.conn->send(m);
		const Message *found = nullptr;
		run_until([&] {
			for (const auto &g : p.got)
				if (g.request_id == m.request_id && g.type != MsgType::fam_update)
					found = &g;
			return found != nullptr;
		});
		REQUIRE(found);
		return *found;
	}

	// A key source or control session (certificate name identity), after its hello.
	std::unique_ptr<FakePeer> peer(const std::string &identity, Role role)
	{
		auto p = connect(identity);
		Message h;
		h.type = MsgType::hello;
		h.role = role;
		REQUIRE(ask(*p, h).status == Status::ok);
		return p;
	}

	std::unique_ptr<FakePeer> agent(const std::string &name, const char *addr, uint64_t instance = 1,
					uint32_t flags = 0, std::vector<Address> masq = {})
	{
		auto p = connect(name);
		Message h;
		h.type = MsgType::hello;
		h.role = Role::agent;
		h.agent_addr = Ipv4::parse(addr);
		h.instance = instance;
		if (flags)
			h.flags = flags;
		h.masq_addrs = std::move(masq);
		auto ack = ask(*p, h);
		REQUIRE(ack.type == MsgType::hello_ack);
		REQUIRE(ack.status == Status::ok);
		return p;
	}
};

inline Message fam_request(const char *fam, bool combined)
{
	Message m;
	m.type = MsgType::fam_request;
	m.proto = L4::tcp;
	m.client = ep("10.202.0.11:40123");
	m.server = ep("10.201.0.10:5001");
	m.fam = ep(fam);
	m.flags = combined ? kFlagCombined : 0;
	return m;
}

inline const Message *last_of(const FakePeer &p, MsgType t)
{
	for (auto it = p.got.rbegin(); it != p.got.rend(); ++it)
		if (it->type == t)
			return &*it;
	return nullptr;
}
} // namespace roamnat::test
