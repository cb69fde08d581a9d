// Fig. 14 1435/1465: the filtering module of the AP a station is at asks
// the coordinator which user the station is and which policy that user is
// under. The RADIUS server's word comes first (NAS-Filter-Rule, then a
// Filter-Id naming a policy of the policies_file), then the policies_file's
// own user and default lines (docs/policy.md).
#include "../common/log.hpp"
#include "coordinator.hpp"

namespace roamnat {

using proto::Message;
using proto::MsgType;
using proto::Status;

namespace {

Policy deny_all(const std::string &name)
{
	return Policy{name, {}, RuleAction::deny};
}

std::string describe(const Policy &p)
{
	return p.name + " (" + std::to_string(p.rules.size()) + " rule(s), default " + rule_action_name(p.fallback) +
	       ")";
}

} // namespace

void Coordinator::keep_authorization(const Message &m, std::string &audit)
{
	Authorization a;
	a.user = *m.user;
	a.filter_id = m.filter_id;
	a.rules = m.rules;
	a.session_timeout = m.session_timeout;
	a.vlan = m.vlan;
	a.radius_class = m.radius_class;
	uint32_t seconds = *m.lifetime;
	if (m.session_timeout && *m.session_timeout)
		seconds = std::min(seconds, *m.session_timeout);
	a.until = Authorization::Clock::now() + std::chrono::seconds(seconds);
	if (!a.says_anything()) {
		authorizations_.forget(*m.mac);
		return;
	}
	audit = "; authorized:";
	if (a.filter_id)
		audit += " Filter-Id=" + *a.filter_id;
	if (!a.rules.empty())
		audit += " NAS-Filter-Rules=" + std::to_string(a.rules.size());
	if (a.session_timeout)
		audit += " Session-Timeout=" + std::to_string(*a.session_timeout);
	if (a.vlan)
		audit += " VLAN=" + *a.vlan;
	if (a.radius_class)
		audit += " Class=" + *a.radius_class;
	authorizations_.put(*m.mac, std::move(a));
	count("authorizations_received");
}

std::optional<Coordinator::PolicyDecision> Coordinator::policy_for(const MacAddr &mac, PolicyRefusal &why)
{
	const Authorization *authz = authorizations_.find(mac);
	auto bound = users_.find(mac);
	// hostapd's word on who is at the MAC now; the RADIUS server's
	// authorization counts only while it is about the same user.
	std::string user = bound ? bound->user : authz ? authz->user : "";
	if (authz && authz->user != user)
		authz = nullptr;
	if (user.empty()) {
		why = PolicyRefusal::unknown_station;
		return std::nullopt;
	}
	if (revocations_.revoked(user)) {
		why = PolicyRefusal::revoked;
		return std::nullopt;
	}
	PolicyDecision d{user, {}, {}};
	if (authz && !authz->rules.empty()) {
		// RFC 4849 lists are complete in themselves: what no rule permits is denied.
		d.policy = Policy{"radius:" + user, authz->rules, RuleAction::deny};
		d.source = "NAS-Filter-Rule";
	} else if (authz && authz->filter_id) {
		const Policy *p = opts_.policies ? opts_.policies->find(*authz->filter_id) : nullptr;
		d.policy = p ? *p : deny_all(*authz->filter_id);
		d.source = p ? "Filter-Id" : "Filter-Id (no such policy: everything denied)";
		d.undefined_filter_id = !p;
	} else if (opts_.policies) {
		const Policy *p = opts_.policies->for_user(user);
		d.policy = p ? *p : deny_all("none");
		d.source = p ? "policies_file" : "policies_file (no user or default line: everything denied)";
	} else {
		d.policy = Policy{"none", {}, RuleAction::permit};
		d.source = "no policies_file and nothing from RADIUS: not filtered";
	}
	return d;
}

void Coordinator::on_policy_request(Session &s, const Message &m)
{
	count("policy_lookups");
	Message reply;
	reply.type = MsgType::policy_reply;
	reply.request_id = m.request_id;
	reply.mac = m.mac;
	PolicyRefusal why{};
	auto d = policy_for(*m.mac, why);
	if (!d) {
		bool unknown = why == PolicyRefusal::unknown_station;
		count(unknown ? "policy_unknown_station" : "policy_revoked");
		reply.status = unknown ? Status::not_found : Status::unauthorized;
		reply.text = unknown ? "no user is known for station " + m.mac->str()
				     : "the user of station " + m.mac->str() + " is revoked";
		log_info("audit: policy for station ", m.mac->str(), " asked by ", s.conn->peer_name(), ": refused, ",
			 *reply.text);
		s.conn->send(reply);
		return;
	}
	if (d->undefined_filter_id)
		count("policy_undefined_filter_id");
	reply.status = Status::ok;
	reply.user = d->user;
	reply.filter_id = d->policy.name;
	reply.rules = d->policy.rules;
	reply.verdict = d->policy.fallback;
	reply.text = d->source;
	log_info("audit: policy for station ", m.mac->str(), " (user=", d->user, ") asked by ", s.conn->peer_name(),
		 ": ", describe(d->policy), " from ", d->source);
	s.conn->send(reply);
}

} // namespace roamnat
