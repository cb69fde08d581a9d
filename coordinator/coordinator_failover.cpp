// HAM failover (the end of Fig. 13's section): masquerade addresses are
// leased to agents; when an agent holding some is gone for failover_after,
// each address moves to another agent with the next generation, with the
// connections anchored on it, and that agent takes the address over and
// installs their HAM records (ham_takeover). A returning agent finds in its
// hello_ack that it no longer holds the address, and gives it up (fencing).
#include "../common/log.hpp"
#include "coordinator.hpp"

#include <algorithm>

namespace roamnat {

using proto::Message;
using proto::MsgType;
using proto::Status;

namespace {
// One ham_takeover frame stays well inside kMaxFrame.
constexpr size_t kConnsPerTakeover = 200;
} // namespace

// hello: the agent's own masquerade addresses. Each is leased to it unless
// another agent's; one it held and no longer lists is released, unless it
// was moved away (another agent holds it now).
bool Coordinator::claim_leases(Session &s, const Message &hello)
{
	for (Address a : hello.masq_addrs) {
		auto it = leases_.find(a);
		if (it != leases_.end() && it->second.home != s.agent) {
			count("refused_masq_conflict");
			log_warn("agent ", s.agent, " refused: its masquerade address ", a.str(), " is ", it->second.home,
				 "'s (two APs configured with one address?)");
			s.conn->fail(Status::conflict,
				     "masquerade address " + a.str() + " belongs to agent " + it->second.home);
			return false;
		}
	}
	bool changed = false;
	for (auto it = leases_.begin(); it != leases_.end();) {
		bool listed = std::count(hello.masq_addrs.begin(), hello.masq_addrs.end(), it->first);
		if (it->second.home == s.agent && it->second.holder == s.agent && !listed) {
			log_info("masquerade address ", it->first.str(), " released: agent ", s.agent, " no longer lists it");
			it = leases_.erase(it);
			changed = true;
		} else {
			++it;
		}
	}
	for (Address a : hello.masq_addrs)
		if (leases_.try_emplace(a, HardState::Lease{s.agent, s.agent, 1}).second)
			changed = true;
	if (changed)
		save_state();
	return true;
}

std::vector<Address> Coordinator::leases_of(const std::string &agent) const
{
	std::vector<Address> out;
	for (const auto &[a, l] : leases_)
		if (l.holder == agent)
			out.push_back(a);
	return out;
}

const HardState::Lease *Coordinator::held_elsewhere(Address addr, const std::string &agent) const
{
	auto it = leases_.find(addr);
	return it != leases_.end() && it->second.holder != agent ? &it->second : nullptr;
}

// From the liveness sweep: agents gone for failover_after lose their leases.
void Coordinator::check_failover()
{
	auto now = loop_.now();
	std::vector<std::string> due;
	for (const auto &[agent, since] : absent_since_)
		if (now - since > opts_.failover_after && !leases_of(agent).empty())
			due.push_back(agent);
	for (const auto &agent : due)
		fail_over(agent, false);
}

// Policy: the first connected agent of failover_to; else the connected
// agent that is the newest FAM of most of the connections that move (it
// serves their clients, so its data plane has their entries), then by name.
std::string Coordinator::takeover_target(const std::string &failed, const std::vector<FlowKey> &moving) const
{
	auto usable = [&](const std::string &a) {
		auto it = agents_.find(a);
		return a != failed && it != agents_.end() && it->second->is_open();
	};
	for (const auto &a : opts_.failover_to)
		if (usable(a))
			return a;
	if (!opts_.failover_to.empty())
		return "";
	std::map<std::string, size_t> serves;
	for (const auto &[name, conn] : agents_)
		if (usable(name))
			serves[name] = 0;
	for (const auto &flow : moving)
		if (const ConnRecord *c = table_.find(flow); c && !c->fams.empty() && serves.count(c->fams.front().agent))
			++serves[c->fams.front().agent];
	std::string best;
	for (const auto &[name, n] : serves)
		if (best.empty() || n > serves[best])
			best = name;
	return best;
}

// Moves every masquerade address the agent holds, with the connections
// anchored on it, to another agent. restarted: the agent came back with
// empty tables (a new instance), so it cannot serve them itself.
void Coordinator::fail_over(const std::string &failed, bool restarted)
{
	std::vector<FlowKey> mine = table_.flows_of_ham(failed);
	std::string to = takeover_target(failed, mine);
	if (to.empty()) {
		if (counters_["failover_waiting"]++ % 20 == 0)
			log_warn("agent ", failed, " is gone but no agent is connected to take over its masquerade addresses",
				 opts_.failover_to.empty() ? "" : " (failover_to lists none that is connected)");
		return;
	}
	// Its FAM records went with it: they are nobody's to forward to.
	for (const auto &flow : table_.remove_fams_of_agent(failed))
		if (const ConnRecord *c = table_.find(flow))
			push_fams(*c, true);
	for (Address addr : leases_of(failed)) {
		HardState::Lease &lease = leases_[addr];
		lease.holder = to;
		++lease.generation;
		save_state(); // before anyone acts on the new generation
		std::vector<ConnRecord> moved;
		for (const auto &flow : mine) {
			const ConnRecord *c = table_.find(flow);
			if (!c || c->masq.addr != addr)
				continue;
			table_.move_ham(flow, to, lease.generation);
			moved.push_back(*c);
		}
		count("failovers");
		count("failover_connections", moved.size());
		log_warn("HAM failover: masquerade address ", addr.str(), " of agent ", failed,
			 restarted ? " (restarted with empty tables)" : " (gone)", " moves to agent ", to, ", generation ",
			 lease.generation, ", with ", moved.size(), " connection(s)");
		size_t sent = 0;
		do {
			Message m;
			m.type = MsgType::ham_takeover;
			m.request_id = uint32_t(counters_["failover_frames"]++);
			m.masq_addrs = {addr};
			m.generation = lease.generation;
			m.agent_id = failed;
			size_t n = std::min(kConnsPerTakeover, moved.size() - sent);
			m.conns.assign(moved.begin() + long(sent), moved.begin() + long(sent + n));
			sent += n;
			if (sent < moved.size())
				m.flags = proto::kFlagMore;
			send_to_agent(to, m);
		} while (sent < moved.size());
	}
}

void Coordinator::on_ham_takeover_ack(Session &s, const Message &m)
{
	if (m.status == Status::ok) {
		count("failover_acks");
		log_info("agent ", s.agent, " took over ", m.count.value_or(0), " connection(s)");
		return;
	}
	count("failover_refused");
	log_error("agent ", s.agent, " could not take over: ", m.text.value_or(proto::status_name(*m.status)),
		  "; the connections on that address wait for it");
}

} // namespace roamnat
