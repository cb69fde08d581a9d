// What the RADIUS server's Access-Accept said about each station beyond its
// key (Fig. 15 1580b): the Filter-Id naming a policy, NAS-Filter-Rules,
// Session-Timeout, VLAN and Class, as its key source (roamctl station-key)
// handed them over. Bounded: when full, the oldest entry goes first.
#pragma once

#include "../common/filter_rule.hpp"
#include "../common/mac_addr.hpp"
#include "../common/oldest_first_map.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace roamnat {

struct Authorization {
	using Clock = std::chrono::steady_clock;
	std::string user;
	std::optional<std::string> filter_id;
	std::vector<FilterRule> rules;
	std::optional<uint32_t> session_timeout;
	std::optional<std::string> vlan;
	std::optional<std::string> radius_class;
	Clock::time_point until; // the key's expiry or the Session-Timeout, the earlier
	bool says_anything() const
	{
		return filter_id || !rules.empty() || session_timeout || vlan || radius_class;
	}
};

class Authorizations {
public:
	explicit Authorizations(size_t capacity = 16384) : by_mac_(capacity) {}

	void put(const MacAddr &mac, Authorization a) { by_mac_.put(mac, std::move(a)); }
	// nullptr once expired.
	const Authorization *find(const MacAddr &mac) const;
	void forget(const MacAddr &mac) { by_mac_.take(mac); }
	size_t size() const { return by_mac_.size(); }

private:
	OldestFirstMap<MacAddr, Authorization> by_mac_;
};

} // namespace roamnat
