// Revocation (spec Figs. 14-15): one user is cut off without touching
// anyone else. The coordinator withdraws the user's keys from its table and
// from every AP, which also disconnects the user's stations where they
// are, ends their connections and, for a revocation, refuses the user's
// next authentications until it is reinstated.
#include "../common/log.hpp"
#include "coordinator.hpp"

namespace roamnat {

using proto::Message;
using proto::MsgType;
using proto::Status;
using proto::UserAction;

namespace {
// How long the APs have to confirm a withdrawal before the requester is
// answered with the ones that did not.
constexpr Millis kConfirmWithin{3000};

// A withdrawn key without a known expiry is kept this long: hostapd's
// default PMK lifetime.
constexpr auto kDefaultWithdrawal = std::chrono::hours(12);

using MsClock = std::chrono::steady_clock;

} // namespace

void Coordinator::on_user_action(Session &s, const Message &m)
{
	if (!opts_.operators.count(s.conn->peer_name())) {
		count("refused_operator");
		Message ack;
		ack.type = MsgType::user_action_ack;
		ack.request_id = m.request_id;
		ack.status = Status::unauthorized;
		ack.text = "'" + s.conn->peer_name() + "' is not in this coordinator's operators list";
		log_warn("audit: ", proto::user_action_name(*m.action), " of user ", *m.user, " by ",
			 s.conn->peer_name(), " refused: not an operator");
		s.conn->send(ack);
		return;
	}
	if (m.user->empty()) {
		s.conn->fail(Status::bad_message, "user_action names no user");
		return;
	}
	std::optional<Revocations::Clock::time_point> until;
	if (m.lifetime)
		until = Revocations::Clock::now() + std::chrono::seconds(*m.lifetime);
	user_action(*m.action, *m.user, until, "operator " + s.conn->peer_name(), s.conn.get(), m.request_id, {});
}

void Coordinator::user_action(UserAction action, const std::string &user,
			      std::optional<Revocations::Clock::time_point> until, const std::string &by,
			      FramedConn *requester, uint32_t request_id, std::function<void(const Withdrawal &)> done)
{
	Withdrawal w;
	w.requester = requester;
	w.request_id = request_id;
	w.user = user;
	w.action = action;
	w.by = by;
	w.done = std::move(done);
	w.started = MsClock::now();
	if (action == UserAction::reinstate) {
		bool was = revocations_.reinstate(user);
		count("users_reinstated", was);
		if (was)
			save_state();
		log_info("audit: user ", user, was ? " reinstated" : " was not revoked; nothing to reinstate", " by ", by);
		finish_withdrawal(w);
		return;
	}
	if (action == UserAction::revoke) {
		revocations_.revoke(user, until);
		count("users_revoked");
		save_state();
	} else {
		count("users_disconnected");
	}
	std::string note = action == UserAction::revoke ? (until ? " for a while" : " until reinstated") : "";
	w.by += note;
	withdraw(std::move(w), stations_of(user));
}

std::set<MacAddr> Coordinator::stations_of(const std::string &user) const
{
	std::set<MacAddr> macs;
	users_.for_each([&](const proto::UserRecord &r) {
		if (r.user == user)
			macs.insert(r.mac);
	});
	keys_.for_each([&](const KeyTable::Key &k) {
		if (k.user == user)
			macs.insert(k.mac);
	});
	return macs;
}

// Withdraws the stations' keys here and at every AP, and ends their
// connections; finish_withdrawal runs once every AP confirmed or the
// deadline passed.
void Coordinator::withdraw(Withdrawal w, const std::set<MacAddr> &macs)
{
	for (const MacAddr &mac : macs) {
		auto key_until = MsClock::now() + kDefaultWithdrawal;
		if (const KeyTable::Key *k = keys_.find(mac)) {
			key_until = k->expires;
			keys_.remove(mac);
			++w.keys;
		}
		authorizations_.forget(mac);
		revocations_.withdraw(mac, {w.user, key_until});
		if (auto addr = stations_.find(mac)) {
			for (const FlowKey &flow : table_.flows_of_client(*addr)) {
				remove_connection(ConnRecord(*table_.find(flow)),
						  "user " + w.user + " " + proto::user_action_done(w.action));
				++w.connections;
			}
		}
	}
	w.stations = macs.size();
	count("keys_withdrawn", w.keys);
	if (!macs.empty())
		save_state();
	uint32_t id = next_withdrawal_++;
	std::string told;
	for (auto &[name, conn] : agents_) {
		Session &agent = sessions_.at(conn);
		if (!agent.takes_keys)
			continue;
		for (const MacAddr &mac : macs) {
			send_station_revoke(agent, mac, w.user, id, w.by);
			++w.waiting[name];
		}
		if (!macs.empty())
			told += " " + name;
	}
	std::string list;
	for (const MacAddr &mac : macs)
		list += " " + mac.str();
	log_info("audit: user ", w.user, " ", proto::user_action_done(w.action), " by ", w.by, ": ", macs.size(),
		 " station(s)", list.empty() ? "" : ":" + list, ", ", w.keys, " key(s) withdrawn, ", w.connections,
		 " connection(s) ended; APs told:", told.empty() ? " none" : told);
	if (w.waiting.empty()) {
		finish_withdrawal(w);
		return;
	}
	w.timer = loop_.after(kConfirmWithin, [this, id] {
		auto it = withdrawals_.find(id);
		if (it == withdrawals_.end())
			return;
		it->second.timer = 0;
		Withdrawal done = std::move(it->second);
		withdrawals_.erase(it);
		finish_withdrawal(done);
	});
	withdrawals_.emplace(id, std::move(w));
}

// RFC 5176: a RADIUS Disconnect-Request names a user (all its stations) or
// a station (Calling-Station-Id, with the user when both are given). It is
// a disconnection: the next authentication is the RADIUS server's call.
void Coordinator::on_das_disconnect(const DasServer::Request &r, DasServer::Answer answer)
{
	std::string user = r.user;
	std::set<MacAddr> macs;
	if (r.station) {
		std::string bound;
		if (auto rec = users_.find(*r.station))
			bound = rec->user;
		else if (const KeyTable::Key *k = keys_.find(*r.station))
			bound = k->user;
		if (!bound.empty() && (user.empty() || user == bound)) {
			user = bound;
			macs.insert(*r.station);
		}
	} else {
		macs = stations_of(user);
	}
	std::string what = (r.user.empty() ? "" : "user " + r.user) + (r.station && !r.user.empty() ? ", " : "") +
			   (r.station ? "station " + r.station->str() : "");
	if (macs.empty()) {
		count("das_unknown");
		log_warn("audit: RADIUS Disconnect-Request from ", r.from, " for ", what,
			 ": no such session (Disconnect-NAK 503)");
		answer(radius::error_cause::session_context_not_found);
		return;
	}
	count("users_disconnected");
	Withdrawal w;
	w.user = user;
	w.action = UserAction::disconnect;
	w.by = "RADIUS Disconnect-Request from " + r.from + " (" + what + ")";
	w.started = MsClock::now();
	w.done = [answer = std::move(answer)](const Withdrawal &) { answer(0); };
	withdraw(std::move(w), macs);
}

void Coordinator::send_station_revoke(Session &agent, const MacAddr &mac, const std::string &user, uint32_t id,
				      const std::string &why)
{
	Message m;
	m.type = MsgType::station_revoke;
	m.request_id = id;
	m.mac = mac;
	m.user = user;
	m.text = why;
	agent.conn->send(m);
	count("station_revokes_sent");
}

void Coordinator::on_station_revoke_ack(Session &s, const Message &m)
{
	auto it = withdrawals_.find(m.request_id);
	if (it == withdrawals_.end())
		return; // the answer came after the deadline, or to a replay on connect
	Withdrawal &w = it->second;
	auto agent = w.waiting.find(s.agent);
	if (agent == w.waiting.end())
		return;
	if (*m.status != Status::ok)
		w.failed.insert(s.agent);
	if (--agent->second == 0) {
		w.waiting.erase(agent);
		w.confirmed.insert(s.agent);
	}
	if (!w.waiting.empty())
		return;
	Withdrawal done = std::move(w);
	withdrawals_.erase(it);
	loop_.cancel(done.timer);
	finish_withdrawal(done);
}

void Coordinator::finish_withdrawal(const Withdrawal &w)
{
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(MsClock::now() - w.started).count();
	std::string late, failed;
	for (const auto &[name, n] : w.waiting)
		late += " " + name;
	for (const auto &name : w.failed)
		failed += " " + name;
	std::string text;
	if (w.action == UserAction::reinstate) {
		text = "user " + w.user + " reinstated";
		if (!state_error_.empty())
			text += "; NOT saved to the state_file (" + state_error_ + "): a restart of roamcoord revokes again";
	} else {
		text = "user " + w.user + " " + proto::user_action_done(w.action) + ": " + std::to_string(w.stations) +
		       " station(s), " + std::to_string(w.keys) + " key(s) withdrawn, " +
		       std::to_string(w.connections) + " connection(s) ended; " + std::to_string(w.confirmed.size()) +
		       " AP(s) confirmed in " + std::to_string(ms) + " ms";
		if (!late.empty())
			text += "; not confirmed by:" + late + " (told again when they reconnect)";
		if (!failed.empty())
			text += "; hostapd refused at:" + failed;
		if (!state_error_.empty())
			text += "; NOT saved to the state_file (" + state_error_ + "): a restart of roamcoord forgets it";
		if (late.empty() && failed.empty() && state_error_.empty())
			log_info("audit: ", text);
		else
			log_warn("audit: ", text);
	}
	count("withdrawals_unconfirmed", w.waiting.size());
	if (w.done)
		w.done(w);
	if (!w.requester || !sessions_.count(w.requester))
		return;
	Message ack;
	ack.type = MsgType::user_action_ack;
	ack.request_id = w.request_id;
	ack.status = Status::ok;
	ack.count = uint32_t(w.stations);
	ack.text = text;
	w.requester->send(ack);
}

// An AP that was unreachable when a key was withdrawn, or restarted since,
// may still hold it: it is told again as it connects.
void Coordinator::withdraw_keys_at(Session &agent)
{
	size_t n = 0;
	revocations_.for_each_withdrawn([&](const MacAddr &mac, const Revocations::Withdrawn &w) {
		send_station_revoke(agent, mac, w.user, 0, "withdrawn earlier");
		++n;
	});
	if (n)
		log_info("withdrew ", n, " station key(s) again at ", agent.agent, " as it connected");
}

} // namespace roamnat
