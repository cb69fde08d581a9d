// Fig. 14 1435/1465: a user's filtering policy. Rules are written in the
// subset of RFC 6733's IPFilterRule that an AP can enforce per destination,
// the syntax RADIUS already carries in NAS-Filter-Rule (RFC 4849), so one
// language serves the coordinator's policies file and the RADIUS server
// (docs/policy.md):
//
//   permit|deny in ip|tcp|udp|icmp from any|assigned to DEST [PORTS]
//
// DEST is "any", an address or a prefix (10.0.0.0/8); PORTS, for tcp and
// udp only, is a comma-separated list of ports and ranges (80,8000-8080).
// "in" is the traffic the client sends; a permitted flow's replies are
// permitted with it, a denied flow's never arrive.
#pragma once

#include "endpoint.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roamnat {

enum class RuleAction : uint8_t { permit = 1, deny = 2 };
const char *rule_action_name(RuleAction a);
std::optional<RuleAction> rule_action_from(std::string_view word);

struct Prefix {
	Address addr;
	uint8_t len = 0;
	friend bool operator==(const Prefix &, const Prefix &) = default;
	bool contains(Address a) const;
	std::string str() const;
	// "ADDR" (a /32) or "ADDR/LEN" with no host bits set.
	static std::optional<Prefix> parse(std::string_view text, std::string &why);
};

// The longest rule text RADIUS can carry (an attribute holds 253 bytes) and
// the most a rule and a policy may hold: bounds a policy_reply's frame.
inline constexpr size_t kMaxRuleText = 253;
inline constexpr size_t kMaxRulePorts = 16;
inline constexpr size_t kMaxPolicyRules = 128;

struct FilterRule {
	RuleAction action = RuleAction::deny;
	std::optional<L4> proto; // nullopt: "ip", every protocol
	Prefix dst;
	std::vector<PortRange> ports; // empty: every port
	friend bool operator==(const FilterRule &, const FilterRule &) = default;

	bool matches(L4 p, const Endpoint &to) const;
	// The canonical text; parse_filter_rule(str()) gives the rule back.
	std::string str() const;
};

// Parses one rule; on failure returns nullopt and says why (with the word
// at fault), so that a rule the AP cannot enforce is refused, never
// enforced as something looser.
std::optional<FilterRule> parse_filter_rule(std::string_view text, std::string &why);

// A named list of rules: the first that matches decides, else the fallback.
struct Policy {
	std::string name;
	std::vector<FilterRule> rules;
	RuleAction fallback = RuleAction::deny;
	friend bool operator==(const Policy &, const Policy &) = default;

	RuleAction decide(L4 p, const Endpoint &to) const;
};

} // namespace roamnat
