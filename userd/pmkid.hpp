// The PMKID by which a station names a cached PMK in its (re)association
// request (IEEE 802.11-2020 12.7.1.3, AKM 1: WPA-EAP):
//   PMKID = HMAC-SHA1-128(PMK, "PMK Name" || AA || SPA)
// AA is the AP's BSSID, SPA the station's MAC: each AP needs its own.
#pragma once

#include "../common/mac_addr.hpp"
#include "../common/secret.hpp"

#include <array>
#include <cstdint>

namespace roamnat {

using Pmkid = std::array<uint8_t, 16>;

Pmkid pmkid_for(const SecretBytes &pmk, const MacAddr &bssid, const MacAddr &station);

} // namespace roamnat
