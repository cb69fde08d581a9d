#include "eap_identities.hpp"

namespace roamnat {

EapIdentities::Reading EapIdentities::read(const StationRecord &sta)
{
	if (sta.user.empty())
		return {};
	const Exchange *last = last_.find(sta.mac);
	// No EAP exchange since the last one here (or none at all in this
	// station's 802.1X machine): hostapd's own PMKSA brought it back.
	bool from_cache = sta.identity_responses &&
			  (*sta.identity_responses == 0 || (last && *sta.identity_responses <= last->responses));
	// hostapd's own EAP server counts no identity responses; on a port
	// without RSN (wired 802.1X) no PMKSA can bring a station back either.
	if (sta.own_eap_server && !sta.rsn)
		from_cache = false;
	if (!from_cache) {
		last_.put(sta.mac, {sta.user, sta.eap_method, sta.identity_responses.value_or(0)});
		return {{sta.user, sta.eap_method}, false};
	}
	// Its user is the one that exchange named, which hostapd's text starts with.
	if (!last || !sta.user.starts_with(last->user))
		return {{}, true};
	return {{last->user, sta.user == last->user ? last->method : "PMKSA"}, false};
}

std::optional<Stations::User> EapIdentities::last_exchange(const MacAddr &mac) const
{
	const Exchange *last = last_.find(mac);
	if (!last)
		return std::nullopt;
	return Stations::User{last->user, last->method};
}

} // namespace roamnat
