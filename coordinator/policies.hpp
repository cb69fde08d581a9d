// The coordinator's filtering policies (Fig. 14 1435/1465), from its
// policies_file (docs/policy.md):
//
//   policy NAME [default permit|deny]   starts a policy (default: deny)
//   permit in tcp from any to 10.0.0.0/8 443   a rule of the policy above
//   user USER POLICY                    a user's policy
//   default POLICY                      everyone else's
//
// A RADIUS Filter-Id names one of these policies; NAS-Filter-Rule
// attributes bring their own rules (coordinator_policy.cpp decides).
#pragma once

#include "../common/filter_rule.hpp"

#include <map>
#include <optional>
#include <string>

namespace roamnat {

class PolicySet {
public:
	// On failure nullopt and error "PATH:LINE: reason".
	static std::optional<PolicySet> parse(const std::string &text, const std::string &path, std::string &error);
	static std::optional<PolicySet> load(const std::string &path, std::string &error);

	const Policy *find(const std::string &name) const;
	// The user's own line, else the default line; nullptr when neither.
	const Policy *for_user(const std::string &user) const;
	size_t size() const { return policies_.size(); }
	size_t rules() const;

private:
	std::map<std::string, Policy> policies_;
	std::map<std::string, std::string> users_;
	std::optional<std::string> default_;
};

} // namespace roamnat
