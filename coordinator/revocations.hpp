// What revocation leaves behind (spec Figs. 14-15, and its complaint about
// WEP: one user cannot be cut off without re-keying everyone). A revoked
// user's authentications are refused until an operator reinstates it or
// the revocation lapses; the keys withdrawn from the APs stay listed until
// they would have expired, so an AP that was unreachable at the time, or
// restarted, is told again when it connects.
#pragma once

#include "../common/mac_addr.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace roamnat {

class Revocations {
public:
	using Clock = std::chrono::steady_clock;
	struct Withdrawn {
		std::string user;
		Clock::time_point until;
	};

	explicit Revocations(size_t max_withdrawn) : max_withdrawn_(max_withdrawn) {}

	// until: nullopt revokes until reinstated.
	void revoke(const std::string &user, std::optional<Clock::time_point> until);
	// False when the user was not revoked.
	bool reinstate(const std::string &user);
	bool revoked(const std::string &user);
	size_t revoked_users() const { return users_.size(); }
	// Each revoked user with the end of its revocation (nullopt: until
	// reinstated), lapsed ones left out.
	void for_each_revoked(const std::function<void(const std::string &, std::optional<Clock::time_point>)> &fn) const;

	// A station's key, withdrawn until it would have expired. When full, the
	// entry that lapses first goes first.
	void withdraw(const MacAddr &mac, Withdrawn w);
	// A station that authenticated again has a new key: nothing to withdraw.
	// True when there was one.
	bool forget(const MacAddr &mac) { return withdrawn_.erase(mac) > 0; }
	void for_each_withdrawn(const std::function<void(const MacAddr &, const Withdrawn &)> &fn);

private:
	void expire();

	size_t max_withdrawn_;
	std::map<std::string, std::optional<Clock::time_point>> users_;
	std::map<MacAddr, Withdrawn> withdrawn_;
};

} // namespace roamnat
