// Fig. 4 at the FAM: a record per connection of a client on this AP's links,
// the index inbound packets find it by, and its data-plane entries. The only
// code that changes them; data-plane changes are staged for the caller's
// DataPlane::commit().
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "dataplane.hpp"

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace roamnat {

struct FamRec {
	FlowKey flow;
	Endpoint masq;          // the HAM's masquerade endpoint: what the server sees
	Endpoint fam;           // the endpoint inbound packets reach this FAM on
	std::string ham_agent;
	bool via_ham = false;   // outbound through the HAM (outbound = via-ham)
	uint32_t ifindex = 0;   // the client's interface
	Clock::time_point since;
};

class FamTable {
public:
	explicit FamTable(DataPlane &dp) : dp_(dp) {}

	// Fig. 10 1065: replaces any record of the same flow, entries included.
	void add(FamRec rec);
	// The removed record (its entries staged for deletion), if there was one.
	std::optional<FamRec> remove(const FlowKey &flow);
	// A record whose entries a previous run left in the data plane.
	void adopt(FamRec rec);

	const FamRec *find(const FlowKey &flow) const;
	// Fig. 4 inbound: the record a server -> FAM packet belongs to.
	const FamRec *find_inbound(const MasqKey &server_to_fam) const;
	bool contains(const FlowKey &flow) const { return recs_.count(flow) > 0; }
	bool serves(Address client) const;
	std::vector<FlowKey> flows_of(Address client) const;
	std::set<Address> clients_on(uint32_t ifindex) const;

	size_t size() const { return recs_.size(); }
	auto begin() const { return recs_.begin(); }
	auto end() const { return recs_.end(); }

private:
	static MasqKey inbound_key(const FamRec &r) { return {r.flow.proto, r.flow.server, r.fam}; }
	FamOutRule out_rule(const FamRec &r) const;

	DataPlane &dp_;
	std::unordered_map<FlowKey, FamRec> recs_;
	std::unordered_map<MasqKey, FlowKey> by_inbound_; // (server, fam) -> flow
};

} // namespace roamnat
