// This AP's end of its hostapd's 802.11r key holder traffic. hostapd puts
// its RRB sockets on the interface its bridge= names; on an AP whose BSS is
// routed rather than bridged, that is one end of a veth pair and roamd
// holds the other (ft_relay = IFNAME). What hostapd sends there comes out
// here, for the coordinator to relay to the other APs; what their hostapds
// sent goes in here unchanged, for this one (docs/configuration.md).
#pragma once

#include "../common/event_loop.hpp"
#include "../common/unique_fd.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace roamnat {

class FtLink {
public:
	using Handler = std::function<void(std::span<const uint8_t> frame)>;
	~FtLink();
	// A packet socket on ifname (needs CAP_NET_RAW) that passes up only
	// frames of the 802.11r ethertypes arriving there.
	bool open(EventLoop &loop, const std::string &ifname, Handler h, std::string &error);
	bool is_open() const { return bool(fd_); }
	// Writes a frame toward hostapd, header and all.
	bool deliver(std::span<const uint8_t> frame, std::string &error);

private:
	void readable();
	EventLoop *loop_ = nullptr;
	UniqueFd fd_;
	std::string ifname_;
	Handler h_;
};

} // namespace roamnat
