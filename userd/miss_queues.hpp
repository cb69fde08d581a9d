// The two NFQUEUEs a back end queues its misses to, one per Direction:
// parses each packet once (packet_info.hpp) and hands roamd a Miss. Shared by
// both back ends; packets it cannot parse are dropped and counted here.
#pragma once

#include "miss.hpp"
#include "nfqueue.hpp"

#include <map>
#include <string>

namespace roamnat {

class MissQueues {
public:
	bool open(EventLoop &loop, uint16_t outbound_queue, uint16_t inbound_queue, uint32_t max_len,
		  MissHandler handler, std::string &error);
	void verdict(MissId id, Verdict v);
	// miss_unparsable: dropped because the headers could not be read.
	void add_counters(std::map<std::string, uint64_t> &out) const;

private:
	void received(Direction way, NfQueue &q, const NfQueue::Packet &p);

	NfQueue outbound_, inbound_;
	MissHandler handler_;
	uint64_t unparsable_ = 0;
};

} // namespace roamnat
