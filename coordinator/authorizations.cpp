#include "authorizations.hpp"

namespace roamnat {

const Authorization *Authorizations::find(const MacAddr &mac) const
{
	const Authorization *a = by_mac_.find(mac);
	return a && a->until > Authorization::Clock::now() ? a : nullptr;
}

} // namespace roamnat
