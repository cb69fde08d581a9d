// One NFQUEUE (nfnetlink_queue over libmnl): packets the data plane could not
// translate, held in the kernel until roamd gives a verdict.
#pragma once

#include "../common/event_loop.hpp"
#include "mnl_socket.hpp"
#include "packet_info.hpp"

#include <functional>

namespace roamnat {

class NfQueue {
public:
	struct Packet {
		uint32_t id;
		uint32_t in_ifindex;
		uint8_t hook; // NF_INET_PRE_ROUTING, NF_INET_LOCAL_OUT, ...
		std::span<const uint8_t> payload;
	};
	using Handler = std::function<void(const Packet &)>;

	// copy_range: bytes of each packet roamd reads (headers only, unless it
	// rewrites the packet and returns it with its verdict).
	bool open(EventLoop &loop, uint16_t num, uint32_t max_len, Handler handler, std::string &error,
		  uint16_t copy_range = kHeaders);
	// NF_REPEAT re-runs the hook so a packet takes the newly installed entry.
	// With a payload, the packet continues as rewritten by roamd.
	void verdict(uint32_t id, int verdict, std::span<const uint8_t> payload = {});
	static constexpr uint16_t kHeaders = 128;
	static constexpr uint16_t kWhole = 0xffff;
	uint16_t number() const { return num_; }

private:
	void readable();
	bool config(uint8_t cmd_or_zero, bool params, uint32_t max_len, std::string &error);
	uint16_t copy_range_ = kHeaders;

	MnlSocket nl_;
	uint16_t num_ = 0;
	Handler handler_;
};

} // namespace roamnat
