// Which user each station is (Fig. 15 1580b, Fig. 14 1455): the identity
// the authentication server accepted, where and how the station last
// authenticated. The spec's answer to WEP's shared key: the network knows
// the user behind every MAC, so one user can be refused without touching
// the others.
#pragma once

#include "../common/oldest_first_map.hpp"
#include "../common/protocol.hpp"

#include <functional>
#include <optional>

namespace roamnat {

class UserTable {
public:
	explicit UserTable(size_t capacity = 65536) : by_mac_(capacity) {}

	enum class Change {
		added,           // a station the coordinator had no user for
		reauthenticated, // the same user again, here or at another AP
		user_changed,    // another user on the same MAC: a shared device, or a spoofed MAC
	};
	// The newest authentication wins; when full, the oldest binding is
	// forgotten first.
	Change authenticated(proto::UserRecord rec);
	std::optional<proto::UserRecord> find(const MacAddr &mac) const;
	void for_each(const std::function<void(const proto::UserRecord &)> &fn) const;
	size_t size() const { return by_mac_.size(); }

private:
	OldestFirstMap<MacAddr, proto::UserRecord> by_mac_;
};

} // namespace roamnat
