// A connection as the coordinator's table holds it (Fig. 8), the protocol
// carries it and the agents list it: one type for all three.
#pragma once

#include "endpoint.hpp"

#include <string>
#include <vector>

namespace roamnat {

// One FAM of a connection: the agent and its FAM endpoint (Fig. 8 880).
struct FamRecord {
	std::string agent;
	Endpoint fam;
	friend bool operator==(const FamRecord &, const FamRecord &) = default;
};

struct ConnRecord {
	FlowKey flow;
	Endpoint masq;
	std::string ham_agent;
	// Bumped whenever the HAM changes so stale agents can be told apart (failover).
	uint32_t generation = 1;
	// Newest first: the HAM forwards to fams.front() (Fig. 10 1050 ordering policy).
	std::vector<FamRecord> fams;
	friend bool operator==(const ConnRecord &, const ConnRecord &) = default;
};

} // namespace roamnat
