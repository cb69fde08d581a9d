#include "connection_table.hpp"

#include <algorithm>

namespace roamnat {

ConnectionTable::AddResult ConnectionTable::add(const ConnRecord &conn)
{
	if (auto it = by_flow_.find(conn.flow); it != by_flow_.end()) {
		const ConnRecord &have = it->second;
		bool same = have.masq == conn.masq && have.ham_agent == conn.ham_agent;
		return same ? AddResult::same : AddResult::conflict;
	}
	MasqIndex mk{conn.flow.proto, conn.masq};
	if (by_masq_.count(mk))
		return AddResult::conflict;
	by_flow_.emplace(conn.flow, conn);
	by_masq_.emplace(mk, conn.flow);
	by_client_.emplace(conn.flow.client.addr, conn.flow);
	by_ham_[conn.ham_agent].insert(conn.flow);
	return AddResult::added;
}

const ConnRecord *ConnectionTable::find(const FlowKey &flow) const
{
	auto it = by_flow_.find(flow);
	return it == by_flow_.end() ? nullptr : &it->second;
}

const ConnRecord *ConnectionTable::find_masq(L4 proto, const Endpoint &masq) const
{
	auto it = by_masq_.find(MasqIndex{proto, masq});
	return it == by_masq_.end() ? nullptr : find(it->second);
}

const ConnRecord *ConnectionTable::add_fam(const FlowKey &flow, const FamRecord &fam)
{
	auto it = by_flow_.find(flow);
	if (it == by_flow_.end())
		return nullptr;
	auto &fams = it->second.fams;
	std::erase_if(fams, [&](const FamRecord &f) { return f.agent == fam.agent; });
	fams.insert(fams.begin(), fam);
	return &it->second;
}

std::vector<FlowKey> ConnectionTable::remove_fams_of_client(Address client, const std::string &agent)
{
	std::vector<FlowKey> changed;
	auto range = by_client_.equal_range(client);
	for (auto it = range.first; it != range.second; ++it) {
		auto &fams = by_flow_.at(it->second).fams;
		if (std::erase_if(fams, [&](const FamRecord &f) { return f.agent == agent; }))
			changed.push_back(it->second);
	}
	return changed;
}

std::vector<FlowKey> ConnectionTable::remove_fams_of_agent(const std::string &agent)
{
	std::vector<FlowKey> changed;
	for (auto &[flow, conn] : by_flow_)
		if (std::erase_if(conn.fams, [&](const FamRecord &f) { return f.agent == agent; }))
			changed.push_back(flow);
	return changed;
}

std::optional<ConnRecord> ConnectionTable::remove(const FlowKey &flow)
{
	auto it = by_flow_.find(flow);
	if (it == by_flow_.end())
		return std::nullopt;
	ConnRecord conn = std::move(it->second);
	by_flow_.erase(it);
	by_masq_.erase(MasqIndex{flow.proto, conn.masq});
	auto range = by_client_.equal_range(flow.client.addr);
	for (auto c = range.first; c != range.second; ++c) {
		if (c->second == flow) {
			by_client_.erase(c);
			break;
		}
	}
	if (auto h = by_ham_.find(conn.ham_agent); h != by_ham_.end()) {
		h->second.erase(flow);
		if (h->second.empty())
			by_ham_.erase(h);
	}
	return conn;
}

std::vector<FlowKey> ConnectionTable::flows_of_client(Address client) const
{
	std::vector<FlowKey> out;
	auto range = by_client_.equal_range(client);
	for (auto it = range.first; it != range.second; ++it)
		out.push_back(it->second);
	return out;
}

bool ConnectionTable::move_ham(const FlowKey &flow, const std::string &to, uint32_t generation)
{
	auto it = by_flow_.find(flow);
	if (it == by_flow_.end())
		return false;
	ConnRecord &conn = it->second;
	if (auto h = by_ham_.find(conn.ham_agent); h != by_ham_.end()) {
		h->second.erase(flow);
		if (h->second.empty())
			by_ham_.erase(h);
	}
	conn.ham_agent = to;
	conn.generation = generation;
	by_ham_[to].insert(flow);
	return true;
}

std::vector<FlowKey> ConnectionTable::flows_of_ham(const std::string &agent) const
{
	auto it = by_ham_.find(agent);
	if (it == by_ham_.end())
		return {};
	return {it->second.begin(), it->second.end()};
}

} // namespace roamnat
