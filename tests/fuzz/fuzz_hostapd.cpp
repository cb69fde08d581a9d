// libFuzzer target: hostapd control-interface datagrams (events, station
// records, GET_CONFIG replies) as they reach roamd. Nothing may crash; what parses must be
// consistent with what it was parsed from.
#include "../../userd/hostapd_messages.hpp"

#include <cstdlib>

using namespace roamnat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view d(reinterpret_cast<const char *>(data), size);
	std::string why;
	if (auto ev = parse_hostapd_event(d, why)) {
		bool station_event = ev->kind == HostapdEvent::Kind::sta_connected ||
				     ev->kind == HostapdEvent::Kind::sta_disconnected;
		if (station_event != ev->station.has_value() || !is_hostapd_event(d))
			abort();
		if (ev->station && MacAddr::parse(ev->station->str()) != ev->station)
			abort();
	} else if (why.empty()) {
		abort(); // a refusal always says why
	}
	why.clear();
	if (auto sta = parse_station_record(d, why)) {
		if (d.substr(0, 17) != sta->mac.str() && MacAddr::parse(d.substr(0, 17)) != sta->mac)
			abort();
	}
	why.clear();
	if (!parse_bss_config(d, why) && why.empty())
		abort();
	return 0;
}
