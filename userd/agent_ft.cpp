// 802.11r FT across subnets at the AP (docs/configuration.md, "ft_relay").
// The key holder frames this AP's hostapd sends (a PMK-R1 pull to the R0KH
// where a station first authenticated, that R0KH's response, a push) leave
// through the coordinator; frames for this AP's BSSIDs, or for all, come
// back in unchanged. hostapd authenticates and decrypts them itself.
#include "../common/log.hpp"
#include "agent.hpp"

namespace roamnat {

void Agent::ft_frame_out(std::span<const uint8_t> frame)
{
	if (!coord_.up()) {
		count("ft_frames_unsent");
		log_debug("802.11r frame from hostapd dropped: no coordinator session (hostapd retries its pull)");
		return;
	}
	count("ft_frames_sent");
	coord_.ft_frame(frame);
}

void Agent::ft_frame_in(const proto::Message &m)
{
	const proto::EtherFrame &f = *m.frame;
	MacAddr dst = f.dst(), src = f.src();
	bool ours = dst.group(), from_here = false;
	for (const auto &link : hostapd_) {
		ours = ours || link->bssid() == dst;
		from_here = from_here || link->bssid() == src;
	}
	std::string from = m.agent_id.value_or("another AP");
	if (!ft_.is_open() || !ours || from_here || !proto::is_ft_ethertype(f.ethertype())) {
		count("ft_frames_not_ours");
		log_debug("802.11r frame ", src.str(), " -> ", dst.str(), " from ", from, " is not for this AP; dropped");
		return;
	}
	std::string err;
	if (!ft_.deliver(f.bytes, err)) {
		count("ft_frames_undelivered");
		log_warn("802.11r frame from ", from, " not given to hostapd: ", err);
		return;
	}
	count("ft_frames_delivered");
	log_debug("802.11r frame ", src.str(), " -> ", dst.str(), " from ", from, " given to hostapd");
}

} // namespace roamnat
