#include "coordinator.hpp"

#include "../common/log.hpp"
#include "../common/socket_util.hpp"

#include <chrono>
#include <sys/epoll.h>

namespace roamnat {

using proto::Message;
using proto::MsgType;
using proto::Status;

namespace {
Message reply(MsgType type, const Message &req, Status status)
{
	Message r;
	r.type = type;
	r.request_id = req.request_id;
	r.status = status;
	return r;
}

void fill_conn(Message &m, const ConnRecord &c)
{
	m.proto = c.flow.proto;
	m.client = c.flow.client;
	m.server = c.flow.server;
	m.masq = c.masq;
	m.ham_agent = c.ham_agent;
	m.generation = c.generation;
}
} // namespace

Coordinator::Coordinator(EventLoop &loop, CoordinatorOptions opts, std::unique_ptr<TlsContext> tls)
	: loop_(loop), opts_(std::move(opts)), tls_(std::move(tls)),
	  keys_(loop, opts_.max_keys, [this](size_t n) {
		  count("keys_expired", n);
		  log_debug(n, " station key(s) expired and were wiped");
	  }),
	  authorizations_(opts_.max_keys), revocations_(opts_.max_keys)
{
	last_sweep_ = loop_.now();
	sweep_ = loop_.after(opts_.keepalive / 2, [this] { check_liveness(); });
}

Coordinator::~Coordinator()
{
	loop_.cancel(sweep_);
}

bool Coordinator::start(std::string &error)
{
	if (!load_state(error))
		return false;
	listener_ = tcp_listen(opts_.listen, error);
	if (!listener_)
		return false;
	loop_.add(listener_.get(), EPOLLIN, [this](uint32_t) { accept_ready(); });
	log_info("listening on ", opts_.listen.str(), ", FAM push ", opts_.push_fam_updates ? "on" : "off");
	if (opts_.das) {
		das_ = std::make_unique<DasServer>(loop_, *opts_.das, [this](const DasServer::Request &r,
									       DasServer::Answer a) {
			on_das_disconnect(r, std::move(a));
		});
		if (!das_->start(error))
			return false;
	}
	return true;
}

// An agent that sends keepalives and then says nothing for dead_after has
// failed (powered off, cut off, hung): its session is closed, so that it is
// no longer counted as connected and pushes to it stop. dead_after spans
// several keepalives, so one late frame fails nobody; and a sweep that runs
// late means this coordinator was stalled, not its agents: nobody is
// declared failed then, and the time it lost is not counted as anybody's
// silence (only the lost time: an agent silent before the stall stays so).
void Coordinator::check_liveness()
{
	auto now = loop_.now();
	auto lost = now - last_sweep_ - opts_.keepalive / 2;
	bool stalled = now - last_sweep_ > opts_.keepalive;
	last_sweep_ = now;
	sweep_ = loop_.after(opts_.keepalive / 2, [this] { check_liveness(); });
	for (auto &[conn, s] : sessions_) {
		if (!s.hello || !s.keepalive || !conn->is_open())
			continue;
		if (stalled) {
			s.heard = std::min(now, s.heard + lost);
			continue;
		}
		auto silent = std::chrono::duration_cast<Millis>(now - s.heard);
		if (silent <= opts_.dead_after)
			continue;
		count("agents_failed");
		log_warn("agent ", s.agent, " failed: nothing heard for ", silent.count(), " ms (dead_after ",
			 opts_.dead_after.count(), " ms); its session is closed, its records stay for its return");
		conn->close("silent for " + std::to_string(silent.count()) + " ms");
	}
	if (stalled) // nor as an absent agent's absence
		for (auto &[agent, since] : absent_since_)
			since = std::min(now, since + lost);
	else
		check_failover();
}

void Coordinator::accept_ready()
{
	for (;;) {
		UniqueFd fd = tcp_accept(listener_.get());
		if (!fd)
			return;
		auto ssl = tls_->new_session(fd.get());
		if (!ssl) {
			log_error("cannot create TLS session: ", tls_error_text());
			continue;
		}
		serve(std::make_unique<FramedConn>(loop_, std::move(fd), std::move(ssl), "peer"));
	}
}

void Coordinator::adopt(UniqueFd fd, const std::string &identity)
{
	auto conn = std::make_unique<FramedConn>(loop_, std::move(fd), nullptr, "peer");
	conn->set_peer_name(identity);
	serve(std::move(conn));
}

void Coordinator::serve(std::unique_ptr<FramedConn> conn)
{
	FramedConn *key = conn.get();
	conn->on_message([this](FramedConn &c, Message &&m) { dispatch(sessions_.at(&c), std::move(m)); });
	conn->on_close([this](FramedConn &c, const std::string &reason) {
		auto it = sessions_.find(&c);
		if (it == sessions_.end())
			return;
		Session &s = it->second;
		if (reason == "closed after error")
			count("sessions_refused");
		else if (reason.rfind("TLS handshake failed", 0) == 0 || reason.rfind("peer presented no", 0) == 0)
			count("tls_refused");
		if (s.role == proto::Role::ctl)
			log_debug(c.label(), " disconnected: ", reason);
		else
			log_info(c.label(), " disconnected: ", reason);
		if (s.hello && s.role == proto::Role::agent) {
			auto a = agents_.find(s.agent);
			if (a != agents_.end() && a->second == &c) {
				agents_.erase(a);
				key_holders_.forget_agent(s.agent);
				absent_since_[s.agent] = s.heard; // failover counts from its last word
			}
		}
		std::erase_if(designations_, [&](const auto &d) { return d.second.requester == &c; });
		for (auto &[id, w] : withdrawals_)
			if (w.requester == &c)
				w.requester = nullptr;
		sessions_.erase(it);
	});
	Session s;
	s.conn = std::move(conn);
	sessions_.emplace(key, std::move(s));
	key->start();
}

void Coordinator::dispatch(Session &s, Message &&m)
{
	++s.requests;
	++received_[uint8_t(m.type)];
	s.heard = loop_.now();
	if (!s.hello && m.type != MsgType::hello) {
		count("refused_out_of_order");
		s.conn->fail(Status::bad_message, std::string("expected hello, got ") + proto::msg_type_name(m.type));
		return;
	}
	if (s.hello && s.role == proto::Role::ctl && m.type != MsgType::dump_request &&
	    m.type != MsgType::user_action && m.type != MsgType::policy_request &&
	    m.type != MsgType::ft_config_request) {
		count("refused_ctl");
		s.conn->fail(Status::unauthorized,
			     "a control session may only dump, ask for policies and 802.11r settings and act on users");
		return;
	}
	// Keys come from the key sources alone, and they send nothing else.
	if (s.hello && (s.role == proto::Role::key_source) != (m.type == MsgType::station_key)) {
		count("refused_key_source");
		s.conn->fail(Status::unauthorized, s.role == proto::Role::key_source
							   ? "a key source may only send station_key"
							   : "only a key source may send station_key");
		return;
	}
	switch (m.type) {
	case MsgType::hello:
		if (s.hello) {
			s.conn->fail(Status::bad_message, "hello repeated");
			return;
		}
		on_hello(s, m);
		return;
	case MsgType::fam_request: on_fam_request(s, m); return;
	case MsgType::ham_register: on_ham_register(s, m); return;
	case MsgType::fam_query: on_fam_query(s, m); return;
	case MsgType::client_departed: on_client_departed(s, m); return;
	case MsgType::client_arrived: on_client_arrived(s, m); return;
	case MsgType::station_auth: on_station_auth(s, m); return;
	case MsgType::station_key: on_station_key(s, m); return;
	case MsgType::station_revoke_ack: on_station_revoke_ack(s, m); return;
	case MsgType::conn_end: on_conn_end(s, m); return;
	case MsgType::ham_designate: on_ham_designate(s, m); return;
	case MsgType::dump_request: on_dump(s, m); return;
	case MsgType::user_action: on_user_action(s, m); return;
	case MsgType::policy_request: on_policy_request(s, m); return;
	case MsgType::ft_frame: on_ft_frame(s, m); return;
	case MsgType::ft_config_request: on_ft_config(s, m); return;
	case MsgType::keepalive: s.conn->send(reply(MsgType::keepalive_ack, m, Status::ok)); return;
	case MsgType::ham_takeover_ack: on_ham_takeover_ack(s, m); return;
	case MsgType::error:
		log_warn(s.conn->label(), " reported error: ", m.text.value_or("(no text)"));
		s.conn->close("peer reported an error");
		return;
	default:
		count("refused_unexpected");
		s.conn->fail(Status::bad_message,
			     std::string(proto::msg_type_name(m.type)) + " is not a request the coordinator takes");
	}
}

void Coordinator::on_hello(Session &s, const Message &m)
{
	const std::string &name = s.conn->peer_name();
	s.role = *m.role;
	if (s.role == proto::Role::agent) {
		if (!opts_.allowed_agents.empty() && !opts_.allowed_agents.count(name)) {
			count("refused_unknown_agent");
			s.conn->fail(Status::unauthorized, "agent '" + name + "' is not in this coordinator's agents list");
			return;
		}
		if (auto why = lease_refusal(name, m); !why.empty()) {
			count("refused_masq_conflict");
			log_warn("agent ", name, " refused: ", why);
			s.conn->fail(Status::conflict, why);
			return;
		}
		if (auto old = agents_.find(name); old != agents_.end() && old->second != s.conn.get()) {
			// Two agents presenting one name (a cloned AP, roamd started
			// twice): the one whose session is alive keeps it, rather than
			// the two replacing each other, each time forgetting the other's
			// records. Alive: it sends keepalives and has not been silent for
			// dead_after (it is not failed); a session left half-open by a
			// reboot or a cut is replaced once it has been silent that long.
			auto was_it = sessions_.find(old->second);
			const Session *was = was_it == sessions_.end() ? nullptr : &was_it->second;
			auto silent = was ? loop_.now() - was->heard : Clock::duration::max();
			bool alive = was && was->keepalive && silent <= opts_.dead_after;
			bool other = was && (was->addr != *m.agent_addr || instances_[name] != *m.instance);
			if (alive && other) {
				count("refused_duplicate_agent");
				log_warn("agent ", name, " from ", m.agent_addr->str(), " (instance ", *m.instance,
					 ") refused: an agent of that name is connected from ", was->addr.str(), " (instance ",
					 instances_[name], ") and alive; two APs share a certificate, or roamd runs twice");
				s.conn->fail(Status::conflict, "agent '" + name + "' is already connected from " +
								  was->addr.str() + " (another AP with this certificate?)");
				return;
			}
			log_warn("agent ", name, " reconnected; dropping its older session (silent for ",
				 was ? std::chrono::duration_cast<Millis>(silent).count() : 0, " ms)");
			old->second->close("replaced by a newer session of the same agent");
		}
		auto inst = instances_.find(name);
		if (inst != instances_.end() && inst->second != *m.instance) {
			// Back with empty tables: what it anchored on movable
			// addresses goes to another agent, the rest ends.
			if (!leases_of(name).empty())
				fail_over(name, true);
			forget_agent_state(name);
		}
		bool news = inst == instances_.end() || inst->second != *m.instance || known_agents_[name] != *m.agent_addr;
		instances_[name] = *m.instance;
		s.agent = name;
		s.addr = *m.agent_addr;
		s.takes_client_moved = m.has_flag(proto::kFlagClientMoved);
		s.takes_keys = m.has_flag(proto::kFlagKeys);
		s.relays_ft = m.has_flag(proto::kFlagFtRelay);
		s.keepalive = m.has_flag(proto::kFlagKeepalive);
		claim_leases(name, m);
		absent_since_.erase(name);
		agents_[name] = s.conn.get();
		known_agents_[name] = s.addr;
		if (news)
			save_state();
	}
	if (s.role == proto::Role::key_source && !opts_.key_sources.count(name)) {
		count("refused_key_source");
		s.conn->fail(Status::unauthorized, "'" + name + "' is not in this coordinator's key_sources list");
		return;
	}
	s.hello = true;
	s.conn->set_label((s.role == proto::Role::agent	       ? "agent "
			   : s.role == proto::Role::key_source ? "key source "
							       : "ctl ") +
			  name);
	if (s.role == proto::Role::agent)
		log_info(s.conn->label(), " connected from ", s.addr.str());
	else
		log_debug(s.conn->label(), " connected");
	Message ack = reply(MsgType::hello_ack, m, Status::ok);
	ack.flags = (opts_.push_fam_updates ? proto::kFlagPush : 0) | proto::kFlagStations | proto::kFlagUsers;
	if (s.role == proto::Role::agent) {
		*ack.flags |= proto::kFlagLeases; // fencing: it gives up any other
		ack.masq_addrs = leases_of(name);
	}
	if (s.keepalive) {
		ack.keepalive_ms = uint32_t(opts_.keepalive.count());
		ack.dead_after_ms = uint32_t(opts_.dead_after.count());
	}
	s.conn->send(ack);
	if (s.role == proto::Role::agent)
		resend_takeovers(name);
	if (s.takes_keys) {
		push_keys_to(s);
		withdraw_keys_at(s);
	}
}

// Figs. 10 and 11: a FAM asks to join an existing connection, or (combined
// flag) to become its HAM when the coordinator has never heard of it.
void Coordinator::on_fam_request(Session &s, const Message &m)
{
	FlowKey flow = *m.flow();
	const ConnRecord *conn = table_.add_fam(flow, {s.agent, *m.fam});
	if (conn) {
		Message r = reply(MsgType::fam_reply, m, Status::ok);
		fill_conn(r, *conn);
		s.conn->send(r);
		log_debug(s.agent, " is FAM of ", flow.str(), " at ", m.fam->str(), " (HAM ", conn->ham_agent, ")");
		push_fams(*conn);
		return;
	}
	if (!m.has_flag(proto::kFlagCombined)) {
		count("fam_rejected");
		s.conn->send(reply(MsgType::fam_reply, m, Status::rejected)); // Fig. 10 1070
		return;
	}
	// Fig. 11 1170: the FAM endpoint becomes the masquerade endpoint.
	if (const auto *lease = held_elsewhere(m.fam->addr, s.agent)) {
		count("refused_superseded");
		log_warn(s.agent, " asked to anchor ", flow.str(), " on ", m.fam->str(), ", but that address is held by ",
			 lease->holder, " (generation ", lease->generation, ")");
		s.conn->send(reply(MsgType::fam_reply, m, Status::conflict));
		return;
	}
	supersede_stale(s.agent, flow.proto, *m.fam, flow);
	ConnRecord c;
	c.flow = flow;
	c.masq = *m.fam;
	c.ham_agent = s.agent;
	if (auto lease = leases_.find(c.masq.addr); lease != leases_.end())
		c.generation = lease->second.generation;
	c.fams.push_back({s.agent, *m.fam});
	if (table_.add(c) == ConnectionTable::AddResult::conflict) {
		count("conflicts");
		s.conn->send(reply(MsgType::fam_reply, m, Status::conflict));
		return;
	}
	count("connections_created");
	Message r = reply(MsgType::fam_reply, m, Status::became_ham);
	fill_conn(r, c);
	s.conn->send(r);
	log_debug(s.agent, " became HAM of ", flow.str(), " as ", c.masq.str());
}

// Fig. 9 930: a HAM announces a connection it anchored; optionally with itself
// as the first FAM (the local fast path) so no second request is needed.
void Coordinator::on_ham_register(Session &s, const Message &m)
{
	ConnRecord c;
	c.flow = *m.flow();
	c.masq = *m.masq;
	c.ham_agent = s.agent;
	if (m.fam)
		c.fams.push_back({s.agent, *m.fam});
	// A HAM that lost its masquerade address (failover) registers nothing on it.
	if (const auto *lease = held_elsewhere(c.masq.addr, s.agent)) {
		count("refused_superseded");
		log_warn(s.agent, " registered ", c.flow.str(), " as ", c.masq.str(), ", but that address is held by ",
			 lease->holder, " (generation ", lease->generation, "): refused");
		Message r = reply(MsgType::register_reply, m, Status::conflict);
		r.text = "masquerade address " + c.masq.addr.str() + " is held by " + lease->holder;
		s.conn->send(r);
		return;
	}
	if (auto lease = leases_.find(c.masq.addr); lease != leases_.end())
		c.generation = lease->second.generation;
	supersede_stale(s.agent, c.flow.proto, c.masq, c.flow);
	auto result = table_.add(c);
	if (result == ConnectionTable::AddResult::conflict) {
		count("conflicts");
		log_warn(s.agent, " registered ", c.flow.str(), " as ", c.masq.str(), " but it is held by another record");
		s.conn->send(reply(MsgType::register_reply, m, Status::conflict));
		return;
	}
	if (result == ConnectionTable::AddResult::same && m.fam)
		table_.add_fam(c.flow, {s.agent, *m.fam});
	if (result == ConnectionTable::AddResult::added)
		count("connections_created");
	Message r = reply(MsgType::register_reply, m, Status::ok);
	fill_conn(r, *table_.find(c.flow));
	s.conn->send(r);
	if (auto d = designations_.find(c.flow); d != designations_.end()) {
		Message original;
		original.request_id = d->second.request_id;
		d->second.requester->send(reply(MsgType::ham_designate, original, Status::ok));
		designations_.erase(d);
	}
}

// Fig. 12: the HAM asks for the current FAMs of a masquerade endpoint.
void Coordinator::on_fam_query(Session &s, const Message &m)
{
	const ConnRecord *conn = table_.find_masq(*m.proto, *m.masq);
	if (!conn) {
		count("fam_query_not_found");
		s.conn->send(reply(MsgType::fam_list, m, Status::not_found)); // Fig. 12 1280
		return;
	}
	if (conn->flow.server != *m.server) {
		// Fig. 12 note: a delayed, replayed or forged packet.
		count("suspect_queries");
		log_warn("suspect: ", s.agent, " asked for ", m.masq->str(), " from server ", m.server->str(),
			 " but that masquerade endpoint belongs to ", conn->flow.str());
		s.conn->send(reply(MsgType::fam_list, m, Status::suspect));
		return;
	}
	Message r = reply(MsgType::fam_list, m, Status::ok);
	fill_conn(r, *conn);
	for (const auto &f : conn->fams)
		r.fams.push_back({f.agent, f.fam});
	s.conn->send(r);
}

// Fig. 13: the client left this FAM; the HAMs stop forwarding to it.
void Coordinator::on_client_departed(Session &s, const Message &m)
{
	auto flows = table_.remove_fams_of_client(*m.client_addr, s.agent);
	for (const auto &flow : flows)
		push_fams(*table_.find(flow), true); // Fig. 13 1340
	count("departures");
	Message r = reply(MsgType::departed_ack, m, Status::ok);
	r.count = uint32_t(flows.size());
	s.conn->send(r);
	log_debug(s.agent, ": client ", m.client_addr->str(), " departed, ", flows.size(), " connection(s) updated");
}

// The counterpart of Fig. 13: a client appeared at a FAM (a station event, or
// its first packet there). The FAM learns every connection the client has so
// it can register for all of them at once, including those on which only the
// server is sending (a download would otherwise wait for the client to speak).
//
// A station that associates with an AP it has never been to is named by its
// MAC alone: its address is the one it was given at the AP where it got its
// DHCP lease, which bound the two here.
void Coordinator::on_client_arrived(Session &s, const Message &m)
{
	count("arrivals");
	Message r = reply(MsgType::client_flows, m, Status::ok);
	std::optional<Address> client = m.client_addr;
	if (client && m.mac) {
		stations_.bind(*m.mac, *client);
	} else if (!client) {
		client = stations_.find(*m.mac);
		if (!client) {
			count("arrivals_unknown_station");
			log_debug(s.agent, ": station ", m.mac->str(), " arrived; no agent has told its address");
			r.status = Status::not_found;
			s.conn->send(r);
			return;
		}
		count("arrivals_by_station");
	}
	r.client_addr = client;
	std::set<std::string> left; // agents the client left: it told them nothing
	for (const auto &flow : table_.flows_of_client(*client)) {
		const ConnRecord *c = table_.find(flow);
		for (const auto &f : c->fams)
			if (f.agent != s.agent)
				left.insert(f.agent);
		if (!c->fams.empty() && c->fams.front().agent == s.agent)
			continue; // already served here
		if (r.conns.size() + 1 < proto::kMaxRecords)
			r.conns.push_back(*c);
	}
	s.conn->send(r);
	Message moved;
	moved.type = MsgType::client_moved;
	moved.client_addr = client;
	moved.agent_id = s.agent;
	for (const auto &agent : left) {
		auto it = agents_.find(agent);
		if (it == agents_.end() || !sessions_.at(it->second).takes_client_moved)
			continue;
		count("client_moved_sent");
		it->second->send(moved);
	}
}

// Fig. 14 1455 / Fig. 15 1580b: the AP's server authentication module
// (hostapd) accepted this station as this user. One audit line each, with
// user, MAC, AP and method.
void Coordinator::on_station_auth(Session &s, const Message &m)
{
	if (m.user->empty()) {
		count("refused_station_auth");
		log_warn(s.conn->label(), ": station_auth for ", m.mac->str(), " names no user; refused");
		s.conn->send(reply(MsgType::station_auth_ack, m, Status::bad_message));
		return;
	}
	if (revocations_.revoked(*m.user)) {
		count("refused_revoked");
		log_warn("audit: station ", m.mac->str(), " authenticated at ", s.agent, " as revoked user ", *m.user,
			 ": refused, and the AP told to disconnect it");
		Message r = reply(MsgType::station_auth_ack, m, Status::unauthorized);
		r.text = "user " + *m.user + " is revoked";
		s.conn->send(r);
		if (s.takes_keys)
			send_station_revoke(s, *m.mac, *m.user, 0, "user revoked");
		return;
	}
	proto::UserRecord rec{*m.mac, *m.user, s.agent, m.auth_method.value_or(""),
			      uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
					       std::chrono::system_clock::now().time_since_epoch())
					       .count()),
			      {}};
	// Authenticated again: the withdrawn key is history, and an AP that
	// connects later must not disconnect the station for it.
	if (revocations_.forget(rec.mac))
		save_state();
	auto before = users_.find(rec.mac);
	auto change = users_.authenticated(rec);
	const char *what = change == UserTable::Change::added		? "authenticated"
			   : change == UserTable::Change::reauthenticated ? "reauthenticated"
									  : "authenticated as another user";
	count("user_authentications");
	if (change == UserTable::Change::user_changed) {
		count("user_changes");
		log_warn("audit: station ", rec.mac.str(), " ", what, ": user=", rec.user, " (was ", before->user, " at ",
			 before->agent, ") ap=", s.agent, " method=", rec.method.empty() ? "-" : rec.method);
	} else {
		log_info("audit: station ", rec.mac.str(), " ", what, ": user=", rec.user, " ap=", s.agent,
			 " method=", rec.method.empty() ? "-" : rec.method);
	}
	s.conn->send(reply(MsgType::station_auth_ack, m, Status::ok));
}

