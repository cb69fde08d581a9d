// roamctl --agent SOCKET: a Unix socket on which the agent answers hello and
// dump requests (its FAM and HAM tables, its counters) in the protocol's
// framing. Access is the socket file's permissions.
#pragma once

#include "../common/event_loop.hpp"
#include "../common/framed_conn.hpp"
#include "../common/unique_fd.hpp"

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace roamnat {

class ControlSocket {
public:
	// Fills a dump reply (conns or counters) for what was asked; false when
	// the agent has no such dump.
	using Dump = std::function<bool(proto::DumpWhat what, proto::Message &reply)>;

	ControlSocket(EventLoop &loop, std::string agent_name, Dump dump);
	bool open(const std::string &path, std::string &error);

private:
	void accept_all();
	void on_request(FramedConn &c, proto::Message &&m);

	EventLoop &loop_;
	std::string agent_name_;
	Dump dump_;
	UniqueFd listener_;
	std::unordered_map<FramedConn *, std::unique_ptr<FramedConn>> sessions_;
};

} // namespace roamnat
