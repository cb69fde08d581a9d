#include "das_server.hpp"

#include "../common/log.hpp"
#include "../common/socket_util.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace roamnat {

using namespace radius;

namespace {
constexpr size_t kRememberAnswers = 256;
constexpr uint32_t kInvalidAttributeValue = 407; // RFC 5176 3.6

// The attributes a Disconnect-Request may carry here. NAS identification is
// accepted and not matched: the coordinator answers for every AP.
bool supported(uint8_t type)
{
	switch (type) {
	case attr::user_name:
	case attr::calling_station_id:
	case attr::nas_identifier:
	case attr::nas_ip_address:
	case attr::proxy_state:
	case attr::event_timestamp:
	case attr::message_authenticator:
		return true;
	default:
		return false;
	}
}

bool printable(const std::vector<uint8_t> &v)
{
	for (uint8_t c : v)
		if (c < 0x20 || c > 0x7e)
			return false;
	return !v.empty();
}
} // namespace

DasServer::DasServer(EventLoop &loop, DasOptions opts, Handler handler)
	: loop_(loop), opts_(std::move(opts)), handler_(std::move(handler))
{
}

DasServer::~DasServer()
{
	*alive_ = false;
	if (fd_)
		loop_.remove(fd_.get());
}

bool DasServer::start(std::string &error)
{
	fd_ = udp_bind(opts_.listen, error);
	if (!fd_)
		return false;
	loop_.add(fd_.get(), EPOLLIN, [this](uint32_t) { readable(); });
	log_info("RADIUS Dynamic Authorization (Disconnect-Request) on ", opts_.listen.str(), " for ",
		 opts_.clients.size(), " client(s)");
	return true;
}

uint16_t DasServer::port() const
{
	return fd_ ? bound_port(fd_.get()) : 0;
}

void DasServer::readable()
{
	uint8_t buf[kMaxLength + 1];
	for (int i = 0; i < 64; ++i) { // bounded: other sessions get their turn
		Endpoint from;
		auto n = udp_receive(fd_.get(), buf, from);
		if (!n)
			return;
		datagram({buf, *n}, from);
	}
}

void DasServer::drop(const Endpoint &from, const std::string &why)
{
	++stats_.dropped;
	log_warn("DAS: datagram from ", from.str(), " dropped: ", why);
}

void DasServer::datagram(std::span<const uint8_t> data, const Endpoint &from)
{
	if (!opts_.clients.count(from.addr))
		return drop(from, "not a listed client (das_clients)");
	std::string why;
	auto req = parse(data, why);
	if (!req)
		return drop(from, why);
	if (req->code != Code::disconnect_request && req->code != Code::coa_request)
		return drop(from, "RADIUS code " + std::to_string(unsigned(req->code)) + " is not a DAS request");
	if (!verify_request(data, opts_.secret, why))
		return drop(from, why);
	if (!req->find(attr::message_authenticator))
		return drop(from, "no Message-Authenticator");
	const Attribute *ts = req->find(attr::event_timestamp);
	if (!ts || ts->value.size() != 4)
		return drop(from, "no Event-Timestamp");
	int64_t stamp = int64_t(uint32_t(ts->value[0]) << 24 | ts->value[1] << 16 | ts->value[2] << 8 | ts->value[3]);
	int64_t skew = int64_t(time(nullptr)) - stamp;
	if (skew > int64_t(opts_.time_window) || -skew > int64_t(opts_.time_window))
		return drop(from, "Event-Timestamp " + std::to_string(skew) + " s off (window " +
					  std::to_string(opts_.time_window) + " s): a replay, or clocks apart");

	Seen key{from, req->id, req->authenticator};
	if (auto it = answered_.find(key); it != answered_.end()) {
		++stats_.duplicates;
		send(from, it->second);
		return;
	}
	if (in_progress_.count(key)) {
		++stats_.duplicates;
		return;
	}
	++stats_.requests;
	if (req->code == Code::coa_request) {
		log_warn("DAS: CoA-Request from ", from.str(), " refused: only Disconnect-Request is supported");
		return answer(key, *req, error_cause::unsupported_service);
	}
	for (const auto &a : req->attrs) {
		if (!supported(a.type)) {
			log_warn("DAS: Disconnect-Request from ", from.str(), " refused: attribute ", unsigned(a.type),
				 " is not supported");
			return answer(key, *req, error_cause::unsupported_attribute);
		}
	}
	Request r;
	r.from = from.str();
	if (const Attribute *u = req->find(attr::user_name)) {
		if (!printable(u->value) || req->count(attr::user_name) > 1)
			return answer(key, *req, kInvalidAttributeValue);
		r.user = u->text();
	}
	if (const Attribute *c = req->find(attr::calling_station_id)) {
		r.station = printable(c->value) ? parse_station_mac(c->text()) : std::nullopt;
		if (!r.station || req->count(attr::calling_station_id) > 1)
			return answer(key, *req, kInvalidAttributeValue);
	}
	if (r.user.empty() && !r.station) {
		log_warn("DAS: Disconnect-Request from ", from.str(), " names no User-Name or Calling-Station-Id");
		return answer(key, *req, error_cause::missing_attribute);
	}
	in_progress_.insert(key);
	handler_(r, [this, alive = std::weak_ptr<bool>(alive_), key, request = *req](uint32_t cause) {
		if (alive.expired())
			return;
		in_progress_.erase(key);
		answer(key, request, cause);
	});
}

void DasServer::answer(const Seen &key, const Packet &request, uint32_t cause)
{
	bool coa = request.code == Code::coa_request;
	Packet resp;
	resp.code = cause == 0 ? (coa ? Code::coa_ack : Code::disconnect_ack)
			       : (coa ? Code::coa_nak : Code::disconnect_nak);
	resp.id = request.id;
	for (const auto &a : request.attrs)
		if (a.type == attr::proxy_state) // echoed in order, RFC 5176 3.1
			resp.attrs.push_back(a);
	if (cause)
		resp.attrs.push_back({attr::error_cause,
				      {uint8_t(cause >> 24), uint8_t(cause >> 16), uint8_t(cause >> 8), uint8_t(cause)}});
	++(cause ? stats_.naks : stats_.acks);
	auto bytes = encode_response(resp, request.authenticator, opts_.secret);
	send(key.from, bytes);
	answered_[key] = std::move(bytes);
	answered_order_.push_back(key);
	while (answered_order_.size() > kRememberAnswers) {
		answered_.erase(answered_order_.front());
		answered_order_.pop_front();
	}
}

void DasServer::send(const Endpoint &to, const std::vector<uint8_t> &bytes)
{
	if (fd_ && !udp_send(fd_.get(), to, bytes))
		log_warn("DAS: answer to ", to.str(), " not sent: ", strerror(errno));
}

} // namespace roamnat
