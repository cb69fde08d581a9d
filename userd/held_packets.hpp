// Packets that missed in the data plane, held in the kernel's queue while
// the coordinator answers (Fig. 6 640, Fig. 7 725): per connection and
// direction, at most max_total at once across all of them, and dropped when
// no answer has come within max_hold.
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "counters.hpp"
#include "miss.hpp"

#include <functional>
#include <unordered_map>
#include <vector>

namespace roamnat {

class HeldPackets {
public:
	// Inbound packets wait under the flow of the HAM record they belong to.
	using Way = Direction;
	// Gives a queued packet its verdict (DataPlane::verdict).
	using GiveVerdict = std::function<void(MissId id, Verdict v)>;

	HeldPackets(EventLoop &loop, Millis max_hold, size_t max_total, GiveVerdict verdict, Counters &counters);
	~HeldPackets();
	HeldPackets(const HeldPackets &) = delete;
	HeldPackets &operator=(const HeldPackets &) = delete;

	// false when max_total packets are held already: this one was dropped.
	bool hold(Way way, const FlowKey &flow, MissId id);
	// Every packet held for the flow gets the verdict; Verdict::repeat runs
	// the hook again, so the packet takes the entries installed meanwhile.
	void release(Way way, const FlowKey &flow, Verdict verdict, const char *why);
	void release_all(Verdict verdict, const char *why);
	size_t total() const { return total_; }
	size_t held(Way way, const FlowKey &flow) const;

private:
	struct Held {
		std::vector<MissId> ids;
		EventLoop::TimerId timer = 0;
	};
	using Table = std::unordered_map<FlowKey, Held>;
	Table &table(Way way) { return way == Way::outbound ? out_ : in_; }
	const Table &table(Way way) const { return way == Way::outbound ? out_ : in_; }

	EventLoop &loop_;
	Millis max_hold_;
	size_t max_total_;
	GiveVerdict verdict_;
	Counters &counters_;
	Table out_, in_;
	size_t total_ = 0;
};

} // namespace roamnat
