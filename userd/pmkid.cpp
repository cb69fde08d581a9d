#include "pmkid.hpp"

#include <cstring>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace roamnat {

Pmkid pmkid_for(const SecretBytes &pmk, const MacAddr &bssid, const MacAddr &station)
{
	static constexpr char kLabel[] = "PMK Name";
	uint8_t data[sizeof kLabel - 1 + 12];
	std::memcpy(data, kLabel, sizeof kLabel - 1);
	std::memcpy(data + sizeof kLabel - 1, bssid.bytes.data(), 6);
	std::memcpy(data + sizeof kLabel - 1 + 6, station.bytes.data(), 6);
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	HMAC(EVP_sha1(), pmk.data(), int(pmk.size()), data, sizeof data, mac, &len);
	Pmkid id{};
	std::memcpy(id.data(), mac, id.size());
	wipe(mac, sizeof mac);
	return id;
}

} // namespace roamnat
