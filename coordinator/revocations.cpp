#include "revocations.hpp"

#include <algorithm>

namespace roamnat {

void Revocations::revoke(const std::string &user, std::optional<Clock::time_point> until)
{
	users_[user] = until;
}

bool Revocations::reinstate(const std::string &user)
{
	return users_.erase(user) > 0;
}

bool Revocations::revoked(const std::string &user)
{
	auto it = users_.find(user);
	if (it == users_.end())
		return false;
	if (it->second && *it->second <= Clock::now()) {
		users_.erase(it); // lapsed
		return false;
	}
	return true;
}

void Revocations::for_each_revoked(
	const std::function<void(const std::string &, std::optional<Clock::time_point>)> &fn) const
{
	auto now = Clock::now();
	for (const auto &[user, until] : users_)
		if (!until || *until > now)
			fn(user, until);
}

void Revocations::withdraw(const MacAddr &mac, Withdrawn w)
{
	expire();
	if (!withdrawn_.count(mac) && withdrawn_.size() >= max_withdrawn_ && !withdrawn_.empty()) {
		auto first = std::min_element(withdrawn_.begin(), withdrawn_.end(), [](const auto &a, const auto &b) {
			return a.second.until < b.second.until;
		});
		withdrawn_.erase(first);
	}
	withdrawn_[mac] = std::move(w);
}

void Revocations::for_each_withdrawn(const std::function<void(const MacAddr &, const Withdrawn &)> &fn)
{
	expire();
	for (const auto &[mac, w] : withdrawn_)
		fn(mac, w);
}

void Revocations::expire()
{
	auto now = Clock::now();
	std::erase_if(withdrawn_, [&](const auto &e) { return e.second.until <= now; });
}

} // namespace roamnat
