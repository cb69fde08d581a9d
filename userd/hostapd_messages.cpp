#include "hostapd_messages.hpp"

#include <charconv>

namespace roamnat {

namespace {
bool printable(std::string_view s)
{
	for (char c : s)
		if ((c < 0x20 || c > 0x7e) && c != '\n' && c != '\t')
			return false;
	return true;
}

std::string_view first_word(std::string_view s)
{
	return s.substr(0, s.find_first_of(" \n"));
}

constexpr std::string_view kUserKey = "dot1xAuthSessionUserName=";
constexpr std::string_view kMethodKey = "last_eap_type_as=";
// hostapd's own EAP server (eap_server=1) leaves the authentication
// server's type 0: the station's side names the method then.
constexpr std::string_view kStaMethodKey = "last_eap_type_sta=";
constexpr std::string_view kRespIdKey = "dot1xAuthEapolRespIdFramesRx=";
constexpr std::string_view kAkmKey = "AKMSuiteSelector=";

// "25 (PEAP)" -> "PEAP"; a bare number stays as it is.
std::string_view eap_method_name(std::string_view v)
{
	auto open = v.find('(');
	auto close = v.rfind(')');
	if (open == std::string_view::npos || close == std::string_view::npos || close < open)
		return v.substr(0, 32);
	return v.substr(open + 1, std::min<size_t>(close - open - 1, 32));
}
} // namespace

bool is_hostapd_event(std::string_view datagram)
{
	return !datagram.empty() && datagram[0] == '<';
}

std::optional<HostapdEvent> parse_hostapd_event(std::string_view d, std::string &why)
{
	if (d.size() > kHostapdMaxMessage) {
		why = "event of " + std::to_string(d.size()) + " bytes (hostapd sends at most " +
		      std::to_string(kHostapdMaxMessage) + ")";
		return std::nullopt;
	}
	if (!printable(d)) {
		why = "event holds a non-printable byte";
		return std::nullopt;
	}
	// "<3>": the level, one or two digits.
	auto close = d.find('>');
	if (!is_hostapd_event(d) || close == std::string_view::npos || close < 2 || close > 3) {
		why = "not an event: '" + std::string(d.substr(0, 40)) + "'";
		return std::nullopt;
	}
	for (size_t i = 1; i < close; ++i) {
		if (d[i] < '0' || d[i] > '9') {
			why = "event level is not a number";
			return std::nullopt;
		}
	}
	std::string_view body = d.substr(close + 1);
	while (!body.empty() && body.back() == '\n')
		body.remove_suffix(1);
	HostapdEvent ev;
	ev.name = std::string(first_word(body));
	if (ev.name == "AP-STA-CONNECTED" || ev.name == "AP-STA-DISCONNECTED") {
		std::string_view rest = body.substr(ev.name.size());
		if (rest.empty() || rest[0] != ' ') {
			why = ev.name + " without a station address";
			return std::nullopt;
		}
		rest.remove_prefix(1);
		ev.station = MacAddr::parse(first_word(rest));
		if (!ev.station) {
			why = ev.name + " with '" + std::string(first_word(rest).substr(0, 40)) + "' for a station address";
			return std::nullopt;
		}
		ev.kind = ev.name == "AP-STA-CONNECTED" ? HostapdEvent::Kind::sta_connected
						       : HostapdEvent::Kind::sta_disconnected;
	} else if (ev.name == "CTRL-EVENT-TERMINATING") {
		ev.kind = HostapdEvent::Kind::terminating;
	} else if (ev.name == "AP-DISABLED") {
		ev.kind = HostapdEvent::Kind::disabled;
	}
	return ev;
}

std::optional<StationRecord> parse_station_record(std::string_view r, std::string &why)
{
	why.clear();
	if (r.empty())
		return std::nullopt; // the end of the station list
	if (r.size() > kHostapdMaxMessage || !printable(r)) {
		why = "station record too long or not printable";
		return std::nullopt;
	}
	std::string_view first = r.substr(0, r.find('\n'));
	auto mac = MacAddr::parse(first);
	if (!mac) {
		why = "station record starts with '" + std::string(first.substr(0, 40)) + "', not an address";
		return std::nullopt;
	}
	StationRecord sta;
	sta.mac = *mac;
	std::string_view as_method, sta_method;
	for (size_t at = first.size(); at < r.size();) {
		size_t end = r.find('\n', at + 1);
		std::string_view line = r.substr(at + 1, (end == std::string_view::npos ? r.size() : end) - at - 1);
		if (line.rfind("flags=", 0) == 0) {
			sta.authorized = line.find("[AUTHORIZED]") != std::string_view::npos;
		} else if (line.rfind(kUserKey, 0) == 0) {
			std::string_view user = line.substr(kUserKey.size());
			if (user.size() > kMaxUserName) {
				why = "station " + mac->str() + ": user name of " + std::to_string(user.size()) +
				      " bytes (RADIUS allows " + std::to_string(kMaxUserName) + ")";
				return std::nullopt;
			}
			sta.user = std::string(user);
		} else if (line.rfind(kMethodKey, 0) == 0) {
			as_method = line.substr(kMethodKey.size());
		} else if (line.rfind(kStaMethodKey, 0) == 0) {
			sta_method = line.substr(kStaMethodKey.size());
		} else if (line.rfind(kRespIdKey, 0) == 0) {
			uint32_t n = 0;
			std::string_view v = line.substr(kRespIdKey.size());
			if (auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
			    ec == std::errc() && end == v.data() + v.size())
				sta.identity_responses = n;
		} else if (line.rfind(kAkmKey, 0) == 0) {
			std::string_view akm = line.substr(kAkmKey.size());
			sta.ft = akm == "00-0f-ac-3" || akm == "00-0f-ac-13";
			sta.rsn = true;
		}
		at = end == std::string_view::npos ? r.size() : end;
	}
	// EAP type 0 on both sides: no EAP exchange stands behind this
	// association (a PMKSA installed without identity, which hostapd shows
	// as user "N/A", or FT).
	auto zero = [](std::string_view m) { return m.empty() || m == "0" || m.rfind("0 ", 0) == 0; };
	if (!zero(as_method))
		sta.eap_method = std::string(eap_method_name(as_method));
	else if (!zero(sta_method))
		sta.eap_method = std::string(eap_method_name(sta_method));
	sta.own_eap_server = !as_method.empty() && zero(as_method) && !zero(sta_method);
	bool no_eap = !as_method.empty() && zero(as_method) && zero(sta_method);
	if (no_eap) {
		sta.user.clear();
		sta.eap_method.clear();
	}
	return sta;
}

std::optional<BssConfig> parse_bss_config(std::string_view r, std::string &why)
{
	why.clear();
	if (r.size() > kHostapdMaxMessage || !printable(r)) {
		why = "GET_CONFIG reply too long or not printable";
		return std::nullopt;
	}
	std::optional<MacAddr> bssid;
	bool eap = false;
	for (size_t at = 0; at < r.size();) {
		size_t end = r.find('\n', at);
		std::string_view line = r.substr(at, (end == std::string_view::npos ? r.size() : end) - at);
		at = end == std::string_view::npos ? r.size() : end + 1;
		if (line.rfind("bssid=", 0) == 0) {
			bssid = MacAddr::parse(line.substr(6));
		} else if (line.rfind("key_mgmt=", 0) == 0) {
			// "key_mgmt=WPA-EAP FT-EAP ": space-separated, with a trailing space.
			std::string_view list = line.substr(9);
			for (size_t i = 0; i < list.size();) {
				size_t sp = list.find(' ', i);
				std::string_view word = list.substr(i, (sp == std::string_view::npos ? list.size() : sp) - i);
				eap = eap || word == "WPA-EAP";
				i = sp == std::string_view::npos ? list.size() : sp + 1;
			}
		}
	}
	if (!bssid) {
		why = "GET_CONFIG reply names no valid bssid";
		return std::nullopt;
	}
	return BssConfig{*bssid, eap};
}

} // namespace roamnat
