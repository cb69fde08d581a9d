// roamd's session with the coordinator: connects (and reconnects with
// back-off), says hello, matches replies to requests and times them out.
#pragma once

#include "../common/framed_conn.hpp"

#include <functional>
#include <memory>
#include <unordered_map>

namespace roamnat {

class CoordinatorLink {
public:
	using ReplyHandler = std::function<void(const proto::Message *reply)>; // nullptr: no answer
	using PushHandler = std::function<void(const proto::Message &)>;

	CoordinatorLink(EventLoop &loop, const TlsContext &tls, Endpoint coordinator, Ipv4 agent_addr);
	void on_push(PushHandler h) { on_push_ = std::move(h); }
	// Runs after every successful hello, so the agent can replay its state.
	void on_session(std::function<void()> h) { on_session_ = std::move(h); }
	void start();

	bool up() const { return conn_ && conn_->is_open() && hello_done_; }
	bool push_enabled() const { return push_; }
	// Sends a request; the handler runs once, with the reply or nullptr after
	// the timeout or a lost session.
	void request(proto::Message msg, ReplyHandler handler, Millis timeout = Millis(2000));
	void send(const proto::Message &msg);
	uint64_t timeouts() const { return timeouts_; }
	// The coordinator keeps an agent's records across a reconnect with the
	// same instance; a restarted roamd that adopted its data plane reuses it.
	uint64_t instance() const { return instance_; }
	void set_instance(uint64_t instance) { instance_ = instance; }

private:
	void connect();
	void schedule_reconnect();
	void lost(const std::string &reason);

	struct Pending {
		ReplyHandler handler;
		EventLoop::TimerId timer;
	};

	EventLoop &loop_;
	const TlsContext &tls_;
	Endpoint coordinator_;
	Ipv4 agent_addr_;
	std::unique_ptr<FramedConn> conn_;
	bool hello_done_ = false;
	bool push_ = false;
	uint32_t next_id_ = 1;
	Millis backoff_{200};
	std::unordered_map<uint32_t, Pending> pending_;
	PushHandler on_push_;
	std::function<void()> on_session_;
	uint64_t timeouts_ = 0;
	uint64_t instance_; // random per run: tells the coordinator when we restarted
	bool warned_ = false;
};

} // namespace roamnat
