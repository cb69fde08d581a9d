// Fig. 14's lookup table of link session keys and Fig. 15 1500: the key a
// station's 802.1X authentication produced goes to every other AP before
// the station gets there, so it reassociates without a new EAP exchange.
#include "../common/log.hpp"
#include "coordinator.hpp"

namespace roamnat {

using proto::Message;
using proto::MsgType;
using proto::Status;

namespace {
// hostapd's own default PMK lifetime (dot11RSNAConfigPMKLifetime) is 12 h;
// anything a RADIUS Session-Timeout may sensibly say fits in a week.
constexpr uint32_t kMaxKeyLifetime = 7 * 24 * 3600;
} // namespace

void Coordinator::on_station_key(Session &s, const Message &m)
{
	Message ack;
	ack.type = MsgType::station_key_ack;
	ack.request_id = m.request_id;
	if (m.user->empty() || *m.lifetime == 0 || *m.lifetime > kMaxKeyLifetime) {
		count("refused_station_key");
		ack.status = Status::bad_message;
		ack.text = m.user->empty() ? "station_key names no user"
					   : "lifetime " + std::to_string(*m.lifetime) + " s outside 1.." +
						     std::to_string(kMaxKeyLifetime);
		log_warn(s.conn->label(), ": station_key for ", m.mac->str(), " refused: ", *ack.text);
		s.conn->send(ack);
		return;
	}
	if (revocations_.revoked(*m.user)) {
		count("refused_revoked");
		ack.status = Status::unauthorized;
		ack.text = "user " + *m.user + " is revoked";
		log_warn("audit: key of station ", m.mac->str(), " (user=", *m.user, ") from ", s.conn->peer_name(),
			 " refused: the user is revoked");
		s.conn->send(ack);
		return;
	}
	if (revocations_.forget(*m.mac))
		save_state();
	keys_.put({*m.mac, *m.user, m.agent_id.value_or(""), *m.pmk,
		   KeyTable::Clock::now() + std::chrono::seconds(*m.lifetime)});
	count("keys_received");
	std::string authorized;
	keep_authorization(m, authorized);
	uint32_t pushed = 0;
	std::string to;
	const KeyTable::Key *key = keys_.find(*m.mac);
	for (auto &[name, conn] : agents_) {
		if (push_key(sessions_.at(conn), *key)) {
			++pushed;
			to += " " + name;
		}
	}
	log_info("audit: key of station ", m.mac->str(), " (user=", *m.user, ") from ", s.conn->peer_name(),
		 m.agent_id ? ", authenticated at " + *m.agent_id : std::string(), ": handed to ", pushed, " AP(s)",
		 pushed ? ":" + to : std::string(), "; usable for ", *m.lifetime, " s", authorized);
	ack.status = Status::ok;
	ack.count = pushed;
	s.conn->send(ack);
}

// The AP that authenticated the station holds the key already (with the
// identity hostapd keeps beside it): it is not sent again.
bool Coordinator::push_key(Session &agent, const KeyTable::Key &key)
{
	if (!agent.takes_keys || agent.agent == key.source_agent)
		return false;
	uint32_t left = KeyTable::seconds_left(key);
	if (!left)
		return false;
	Message push;
	push.type = MsgType::key_push;
	push.mac = key.mac;
	push.user = key.user;
	push.pmk = key.pmk;
	push.lifetime = left;
	agent.conn->send(push);
	count("key_pushes");
	return true;
}

// An AP that (re)connects gets every key still usable.
void Coordinator::push_keys_to(Session &agent)
{
	size_t n = 0;
	keys_.for_each([&](const KeyTable::Key &k) { n += push_key(agent, k); });
	if (n)
		log_info("handed ", n, " station key(s) to ", agent.agent, " as it connected");
}

} // namespace roamnat
