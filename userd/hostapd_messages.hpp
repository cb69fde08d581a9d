// What hostapd says on its control interface (hostapd/ctrl_iface.c), parsed
// with every length checked: unsolicited events ("<level>AP-STA-CONNECTED
// 02:00:00:00:01:00 ...") and the station records STA-FIRST / STA-NEXT
// return. The socket itself is hostapd_link.cpp.
#pragma once

#include "../common/mac_addr.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roamnat {

// hostapd limits a control-interface reply or event to 4 KiB; anything
// longer is not hostapd's.
inline constexpr size_t kHostapdMaxMessage = 4096;

struct HostapdEvent {
	enum class Kind {
		sta_connected,    // AP-STA-CONNECTED: associated and authorized (WPA done)
		sta_disconnected, // AP-STA-DISCONNECTED: disassociated, deauthenticated or timed out
		terminating,      // CTRL-EVENT-TERMINATING: hostapd is exiting
		disabled,         // AP-DISABLED: the BSS stopped; its stations are gone
		other,            // any other event: not ours to act on
	} kind = Kind::other;
	std::optional<MacAddr> station; // the two AP-STA-* kinds
	std::string name;               // the event's name, for logs
};

// true when the datagram is an event ("<N>..."), not a reply to a request.
bool is_hostapd_event(std::string_view datagram);

// nullopt with why set: not an event, too long, not printable, an AP-STA-*
// event without a valid station address.
std::optional<HostapdEvent> parse_hostapd_event(std::string_view datagram, std::string &why);

// RADIUS limits User-Name to 253 bytes (RFC 2865 5.1); hostapd copies it.
inline constexpr size_t kMaxUserName = 253;

// One station as STA-FIRST, STA-NEXT or STA <mac> describe it: the address
// on the first line, then key=value lines, flags=[AUTH][ASSOC][AUTHORIZED]...
struct StationRecord {
	MacAddr mac;
	bool authorized = false; // only an authorized station has a link to carry data
	// 802.1X only (ieee802_1x_get_mib_sta): dot1xAuthSessionUserName, which
	// hostapd replaces with the User-Name of the Access-Accept, so the inner
	// identity of PEAP or TTLS when the RADIUS server returns it; and the
	// method of last_eap_type_as ("25 (PEAP)" -> "PEAP"). Both empty when
	// that type is 0: the station came in on a PMKSA that carries no
	// identity (hostapd then names the user "N/A").
	std::string user;
	std::string eap_method;
	// dot1xAuthEapolRespIdFramesRx: the EAP-Response/Identity frames of the
	// station's 802.1X machine so far, which outlives a reassociation. When
	// it has not grown since an EAP exchange, the station came back on
	// hostapd's own PMKSA cache, and user is the cached identity, which
	// hostapd (2.10: pmksa_cache_to_eapol_data copies it without its NUL)
	// prints with whatever heap bytes follow it. Never trust it alone.
	std::optional<uint32_t> identity_responses;
	// AKMSuiteSelector 00-0f-ac-3 or -13: an 802.11r (FT over 802.1X)
	// association. At an AP other than the one of its EAP exchange, its
	// key came from that AP's R0KH, and no EAP ran here.
	bool ft = false;
	bool rsn = false; // an AKMSuiteSelector at all: a WPA2/WPA3 association
	// hostapd's own EAP server ran the exchange (its authentication server
	// type 0, the station's not): such exchanges count no identity
	// responses, and the identity is printed right (eap_get_identity).
	bool own_eap_server = false;
};

// The end of the list is an empty reply: nullopt and why empty. A reply
// that is not a station record: nullopt and why set.
std::optional<StationRecord> parse_station_record(std::string_view reply, std::string &why);

// What GET_CONFIG says of the BSS: its address (the AA of every PMKID a
// station sends it) and whether it authenticates by 802.1X with SHA-1
// keys (key_mgmt WPA-EAP, AKM 1), the AKM whose PMKSA roamd can install.
struct BssConfig {
	MacAddr bssid;
	bool wpa_eap = false;
};
std::optional<BssConfig> parse_bss_config(std::string_view reply, std::string &why);

} // namespace roamnat
