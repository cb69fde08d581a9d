// Which address each station (by MAC) has: the spec's constant device
// address, as DHCP gave it. An AP a station has never been to learns the
// address here and joins its connections before the station sends anything.
#pragma once

#include "../common/endpoint.hpp"
#include "../common/mac_addr.hpp"

#include <cstdint>
#include <map>
#include <optional>

namespace roamnat {

class StationTable {
public:
	explicit StationTable(size_t capacity = 65536) : capacity_(capacity) {}

	// The newest binding wins: an address DHCP gave to another station, or a
	// station that got another address, replaces the older binding.
	void bind(const MacAddr &mac, Address addr);
	std::optional<Address> find(const MacAddr &mac) const;
	size_t size() const { return by_mac_.size(); }

private:
	struct Binding {
		Address addr;
		uint64_t seq;
	};
	void forget(std::map<MacAddr, Binding>::iterator it);

	size_t capacity_;
	uint64_t next_seq_ = 0;
	std::map<MacAddr, Binding> by_mac_;
	std::map<Address, MacAddr> by_addr_;
	std::map<uint64_t, MacAddr> by_age_; // oldest binding first, forgotten first when full
};

} // namespace roamnat
