#include "station_key.hpp"

#include "../common/config_file.hpp"
#include "../common/hex.hpp"

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
	SecretBytes key;
	if (!hex_to_bytes({text, len}, key)) {
		why = "the key in " + std::string(kKeyVariable) + " holds a character that is not a hex digit";
		return std::nullopt;
	}
	return key;
}

namespace {

// FreeRADIUS quotes string values ("staff"), and escapes a quote or a
// backslash inside with a backslash.
std::string unquoted(std::string_view v)
{
	if (v.size() < 2 || v.front() != '"' || v.back() != '"')
		return std::string(v);
	std::string out;
	for (size_t i = 1; i + 1 < v.size(); ++i) {
		if (v[i] == '\\' && i + 2 < v.size())
			++i;
		out += v[i];
	}
	return out;
}

bool printable(const std::string &s)
{
	for (char c : s)
		if (uint8_t(c) < 0x20 || uint8_t(c) > 0x7e)
			return false;
	return !s.empty() && s.size() <= proto::kMaxString;
}

} // namespace

bool add_authorization(proto::Message &m, char *const *environment, std::string &why)
{
	for (char *const *e = environment; e && *e; ++e) {
		std::string_view entry(*e);
		auto eq = entry.find('=');
		if (eq == std::string_view::npos)
			continue;
		auto name = entry.substr(0, eq);
		std::string value = unquoted(entry.substr(eq + 1));
		auto string_slot = name == "FILTER_ID"		       ? &m.filter_id
				   : name == "TUNNEL_PRIVATE_GROUP_ID" ? &m.vlan
				   : name == "CLASS"		       ? &m.radius_class
								       : nullptr;
		if (string_slot) {
			if (!printable(value)) {
				why = std::string(name) + " is empty, too long or not printable";
				return false;
			}
			*string_slot = value;
		} else if (name == "SESSION_TIMEOUT") {
			auto n = parse_number(value, UINT32_MAX);
			if (!n) {
				why = "SESSION_TIMEOUT '" + value + "' is not a number of seconds";
				return false;
			}
			m.session_timeout = uint32_t(*n);
		} else if (name == "NAS_FILTER_RULE") {
			std::string rule_why;
			auto rule = parse_filter_rule(value, rule_why);
			if (!rule) {
				why = "NAS-Filter-Rule '" + value + "' cannot be enforced: " + rule_why;
				return false;
			}
			if (m.rules.size() == kMaxPolicyRules) {
				why = "more than " + std::to_string(kMaxPolicyRules) + " NAS-Filter-Rules";
				return false;
			}
			m.rules.push_back(std::move(*rule));
		}
	}
	return true;
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
