// Client arrivals and departures from link-layer events (Fig. 13 1300
// trigger): a client-facing interface vanishing or losing carrier, or a
// client's neighbour entry failing; a neighbour entry appearing (the client's
// ARP after it associated) is an arrival. hostapd station events will feed the same
// callbacks (docs/architecture.md, "Station events").
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "../common/mac_addr.hpp"
#include "mnl_socket.hpp"

#include <functional>
#include <string>

namespace roamnat {

class LinkMonitor {
public:
	struct Handlers {
		// An interface exists in this namespace (created or moved here, up
		// or not) or has left it: the data plane learns it before it
		// carries a packet.
		std::function<void(uint32_t ifindex, const std::string &name, bool present)> link_exists;
		std::function<void(uint32_t ifindex, const std::string &name)> link_up;
		std::function<void(uint32_t ifindex, const std::string &name)> link_gone;
		std::function<void(uint32_t ifindex, Address addr)> neighbour_failed;
		// A neighbour entry appeared or was confirmed: the host is on that
		// link, at mac when the entry has its link-layer address.
		std::function<void(uint32_t ifindex, Address addr, std::optional<MacAddr> mac)> neighbour_seen;
	};
	bool open(EventLoop &loop, Handlers handlers, std::string &error);

private:
	void readable();
	MnlSocket nl_;
	Handlers h_;
};

} // namespace roamnat
