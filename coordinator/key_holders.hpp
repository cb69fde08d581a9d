// Where each 802.11r key holder is: the AP whose hostapd sent frames from
// that MAC (its BSSID), learnt from the frames themselves as a switch learns
// its ports. ft_frame is relayed to the AP of its destination, or to every
// relaying AP while the destination is unknown or a broadcast.
#pragma once

#include "../common/mac_addr.hpp"

#include <map>
#include <optional>
#include <string>

namespace roamnat {

class KeyHolders {
public:
	explicit KeyHolders(size_t capacity = 4096) : capacity_(capacity) {}

	enum class Learnt { known, added, claimed_by_other, full };
	// A frame from mac came from agent. A MAC another connected AP already
	// sends from is not taken over: claimed_by_other, and *owner names it.
	Learnt learn(const MacAddr &mac, const std::string &agent, std::string *owner = nullptr);
	std::optional<std::string> find(const MacAddr &mac) const;
	// The agent's session ended: its BSSIDs may move to another AP.
	void forget_agent(const std::string &agent);
	size_t size() const { return at_.size(); }

private:
	size_t capacity_;
	std::map<MacAddr, std::string> at_;
};

} // namespace roamnat