void Coordinator::on_conn_end(Session &s, const Message &m)
{
	const ConnRecord *conn = table_.find(*m.flow());
	Message r = reply(MsgType::conn_end_ack, m, conn ? Status::ok : Status::not_found);
	s.conn->send(r);
	if (!conn)
		return;
	log_debug(s.agent, " ended ", conn->flow.str(), m.text ? " (" + *m.text + ")" : "");
	remove_connection(ConnRecord(*conn), m.text.value_or("ended"));
}

// Removes a connection and tells its HAM and every FAM to drop their records.
void Coordinator::remove_connection(const ConnRecord &conn, const std::string &why)
{
	table_.remove(conn.flow);
	count("connections_ended");
	Message gone;
	gone.type = MsgType::conn_removed;
	fill_conn(gone, conn);
	gone.text = why;
	std::set<std::string> told;
	told.insert(conn.ham_agent);
	send_to_agent(conn.ham_agent, gone);
	for (const auto &f : conn.fams)
		if (told.insert(f.agent).second)
			send_to_agent(f.agent, gone);
}

// An agent that comes back with a new instance has restarted with empty
// tables: the connections it anchored have no HAM any more, and its FAM
// records point at nothing. Those on masquerade addresses it held have
// moved (fail_over) before this runs; the rest end here.
void Coordinator::forget_agent_state(const std::string &agent)
{
	auto anchored = table_.flows_of_ham(agent);
	for (const auto &flow : anchored)
		remove_connection(ConnRecord(*table_.find(flow)), "HAM " + agent + " restarted");
	auto served = table_.remove_fams_of_agent(agent);
	for (const auto &flow : served)
		push_fams(*table_.find(flow), true);
	count("agent_restarts");
	log_warn("agent ", agent, " restarted: ", anchored.size(), " connection(s) it anchored ended, ", served.size(),
		 " FAM record(s) removed");
}

