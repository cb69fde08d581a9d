// Fig. 14's lookup table of link session keys: each station's pairwise
// master key, as the authentication server derived it, kept until it
// expires so that the next AP the station reaches can be given it before
// the station arrives (Fig. 15 1500): the coordinator's table, and each
// AP's copy of what it was handed. Keys live in the secure heap
// (common/secret.hpp) and are wiped when they expire, are replaced or the
// table is full.
#pragma once

#include "event_loop.hpp"
#include "mac_addr.hpp"
#include "secret.hpp"

#include <chrono>
#include <functional>
#include <map>
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

	// expired: how many keys just expired (and were wiped).
	KeyTable(EventLoop &loop, size_t capacity, std::function<void(size_t)> expired);
	~KeyTable();
	KeyTable(const KeyTable &) = delete;
	KeyTable &operator=(const KeyTable &) = delete;

	// The newest key of a station replaces its older one. When full, the
	// key that expires soonest goes first.
	void put(Key key);
	const Key *find(const MacAddr &mac) const;
	// Wipes the station's key now (revocation); false when there was none.
	bool remove(const MacAddr &mac);
	void for_each(const std::function<void(const Key &)> &fn) const;
	size_t size() const { return by_mac_.size(); }
	// Whole seconds the key has left, 0 once it has expired.
	static uint32_t seconds_left(const Key &key);

private:
	void erase(std::map<MacAddr, Key>::iterator it);
	void expire();
	void schedule();

	EventLoop &loop_;
	size_t capacity_;
	std::function<void(size_t)> expired_;
	EventLoop::TimerId timer_ = 0;
	std::map<MacAddr, Key> by_mac_;
	std::multimap<Clock::time_point, MacAddr> by_expiry_;
};

} // namespace roamnat
