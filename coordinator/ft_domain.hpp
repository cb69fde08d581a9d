// The coordinator's 802.11r mobility domain (ft_mobility_domain and
// ft_key_file): its MDID and the key its APs' key holders (R0KH, R1KH)
// share, which roamctl ft-config hands to operators for hostapd.
#pragma once

#include "../common/secret.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace roamnat {

struct FtDomain {
	uint16_t mobility_domain = 0;
	SecretBytes key; // kFtKeySize bytes
};
inline constexpr size_t kFtKeySize = 32;

// mdid: 4 hex digits. key_path: a file only its owner may read, holding
// 64 hex digits (and an optional newline). nullopt and err on anything else.
std::optional<FtDomain> load_ft_domain(const std::string &mdid, const std::string &key_path, std::string &err);
// As hostapd writes it: the two octets in hex, in order ("a1b2").
std::string mdid_text(uint16_t mdid);

} // namespace roamnat
