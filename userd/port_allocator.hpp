// Masquerade and FAM ports of one access point (Fig. 9 920, Fig. 10 1000).
// A released port sits in quarantine before reuse, so late packets of an old
// connection never reach a new one.
#pragma once

#include "../common/event_loop.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace roamnat {

class PortAllocator {
public:
	// start: where the round-robin search begins; pick it at random so that a
	// restarted agent does not reuse the ports its previous run just released.
	PortAllocator(uint16_t first, uint16_t last, Millis quarantine, size_t start = 0);

	std::optional<uint16_t> allocate(Clock::time_point now);
	// Takes a specific port (a record restored after a restart); false if busy.
	bool claim(uint16_t port);
	void release(uint16_t port, Clock::time_point now);

	size_t capacity() const { return state_.size(); }
	size_t in_use() const { return in_use_; }
	size_t quarantined() const { return quarantine_.size(); }

private:
	void expire(Clock::time_point now);

	uint16_t first_;
	Millis quarantine_time_;
	enum State : uint8_t { kFree, kInUse, kQuarantined };
	std::vector<uint8_t> state_;
	std::deque<std::pair<Clock::time_point, uint16_t>> quarantine_;
	size_t next_ = 0;
	size_t in_use_ = 0;
};

} // namespace roamnat
