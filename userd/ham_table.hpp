// Fig. 5 at the HAM: a record per connection anchored here, with every FAM
// it has had (newest first: the alternative embodiment), the index inbound
// packets find it by, and its data-plane entries reconciled with the newest
// FAM (Fig. 12 1250). The only code that changes them; data-plane changes
// are staged for the caller's DataPlane::commit().
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "../common/protocol.hpp"
#include "dataplane.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace roamnat {

struct HamRec {
	FlowKey flow;
	Endpoint masq;
	std::vector<proto::FamRecord> fams; // newest first
	// What the data plane holds: nothing yet, a pending entry (packets are
	// held, Fig. 7 725), a relay to a remote FAM, or nothing because this
	// AP is also the FAM and its FAM_IN entry serves both (Fig. 11).
	enum class Installed { none, pending, remote, local } installed = Installed::none;
	Endpoint installed_fam;
	Clock::time_point since;
	Clock::time_point last_query;
	bool relays() const { return installed == Installed::remote || installed == Installed::local; }
};

class HamTable {
public:
	HamTable(DataPlane &dp, std::string self, OutboundMode outbound)
		: dp_(dp), self_(std::move(self)), outbound_(outbound)
	{
	}

	// Fig. 9 940 / Fig. 11 1180: programs the entries for the record's FAMs.
	HamRec &add(HamRec rec);
	// Fig. 12 1250, Fig. 13 1380: the connection's FAMs changed.
	HamRec *set_fams(const FlowKey &flow, std::vector<proto::FamRecord> fams);
	// This AP stopped being one of the connection's FAMs (its client left).
	void drop_fam(const FlowKey &flow, const std::string &agent);
	// The removed record (its entries staged for deletion), if there was one.
	std::optional<HamRec> remove(const FlowKey &flow);
	// A record whose entries a previous run left in the data plane.
	void adopt(HamRec rec);

	HamRec *find(const FlowKey &flow);
	const HamRec *find(const FlowKey &flow) const;
	// Fig. 7: the record a server -> masquerade packet belongs to.
	HamRec *find(const MasqKey &server_to_masq);
	bool contains(const FlowKey &flow) const { return recs_.count(flow) > 0; }

	size_t size() const { return recs_.size(); }
	auto begin() const { return recs_.begin(); }
	auto end() const { return recs_.end(); }

private:
	static MasqKey key_of(const HamRec &r) { return {r.flow.proto, r.flow.server, r.masq}; }
	void program(HamRec &rec);

	DataPlane &dp_;
	std::string self_;
	OutboundMode outbound_;
	std::unordered_map<FlowKey, HamRec> recs_;
	std::unordered_map<MasqKey, FlowKey> by_masq_; // (server, masq) -> flow
};

} // namespace roamnat
