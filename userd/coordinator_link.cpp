#include "coordinator_link.hpp"

namespace roamnat {

using proto::Message;
using proto::MsgType;

namespace {
Message about(MsgType type, const FlowKey &flow)
{
	Message m;
	m.type = type;
	m.proto = flow.proto;
	m.client = flow.client;
	m.server = flow.server;
	return m;
}

uint32_t flags(bool combined, bool resync)
{
	return (combined ? proto::kFlagCombined : 0) | (resync ? proto::kFlagResync : 0);
}

void ignore(const Message *) {}
} // namespace

void CoordinatorLink::fam_request(const FlowKey &flow, Endpoint fam, bool combined, bool resync, ReplyHandler h)
{
	Message m = about(MsgType::fam_request, flow);
	m.fam = fam;
	m.flags = flags(combined, resync);
	request(std::move(m), std::move(h));
}

void CoordinatorLink::ham_register(const FlowKey &flow, Endpoint masq, std::optional<Endpoint> fam, bool resync,
				   ReplyHandler h)
{
	Message m = about(MsgType::ham_register, flow);
	m.masq = masq;
	m.fam = fam;
	m.flags = flags(false, resync);
	request(std::move(m), std::move(h));
}

void CoordinatorLink::fam_query(L4 proto, Endpoint server, Endpoint masq, ReplyHandler h)
{
	Message m;
	m.type = MsgType::fam_query;
	m.proto = proto;
	m.server = server;
	m.masq = masq;
	request(std::move(m), std::move(h));
}

void CoordinatorLink::ham_designate(const FlowKey &flow, const std::string &ham, ReplyHandler h)
{
	Message m = about(MsgType::ham_designate, flow);
	m.ham_agent = ham;
	request(std::move(m), std::move(h));
}

void CoordinatorLink::client_departed(Address client)
{
	Message m;
	m.type = MsgType::client_departed;
	m.client_addr = client;
	request(std::move(m), ignore);
}

void CoordinatorLink::client_arrived(Address client, std::optional<MacAddr> mac, ReplyHandler h)
{
	Message m;
	m.type = MsgType::client_arrived;
	m.client_addr = client;
	m.mac = mac;
	request(std::move(m), std::move(h));
}

void CoordinatorLink::station_arrived(const MacAddr &mac, ReplyHandler h)
{
	Message m;
	m.type = MsgType::client_arrived;
	m.mac = mac;
	request(std::move(m), std::move(h));
}

void CoordinatorLink::station_auth(const MacAddr &mac, const std::string &user, const std::string &method, ReplyHandler h)
{
	Message m;
	m.type = MsgType::station_auth;
	m.mac = mac;
	m.user = user;
	if (!method.empty())
		m.auth_method = method;
	request(std::move(m), std::move(h));
}

void CoordinatorLink::policy_request(const MacAddr &mac, ReplyHandler h)
{
	Message m;
	m.type = MsgType::policy_request;
	m.mac = mac;
	request(std::move(m), std::move(h));
}

void CoordinatorLink::station_revoke_ack(uint32_t request_id, const MacAddr &mac, bool ok, uint32_t deauthenticated)
{
	Message m;
	m.type = MsgType::station_revoke_ack;
	m.request_id = request_id;
	m.status = ok ? proto::Status::ok : proto::Status::internal;
	m.mac = mac;
	m.count = deauthenticated;
	answer(std::move(m));
}

void CoordinatorLink::ham_takeover_ack(uint32_t request_id, bool ok, uint32_t count, const std::string &why)
{
	Message m;
	m.type = MsgType::ham_takeover_ack;
	m.request_id = request_id;
	m.status = ok ? proto::Status::ok : proto::Status::internal;
	m.count = count;
	if (!why.empty())
		m.text = why;
	answer(std::move(m));
}

void CoordinatorLink::ft_frame(std::span<const uint8_t> frame)
{
	Message m;
	m.type = MsgType::ft_frame;
	m.frame = proto::EtherFrame{{frame.begin(), frame.end()}};
	answer(std::move(m));
}

void CoordinatorLink::conn_end(const FlowKey &flow, const std::string &why)
{
	Message m = about(MsgType::conn_end, flow);
	m.text = why;
	request(std::move(m), ignore);
}

} // namespace roamnat
