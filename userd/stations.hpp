// Station events as client arrivals and departures. hostapd names a station
// by its MAC, roamnat a client by its IPv4 address; the neighbour table (and,
// next, the DHCP exchange) joins the two. With hostapd, an association is the
// arrival and a disassociation the departure (Fig. 13 1300), exact and at
// once, instead of inferred from neighbour entries and links.
#pragma once

#include "../common/endpoint.hpp"
#include "mac_addr.hpp"

#include <functional>
#include <map>
#include <set>

namespace roamnat {

class Stations {
public:
	struct Handlers {
		std::function<void(Address client, uint32_t ifindex, const char *why)> arrived;
		std::function<void(Address client, const char *why)> departed;
	};
	explicit Stations(Handlers h) : h_(std::move(h)) {}

	// hostapd: associated and authorized here, or no longer.
	void connected(const MacAddr &mac);
	void disconnected(const MacAddr &mac);
	// The neighbour table: mac answers for addr on ifindex.
	void learned(const MacAddr &mac, Address addr, uint32_t ifindex);

	bool associated(const MacAddr &mac) const { return associated_.count(mac); }
	size_t known() const { return where_.size(); }
	uint64_t unknown_departures() const { return unknown_departures_; }

	static constexpr size_t kMaxKnown = 65536; // bounds memory against a flood of MACs

private:
	struct Where {
		Address addr;
		uint32_t ifindex = 0;
	};
	Handlers h_;
	std::map<MacAddr, Where> where_;
	std::set<MacAddr> associated_;
	uint64_t unknown_departures_ = 0;
};

} // namespace roamnat
