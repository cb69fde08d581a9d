// roamd's session with the coordinator: connects (and reconnects with
// back-off) over mutual TLS, says hello, matches replies to requests and
// times them out.
#pragma once

#include "../common/framed_conn.hpp"
#include "coordinator_link.hpp"

#include <functional>
#include <memory>
#include <unordered_map>

namespace roamnat {

class CoordinatorSession final : public CoordinatorLink {
public:
	CoordinatorSession(EventLoop &loop, const TlsContext &tls, Endpoint coordinator, Address agent_addr);
	void on_push(PushHandler h) override { on_push_ = std::move(h); }
	void on_session(std::function<void()> h) override { on_session_ = std::move(h); }
	void start();

	bool up() const override { return conn_ && conn_->is_open() && hello_done_; }
	bool push_enabled() const { return push_; }
	bool resolves_stations() const override { return up() && stations_; }
	bool keeps_users() const override { return up() && users_; }
	uint64_t timeouts() const override { return timeouts_; }
	// The coordinator keeps an agent's records across a reconnect with the
	// same instance; a restarted roamd that adopted its data plane reuses it.
	uint64_t instance() const { return instance_; }
	void set_instance(uint64_t instance) { instance_ = instance; }
	// Says in hello that this agent takes key_push (it has hostapd BSSes).
	void set_takes_keys(bool yes) { takes_keys_ = yes; }
	void set_relays_ft(bool yes) { relays_ft_ = yes; }
	// Says in hello which masquerade addresses are this agent's own.
	void set_masquerade_addresses(std::vector<Address> a) { masq_addrs_ = std::move(a); }
	std::optional<std::vector<Address>> leases() const override { return leases_; }

protected:
	// Sends a request; the handler runs once, with the reply or nullptr after
	// the timeout (two seconds) or a lost session.
	void request(proto::Message msg, ReplyHandler handler) override;
	void answer(proto::Message msg) override;

private:
	void connect();
	void schedule_reconnect();
	void lost(const std::string &reason);
	void keepalive_tick();

	struct Pending {
		ReplyHandler handler;
		EventLoop::TimerId timer;
		proto::MsgType request; // a reply must answer this type (MessageSpec::answers)
	};

	EventLoop &loop_;
	const TlsContext &tls_;
	Endpoint coordinator_;
	Address agent_addr_;
	std::unique_ptr<FramedConn> conn_;
	bool hello_done_ = false;
	bool push_ = false;
	bool stations_ = false;
	bool users_ = false;
	bool takes_keys_ = false;
	bool relays_ft_ = false;
	std::vector<Address> masq_addrs_;
	std::optional<std::vector<Address>> leases_;
	uint32_t next_id_ = 1;
	Millis backoff_{200};
	std::unordered_map<uint32_t, Pending> pending_;
	PushHandler on_push_;
	std::function<void()> on_session_;
	uint64_t timeouts_ = 0;
	uint64_t instance_; // random per run: tells the coordinator when we restarted
	bool warned_ = false;
	// Liveness, as hello_ack set it: a keepalive every keepalive_, and a
	// coordinator silent for dead_after_ is given up (a half-open session
	// after a crash or a cut would otherwise wait for TCP's own timeouts).
	Millis keepalive_{0};
	Millis dead_after_{0};
	Clock::time_point heard_{}, last_tick_{};
	EventLoop::TimerId keepalive_timer_ = 0;
};

} // namespace roamnat
