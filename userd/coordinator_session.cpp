#include "coordinator_session.hpp"

#include "../common/log.hpp"
#include "../common/socket_util.hpp"

#include <random>

namespace roamnat {

CoordinatorSession::CoordinatorSession(EventLoop &loop, const TlsContext &tls, Endpoint coordinator, Address agent_addr)
	: loop_(loop), tls_(tls), coordinator_(coordinator), agent_addr_(agent_addr)
{
	std::random_device rd;
	instance_ = (uint64_t(rd()) << 32) | rd();
}

void CoordinatorSession::start()
{
	connect();
}

void CoordinatorSession::connect()
{
	std::string err;
	UniqueFd fd = tcp_connect(coordinator_, err);
	if (!fd) {
		if (!warned_)
			log_warn("coordinator ", coordinator_.str(), ": ", err, "; retrying");
		warned_ = true;
		schedule_reconnect();
		return;
	}
	auto ssl = tls_.new_session(fd.get());
	conn_ = std::make_unique<FramedConn>(loop_, std::move(fd), std::move(ssl), "coordinator " + coordinator_.str());
	conn_->on_open([this](FramedConn &c) {
		proto::Message hello;
		hello.type = proto::MsgType::hello;
		hello.role = proto::Role::agent;
		hello.agent_addr = agent_addr_;
		hello.instance = instance_;
		hello.flags = proto::kFlagClientMoved | (takes_keys_ ? proto::kFlagKeys : 0) |
			      (relays_ft_ ? proto::kFlagFtRelay : 0) | proto::kFlagKeepalive;
		hello.masq_addrs = masq_addrs_;
		hello.request_id = next_id_++;
		c.send(hello);
	});
	conn_->on_message([this](FramedConn &c, proto::Message &&m) {
		heard_ = loop_.now();
		if (!hello_done_) {
			if (m.type != proto::MsgType::hello_ack || m.status != proto::Status::ok) {
				log_error("coordinator refused this agent: ", m.text.value_or(proto::status_name(m.status.value_or(proto::Status::internal))));
				c.close("refused");
				return;
			}
			hello_done_ = true;
			push_ = m.has_flag(proto::kFlagPush);
			stations_ = m.has_flag(proto::kFlagStations);
			users_ = m.has_flag(proto::kFlagUsers);
			leases_ = m.has_flag(proto::kFlagLeases) ? std::optional(m.masq_addrs) : std::nullopt;
			backoff_ = Millis(200);
			warned_ = false;
			if (m.keepalive_ms && m.dead_after_ms) {
				keepalive_ = std::max(Millis(*m.keepalive_ms), Millis(100));
				dead_after_ = std::max(Millis(*m.dead_after_ms), 3 * keepalive_);
				last_tick_ = loop_.now();
				keepalive_timer_ = loop_.after(keepalive_, [this] { keepalive_tick(); });
			}
			log_info("connected to coordinator ", coordinator_.str(), " as ", c.peer_name().empty() ? "?" : "agent",
				 ", FAM push ", push_ ? "on" : "off");
			if (on_session_)
				on_session_();
			return;
		}
		if (m.type == proto::MsgType::error) {
			log_error("coordinator reported an error: ", m.text.value_or("(no text)"));
			return;
		}
		if (auto answered = proto::answers(m)) {
			auto it = pending_.find(m.request_id);
			if (it == pending_.end())
				return; // answered after its timeout
			if (*answered != it->second.request) {
				log_warn("coordinator answered ", proto::msg_type_name(it->second.request), " ", m.request_id,
					 " with ", proto::msg_type_name(m.type), ": ignored");
				return;
			}
			auto handler = std::move(it->second.handler);
			loop_.cancel(it->second.timer);
			pending_.erase(it);
			handler(&m);
			return;
		}
		if (on_push_)
			on_push_(m);
	});
	conn_->on_close([this](FramedConn &, const std::string &reason) { lost(reason); });
	conn_->start();
}

void CoordinatorSession::lost(const std::string &reason)
{
	if (hello_done_ || !warned_)
		log_warn("coordinator session lost: ", reason, "; reconnecting");
	warned_ = true;
	hello_done_ = false;
	loop_.cancel(keepalive_timer_);
	keepalive_timer_ = 0;
	auto pending = std::move(pending_);
	pending_.clear();
	for (auto &[id, p] : pending) {
		loop_.cancel(p.timer);
		p.handler(nullptr);
	}
	loop_.after(Millis(0), [this] { conn_.reset(); schedule_reconnect(); });
}

// As the coordinator judges agents (Coordinator::check_liveness): a tick
// that runs late means this roamd was stalled, and the time it lost is not
// counted as the coordinator's silence.
void CoordinatorSession::keepalive_tick()
{
	keepalive_timer_ = 0;
	if (!up())
		return;
	auto now = loop_.now();
	if (now - last_tick_ > 2 * keepalive_)
		heard_ = std::min(now, heard_ + (now - last_tick_ - keepalive_));
	last_tick_ = now;
	auto silent = std::chrono::duration_cast<Millis>(now - heard_);
	if (silent > dead_after_) {
		conn_->close("nothing heard from the coordinator for " + std::to_string(silent.count()) + " ms (dead_after " +
			     std::to_string(dead_after_.count()) + " ms)");
		return;
	}
	proto::Message ka;
	ka.type = proto::MsgType::keepalive;
	ka.request_id = next_id_++; // the answer only proves the coordinator is there
	conn_->send(ka);
	keepalive_timer_ = loop_.after(keepalive_, [this] { keepalive_tick(); });
}

void CoordinatorSession::schedule_reconnect()
{
	loop_.after(backoff_, [this] { connect(); });
	backoff_ = std::min(backoff_ * 2, Millis(5000));
}

void CoordinatorSession::answer(proto::Message msg)
{
	if (up())
		conn_->send(msg); // else the coordinator's deadline passes: it tells this AP again on the next session
}

void CoordinatorSession::request(proto::Message msg, ReplyHandler handler)
{
	constexpr Millis timeout{2000};
	if (!up()) {
		loop_.after(Millis(0), [handler] { handler(nullptr); });
		return;
	}
	msg.request_id = next_id_++;
	uint32_t id = msg.request_id;
	auto timer = loop_.after(timeout, [this, id] {
		auto it = pending_.find(id);
		if (it == pending_.end())
			return;
		++timeouts_;
		auto h = std::move(it->second.handler);
		pending_.erase(it);
		h(nullptr);
	});
	pending_.emplace(id, Pending{std::move(handler), timer, msg.type});
	conn_->send(msg);
}

} // namespace roamnat
