#include "user_table.hpp"

namespace roamnat {

UserTable::Change UserTable::authenticated(proto::UserRecord rec)
{
	Change change = Change::added;
	if (auto it = by_mac_.find(rec.mac); it != by_mac_.end()) {
		change = it->second.rec.user == rec.user ? Change::reauthenticated : Change::user_changed;
		by_age_.erase(it->second.seq);
		by_mac_.erase(it);
	} else if (by_mac_.size() >= capacity_ && !by_age_.empty()) {
		by_mac_.erase(by_age_.begin()->second);
		by_age_.erase(by_age_.begin());
	}
	uint64_t seq = next_seq_++;
	by_age_[seq] = rec.mac;
	MacAddr mac = rec.mac;
	by_mac_[mac] = {std::move(rec), seq};
	return change;
}

std::optional<proto::UserRecord> UserTable::find(const MacAddr &mac) const
{
	auto it = by_mac_.find(mac);
	if (it == by_mac_.end())
		return std::nullopt;
	return it->second.rec;
}

void UserTable::for_each(const std::function<void(const proto::UserRecord &)> &fn) const
{
	for (const auto &[mac, e] : by_mac_)
		fn(e.rec);
}

} // namespace roamnat
