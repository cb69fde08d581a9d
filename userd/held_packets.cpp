#include "held_packets.hpp"

#include "../common/log.hpp"

namespace roamnat {

HeldPackets::HeldPackets(EventLoop &loop, Millis max_hold, size_t max_total, GiveVerdict verdict, Counters &counters)
	: loop_(loop), max_hold_(max_hold), max_total_(max_total), verdict_(std::move(verdict)), counters_(counters)
{
}

HeldPackets::~HeldPackets()
{
	for (auto *t : {&out_, &in_})
		for (auto &[flow, h] : *t)
			if (h.timer)
				loop_.cancel(h.timer);
}

bool HeldPackets::hold(Way way, const FlowKey &flow, MissId id)
{
	const char *what = way == Way::outbound ? "outbound" : "inbound";
	if (total_ >= max_total_) {
		counters_.add("held_overflow_dropped");
		log_warn("miss queue full (", max_total_, " packets held): dropping ", what, " packet of ", flow.str());
		verdict_(id, Verdict::drop);
		return false;
	}
	Held &h = table(way)[flow];
	h.ids.push_back(id);
	++total_;
	if (!h.timer) {
		h.timer = loop_.after(max_hold_, [this, way, flow] {
			auto it = table(way).find(flow);
			if (it != table(way).end())
				it->second.timer = 0;
			release(way, flow, Verdict::drop, "no answer within the hold time");
		});
	}
	return true;
}

void HeldPackets::release(Way way, const FlowKey &flow, Verdict verdict, const char *why)
{
	Table &t = table(way);
	auto it = t.find(flow);
	if (it == t.end())
		return;
	Held h = std::move(it->second);
	t.erase(it);
	if (h.timer)
		loop_.cancel(h.timer);
	total_ -= h.ids.size();
	for (MissId id : h.ids)
		verdict_(id, verdict);
	if (verdict == Verdict::drop) {
		counters_.add("held_dropped", h.ids.size());
		log_info("dropped ", h.ids.size(), " held packet(s) of ", flow.str(), ": ", why);
	} else {
		counters_.add("held_released", h.ids.size());
	}
}

void HeldPackets::release_all(Verdict verdict, const char *why)
{
	for (Way way : {Way::outbound, Way::inbound}) {
		std::vector<FlowKey> flows;
		for (const auto &[flow, h] : table(way))
			flows.push_back(flow);
		for (const auto &flow : flows)
			release(way, flow, verdict, why);
	}
}

size_t HeldPackets::held(Way way, const FlowKey &flow) const
{
	auto it = table(way).find(flow);
	return it == table(way).end() ? 0 : it->second.ids.size();
}

} // namespace roamnat
