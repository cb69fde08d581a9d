// HAM failover at the agent (docs/plans/ham-failover.md): taking over a
// failed agent's masquerade address with the connections anchored on it
// (ham_takeover), and giving up an address another agent holds now
// (fencing, at every hello_ack).
#include "../common/log.hpp"
#include "agent.hpp"

#include <algorithm>

namespace roamnat {

using proto::Message;

bool Agent::change_address(Address a, AddressChange how, std::string &error)
{
	return !opts_.change_address || opts_.change_address(a, how, error);
}

// Neighbours that cached the failed AP's MAC for the address switch now,
// and again after a second and two (Linux takes one update a second).
void Agent::announce(Address a)
{
	for (int i = 0; i < 3; ++i)
		loop_.after(Millis(1000 * i), [this, a] {
			std::string err;
			if (endpoints_.holds(a) && !change_address(a, AddressChange::announce, err))
				log_warn(err);
		});
}

bool Agent::is_home(Address a) const
{
	const auto &home = opts_.masquerade_addresses;
	return std::find(home.begin(), home.end(), a) != home.end();
}

void Agent::hold_adopted(Address a)
{
	if (a != opts_.address && !endpoints_.holds(a))
		endpoints_.hold(a, is_home(a));
}

// The end of Fig. 13's section: this agent becomes the HAM of a failed
// one's connections. Where it serves the client itself, its FAM endpoint
// becomes the masquerade endpoint (as in Fig. 11: one set of entries for
// both roles); elsewhere it relays to the connection's newest FAM.
void Agent::take_over(const Message &m)
{
	Address addr = m.masq_addrs.front();
	std::string failed = m.agent_id.value_or("?");
	std::string err;
	bool new_address = !endpoints_.holds(addr);
	if (new_address)
		endpoints_.hold(addr, is_home(addr));
	auto now = loop_.now();
	uint32_t installed = 0;
	std::vector<FlowKey> flows;
	for (const auto &c : m.conns) {
		// The data planes take a packet for a masquerade endpoint by its
		// port range: every agent that may take over needs the same one.
		if (c.masq.addr != addr || c.masq.port < opts_.dp.port_min || c.masq.port > opts_.dp.port_max) {
			count("takeover_out_of_range");
			log_warn("takeover of ", c.flow.str(), " at ", c.masq.str(), " refused: not in this agent's port_range");
			continue;
		}
		if (hams_.contains(c.flow)) { // a repeated frame, or sent again at a reconnect
			++installed;
			continue;
		}
		endpoints_.claim(c.masq);
		auto fams = c.fams;
		std::erase_if(fams, [&](const auto &f) { return f.agent == failed || f.agent == opts_.name; });
		if (const FamRec *here = fams_.find(c.flow)) {
			FamRec rec = *here;
			rec.masq = rec.fam = c.masq;
			rec.ham_agent = opts_.name;
			rec.via_ham = false;
			add_fam(std::move(rec));
			fams.insert(fams.begin(), {opts_.name, c.masq});
		}
		HamRec rec;
		rec.flow = c.flow;
		rec.masq = c.masq;
		rec.fams = std::move(fams);
		rec.since = now;
		hams_.add(std::move(rec));
		flows.push_back(c.flow);
		++installed;
	}
	// The entries before the address: once it is here (the kernel answers
	// ARP for it at once), every packet to it finds them.
	bool placed = commit("taking over connections") && (!new_address || change_address(addr, AddressChange::add, err));
	if (!placed) {
		if (err.empty())
			err = "the data plane refused the entries";
		for (const auto &flow : flows)
			forget(flow, false);
		commit("undoing a takeover");
		if (new_address)
			endpoints_.release_address(addr);
		count("takeover_failed");
		log_error("cannot take over masquerade address ", addr.str(), " of ", failed, ": ", err);
		coord_.ham_takeover_ack(m.request_id, false, 0, err);
		return;
	}
	for (const auto &flow : flows)
		held_.release(Way::inbound, flow, Verdict::repeat, "");
	if (new_address)
		announce(addr);
	if (flows.empty() && !new_address) { // sent again at a reconnect: all here already
		coord_.ham_takeover_ack(m.request_id, true, installed, "");
		return;
	}
	count("takeovers");
	count("takeover_connections", flows.size());
	log_warn("took over masquerade address ", addr.str(), " of failed agent ", failed, " (generation ",
		 m.generation.value_or(0), "): HAM of ", flows.size(), " connection(s)");
	coord_.ham_takeover_ack(m.request_id, true, installed, "");
}

// The address leaves the link and the records on it are forgotten here
// without a word: they are the other agent's now.
void Agent::give_up(Address a)
{
	std::vector<FlowKey> gone;
	for (const auto &[flow, rec] : hams_)
		if (rec.masq.addr == a)
			gone.push_back(flow);
	for (const auto &[flow, rec] : fams_)
		if (rec.fam.addr == a && !hams_.contains(flow))
			gone.push_back(flow);
	for (const auto &flow : gone)
		forget(flow, false);
	commit("giving up a masquerade address");
	endpoints_.release_address(a);
	std::string err;
	if (!change_address(a, AddressChange::remove, err))
		log_error(err);
	count("masquerade_fenced");
	log_warn("masquerade address ", a.str(), " is held by another agent now (it failed over while this one ",
		 "was gone): given up, with ", gone.size(), " connection(s) on it");
}

// Each hello_ack lists the masquerade addresses this agent holds. One it
// has and is not listed moved to another agent while this one was gone
// (fencing); one listed that it does not have yet goes on the link now: its
// own at the first session (never before the coordinator confirms it), or
// one it took over before it restarted. A coordinator that does not lease
// addresses confirms the agent's own.
void Agent::fence()
{
	auto leases = coord_.leases();
	std::vector<Address> listed = leases ? *leases : opts_.masquerade_addresses;
	auto is_listed = [&](Address a) { return std::find(listed.begin(), listed.end(), a) != listed.end(); };
	for (Address a : endpoints_.held())
		if (!is_listed(a))
			give_up(a);
	std::string err;
	for (Address a : listed) {
		if (a == opts_.address || endpoints_.holds(a))
			continue;
		if (!change_address(a, AddressChange::add, err)) {
			log_error("cannot hold masquerade address ", a.str(), ": ", err);
			continue;
		}
		endpoints_.hold(a, is_home(a));
		announce(a);
		log_info("holding masquerade address ", a.str(), is_home(a) ? "" : " (taken over earlier)");
	}
}

} // namespace roamnat
