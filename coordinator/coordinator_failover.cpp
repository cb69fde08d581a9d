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

std::string Coordinator::lease_refusal(const std::string &agent, const Message &hello) const
{
	// The state_file names agents by one word each.
	if (!hello.masq_addrs.empty() && agent.find_first_of(" \t") != std::string::npos)
		return "an agent whose name holds a space cannot hold masquerade addresses";
	for (Address a : hello.masq_addrs) {
		auto it = leases_.find(a);
		if (it != leases_.end() && it->second.home != agent)
			return "masquerade address " + a.str() + " belongs to agent " + it->second.home;
	}
	return "";
}

// hello: the agent's own masquerade addresses, each leased to it
// (lease_refusal checked first); one it held and no longer lists is
// released, unless it was moved away (another agent holds it now).
void Coordinator::claim_leases(const std::string &agent, const Message &hello)
{
	bool changed = false;
	for (auto it = leases_.begin(); it != leases_.end();) {
		bool listed = std::count(hello.masq_addrs.begin(), hello.masq_addrs.end(), it->first);
		if (it->second.home == agent && it->second.holder == agent && !listed) {
			log_info("masquerade address ", it->first.str(), " released: agent ", agent, " no longer lists it");
			it = leases_.erase(it);
			changed = true;
		} else {
			++it;
		}
	}
	for (Address a : hello.masq_addrs)
		if (leases_.try_emplace(a, HardState::Lease{agent, agent, 1}).second)
			changed = true;
	if (changed)
		save_state();
}

void Coordinator::resend_takeovers(const std::string &agent)
{
	for (const auto &[addr, lease] : leases_) {
		if (lease.holder != agent || lease.home == agent)
			continue;
		std::vector<ConnRecord> conns;
		for (const auto &flow : table_.flows_of_ham(agent))
			if (const ConnRecord *c = table_.find(flow); c && c->masq.addr == addr)
				conns.push_back(*c);
		if (!conns.empty())
			send_takeover(agent, addr, lease.home, lease.generation, conns);
	}
}

void Coordinator::send_takeover(const std::string &to, Address addr, const std::string &failed, uint32_t generation,
				const std::vector<ConnRecord> &conns)
{
	size_t sent = 0;
	do {
		Message m;
		m.type = MsgType::ham_takeover;
		m.request_id = uint32_t(counters_["failover_frames"]++);
		m.masq_addrs = {addr};
		m.generation = generation;
		m.agent_id = failed;
		size_t n = std::min(kConnsPerTakeover, conns.size() - sent);
		m.conns.assign(conns.begin() + long(sent), conns.begin() + long(sent + n));
		sent += n;
		if (sent < conns.size())
			m.flags = proto::kFlagMore;
		send_to_agent(to, m);
	} while (sent < conns.size());
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
	// A hello_ack lists every address an agent holds, kMaxMasqAddrs at most.
	size_t addresses = leases_of(failed).size();
	auto usable = [&](const std::string &a) {
		auto it = agents_.find(a);
		return a != failed && it != agents_.end() && it->second->is_open() &&
		       leases_of(a).size() + addresses <= proto::kMaxMasqAddrs && a.find_first_of(" \t") == std::string::npos;
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
		send_takeover(to, addr, failed, lease.generation, moved);
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
