#include "key_table.hpp"

namespace roamnat {

void KeyTable::erase(std::map<MacAddr, Key>::iterator it)
{
	auto [from, to] = by_expiry_.equal_range(it->second.expires);
	for (auto e = from; e != to; ++e) {
		if (e->second == it->first) {
			by_expiry_.erase(e);
			break;
		}
	}
	by_mac_.erase(it); // SecretBytes wipes the key
}

void KeyTable::put(Key key)
{
	if (auto old = by_mac_.find(key.mac); old != by_mac_.end())
		erase(old);
	while (capacity_ && by_mac_.size() >= capacity_)
		erase(by_mac_.find(by_expiry_.begin()->second));
	by_expiry_.emplace(key.expires, key.mac);
	MacAddr mac = key.mac;
	by_mac_.emplace(mac, std::move(key));
}

size_t KeyTable::expire(Clock::time_point now)
{
	size_t n = 0;
	while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
		erase(by_mac_.find(by_expiry_.begin()->second));
		++n;
	}
	return n;
}

const KeyTable::Key *KeyTable::find(const MacAddr &mac) const
{
	auto it = by_mac_.find(mac);
	return it == by_mac_.end() ? nullptr : &it->second;
}

void KeyTable::for_each(const std::function<void(const Key &)> &fn) const
{
	for (const auto &[mac, key] : by_mac_)
		fn(key);
}

std::optional<KeyTable::Clock::time_point> KeyTable::next_expiry() const
{
	if (by_expiry_.empty())
		return std::nullopt;
	return by_expiry_.begin()->first;
}

} // namespace roamnat
