#include "key_holders.hpp"

namespace roamnat {

KeyHolders::Learnt KeyHolders::learn(const MacAddr &mac, const std::string &agent, std::string *owner)
{
	auto it = at_.find(mac);
	if (it != at_.end()) {
		if (it->second == agent)
			return Learnt::known;
		if (owner)
			*owner = it->second;
		return Learnt::claimed_by_other;
	}
	// A bound, not an eviction: a flood of made-up sources must not push
	// the real APs out.
	if (at_.size() >= capacity_)
		return Learnt::full;
	at_.emplace(mac, agent);
	return Learnt::added;
}

std::optional<std::string> KeyHolders::find(const MacAddr &mac) const
{
	auto it = at_.find(mac);
	if (it == at_.end())
		return std::nullopt;
	return it->second;
}

void KeyHolders::forget_agent(const std::string &agent)
{
	std::erase_if(at_, [&](const auto &e) { return e.second == agent; });
}

} // namespace roamnat