// A HAM registering one of its own masquerade endpoints is the authority on
// it: an older record with that endpoint and the same HAM is stale.
void Coordinator::supersede_stale(const std::string &agent, L4 proto, const Endpoint &masq, const FlowKey &flow)
{
	const ConnRecord *old = table_.find_masq(proto, masq);
	if (!old || old->ham_agent != agent || old->flow == flow)
		return;
	count("stale_superseded");
	log_warn(agent, " reused ", masq.str(), "; dropping the stale record of ", old->flow.str());
	remove_connection(ConnRecord(*old), "superseded by a new connection on its masquerade endpoint");
}

// Fig. 9 980: the requester's policy names another host as HAM; that host runs
// Fig. 9 and the requester is answered once it has registered.
void Coordinator::on_ham_designate(Session &s, const Message &m)
{
	FlowKey flow = *m.flow();
	if (table_.find(flow)) {
		s.conn->send(reply(MsgType::ham_designate, m, Status::ok));
		return;
	}
	const std::string target = m.ham_agent.value_or("");
	auto a = agents_.find(target);
	if (a == agents_.end()) {
		count("designate_unreachable");
		Message r = reply(MsgType::ham_designate, m, Status::not_found);
		r.text = "designated HAM '" + target + "' is not connected";
		s.conn->send(r);
		return;
	}
	designations_[flow] = {s.conn.get(), m.request_id};
	Message fwd;
	fwd.type = MsgType::ham_designate;
	fwd.proto = flow.proto;
	fwd.client = flow.client;
	fwd.server = flow.server;
	a->second->send(fwd);
}

