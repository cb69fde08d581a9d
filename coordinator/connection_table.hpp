// The roaming coordinator's connection table (Fig. 8) and the indexes its
// queries need: client+server (Figs. 10, 11), masquerade endpoint (Fig. 12),
// client address (Fig. 13) and HAM (failover and listing).
#pragma once

#include "../common/endpoint.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace roamnat {

struct FamEntry {
	std::string agent;
	Endpoint fam;
	friend bool operator==(const FamEntry &, const FamEntry &) = default;
};

struct Connection {
	FlowKey flow;
	Endpoint masq;
	std::string ham_agent;
	// Bumped whenever the HAM changes so stale agents can be told apart (failover).
	uint32_t generation = 1;
	// Newest first: the HAM forwards to fams.front() (Fig. 10 1050 ordering policy).
	std::vector<FamEntry> fams;
};

class ConnectionTable {
public:
	enum class AddResult { added, same, conflict };

	// Fig. 9 930 / Fig. 11 1170. "same" when an identical record exists (a
	// replayed registration); "conflict" when the flow or masquerade endpoint
	// is held by a different record.
	AddResult add(const Connection &conn);
	const Connection *find(const FlowKey &flow) const;
	const Connection *find_masq(L4 proto, const Endpoint &masq) const;

	// Fig. 10 1050: adds or refreshes the agent's FAM record at the front.
	// Returns nullptr when the connection does not exist.
	const Connection *add_fam(const FlowKey &flow, const FamEntry &fam);

	// Fig. 13 1320-1330: drops the agent's FAM records from every connection of
	// the client; returns the flows changed.
	std::vector<FlowKey> remove_fams_of_client(Ipv4 client, const std::string &agent);

	// Drops every FAM record of an agent (it restarted and lost them).
	std::vector<FlowKey> remove_fams_of_agent(const std::string &agent);

	std::optional<Connection> remove(const FlowKey &flow);
	std::vector<FlowKey> flows_of_ham(const std::string &agent) const;
	std::vector<FlowKey> flows_of_client(Ipv4 client) const;
	size_t size() const { return by_flow_.size(); }

	template <typename Fn> void for_each(Fn &&fn) const
	{
		for (const auto &[key, conn] : by_flow_)
			fn(conn);
	}

private:
	static uint64_t masq_index(L4 proto, const Endpoint &masq)
	{
		return uint64_t(uint8_t(proto)) << 48 | uint64_t(masq.addr.value) << 16 | masq.port;
	}

	std::unordered_map<FlowKey, Connection> by_flow_;
	std::unordered_map<uint64_t, FlowKey> by_masq_;
	std::unordered_multimap<uint32_t, FlowKey> by_client_;
	std::unordered_map<std::string, std::unordered_set<FlowKey>> by_ham_;
};

} // namespace roamnat
