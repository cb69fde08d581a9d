#include "key_table.hpp"

namespace roamnat {

KeyTable::KeyTable(EventLoop &loop, size_t capacity, std::function<void(size_t)> expired)
	: loop_(loop), capacity_(capacity), expired_(std::move(expired))
{
}

KeyTable::~KeyTable()
{
	loop_.cancel(timer_);
}

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

bool KeyTable::remove(const MacAddr &mac)
{
	auto it = by_mac_.find(mac);
	if (it == by_mac_.end())
		return false;
	erase(it);
	return true;
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
	schedule();
}

void KeyTable::expire()
{
	size_t n = 0;
	auto now = Clock::now();
	while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
		erase(by_mac_.find(by_expiry_.begin()->second));
		++n;
	}
	if (n && expired_)
		expired_(n);
}

// One timer, for the key that expires first.
void KeyTable::schedule()
{
	loop_.cancel(timer_);
	timer_ = 0;
	if (by_expiry_.empty())
		return;
	auto wait = std::chrono::duration_cast<Millis>(by_expiry_.begin()->first - Clock::now()) + Millis(1);
	timer_ = loop_.after(std::max(wait, Millis(1)), [this] {
		timer_ = 0;
		expire();
		schedule();
	});
}

uint32_t KeyTable::seconds_left(const Key &key)
{
	auto left = std::chrono::duration_cast<std::chrono::seconds>(key.expires - Clock::now()).count();
	return left > 0 ? uint32_t(left) : 0;
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

} // namespace roamnat
