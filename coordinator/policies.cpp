#include "policies.hpp"

#include "../common/config_file.hpp"

#include <sstream>

namespace roamnat {

namespace {

bool valid_name(const std::string &name)
{
	if (name.empty() || name.size() > 64)
		return false;
	for (char c : name)
		if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
			return false;
	return true;
}

} // namespace

std::optional<PolicySet> PolicySet::parse(const std::string &text, const std::string &path, std::string &error)
{
	PolicySet set;
	std::istringstream in(text);
	std::string line;
	int lineno = 0;
	Policy *current = nullptr;
	std::map<std::string, int> named_at; // policy names used by user/default lines
	auto fail = [&](int at, const std::string &why) {
		error = path + ":" + std::to_string(at) + ": " + why;
		return std::nullopt;
	};
	while (std::getline(in, line)) {
		++lineno;
		if (auto hash = line.find('#'); hash != std::string::npos)
			line.erase(hash);
		auto w = split_words(line);
		if (w.empty())
			continue;
		if (w[0] == "policy") {
			if (w.size() != 2 && !(w.size() == 4 && w[2] == "default"))
				return fail(lineno, "expected 'policy NAME [default permit|deny]'");
			if (!valid_name(w[1]))
				return fail(lineno, "'" + w[1] + "' is not a policy name (letters, digits, - _ ., at most 64)");
			if (set.policies_.count(w[1]))
				return fail(lineno, "policy '" + w[1] + "' is defined twice");
			Policy p;
			p.name = w[1];
			if (w.size() == 4) {
				auto a = rule_action_from(w[3]);
				if (!a)
					return fail(lineno, "'" + w[3] + "': a policy's default is permit or deny");
				p.fallback = *a;
			}
			current = &set.policies_.emplace(p.name, std::move(p)).first->second;
		} else if (w[0] == "permit" || w[0] == "deny") {
			if (!current)
				return fail(lineno, "a rule before any 'policy NAME' line");
			if (current->rules.size() == kMaxPolicyRules)
				return fail(lineno, "policy '" + current->name + "' has more than " +
							    std::to_string(kMaxPolicyRules) + " rules");
			std::string why;
			auto rule = parse_filter_rule(line, why);
			if (!rule)
				return fail(lineno, why);
			current->rules.push_back(std::move(*rule));
		} else if (w[0] == "user") {
			if (w.size() != 3)
				return fail(lineno, "expected 'user USER POLICY'");
			if (set.users_.count(w[1]))
				return fail(lineno, "user '" + w[1] + "' is given a policy twice");
			set.users_[w[1]] = w[2];
			named_at.emplace(w[2], lineno);
		} else if (w[0] == "default") {
			if (w.size() != 2)
				return fail(lineno, "expected 'default POLICY'");
			if (set.default_)
				return fail(lineno, "a second 'default' line");
			set.default_ = w[1];
			named_at.emplace(w[1], lineno);
		} else {
			return fail(lineno, "'" + w[0] + "': a line starts with policy, permit, deny, user or default");
		}
	}
	for (const auto &[name, at] : named_at)
		if (!set.policies_.count(name))
			return fail(at, "no policy named '" + name + "'");
	return set;
}

std::optional<PolicySet> PolicySet::load(const std::string &path, std::string &error)
{
	auto text = read_text_file(path, error);
	if (!text)
		return std::nullopt;
	return parse(*text, path, error);
}

const Policy *PolicySet::find(const std::string &name) const
{
	auto it = policies_.find(name);
	return it == policies_.end() ? nullptr : &it->second;
}

const Policy *PolicySet::for_user(const std::string &user) const
{
	auto it = users_.find(user);
	if (it != users_.end())
		return find(it->second);
	return default_ ? find(*default_) : nullptr;
}

size_t PolicySet::rules() const
{
	size_t n = 0;
	for (const auto &[name, p] : policies_)
		n += p.rules.size();
	return n;
}

} // namespace roamnat
