// Fig. 14 1435, filtering = hold: the packets of each client address that
// wait in the kernel's policy queue for the client's policy. Released with
// repeat once the policy is enforced (the packet runs the hook again and
// meets it), dropped when it is refused, when the station leaves, or when
// no policy came within max_hold; at most max_total wait at once.
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "counters.hpp"
#include "miss.hpp"

#include <functional>
#include <map>
#include <vector>

namespace roamnat {

class PolicyHolds {
public:
	using GiveVerdict = std::function<void(MissId id, Verdict v)>;

	PolicyHolds(EventLoop &loop, Millis max_hold, size_t max_total, GiveVerdict verdict, Counters &counters);
	~PolicyHolds();
	PolicyHolds(const PolicyHolds &) = delete;
	PolicyHolds &operator=(const PolicyHolds &) = delete;

	// false when max_total packets wait already: this one was dropped.
	bool hold(Address client, MissId id);
	void release(Address client, Verdict verdict, const char *why);
	void release_all(Verdict verdict, const char *why);
	size_t held(Address client) const;
	size_t total() const { return total_; }

private:
	struct Held {
		std::vector<MissId> ids;
		EventLoop::TimerId timer = 0;
	};

	EventLoop &loop_;
	Millis max_hold_;
	size_t max_total_;
	GiveVerdict verdict_;
	Counters &counters_;
	std::map<Address, Held> held_;
	size_t total_ = 0;
};

} // namespace roamnat
