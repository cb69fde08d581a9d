// Watches the DHCP replies this AP sends toward its clients (from the relay
// or a local server) and reports each acknowledged lease: which station has
// which address, before the station sends a data packet. Only packets the
// AP itself transmits count: a station cannot forge a lease by sending a
// DHCPACK of its own.
#pragma once

#include "../common/event_loop.hpp"
#include "../common/unique_fd.hpp"
#include "dhcp_messages.hpp"

#include <functional>

namespace roamnat {

class DhcpSnoop {
public:
	using Handler = std::function<void(const DhcpMessage &m, uint32_t ifindex)>;
	~DhcpSnoop();
	// A packet socket on every interface (needs CAP_NET_RAW); the caller
	// decides which interfaces are client-facing.
	bool open(EventLoop &loop, Handler h, std::string &error);
	uint64_t malformed() const { return malformed_; }

private:
	void readable();
	EventLoop *loop_ = nullptr;
	UniqueFd fd_;
	Handler h_;
	uint64_t malformed_ = 0;
};

} // namespace roamnat
