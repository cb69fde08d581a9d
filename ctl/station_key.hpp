// roamctl station-key: how a RADIUS server hands a station's key to the
// coordinator (Fig. 14's key table) right after it accepted the station.
// FreeRADIUS's exec module runs it from post-auth with the reply's
// attributes in the environment, so the key never appears on a command
// line (docs/operations.md, "Key handoff").
#pragma once

#include "../common/protocol.hpp"

#include <optional>
#include <string>
#include <vector>

namespace roamnat {

// The environment variable the key comes from: FreeRADIUS's name for the
// reply's MS-MPPE-Recv-Key, the first 32 bytes of the EAP MSK, which is the
// PMK of WPA2-Enterprise (IEEE 802.11-2020 12.7.1.3).
inline constexpr const char *kKeyVariable = "MS_MPPE_RECV_KEY";

// Hex digits, with or without a leading 0x, of kMinPmk..kMaxPmk bytes.
std::optional<SecretBytes> parse_key_hex(const char *text, std::string &why);

// station_key from MAC USER and the key in the environment (which is then
// wiped). lifetime: seconds; authenticator: the AP that authenticated the
// station (hostapd's nas_identifier), may be empty.
std::optional<proto::Message> station_key_request(const std::string &mac, const std::string &user,
						  const std::string &authenticator, uint32_t lifetime, std::string &why);

// The Access-Accept's authorization, from the variables FreeRADIUS's exec
// module sets for the reply's attributes (each value as FreeRADIUS prints
// it, strings in double quotes; a repeated attribute, NAS-Filter-Rule, is
// one variable per value): FILTER_ID, NAS_FILTER_RULE, SESSION_TIMEOUT,
// TUNNEL_PRIVATE_GROUP_ID, CLASS. False, with why, when a value is malformed
// or a rule is one an AP cannot enforce: the station must then be refused,
// never let on under a looser policy.
bool add_authorization(proto::Message &m, char *const *environment, std::string &why);

} // namespace roamnat
