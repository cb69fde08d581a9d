#include "stations.hpp"

#include "../common/log.hpp"

namespace roamnat {

void Stations::connected(const MacAddr &mac, uint32_t ifindex)
{
	associated_[mac] = ifindex;
	std::erase_if(left_, [&](const auto &l) { return l.second.mac == mac; });
	auto it = where_.find(mac);
	if (it == where_.end()) {
		h_.arrived_unknown(mac, ifindex);
		return;
	}
	it->second.ifindex = ifindex;
	h_.arrived(mac, it->second.addr, ifindex, "station associated (hostapd)");
}

bool Stations::authenticated(const MacAddr &mac, User user)
{
	if (!associated_.count(mac))
		return false;
	auto [it, added] = users_.try_emplace(mac, user);
	if (!added && it->second == user)
		return false;
	it->second = std::move(user);
	return true;
}

void Stations::disconnected(const MacAddr &mac, Clock::time_point now)
{
	associated_.erase(mac);
	users_.erase(mac);
	auto it = where_.find(mac);
	if (it == where_.end()) {
		++unknown_departures_;
		log_info("station ", mac.str(), " left before roamd knew its address: nothing to hand over");
		return;
	}
	Address addr = it->second.addr;
	std::erase_if(left_, [&](const auto &l) { return now - l.second.at >= kStragglerWindow; });
	if (left_.size() < kMaxKnown)
		left_[addr] = {mac, now};
	// Forgotten with the association: when it comes back, the coordinator
	// (or its next DHCP or ARP exchange) says which address it has then.
	where_.erase(it);
	h_.departed(addr, "station left (hostapd)");
}

bool Stations::just_left(Address addr, Clock::time_point now) const
{
	auto it = left_.find(addr);
	return it != left_.end() && now - it->second.at < kStragglerWindow;
}

void Stations::learned(const MacAddr &mac, Address addr, uint32_t ifindex, bool announce)
{
	auto it = where_.find(mac);
	bool news = it == where_.end() || it->second.addr != addr || it->second.ifindex != ifindex;
	if (!news)
		return;
	if (it == where_.end() && where_.size() >= kMaxKnown) {
		// Forget stations that are not associated first: they are the stale ones.
		for (auto old = where_.begin(); old != where_.end();) {
			if (!associated_.count(old->first))
				old = where_.erase(old);
			else
				++old;
		}
		if (where_.size() >= kMaxKnown) {
			log_warn("more than ", kMaxKnown, " associated stations: ", mac.str(), " not tracked");
			return;
		}
	}
	where_[mac] = {addr, ifindex};
	if (associated_.count(mac))
		left_.erase(addr);
	if (announce && associated_.count(mac))
		h_.arrived(mac, addr, ifindex, "associated station's address learned");
}

std::vector<std::pair<MacAddr, uint32_t>> Stations::unresolved() const
{
	std::vector<std::pair<MacAddr, uint32_t>> out;
	for (const auto &[mac, ifindex] : associated_)
		if (!where_.count(mac))
			out.emplace_back(mac, ifindex);
	return out;
}

} // namespace roamnat
