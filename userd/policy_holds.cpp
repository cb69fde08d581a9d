#include "policy_holds.hpp"

#include "../common/log.hpp"

namespace roamnat {

PolicyHolds::PolicyHolds(EventLoop &loop, Millis max_hold, size_t max_total, GiveVerdict verdict, Counters &counters)
	: loop_(loop), max_hold_(max_hold), max_total_(max_total), verdict_(std::move(verdict)), counters_(counters)
{
}

PolicyHolds::~PolicyHolds()
{
	for (auto &[client, h] : held_)
		if (h.timer)
			loop_.cancel(h.timer);
}

bool PolicyHolds::hold(Address client, MissId id)
{
	if (total_ >= max_total_) {
		counters_.add("policy_hold_overflow_dropped");
		log_warn("policy queue full (", max_total_, " packets wait for policies): dropping a packet of ",
			 client.str());
		verdict_(id, Verdict::drop);
		return false;
	}
	Held &h = held_[client];
	h.ids.push_back(id);
	++total_;
	counters_.add("policy_held");
	if (!h.timer) {
		h.timer = loop_.after(max_hold_, [this, client] {
			auto it = held_.find(client);
			if (it != held_.end())
				it->second.timer = 0;
			counters_.add("policy_hold_expired");
			release(client, Verdict::drop, "no policy for it within the hold time");
		});
	}
	return true;
}

void PolicyHolds::release(Address client, Verdict verdict, const char *why)
{
	auto it = held_.find(client);
	if (it == held_.end())
		return;
	Held h = std::move(it->second);
	held_.erase(it);
	if (h.timer)
		loop_.cancel(h.timer);
	total_ -= h.ids.size();
	for (MissId id : h.ids)
		verdict_(id, verdict);
	if (verdict == Verdict::drop) {
		counters_.add("policy_hold_dropped", h.ids.size());
		log_info("dropped ", h.ids.size(), " packet(s) of ", client.str(), " that waited for its policy: ", why);
	} else {
		counters_.add("policy_hold_released", h.ids.size());
		log_debug("released ", h.ids.size(), " packet(s) of ", client.str(), " under its policy now");
	}
}

void PolicyHolds::release_all(Verdict verdict, const char *why)
{
	while (!held_.empty())
		release(held_.begin()->first, verdict, why);
}

size_t PolicyHolds::held(Address client) const
{
	auto it = held_.find(client);
	return it == held_.end() ? 0 : it->second.ids.size();
}

} // namespace roamnat
