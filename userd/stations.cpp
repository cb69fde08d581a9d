#include "stations.hpp"

#include "../common/log.hpp"

namespace roamnat {

void Stations::connected(const MacAddr &mac)
{
	associated_.insert(mac);
	auto it = where_.find(mac);
	if (it == where_.end()) {
		// Its address comes with its first ARP or DHCP exchange here.
		log_debug("station ", mac.str(), " associated; its address is not known yet");
		return;
	}
	h_.arrived(it->second.addr, it->second.ifindex, "station associated (hostapd)");
}

void Stations::disconnected(const MacAddr &mac)
{
	associated_.erase(mac);
	auto it = where_.find(mac);
	if (it == where_.end()) {
		++unknown_departures_;
		log_info("station ", mac.str(), " left before roamd knew its address: nothing to hand over");
		return;
	}
	h_.departed(it->second.addr, "station left (hostapd)");
}

void Stations::learned(const MacAddr &mac, Address addr, uint32_t ifindex)
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
		h_.arrived(addr, ifindex, "associated station's address learned");
}

} // namespace roamnat
