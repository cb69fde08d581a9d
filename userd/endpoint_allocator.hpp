// The endpoints this access point hands out (Fig. 9 920, Fig. 10 1000): FAM
// endpoints on its own address, masquerade endpoints on its masquerade
// addresses, each address with ports of its own. Masquerade addresses are
// kept apart from the AP's own so that another host can take them over.
#pragma once

#include "../common/endpoint.hpp"
#include "port_allocator.hpp"

#include <map>
#include <vector>

namespace roamnat {

class EndpointAllocator {
public:
	// masquerade empty: connections are anchored on fam_address (nothing moves).
	EndpointAllocator(Address fam_address, const std::vector<Address> &masquerade, PortRange ports,
			  Millis quarantine, size_t seed);

	// Masquerade addresses take turns, so that each holds a share of the
	// connections and a move of one address moves only that share.
	std::optional<Endpoint> masquerade(Clock::time_point now);
	std::optional<Endpoint> fam(Clock::time_point now);
	// A specific endpoint (a record restored after a restart); false if its
	// address is not one of these or the port is busy.
	bool claim(Endpoint e);
	// Endpoints on other addresses are ignored.
	void release(Endpoint e, Clock::time_point now);

	// A masquerade address this agent holds now (its own or taken over).
	bool holds(Address a) const { return a != fam_ && ports_.count(a); }
	std::vector<Address> held() const;
	// An address this agent holds from now on. for_new: new connections
	// take turns on it (the agent's own); else it only serves the records
	// claimed on it (taken over from a failed agent, whose recently released
	// ports must not go to new connections).
	void hold(Address a, bool for_new);
	// One this agent gave up: its ports are forgotten. With none left for
	// new connections, they are anchored on the AP's own address again.
	void release_address(Address a);
	size_t in_use() const;
	size_t quarantined() const;

private:
	Address fam_;
	PortRange range_;
	Millis quarantine_;
	size_t seed_;
	std::vector<Address> masq_; // for new connections
	std::map<Address, PortAllocator> ports_;
	size_t next_masq_ = 0;
};

} // namespace roamnat
