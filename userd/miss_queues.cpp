#include "miss_queues.hpp"

#include "../common/log.hpp"

#include <linux/netfilter.h>

namespace roamnat {

int nf_verdict(Verdict v)
{
	return v == Verdict::accept ? NF_ACCEPT : v == Verdict::repeat ? NF_REPEAT : NF_DROP;
}

bool MissQueues::open(EventLoop &loop, uint16_t outbound_queue, uint16_t inbound_queue, uint32_t max_len,
		      MissHandler handler, std::string &error)
{
	handler_ = std::move(handler);
	auto on = [this](Direction way, NfQueue &q) {
		return [this, way, &q](const NfQueue::Packet &p) { received(way, q, p); };
	};
	return outbound_.open(loop, outbound_queue, max_len, on(Direction::outbound, outbound_), error) &&
	       inbound_.open(loop, inbound_queue, max_len, on(Direction::inbound, inbound_), error);
}

void MissQueues::received(Direction way, NfQueue &q, const NfQueue::Packet &p)
{
	std::string why;
	auto packet = parse_packet(p.payload, why);
	if (!packet) {
		++unparsable_;
		log_debug("NFQUEUE ", q.number(), ": dropping a packet roamd cannot read: ", why);
		q.verdict(p.id, NF_DROP);
		return;
	}
	handler_(Miss{{q.number(), p.id}, way, p.in_ifindex, *packet});
}

void MissQueues::verdict(MissId id, Verdict v)
{
	NfQueue &q = id.queue == outbound_.number() ? outbound_ : inbound_;
	q.verdict(id.packet, nf_verdict(v));
}

void MissQueues::add_counters(std::map<std::string, uint64_t> &out) const
{
	out["miss_unparsable"] = unparsable_;
}

} // namespace roamnat
