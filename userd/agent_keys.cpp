// Fig. 15 1500 at the AP: the coordinator hands this AP the PMK of a
// station that authenticated elsewhere; roamd gives it to each of its
// WPA-EAP BSSes under the PMKID the station will name there, so the
// station's reassociation skips EAP and goes straight to the 4-way
// handshake. The key stays (locked, wiped on expiry) to be installed again
// when hostapd restarts.
#include "../common/log.hpp"
#include "agent.hpp"

namespace roamnat {

void Agent::key_received(const proto::Message &m)
{
	count("keys_received");
	withdrawn_.take(*m.mac); // authenticated again, by EAP
	keys_.put({*m.mac, *m.user, {}, *m.pmk, KeyTable::Clock::now() + std::chrono::seconds(*m.lifetime)});
	const KeyTable::Key *key = keys_.find(*m.mac);
	for (auto &link : hostapd_)
		install_key(*link, *key);
}

void Agent::install_keys(HostapdLink &link)
{
	keys_.for_each([&](const KeyTable::Key &k) { install_key(link, k); });
}

void Agent::install_key(HostapdLink &link, const KeyTable::Key &key)
{
	uint32_t left = KeyTable::seconds_left(key);
	if (!link.attached() || !link.wpa_eap() || !left)
		return; // installed when it attaches; a PSK BSS has no use for it
	std::string bss = link.ctrl_path().substr(link.ctrl_path().rfind('/') + 1);
	link.add_pmksa(key.mac, key.pmk, left, [this, mac = key.mac, user = key.user, bss, left](bool ok) {
		if (ok) {
			count("pmksa_installed");
			log_info("audit: key of station ", mac.str(), " (user=", user, ") installed in BSS ", bss,
				 " for ", left, " s: it may reassociate here without EAP");
		} else {
			count("pmksa_refused");
			log_warn("hostapd ", bss, " refused station ", mac.str(), "'s key (PMKSA_ADD): it will need a full ",
				 "EAP authentication here");
		}
	});
}

// Revocation at the AP: the coordinator withdraws a station's key (its user
// was revoked or disconnected). The key is wiped here, replaced in every
// BSS, and the station deauthenticated wherever it is associated, so it
// can neither stay nor come back without a new EAP authentication, which
// the coordinator refuses for a revoked user.
void Agent::station_revoked(const proto::Message &m)
{
	struct Progress {
		size_t links_left;
		bool ok = true;
		uint32_t deauthenticated = 0;
	};
	count("station_revokes");
	withdraw_policy(*m.mac, "withdrawn by the coordinator");
	bool had_key = keys_.remove(*m.mac);
	eap_identities_.forget(*m.mac);
	withdrawn_.put(*m.mac, *m.user);
	auto progress = std::make_shared<Progress>(Progress{hostapd_.size()});
	auto finish = [this, progress, mac = *m.mac, user = *m.user, id = m.request_id, why = m.text.value_or(""),
		       had_key] {
		count("stations_deauthenticated", progress->deauthenticated);
		if (!progress->ok)
			count("withdrawals_refused");
		log_info("audit: station ", mac.str(), " (user=", user, ") withdrawn here", why.empty() ? "" : " (" + why + ")",
			 ": ", had_key ? "its key wiped, " : "", "PMKSA replaced in ", hostapd_.size(), " BSS(es)",
			 progress->ok ? "" : " (hostapd refused some)", ", deauthenticated at ",
			 progress->deauthenticated);
		if (id)
			coord_.station_revoke_ack(id, mac, progress->ok, progress->deauthenticated);
	};
	if (hostapd_.empty()) {
		finish();
		return;
	}
	for (auto &link : hostapd_) {
		link->withdraw_station(*m.mac, [progress, finish](bool ok, bool deauthenticated) {
			progress->ok = progress->ok && ok;
			progress->deauthenticated += deauthenticated;
			if (--progress->links_left == 0)
				finish();
		});
	}
}

// hostapd 2.10 has no command that drops a PMK-R0 or PMK-R1: a withdrawn
// station can still complete an FT reassociation on one. It gets no user
// here (its key is gone), and is deauthenticated at once.
void Agent::turn_away_withdrawn(const MacAddr &mac, const std::string &bss)
{
	const std::string *user = withdrawn_.find(mac);
	count("ft_withdrawn_deauthenticated");
	log_warn("audit: station ", mac.str(), " (user=", user ? *user : "?", ") came back by FT on ", bss,
		 " on a PMK-R1 hostapd cannot forget, after the coordinator withdrew it: deauthenticated");
	for (auto &link : hostapd_)
		link->withdraw_station(mac, [](bool, bool) {});
}

} // namespace roamnat
