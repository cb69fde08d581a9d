// The 802.1X user behind each station as hostapd reports it (Fig. 14 1455),
// read right across reassociations (docs/operations.md, "Users (802.1X)").
// hostapd (2.10: pmksa_cache_to_eapol_data) copies a cached identity without
// its NUL, so a station back on this AP's own PMKSA is printed with whatever
// heap bytes follow its name. This remembers the user each EAP exchange here
// named, with the station's identity-response count after it, and takes
// hostapd's text again only once that count has grown.
#pragma once

#include "../common/oldest_first_map.hpp"
#include "hostapd_messages.hpp"
#include "stations.hpp"

namespace roamnat {

class EapIdentities {
public:
	struct Reading {
		// Empty: hostapd names no user (WPA-PSK, open, a PMKSA roamd
		// installed), or one that cannot be read (unreadable).
		Stations::User user;
		// Back on hostapd's own PMKSA with no exchange here to name it.
		bool unreadable = false;
	};
	Reading read(const StationRecord &sta);
	// The user and method of the station's last EAP exchange at this AP.
	std::optional<Stations::User> last_exchange(const MacAddr &mac) const;
	// Revoked: its next return must not be taken for the old user.
	void forget(const MacAddr &mac) { last_.take(mac); }

private:
	struct Exchange {
		std::string user, method;
		uint32_t responses; // dot1xAuthEapolRespIdFramesRx after it
	};
	OldestFirstMap<MacAddr, Exchange> last_{Stations::kMaxKnown};
};

} // namespace roamnat
