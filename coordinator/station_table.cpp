#include "station_table.hpp"

namespace roamnat {

void StationTable::forget(std::map<MacAddr, Binding>::iterator it)
{
	by_addr_.erase(it->second.addr);
	by_age_.erase(it->second.seq);
	by_mac_.erase(it);
}

void StationTable::bind(const MacAddr &mac, Address addr)
{
	auto it = by_mac_.find(mac);
	if (it != by_mac_.end() && it->second.addr == addr)
		return;
	if (it != by_mac_.end())
		forget(it);
	if (auto other = by_addr_.find(addr); other != by_addr_.end())
		forget(by_mac_.find(other->second));
	if (by_mac_.size() >= capacity_ && !by_age_.empty())
		forget(by_mac_.find(by_age_.begin()->second));
	uint64_t seq = next_seq_++;
	by_mac_[mac] = {addr, seq};
	by_addr_[addr] = mac;
	by_age_[seq] = mac;
}

std::optional<Address> StationTable::find(const MacAddr &mac) const
{
	auto it = by_mac_.find(mac);
	if (it == by_mac_.end())
		return std::nullopt;
	return it->second.addr;
}

} // namespace roamnat
