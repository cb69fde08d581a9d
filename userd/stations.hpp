// Station events as client arrivals and departures. hostapd names a station
// by its MAC, roamnat a client by its IPv4 address; the DHCP exchange, the
// neighbour table or the coordinator (for a station new to this AP) joins the
// two. With hostapd, an association is the arrival and a disassociation the
// departure (Fig. 13 1300), exact and at once, instead of inferred from
// neighbour entries and links.
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "../common/mac_addr.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace roamnat {

class Stations {
public:
	struct Handlers {
		std::function<void(const MacAddr &mac, Address client, uint32_t ifindex, const char *why)> arrived;
		// Associated, but this AP does not know its address (yet).
		std::function<void(const MacAddr &mac, uint32_t ifindex)> arrived_unknown;
		std::function<void(Address client, const char *why)> departed;
	};
	explicit Stations(Handlers h) : h_(std::move(h)) {}

	// hostapd: associated and authorized on the BSS at ifindex, or no longer.
	void connected(const MacAddr &mac, uint32_t ifindex);
	void disconnected(const MacAddr &mac, Clock::time_point now);
	// mac has addr on ifindex (DHCP, the neighbour table, the coordinator).
	// announce: an associated station's arrival follows when this is news.
	void learned(const MacAddr &mac, Address addr, uint32_t ifindex, bool announce = true);

	// An associated station's 802.1X user (Fig. 14 1455). false: nothing
	// new (the same user again, or a station not associated here).
	struct User {
		std::string name, method;
		friend bool operator==(const User &, const User &) = default;
	};
	bool authenticated(const MacAddr &mac, User user);
	const std::map<MacAddr, User> &users() const { return users_; }

	bool associated(const MacAddr &mac) const { return associated_.count(mac); }
	std::optional<Address> address_of(const MacAddr &mac) const
	{
		auto it = where_.find(mac);
		return it == where_.end() ? std::nullopt : std::optional<Address>(it->second.addr);
	}
	// hostapd reports a departure before the kernel drops the station, so
	// the radio may still pass a packet or two from it: for a moment after
	// it left, its address's packets are stragglers, not an arrival (Fig. 13
	// 1300), unless it (or a new station with its address) associated since.
	bool just_left(Address addr, Clock::time_point now) const;
	size_t known() const { return where_.size(); }
	// Associated stations whose address this AP does not know, with their
	// BSS's ifindex.
	std::vector<std::pair<MacAddr, uint32_t>> unresolved() const;
	uint64_t unknown_departures() const { return unknown_departures_; }

	static constexpr size_t kMaxKnown = 65536; // bounds memory against a flood of MACs
	static constexpr Millis kStragglerWindow{2000};

private:
	struct Where {
		Address addr;
		uint32_t ifindex = 0;
	};
	Handlers h_;
	std::map<MacAddr, Where> where_;
	std::map<MacAddr, uint32_t> associated_; // and the BSS's ifindex
	std::map<MacAddr, User> users_; // associated stations only
	struct Left {
		MacAddr mac;
		Clock::time_point at;
	};
	std::map<Address, Left> left_; // departures within kStragglerWindow, by address
	uint64_t unknown_departures_ = 0;
};

} // namespace roamnat
