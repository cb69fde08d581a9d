// 802.11r across subnets. hostapd's key holders (the R0KH where a station
// first authenticated, the R1KH of the AP it moves to) exchange PMK-R1
// pull, response and push frames at layer 2, which stop at each AP's router.
// Each AP's roamd hands them here over its TLS session, and they go on to
// the AP of the destination BSSID, or to every relaying AP while that is
// not known yet or is a broadcast (a pull to the wildcard R0KH). hostapd
// protects the frames with the key holders' shared key (AES-SIV, the source
// address authenticated too): the coordinator routes them, it can neither
// read nor forge them (docs/protocol.md, "ft_frame").
#include "../common/log.hpp"
#include "coordinator.hpp"

#include <cstdio>

namespace roamnat {


using proto::Message;
using proto::MsgType;
using proto::Status;

void Coordinator::on_ft_frame(Session &s, const Message &m)
{
	if (!s.relays_ft) {
		count("refused_ft_frame");
		s.conn->fail(Status::unauthorized, "ft_frame from an agent that did not offer to relay 802.11r frames");
		return;
	}
	const proto::EtherFrame &f = *m.frame;
	MacAddr src = f.src(), dst = f.dst();
	if (!proto::is_ft_ethertype(f.ethertype()) || src.group()) {
		count("ft_frames_refused");
		char type[8];
		snprintf(type, sizeof type, "0x%04x", f.ethertype());
		log_warn("agent ", s.agent, " sent a frame of ethertype ", type, " from ", src.str(),
			 ": not an 802.11r key holders' frame; dropped");
		return;
	}
	std::string owner;
	switch (key_holders_.learn(src, s.agent, &owner)) {
	case KeyHolders::Learnt::claimed_by_other:
		count("ft_frames_refused");
		log_warn("agent ", s.agent, " sent an 802.11r frame from ", src.str(), ", which agent ", owner,
			 " sends from; dropped");
		return;
	case KeyHolders::Learnt::added:
		log_info("802.11r key holder ", src.str(), " is at agent ", s.agent);
		break;
	case KeyHolders::Learnt::full:
		count("ft_key_holders_full");
		break;
	case KeyHolders::Learnt::known:
		break;
	}
	Message out;
	out.type = MsgType::ft_frame;
	out.frame = f;
	out.agent_id = s.agent;
	if (!dst.group()) {
		if (auto at = key_holders_.find(dst)) {
			auto it = agents_.find(*at);
			if (*at != s.agent && it != agents_.end() && sessions_.at(it->second).relays_ft) {
				it->second->send(out);
				count("ft_frames_relayed");
				log_debug("802.11r frame ", src.str(), " -> ", dst.str(), ": ", s.agent, " -> ", *at);
				return;
			}
		}
	}
	uint32_t told = 0;
	for (auto &[conn, peer] : sessions_) {
		if (peer.hello && peer.role == proto::Role::agent && peer.relays_ft && peer.agent != s.agent) {
			conn->send(out);
			++told;
		}
	}
	count("ft_frames_flooded");
	log_debug("802.11r frame ", src.str(), " -> ", dst.str(), " from ", s.agent, ": to all ", told, " other AP(s)");
}

// roamctl ft-config: what each AP's hostapd needs to be a key holder of
// the mobility domain. Operators only: the key lets its holder pose as any
// of the domain's APs to the others.
void Coordinator::on_ft_config(Session &s, const Message &m)
{
	Message r;
	r.type = MsgType::ft_config_reply;
	r.request_id = m.request_id;
	const std::string &who = s.conn->peer_name();
	if (s.role != proto::Role::ctl || !opts_.operators.count(who)) {
		count("refused_operator");
		r.status = Status::unauthorized;
		r.text = "'" + who + "' is not in this coordinator's operators list";
		log_warn("audit: 802.11r key holders' key asked by ", who, ": refused, not an operator");
	} else if (!opts_.ft) {
		r.status = Status::not_found;
		r.text = "this coordinator has no 802.11r mobility domain (ft_mobility_domain)";
	} else {
		r.status = Status::ok;
		r.mobility_domain = opts_.ft->mobility_domain;
		r.ft_key = opts_.ft->key;
		count("ft_configs_given");
		log_info("audit: 802.11r key holders' key of mobility domain ", mdid_text(opts_.ft->mobility_domain),
			 " given to operator ", who);
	}
	s.conn->send(r);
}

} // namespace roamnat