void Coordinator::on_dump(Session &s, const Message &m)
{
	constexpr size_t kPerFrame = 200;
	std::vector<Message> frames(1);
	auto fresh = [&]() -> Message & {
		const Message &f = frames.back();
		if (f.conns.size() + f.agents.size() + f.counters.size() + f.users.size() >= kPerFrame)
			frames.emplace_back();
		return frames.back();
	};
	switch (*m.what) {
	case proto::DumpWhat::connections:
		table_.for_each([&](const ConnRecord &c) { fresh().conns.push_back(c); });
		break;
	case proto::DumpWhat::agents:
		for (const auto &[id, addr] : known_agents_) {
			proto::AgentRecord a{id, addr, agents_.count(id) ? 1u : 0u, 0};
			for (const auto &[ptr, sess] : sessions_)
				if (sess.agent == id)
					a.requests = sess.requests;
			fresh().agents.push_back(a);
		}
		break;
	case proto::DumpWhat::users:
		users_.for_each([&](const proto::UserRecord &u) {
			auto &rec = fresh().users.emplace_back(u);
			PolicyRefusal why;
			if (auto d = policy_for(u.mac, why))
				rec.policy = d->policy.name;
		});
		break;
	case proto::DumpWhat::counters:
		fresh().counters.push_back({"connections", table_.size()});
		fresh().counters.push_back({"stations", stations_.size()});
		fresh().counters.push_back({"users", users_.size()});
		fresh().counters.push_back({"keys", keys_.size()});
		fresh().counters.push_back({"authorizations", authorizations_.size()});
		fresh().counters.push_back({"policies", opts_.policies ? opts_.policies->size() : 0});
		fresh().counters.push_back({"users_revoked_now", revocations_.revoked_users()});
		if (das_) {
			const auto &d = das_->stats();
			fresh().counters.push_back({"das_requests", d.requests});
			fresh().counters.push_back({"das_acks", d.acks});
			fresh().counters.push_back({"das_naks", d.naks});
			fresh().counters.push_back({"das_dropped", d.dropped});
			fresh().counters.push_back({"das_duplicates", d.duplicates});
		}
		fresh().counters.push_back({"agents_connected", agents_.size()});
		for (const auto &[name, value] : counters_)
			fresh().counters.push_back({name, value});
		for (size_t type = 0; type < received_.size(); ++type)
			if (received_[type])
				fresh().counters.push_back(
					{std::string("rx_") + proto::msg_type_name(MsgType(type)), received_[type]});
		break;
	default:
		s.conn->send(reply(MsgType::dump_reply, m, Status::not_found));
		return;
	}
	for (size_t i = 0; i < frames.size(); ++i) {
		Message &f = frames[i];
		f.type = MsgType::dump_reply;
		f.request_id = m.request_id;
		f.status = Status::ok;
		f.what = m.what;
		f.flags = i + 1 < frames.size() ? proto::kFlagMore : 0;
		s.conn->send(f);
	}
}

// Fig. 12 alternative: the HAM learns its FAMs as soon as they change, which
// removes a coordinator round trip from every roam. A FAM that is gone is
// always reported (Fig. 13 1340), push or not.
void Coordinator::push_fams(const ConnRecord &conn, bool departure)
{
	if (!opts_.push_fam_updates && !departure)
		return;
	Message m;
	m.type = MsgType::fam_update;
	fill_conn(m, conn);
	for (const auto &f : conn.fams)
		m.fams.push_back({f.agent, f.fam});
	count(departure ? "departure_notices" : "fam_updates_pushed");
	send_to_agent(conn.ham_agent, m);
}

void Coordinator::send_to_agent(const std::string &agent, const Message &m)
{
	auto it = agents_.find(agent);
	if (it == agents_.end()) {
		count("undeliverable");
		log_debug("agent ", agent, " not connected; ", proto::msg_type_name(m.type), " not delivered");
		return;
	}
	it->second->send(m);
}

} // namespace roamnat
