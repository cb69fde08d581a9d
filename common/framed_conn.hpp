// A non-blocking, framed protocol connection over TLS (agents and roamctl to
// the coordinator) or over a plain UNIX socket (roamctl to a local agent).
#pragma once

#include "event_loop.hpp"
#include "protocol.hpp"
#include "tls.hpp"

#include <functional>
#include <string>
#include <vector>

namespace roamnat {

class FramedConn {
public:
	using MessageHandler = std::function<void(FramedConn &, proto::Message &&)>;
	using CloseHandler = std::function<void(FramedConn &, const std::string &reason)>;
	using OpenHandler = std::function<void(FramedConn &)>;

	// ssl may be null for a plain stream.
	FramedConn(EventLoop &loop, UniqueFd fd, SslPtr ssl, std::string label);
	~FramedConn();
	FramedConn(const FramedConn &) = delete;
	FramedConn &operator=(const FramedConn &) = delete;

	void on_open(OpenHandler h) { on_open_ = std::move(h); }
	void on_message(MessageHandler h) { on_message_ = std::move(h); }
	void on_close(CloseHandler h) { on_close_ = std::move(h); }
	void start(Millis handshake_timeout = Millis(5000));

	void send(const proto::Message &msg);
	// Sends an error frame, flushes what it can, and closes.
	void fail(proto::Status status, const std::string &text);
	// Closes now; the close handler runs from the loop, so the owner may free us there.
	void close(const std::string &reason);

	bool is_open() const { return state_ == State::open; }
	const std::string &peer_name() const { return peer_name_; }
	const std::string &label() const { return label_; }
	void set_label(std::string label) { label_ = std::move(label); }
	// For plain streams, whose peer proves its identity some other way
	// (file permissions of a UNIX socket, or a test).
	void set_peer_name(std::string name) { peer_name_ = std::move(name); }
	size_t queued_bytes() const { return out_.size() - out_off_; }

private:
	enum class State { handshake, open, closing, closed };
	void handle(uint32_t events);
	void do_handshake();
	void do_read();
	void do_write();
	void parse_frames();
	void update_interest();
	long raw_read(uint8_t *buf, size_t len, bool &again);
	long raw_write(const uint8_t *buf, size_t len, bool &again);

	EventLoop &loop_;
	UniqueFd fd_;
	SslPtr ssl_;
	std::string label_;
	std::string peer_name_;
	State state_ = State::handshake;
	bool want_write_for_read_ = false;
	// Frames may carry keys: wiped when freed, as is the read buffer.
	WireBytes in_;
	WireBytes out_;
	size_t out_off_ = 0;
	EventLoop::TimerId handshake_timer_ = 0;
	EventLoop::TimerId partial_timer_ = 0;
	std::vector<EventLoop::TimerId> timers_;
	OpenHandler on_open_;
	MessageHandler on_message_;
	CloseHandler on_close_;
};

} // namespace roamnat
