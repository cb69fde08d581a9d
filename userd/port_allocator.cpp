#include "port_allocator.hpp"

namespace roamnat {

PortAllocator::PortAllocator(uint16_t first, uint16_t last, Millis quarantine, size_t start)
	: first_(first), quarantine_time_(quarantine), state_(size_t(last) - first + 1, kFree),
	  next_(start % state_.size())
{
}

void PortAllocator::expire(Clock::time_point now)
{
	while (!quarantine_.empty() && quarantine_.front().first <= now) {
		state_[quarantine_.front().second - first_] = kFree;
		quarantine_.pop_front();
	}
}

std::optional<uint16_t> PortAllocator::allocate(Clock::time_point now)
{
	expire(now);
	// Round-robin from the last allocation spreads reuse over the whole range.
	for (size_t i = 0; i < state_.size(); ++i) {
		size_t idx = (next_ + i) % state_.size();
		if (state_[idx] == kFree) {
			state_[idx] = kInUse;
			next_ = idx + 1;
			++in_use_;
			return uint16_t(first_ + idx);
		}
	}
	return std::nullopt;
}

bool PortAllocator::claim(uint16_t port)
{
	if (port < first_ || size_t(port - first_) >= state_.size() || state_[port - first_] != kFree)
		return false;
	state_[port - first_] = kInUse;
	++in_use_;
	return true;
}

void PortAllocator::release(uint16_t port, Clock::time_point now)
{
	if (port < first_ || size_t(port - first_) >= state_.size() || state_[port - first_] != kInUse)
		return;
	state_[port - first_] = kQuarantined;
	--in_use_;
	quarantine_.emplace_back(now + quarantine_time_, port);
}

} // namespace roamnat
