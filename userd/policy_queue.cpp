#include "policy_queue.hpp"

#include "../common/log.hpp"

#include <linux/netfilter.h>

namespace roamnat {

namespace {

uint32_t be32_at(std::span<const uint8_t> b, size_t at)
{
	return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}

} // namespace

bool PolicyQueue::open(EventLoop &loop, uint16_t queue, uint32_t max_len, Handler handler, std::string &error)
{
	handler_ = std::move(handler);
	open_ = q_.open(loop, queue, max_len, [this](const NfQueue::Packet &p) { received(p); }, error, 20);
	return open_;
}

void PolicyQueue::received(const NfQueue::Packet &p)
{
	// What the client sends waits before translation (PRE_ROUTING), what is
	// forwarded to it after (FORWARD).
	bool outbound = p.hook == NF_INET_PRE_ROUTING;
	if (p.payload.size() < 20 || p.payload[0] >> 4 != 4 || (!outbound && p.hook != NF_INET_FORWARD)) {
		++unreadable_;
		log_debug("NFQUEUE ", q_.number(), ": dropping a packet that is not IPv4 from or to a client (hook ",
			  int(p.hook), ", ", p.payload.size(), " bytes)");
		q_.verdict(p.id, NF_DROP);
		return;
	}
	Address client{be32_at(p.payload, outbound ? 12 : 16)};
	handler_(PolicyHold{{q_.number(), p.id}, client, outbound});
}

void PolicyQueue::verdict(MissId id, Verdict v)
{
	q_.verdict(id.packet, nf_verdict(v));
}

} // namespace roamnat
