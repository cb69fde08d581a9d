#include "user_table.hpp"

namespace roamnat {

UserTable::Change UserTable::authenticated(proto::UserRecord rec)
{
	auto before = by_mac_.put(rec.mac, rec);
	if (!before)
		return Change::added;
	return before->user == rec.user ? Change::reauthenticated : Change::user_changed;
}

std::optional<proto::UserRecord> UserTable::find(const MacAddr &mac) const
{
	const proto::UserRecord *rec = by_mac_.find(mac);
	return rec ? std::optional<proto::UserRecord>(*rec) : std::nullopt;
}

void UserTable::for_each(const std::function<void(const proto::UserRecord &)> &fn) const
{
	by_mac_.for_each([&](const MacAddr &, const proto::UserRecord &rec) { fn(rec); });
}

} // namespace roamnat
