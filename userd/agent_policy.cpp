// Fig. 14 1435/1465 at the AP (filtering on, docs/policy.md): once hostapd
// reported a station's user and the coordinator took it, roamd asks the
// coordinator for the user's policy and gives it to the data plane for the
// station's address. Until then, and once the station left or was
// withdrawn, the data plane passes nothing to or from that address.
#include "../common/log.hpp"
#include "agent.hpp"

namespace roamnat {

using proto::Message;
using proto::Status;

namespace {

// Distinct policies installed at once: NAS-Filter-Rules make one per user.
constexpr size_t kMaxPolicies = 4096;

std::string policy_text(const Policy &p)
{
	std::string text = p.name + "\n" + rule_action_name(p.fallback);
	for (const auto &r : p.rules)
		text += "\n" + r.str();
	return text;
}

} // namespace

void Agent::fetch_policy(const MacAddr &mac)
{
	if (opts_.dp.filtering == Filtering::off)
		return;
	count("policy_lookups");
	coord_.policy_request(mac, [this, mac](const Message *r) {
		if (!stations_.associated(mac))
			return; // it left meanwhile
		if (!r) {
			count("policy_unanswered");
			log_warn("the coordinator did not answer for station ", mac.str(),
				 "'s policy: its traffic stays dropped; asked again on the next session");
			return;
		}
		if (r->status != Status::ok) {
			count("policy_refused");
			log_warn("audit: station ", mac.str(), " has no policy: ", r->text.value_or(proto::status_name(*r->status)),
				 "; its traffic is dropped");
			withdraw_policy(mac, "the coordinator refused it");
			if (auto addr = stations_.address_of(mac))
				policy_holds_.release(*addr, Verdict::drop, "the coordinator refused its policy");
			return;
		}
		Policy p{r->filter_id.value_or("?"), r->rules, r->verdict.value_or(RuleAction::deny)};
		std::string text = policy_text(p);
		auto it = policy_ids_.find(text);
		if (it == policy_ids_.end()) {
			std::string error;
			uint32_t id = uint32_t(policy_ids_.size() + 1);
			if (policy_ids_.size() >= kMaxPolicies || !dp_.add_policy(id, p, error)) {
				count("policy_install_failed");
				log_warn("station ", mac.str(), "'s policy ", p.name, " cannot be installed: ",
					 error.empty() ? std::to_string(kMaxPolicies) + " policies are installed already" : error,
					 "; its traffic stays dropped");
				return;
			}
			it = policy_ids_.emplace(text, id).first;
			log_info("policy ", p.name, " installed: ", p.rules.size(), " rule(s), default ",
				 rule_action_name(p.fallback));
		}
		station_policies_[mac] = {r->user.value_or(""), p.name, it->second};
		log_info("audit: station ", mac.str(), " (user=", r->user.value_or("?"), ") under policy ", p.name, " (",
			 r->text.value_or("?"), ")");
		if (auto addr = stations_.address_of(mac))
			apply_policy(mac, *addr);
	});
}

// filtering = hold: the data plane queued a packet of a client address it
// has no policy for. It waits for the station's policy; one that raced with
// the policy going in is repeated at once.
void Agent::policy_hold(const PolicyHold &h)
{
	if (policed_addrs_.count(h.client)) {
		count("policy_hold_raced");
		dp_.verdict(h.id, Verdict::repeat);
		return;
	}
	if (policy_holds_.hold(h.client, h.id) && policy_holds_.held(h.client) == 1)
		log_debug("holding ", h.outbound ? "packets from " : "packets to ", h.client.str(),
			  " until its policy is here");
}

void Agent::apply_policy(const MacAddr &mac, Address addr)
{
	auto sp = station_policies_.find(mac);
	if (sp == station_policies_.end())
		return;
	Policed now{addr, sp->second.id};
	auto old = policed_.find(mac);
	if (old != policed_.end() && old->second.addr == addr && old->second.id == now.id)
		return;
	if (old != policed_.end() && old->second.addr != addr) {
		dp_.clear_client_policy(old->second.addr);
		policed_addrs_.erase(old->second.addr);
	}
	dp_.set_client_policy(addr, now.id);
	policed_[mac] = now;
	policed_addrs_.insert(addr);
	if (!commit("a station's policy")) {
		// Not in the data plane: asked again on its next lease or session,
		// and its packets are not taken for ones that raced with it.
		policed_.erase(mac);
		policed_addrs_.erase(addr);
		policy_holds_.release(addr, Verdict::drop, "its policy could not be enforced");
		return;
	}
	log_info("audit: station ", mac.str(), " (user=", sp->second.user, "): policy ", sp->second.name,
		 " enforced for ", addr.str());
	policy_holds_.release(addr, Verdict::repeat, "");
}

void Agent::withdraw_policy(const MacAddr &mac, const char *why)
{
	station_policies_.erase(mac);
	auto it = policed_.find(mac);
	if (it == policed_.end())
		return;
	dp_.clear_client_policy(it->second.addr);
	policed_addrs_.erase(it->second.addr);
	log_info("station ", mac.str(), " at ", it->second.addr.str(), " has no policy here any more (", why,
		 "): its traffic is dropped");
	policed_.erase(it);
	commit("a station's policy");
}

} // namespace roamnat
