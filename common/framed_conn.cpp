#include "framed_conn.hpp"

#include "log.hpp"

#include <cerrno>
#include <cstring>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace roamnat {

namespace {
constexpr size_t kMaxQueued = 16 * 1024 * 1024; // a peer that stops reading is cut off
constexpr Millis kPartialFrameTimeout{5000};     // a frame must not trickle in forever
}

FramedConn::FramedConn(EventLoop &loop, UniqueFd fd, SslPtr ssl, std::string label)
	: loop_(loop), fd_(std::move(fd)), ssl_(std::move(ssl)), label_(std::move(label))
{
}

FramedConn::~FramedConn()
{
	for (auto id : timers_)
		loop_.cancel(id);
	if (ssl_ && state_ == State::open)
		SSL_shutdown(ssl_.get()); // a clean close_notify, not an EOF the peer logs
	if (handshake_timer_)
		loop_.cancel(handshake_timer_);
	if (partial_timer_)
		loop_.cancel(partial_timer_);
	if (fd_)
		loop_.remove(fd_.get());
}

void FramedConn::start(Millis handshake_timeout)
{
	loop_.add(fd_.get(), EPOLLIN | EPOLLOUT, [this](uint32_t ev) { handle(ev); });
	handshake_timer_ = loop_.after(handshake_timeout, [this] {
		handshake_timer_ = 0;
		if (state_ == State::handshake)
			close("TLS handshake timed out");
	});
	if (!ssl_) {
		state_ = State::open;
		loop_.cancel(handshake_timer_);
		handshake_timer_ = 0;
		update_interest();
		if (on_open_)
			timers_.push_back(loop_.after(Millis(0), [this] { if (state_ == State::open && on_open_) on_open_(*this); }));
	}
}

