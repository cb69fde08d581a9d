#include "station_key.hpp"

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace roamnat {

std::optional<SecretBytes> parse_key_hex(const char *text, std::string &why)
{
	if (!text) {
		why = std::string("no key: ") + kKeyVariable + " is not set";
		return std::nullopt;
	}
	size_t len = std::strlen(text);
	if (len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		text += 2;
		len -= 2;
	}
	if (len % 2 || len / 2 < proto::kMinPmk || len / 2 > proto::kMaxPmk) {
		why = "the key in " + std::string(kKeyVariable) + " is " + std::to_string(len) + " hex digits, not " +
		      std::to_string(2 * proto::kMinPmk) + " to " + std::to_string(2 * proto::kMaxPmk);
		return std::nullopt;
	}
	auto digit = [](char c) { return std::isdigit(uint8_t(c)) ? c - '0' : std::tolower(uint8_t(c)) - 'a' + 10; };
	SecretBytes key(len / 2);
	for (size_t i = 0; i < len; ++i) {
		if (!std::isxdigit(uint8_t(text[i]))) {
			why = "the key in " + std::string(kKeyVariable) + " holds a character that is not a hex digit";
			return std::nullopt;
		}
		key[i / 2] = uint8_t(key[i / 2] << 4 | digit(text[i]));
	}
	return key;
}

std::optional<proto::Message> station_key_request(const std::string &mac, const std::string &user,
						  const std::string &authenticator, uint32_t lifetime, std::string &why)
{
	auto station = parse_station_mac(mac);
	if (!station) {
		why = "'" + mac + "' is not a MAC address";
		return std::nullopt;
	}
	if (user.empty() || user.size() > proto::kMaxString) {
		why = "the user name is empty or longer than " + std::to_string(proto::kMaxString) + " bytes";
		return std::nullopt;
	}
	char *env = std::getenv(kKeyVariable);
	auto key = parse_key_hex(env, why);
	if (env)
		wipe(env, std::strlen(env));
	if (!key)
		return std::nullopt;
	proto::Message m;
	m.type = proto::MsgType::station_key;
	m.mac = *station;
	m.user = user;
	m.pmk = std::move(*key);
	m.lifetime = lifetime;
	if (!authenticator.empty())
		m.agent_id = authenticator;
	return m;
}

} // namespace roamnat
