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

	bool is_masquerade(Address a) const;
	// Failover: an address taken over from another agent (its ports start
	// free), or one this agent gave up (its ports are forgotten). With none
	// left, connections are anchored on the AP's own address again.
	void add_masquerade(Address a, Millis quarantine);
	void remove_masquerade(Address a);
	const std::vector<Address> &masquerade_addresses() const { return masq_; }
	size_t in_use() const;
	size_t quarantined() const;

private:
	Address fam_;
	PortRange range_;
	std::vector<Address> masq_;
	std::map<Address, PortAllocator> ports_;
	size_t next_masq_ = 0;
};

} // namespace roamnat