void FramedConn::handle(uint32_t events)
{
	if (state_ == State::closed)
		return;
	if (state_ == State::handshake) {
		do_handshake();
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		do_read();
	if (state_ != State::closed && (events & EPOLLOUT))
		do_write();
	if (state_ != State::closed && want_write_for_read_ && (events & EPOLLOUT))
		do_read();
}

void FramedConn::do_handshake()
{
	ERR_clear_error();
	int rc = SSL_do_handshake(ssl_.get());
	if (rc == 1) {
		peer_name_ = tls_peer_name(ssl_.get());
		if (peer_name_.empty()) {
			close("peer presented no valid certificate");
			return;
		}
		state_ = State::open;
		if (handshake_timer_) {
			loop_.cancel(handshake_timer_);
			handshake_timer_ = 0;
		}
		update_interest();
		if (on_open_)
			on_open_(*this);
		if (state_ == State::open)
			do_read(); // TLS may already hold application data
		return;
	}
	int err = SSL_get_error(ssl_.get(), rc);
	if (err == SSL_ERROR_WANT_READ) {
		loop_.modify(fd_.get(), EPOLLIN);
	} else if (err == SSL_ERROR_WANT_WRITE) {
		loop_.modify(fd_.get(), EPOLLIN | EPOLLOUT);
	} else {
		close("TLS handshake failed: " + tls_error_text());
	}
}

long FramedConn::raw_read(uint8_t *buf, size_t len, bool &again)
{
	again = false;
	want_write_for_read_ = false;
	if (!ssl_) {
		ssize_t n = ::read(fd_.get(), buf, len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			again = true;
		return n;
	}
	ERR_clear_error();
	int n = SSL_read(ssl_.get(), buf, int(len));
	if (n > 0)
		return n;
	int err = SSL_get_error(ssl_.get(), n);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		again = true;
		want_write_for_read_ = err == SSL_ERROR_WANT_WRITE;
		return -1;
	}
	if (err == SSL_ERROR_ZERO_RETURN)
		return 0;
	return -1;
}

long FramedConn::raw_write(const uint8_t *buf, size_t len, bool &again)
{
	again = false;
	if (!ssl_) {
		ssize_t n = ::send(fd_.get(), buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			again = true;
		return n;
	}
	ERR_clear_error();
	int n = SSL_write(ssl_.get(), buf, int(len));
	if (n > 0)
		return n;
	int err = SSL_get_error(ssl_.get(), n);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		again = true;
		return -1;
	}
	return -1;
}

void FramedConn::do_read()
{
	uint8_t buf[16384];
	for (int rounds = 0; rounds < 64 && state_ == State::open; ++rounds) {
		bool again = false;
		long n = raw_read(buf, sizeof(buf), again);
		if (n > 0) {
			in_.insert(in_.end(), buf, buf + n);
			wipe(buf, size_t(n));
			parse_frames();
			continue;
		}
		if (again) {
			update_interest();
			return;
		}
		close(n == 0 ? "peer closed the connection"
			     : std::string("read failed: ") + (ssl_ ? tls_error_text() : strerror(errno)));
		return;
	}
}

void FramedConn::parse_frames()
{
	size_t off = 0;
	while (state_ == State::open) {
		proto::DecodeError err;
		auto span = std::span<const uint8_t>(in_).subspan(off);
		auto len = proto::peek_frame_length(span, err);
		if (!len) {
			if (!err.what.empty())
				fail(proto::Status::bad_message, err.what);
			break;
		}
		if (span.size() < proto::kLengthPrefix + *len)
			break;
		auto msg = proto::decode(span.subspan(proto::kLengthPrefix, *len), err);
		off += proto::kLengthPrefix + *len;
		if (!msg) {
			fail(err.status, err.what);
			break;
		}
		if (auto missing = proto::validate(*msg); !missing.empty()) {
			fail(proto::Status::bad_message, missing);
			break;
		}
		if (on_message_)
			on_message_(*this, std::move(*msg));
	}
	if (state_ != State::open)
		return;
	in_.erase(in_.begin(), in_.begin() + long(std::min(off, in_.size())));
	if (in_.empty() && partial_timer_) {
		loop_.cancel(partial_timer_);
		partial_timer_ = 0;
	} else if (!in_.empty() && !partial_timer_) {
		partial_timer_ = loop_.after(kPartialFrameTimeout, [this] {
			partial_timer_ = 0;
			fail(proto::Status::bad_message, "truncated frame: " + std::to_string(in_.size()) +
								 " bytes of an incomplete frame for " +
								 std::to_string(kPartialFrameTimeout.count() / 1000) + " s");
		});
	}
}

void FramedConn::send(const proto::Message &msg)
{
	if (state_ != State::open && state_ != State::closing)
		return;
	auto bytes = proto::encode(msg);
	if (queued_bytes() + bytes.size() > kMaxQueued) {
		close("peer is not reading (" + std::to_string(queued_bytes()) + " bytes queued)");
		return;
	}
	out_.insert(out_.end(), bytes.begin(), bytes.end());
	do_write();
}

void FramedConn::do_write()
{
	while (out_off_ < out_.size() && state_ != State::closed) {
		bool again = false;
		long n = raw_write(out_.data() + out_off_, out_.size() - out_off_, again);
		if (n > 0) {
			out_off_ += size_t(n);
			continue;
		}
		if (again)
			break;
		close(std::string("write failed: ") + (ssl_ ? tls_error_text() : strerror(errno)));
		return;
	}
	if (out_off_ == out_.size()) {
		out_.clear();
		out_off_ = 0;
		if (state_ == State::closing) {
			close("closed after error");
			return;
		}
	} else if (out_off_ > (1u << 20)) {
		out_.erase(out_.begin(), out_.begin() + long(out_off_));
		out_off_ = 0;
	}
	update_interest();
}

void FramedConn::update_interest()
{
	if (state_ == State::closed)
		return;
	uint32_t ev = EPOLLIN;
	if (queued_bytes() > 0 || want_write_for_read_)
		ev |= EPOLLOUT;
	loop_.modify(fd_.get(), ev);
}

void FramedConn::fail(proto::Status status, const std::string &text)
{
	if (state_ != State::open)
		return;
	log_warn(label_, ": protocol error, closing: ", text);
	proto::Message err;
	err.type = proto::MsgType::error;
	err.status = status;
	err.text = text;
	send(err);
	if (state_ == State::closed)
		return;
	state_ = State::closing;
	in_.clear();
	if (queued_bytes() == 0)
		close("closed after error");
	else
		timers_.push_back(loop_.after(Millis(1000), [this] { if (state_ == State::closing) close("closed after error"); }));
}

void FramedConn::close(const std::string &reason)
{
	if (state_ == State::closed)
		return;
	state_ = State::closed;
	if (ssl_)
		SSL_shutdown(ssl_.get());
	loop_.remove(fd_.get());
	fd_.reset();
	if (handshake_timer_) {
		loop_.cancel(handshake_timer_);
		handshake_timer_ = 0;
	}
	if (partial_timer_) {
		loop_.cancel(partial_timer_);
		partial_timer_ = 0;
	}
	if (on_close_) {
		auto handler = on_close_;
		timers_.push_back(loop_.after(Millis(0), [this, handler, reason] { handler(*this, reason); }));
	}
}

} // namespace roamnat
