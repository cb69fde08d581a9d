#include "fam_table.hpp"

namespace roamnat {

FamOutRule FamTable::out_rule(const FamRec &r) const
{
	// via-ham: the packet goes to the HAM from the FAM endpoint (Fig. 4 with
	// the HAM as the next hop); direct: it leaves with the masquerade source.
	if (r.via_ham)
		return {r.flow, r.fam, r.masq, r.ifindex};
	return {r.flow, r.masq, std::nullopt, r.ifindex};
}

void FamTable::add(FamRec rec)
{
	remove(rec.flow);
	dp_.add_fam_out(out_rule(rec));
	dp_.add_fam_in({rec.flow.proto, rec.flow.server, rec.fam, rec.flow.client});
	adopt(std::move(rec));
}

void FamTable::adopt(FamRec rec)
{
	by_inbound_[inbound_key(rec)] = rec.flow;
	FlowKey flow = rec.flow;
	recs_[flow] = std::move(rec);
}

std::optional<FamRec> FamTable::remove(const FlowKey &flow)
{
	auto it = recs_.find(flow);
	if (it == recs_.end())
		return std::nullopt;
	FamRec rec = std::move(it->second);
	recs_.erase(it);
	dp_.del_fam_out(out_rule(rec));
	dp_.del_fam_in({rec.flow.proto, rec.flow.server, rec.fam, rec.flow.client});
	by_inbound_.erase(inbound_key(rec));
	return rec;
}

const FamRec *FamTable::find(const FlowKey &flow) const
{
	auto it = recs_.find(flow);
	return it == recs_.end() ? nullptr : &it->second;
}

const FamRec *FamTable::find_inbound(const MasqKey &server_to_fam) const
{
	auto it = by_inbound_.find(server_to_fam);
	return it == by_inbound_.end() ? nullptr : find(it->second);
}

bool FamTable::serves(Address client) const
{
	for (const auto &[flow, rec] : recs_)
		if (flow.client.addr == client)
			return true;
	return false;
}

std::vector<FlowKey> FamTable::flows_of(Address client) const
{
	std::vector<FlowKey> flows;
	for (const auto &[flow, rec] : recs_)
		if (flow.client.addr == client)
			flows.push_back(flow);
	return flows;
}

std::set<Address> FamTable::clients_on(uint32_t ifindex) const
{
	std::set<Address> clients;
	for (const auto &[flow, rec] : recs_)
		if (rec.ifindex == ifindex)
			clients.insert(flow.client.addr);
	return clients;
}

} // namespace roamnat
