// The roaming coordinator's connection table (Fig. 8) and the indexes its
// queries need: client+server (Figs. 10, 11), masquerade endpoint (Fig. 12),
// client address (Fig. 13) and HAM (failover and listing).
#pragma once

#include "../common/connection_record.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace roamnat {

class ConnectionTable {
public:
	enum class AddResult { added, same, conflict };

	// Fig. 9 930 / Fig. 11 1170. "same" when an identical record exists (a
	// replayed registration); "conflict" when the flow or masquerade endpoint
	// is held by a different record.
	AddResult add(const ConnRecord &conn);
	const ConnRecord *find(const FlowKey &flow) const;
	const ConnRecord *find_masq(L4 proto, const Endpoint &masq) const;

	// Fig. 10 1050: adds or refreshes the agent's FAM record at the front.
	// Returns nullptr when the connection does not exist.
	const ConnRecord *add_fam(const FlowKey &flow, const FamRecord &fam);

	// Fig. 13 1320-1330: drops the agent's FAM records from every connection of
	// the client; returns the flows changed.
	std::vector<FlowKey> remove_fams_of_client(Address client, const std::string &agent);

	// Drops every FAM record of an agent (it restarted and lost them).
	std::vector<FlowKey> remove_fams_of_agent(const std::string &agent);

	std::optional<ConnRecord> remove(const FlowKey &flow);
	std::vector<FlowKey> flows_of_ham(const std::string &agent) const;
	// Failover: the connection is anchored at another HAM now, with the
	// masquerade address's new generation. False when there is no such flow.
	bool move_ham(const FlowKey &flow, const std::string &to, uint32_t generation);
	std::vector<FlowKey> flows_of_client(Address client) const;
	size_t size() const { return by_flow_.size(); }

	template <typename Fn> void for_each(Fn &&fn) const
	{
		for (const auto &[key, conn] : by_flow_)
			fn(conn);
	}

private:
	// Fig. 12 looks a connection up by protocol and masquerade endpoint.
	struct MasqIndex {
		L4 proto;
		Endpoint masq;
		bool operator==(const MasqIndex &) const = default;
	};
	struct MasqIndexHash {
		size_t operator()(const MasqIndex &k) const noexcept { return hash_of(k.masq, uint8_t(k.proto)); }
	};

	std::unordered_map<FlowKey, ConnRecord> by_flow_;
	std::unordered_map<MasqIndex, FlowKey, MasqIndexHash> by_masq_;
	std::unordered_multimap<Address, FlowKey> by_client_;
	std::unordered_map<std::string, std::unordered_set<FlowKey>> by_ham_;
};

} // namespace roamnat
