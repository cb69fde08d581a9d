// Fig. 14 1435, filtering = hold: the NFQUEUE the data plane puts a
// client's packets in while this AP has no policy for the client. Any IP
// protocol may wait here, so only the IPv4 header is read; what cannot be
// read is dropped and counted. Shared by both back ends.
#pragma once

#include "miss.hpp"
#include "nfqueue.hpp"

#include <functional>
#include <string>

namespace roamnat {

struct PolicyHold {
	MissId id;
	Address client; // the source of what a client sent, the destination of what goes to it
	bool outbound = true;
};

class PolicyQueue {
public:
	using Handler = std::function<void(const PolicyHold &)>;
	bool open(EventLoop &loop, uint16_t queue, uint32_t max_len, Handler handler, std::string &error);
	bool is_open() const { return open_; }
	uint16_t number() const { return q_.number(); }
	void verdict(MissId id, Verdict v);
	uint64_t unreadable() const { return unreadable_; }

private:
	void received(const NfQueue::Packet &p);

	NfQueue q_;
	Handler handler_;
	bool open_ = false;
	uint64_t unreadable_ = 0;
};

} // namespace roamnat
