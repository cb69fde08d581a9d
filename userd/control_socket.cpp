#include "control_socket.hpp"

#include "../common/socket_util.hpp"

#include <algorithm>
#include <sys/epoll.h>

namespace roamnat {

using proto::Message;
using proto::MsgType;
using proto::Status;

ControlSocket::ControlSocket(EventLoop &loop, std::string agent_name, Dump dump)
	: loop_(loop), agent_name_(std::move(agent_name)), dump_(std::move(dump))
{
}

bool ControlSocket::open(const std::string &path, std::string &error)
{
	listener_ = unix_listen(path, error);
	if (!listener_)
		return false;
	return loop_.add(listener_.get(), EPOLLIN, [this](uint32_t) { accept_all(); });
}

void ControlSocket::accept_all()
{
	for (;;) {
		UniqueFd fd = unix_accept(listener_.get());
		if (!fd)
			return;
		auto c = std::make_unique<FramedConn>(loop_, std::move(fd), nullptr, "control client");
		c->on_message([this](FramedConn &conn, Message &&m) { on_request(conn, std::move(m)); });
		c->on_close([this](FramedConn &conn, const std::string &) { sessions_.erase(&conn); });
		FramedConn *key = c.get();
		sessions_.emplace(key, std::move(c));
		key->start();
	}
}

void ControlSocket::on_request(FramedConn &c, Message &&m)
{
	if (m.type == MsgType::hello) {
		Message ack;
		ack.type = MsgType::hello_ack;
		ack.request_id = m.request_id;
		ack.status = Status::ok;
		ack.agent_id = agent_name_;
		c.send(ack);
		return;
	}
	if (m.type != MsgType::dump_request) {
		c.fail(Status::bad_message, "the agent's control socket only answers dump requests");
		return;
	}
	Message r;
	r.type = MsgType::dump_reply;
	r.request_id = m.request_id;
	r.status = Status::ok;
	r.what = m.what;
	if (!dump_(*m.what, r)) {
		r.status = Status::not_found;
		r.conns.clear();
		r.counters.clear();
	}
	// One frame holds at most this many records.
	r.conns.resize(std::min(r.conns.size(), proto::kMaxRecords - 1));
	c.send(r);
}

} // namespace roamnat
