// Fig. 14's lookup table of link session keys: each station's pairwise
// master key, as the authentication server derived it, kept until it
// expires so that the next AP the station reaches can be given it before
// the station arrives (Fig. 15 1500). Keys live in the secure heap
// (common/secret.hpp) and are wiped when they expire, are replaced or the
// table is full.
#pragma once

#include "../common/mac_addr.hpp"
#include "../common/secret.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace roamnat {

class KeyTable {
public:
	using Clock = std::chrono::steady_clock;
	struct Key {
		MacAddr mac;
		std::string user;
		std::string source_agent; // the AP that authenticated the station: it holds the key already
		SecretBytes pmk;
		Clock::time_point expires;
	};

	explicit KeyTable(size_t capacity = 16384) : capacity_(capacity) {}

	// The newest key of a station replaces its older one. When full, the
	// key that expires soonest goes first.
	void put(Key key);
	// Drops and wipes every key expired at `now`; returns how many.
	size_t expire(Clock::time_point now);
	const Key *find(const MacAddr &mac) const;
	void for_each(const std::function<void(const Key &)> &fn) const;
	size_t size() const { return by_mac_.size(); }
	// When the next key expires, or nullopt for an empty table.
	std::optional<Clock::time_point> next_expiry() const;

private:
	void erase(std::map<MacAddr, Key>::iterator it);

	size_t capacity_;
	std::map<MacAddr, Key> by_mac_;
	std::multimap<Clock::time_point, MacAddr> by_expiry_;
};

} // namespace roamnat
