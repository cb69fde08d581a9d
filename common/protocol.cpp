#include "protocol.hpp"

#include <bitset>
#include <cstring>

namespace roamnat::proto {
namespace {

enum Attr : uint16_t {
	A_STATUS = 1,
	A_AGENT_ID = 2,
	A_TEXT = 3,
	A_HAM_AGENT = 4,
	A_AGENT_ADDR = 5,
	A_CLIENT_ADDR = 6,
	A_PROTO = 7,
	A_CLIENT = 8,
	A_SERVER = 9,
	A_MASQ = 10,
	A_FAM = 11,
	A_FLAGS = 12,
	A_GENERATION = 13,
	A_COUNT = 14,
	A_ROLE = 15,
	A_WHAT = 16,
	A_FAM_RECORD = 17,
	A_CONN_RECORD = 18,
	A_AGENT_RECORD = 19,
	A_COUNTER_RECORD = 20,
	A_VALUE64 = 21,
	A_INSTANCE = 22,
	A_MAX = 22,
};

constexpr size_t kAttrHeader = 4;
constexpr size_t kEndpointSize = 6;

class Writer {
public:
	std::vector<uint8_t> out;

	void u8(uint8_t v) { out.push_back(v); }
	void u16(uint16_t v)
	{
		u8(uint8_t(v >> 8));
		u8(uint8_t(v));
	}
	void u32(uint32_t v)
	{
		u16(uint16_t(v >> 16));
		u16(uint16_t(v));
	}
	void u64(uint64_t v)
	{
		u32(uint32_t(v >> 32));
		u32(uint32_t(v));
	}
	size_t begin(uint16_t type)
	{
		size_t at = out.size();
		u16(type);
		u16(0);
		return at;
	}
	void end(size_t at)
	{
		size_t len = out.size() - at - kAttrHeader;
		out[at + 2] = uint8_t(len >> 8);
		out[at + 3] = uint8_t(len);
		while (out.size() % 4)
			u8(0);
	}
	void attr_u8(uint16_t t, uint8_t v) { auto a = begin(t); u8(v); end(a); }
	void attr_u16(uint16_t t, uint16_t v) { auto a = begin(t); u16(v); end(a); }
	void attr_u32(uint16_t t, uint32_t v) { auto a = begin(t); u32(v); end(a); }
	void attr_u64(uint16_t t, uint64_t v) { auto a = begin(t); u64(v); end(a); }
	void attr_ep(uint16_t t, const Endpoint &e)
	{
		auto a = begin(t);
		u32(e.addr.value);
		u16(e.port);
		end(a);
	}
	void attr_str(uint16_t t, const std::string &s)
	{
		auto a = begin(t);
		size_t n = std::min(s.size(), kMaxString);
		out.insert(out.end(), s.begin(), s.begin() + long(n));
		end(a);
	}
};

uint16_t rd16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t *p) { return uint32_t(rd16(p)) << 16 | rd16(p + 2); }
uint64_t rd64(const uint8_t *p) { return uint64_t(rd32(p)) << 32 | rd32(p + 4); }

// Walks attributes; calls fn(type, value) for each. Returns false with err set
// on any length that does not fit.
template <typename Fn> bool walk(std::span<const uint8_t> buf, DecodeError &err, Fn &&fn)
{
	size_t off = 0;
	while (off < buf.size()) {
		if (buf.size() - off < kAttrHeader) {
			err.what = "truncated attribute header";
			return false;
		}
		uint16_t type = rd16(&buf[off]);
		uint16_t len = rd16(&buf[off + 2]);
		if (len > buf.size() - off - kAttrHeader) {
			err.what = "attribute " + std::to_string(type) + " overruns its message";
			return false;
		}
		if (!fn(type, buf.subspan(off + kAttrHeader, len)))
			return false;
		size_t step = kAttrHeader + ((len + 3u) & ~3u);
		off = step > buf.size() - off ? buf.size() : off + step;
	}
	return true;
}

bool need_len(std::span<const uint8_t> v, size_t n, uint16_t type, DecodeError &err)
{
	if (v.size() == n)
		return true;
	err.what = "attribute " + std::to_string(type) + " has length " + std::to_string(v.size()) +
		   ", expected " + std::to_string(n);
	return false;
}

bool get_str(std::span<const uint8_t> v, uint16_t type, std::string &out, DecodeError &err)
{
	if (v.size() > kMaxString) {
		err.what = "string attribute " + std::to_string(type) + " too long";
		return false;
	}
	for (uint8_t c : v) {
		if (c < 0x20 || c > 0x7e) {
			err.what = "string attribute " + std::to_string(type) + " holds a non-printable byte";
			return false;
		}
	}
	out.assign(v.begin(), v.end());
	return true;
}

Endpoint get_ep(std::span<const uint8_t> v)
{
	return Endpoint{Ipv4{rd32(v.data())}, rd16(v.data() + 4)};
}

bool get_proto(std::span<const uint8_t> v, uint16_t type, std::optional<L4> &out, DecodeError &err)
{
	if (!need_len(v, 1, type, err))
		return false;
	out = l4_from_number(v[0]);
	if (!out) {
		err.what = "unsupported transport protocol " + std::to_string(v[0]);
		return false;
	}
	return true;
}

void put_fam(Writer &w, const FamRecord &f)
{
	auto a = w.begin(A_FAM_RECORD);
	w.attr_str(A_AGENT_ID, f.agent);
	w.attr_ep(A_FAM, f.fam);
	w.end(a);
}

bool get_fam(std::span<const uint8_t> v, FamRecord &f, DecodeError &err)
{
	bool have_fam = false;
	bool ok = walk(v, err, [&](uint16_t t, std::span<const uint8_t> val) {
		if (t == A_AGENT_ID)
			return get_str(val, t, f.agent, err);
		if (t == A_FAM) {
			have_fam = true;
			if (!need_len(val, kEndpointSize, t, err))
				return false;
			f.fam = get_ep(val);
		}
		return true;
	});
	if (ok && !have_fam) {
		err.what = "FAM record without FAM endpoint";
		return false;
	}
	return ok;
}

bool get_conn(std::span<const uint8_t> v, ConnRecord &c, DecodeError &err)
{
	std::optional<L4> proto;
	unsigned seen = 0;
	bool ok = walk(v, err, [&](uint16_t t, std::span<const uint8_t> val) {
		switch (t) {
		case A_PROTO:
			seen |= 1;
			if (!get_proto(val, t, proto, err))
				return false;
			c.flow.proto = *proto;
			return true;
		case A_CLIENT:
		case A_SERVER:
		case A_MASQ:
			if (!need_len(val, kEndpointSize, t, err))
				return false;
			seen |= t == A_CLIENT ? 2 : t == A_SERVER ? 4 : 8;
			(t == A_CLIENT ? c.flow.client : t == A_SERVER ? c.flow.server : c.masq) = get_ep(val);
			return true;
		case A_HAM_AGENT:
			return get_str(val, t, c.ham_agent, err);
		case A_GENERATION:
			if (!need_len(val, 4, t, err))
				return false;
			c.generation = rd32(val.data());
			return true;
		case A_FAM_RECORD:
			if (c.fams.size() >= kMaxRecords) {
				err.what = "too many FAM records";
				return false;
			}
			c.fams.emplace_back();
			return get_fam(val, c.fams.back(), err);
		default:
			return true;
		}
	});
	if (ok && seen != 15) {
		err.what = "connection record lacks protocol, client, server or masquerade";
		return false;
	}
	return ok;
}

} // namespace

const char *msg_type_name(MsgType type)
{
	switch (type) {
	case MsgType::hello: return "hello";
	case MsgType::hello_ack: return "hello_ack";
	case MsgType::fam_request: return "fam_request";
	case MsgType::fam_reply: return "fam_reply";
	case MsgType::ham_register: return "ham_register";
	case MsgType::register_reply: return "register_reply";
	case MsgType::fam_query: return "fam_query";
	case MsgType::fam_list: return "fam_list";
	case MsgType::fam_update: return "fam_update";
	case MsgType::client_departed: return "client_departed";
	case MsgType::departed_ack: return "departed_ack";
	case MsgType::conn_end: return "conn_end";
	case MsgType::conn_end_ack: return "conn_end_ack";
	case MsgType::conn_removed: return "conn_removed";
	case MsgType::dump_request: return "dump_request";
	case MsgType::dump_reply: return "dump_reply";
	case MsgType::error: return "error";
	case MsgType::ham_designate: return "ham_designate";
	case MsgType::client_arrived: return "client_arrived";
	case MsgType::client_flows: return "client_flows";
	}
	return "unknown";
}

const char *status_name(Status status)
{
	switch (status) {
	case Status::ok: return "ok";
	case Status::rejected: return "rejected";
	case Status::became_ham: return "became_ham";
	case Status::not_found: return "not_found";
	case Status::conflict: return "conflict";
	case Status::suspect: return "suspect";
	case Status::bad_message: return "bad_message";
	case Status::unauthorized: return "unauthorized";
	case Status::bad_version: return "bad_version";
	case Status::internal: return "internal";
	}
	return "unknown";
}

std::optional<FlowKey> Message::flow() const
{
	if (!proto || !client || !server)
		return std::nullopt;
	return FlowKey{*proto, *client, *server};
}

std::optional<MasqKey> Message::masq_key() const
{
	if (!proto || !server || !masq)
		return std::nullopt;
	return MasqKey{*proto, *server, *masq};
}

std::vector<uint8_t> encode(const Message &m)
{
	Writer w;
	w.u32(0);
	w.u8(kVersion);
	w.u8(uint8_t(m.type));
	w.u16(0);
	w.u32(m.request_id);
	if (m.status)
		w.attr_u16(A_STATUS, uint16_t(*m.status));
	if (m.agent_id)
		w.attr_str(A_AGENT_ID, *m.agent_id);
	if (m.text)
		w.attr_str(A_TEXT, *m.text);
	if (m.ham_agent)
		w.attr_str(A_HAM_AGENT, *m.ham_agent);
	if (m.agent_addr)
		w.attr_u32(A_AGENT_ADDR, m.agent_addr->value);
	if (m.client_addr)
		w.attr_u32(A_CLIENT_ADDR, m.client_addr->value);
	if (m.proto)
		w.attr_u8(A_PROTO, uint8_t(*m.proto));
	if (m.client)
		w.attr_ep(A_CLIENT, *m.client);
	if (m.server)
		w.attr_ep(A_SERVER, *m.server);
	if (m.masq)
		w.attr_ep(A_MASQ, *m.masq);
	if (m.fam)
		w.attr_ep(A_FAM, *m.fam);
	if (m.flags)
		w.attr_u32(A_FLAGS, *m.flags);
	if (m.generation)
		w.attr_u32(A_GENERATION, *m.generation);
	if (m.count)
		w.attr_u32(A_COUNT, *m.count);
	if (m.instance)
		w.attr_u64(A_INSTANCE, *m.instance);
	if (m.role)
		w.attr_u8(A_ROLE, uint8_t(*m.role));
	if (m.what)
		w.attr_u8(A_WHAT, uint8_t(*m.what));
	for (const auto &f : m.fams)
		put_fam(w, f);
	for (const auto &c : m.conns) {
		auto a = w.begin(A_CONN_RECORD);
		w.attr_u8(A_PROTO, uint8_t(c.flow.proto));
		w.attr_ep(A_CLIENT, c.flow.client);
		w.attr_ep(A_SERVER, c.flow.server);
		w.attr_ep(A_MASQ, c.masq);
		w.attr_str(A_HAM_AGENT, c.ham_agent);
		w.attr_u32(A_GENERATION, c.generation);
		for (const auto &f : c.fams)
			put_fam(w, f);
		w.end(a);
	}
	for (const auto &ag : m.agents) {
		auto a = w.begin(A_AGENT_RECORD);
		w.attr_str(A_AGENT_ID, ag.id);
		w.attr_u32(A_AGENT_ADDR, ag.addr.value);
		w.attr_u32(A_COUNT, ag.connected);
		w.attr_u64(A_VALUE64, ag.requests);
		w.end(a);
	}
	for (const auto &c : m.counters) {
		auto a = w.begin(A_COUNTER_RECORD);
		w.attr_str(A_TEXT, c.name);
		w.attr_u64(A_VALUE64, c.value);
		w.end(a);
	}
	uint32_t len = uint32_t(w.out.size() - kLengthPrefix);
	w.out[0] = uint8_t(len >> 24);
	w.out[1] = uint8_t(len >> 16);
	w.out[2] = uint8_t(len >> 8);
	w.out[3] = uint8_t(len);
	return std::move(w.out);
}

std::optional<size_t> peek_frame_length(std::span<const uint8_t> buffered, DecodeError &err)
{
	if (buffered.size() < kLengthPrefix)
		return std::nullopt;
	size_t len = rd32(buffered.data());
	if (len < kHeaderSize || len > kMaxFrame - kLengthPrefix) {
		err.what = "frame length " + std::to_string(len) + " outside [" + std::to_string(kHeaderSize) +
			   ", " + std::to_string(kMaxFrame - kLengthPrefix) + "]";
		return std::nullopt;
	}
	return len;
}

std::optional<Message> decode(std::span<const uint8_t> body, DecodeError &err)
{
	if (body.size() < kHeaderSize) {
		err.what = "frame shorter than its header";
		return std::nullopt;
	}
	if (body[0] != kVersion) {
		err.what = "protocol version " + std::to_string(body[0]) + " not supported (this side speaks " +
			   std::to_string(kVersion) + ")";
		return std::nullopt;
	}
	Message m;
	m.type = MsgType(body[1]);
	if (body[1] < uint8_t(MsgType::hello) || body[1] > uint8_t(MsgType::client_flows)) {
		err.what = "unknown message type " + std::to_string(body[1]);
		return std::nullopt;
	}
	m.request_id = rd32(&body[4]);
	std::bitset<A_MAX + 1> seen;
	bool ok = walk(body.subspan(kHeaderSize), err, [&](uint16_t t, std::span<const uint8_t> v) {
		bool repeatable = t == A_FAM_RECORD || t == A_CONN_RECORD || t == A_AGENT_RECORD ||
				  t == A_COUNTER_RECORD;
		if (t <= A_MAX && !repeatable) {
			if (seen[t]) {
				err.what = "attribute " + std::to_string(t) + " repeated";
				return false;
			}
			seen[t] = true;
		}
		size_t records = m.fams.size() + m.conns.size() + m.agents.size() + m.counters.size();
		if (repeatable && records >= kMaxRecords) {
			err.what = "too many records";
			return false;
		}
		switch (t) {
		case A_STATUS:
			if (!need_len(v, 2, t, err))
				return false;
			if (rd16(v.data()) > uint16_t(Status::internal)) {
				err.what = "unknown status " + std::to_string(rd16(v.data()));
				return false;
			}
			m.status = Status(rd16(v.data()));
			return true;
		case A_AGENT_ID:
			return get_str(v, t, m.agent_id.emplace(), err);
		case A_TEXT:
			return get_str(v, t, m.text.emplace(), err);
		case A_HAM_AGENT:
			return get_str(v, t, m.ham_agent.emplace(), err);
		case A_AGENT_ADDR:
		case A_CLIENT_ADDR:
			if (!need_len(v, 4, t, err))
				return false;
			(t == A_AGENT_ADDR ? m.agent_addr : m.client_addr) = Ipv4{rd32(v.data())};
			return true;
		case A_PROTO:
			return get_proto(v, t, m.proto, err);
		case A_CLIENT:
		case A_SERVER:
		case A_MASQ:
		case A_FAM: {
			if (!need_len(v, kEndpointSize, t, err))
				return false;
			auto &slot = t == A_CLIENT ? m.client : t == A_SERVER ? m.server : t == A_MASQ ? m.masq : m.fam;
			slot = get_ep(v);
			return true;
		}
		case A_FLAGS:
		case A_GENERATION:
		case A_COUNT: {
			if (!need_len(v, 4, t, err))
				return false;
			auto &slot = t == A_FLAGS ? m.flags : t == A_GENERATION ? m.generation : m.count;
			slot = rd32(v.data());
			return true;
		}
		case A_INSTANCE:
			if (!need_len(v, 8, t, err))
				return false;
			m.instance = rd64(v.data());
			return true;
		case A_ROLE:
			if (!need_len(v, 1, t, err))
				return false;
			if (v[0] != uint8_t(Role::agent) && v[0] != uint8_t(Role::ctl)) {
				err.what = "unknown role " + std::to_string(v[0]);
				return false;
			}
			m.role = Role(v[0]);
			return true;
		case A_WHAT:
			if (!need_len(v, 1, t, err))
				return false;
			if (v[0] < uint8_t(DumpWhat::connections) || v[0] > uint8_t(DumpWhat::ham_table)) {
				err.what = "unknown dump selector " + std::to_string(v[0]);
				return false;
			}
			m.what = DumpWhat(v[0]);
			return true;
		case A_FAM_RECORD:
			m.fams.emplace_back();
			return get_fam(v, m.fams.back(), err);
		case A_CONN_RECORD:
			m.conns.emplace_back();
			return get_conn(v, m.conns.back(), err);
		case A_AGENT_RECORD: {
			AgentRecord &a = m.agents.emplace_back();
			return walk(v, err, [&](uint16_t at, std::span<const uint8_t> av) {
				if (at == A_AGENT_ID)
					return get_str(av, at, a.id, err);
				if (at == A_AGENT_ADDR || at == A_COUNT) {
					if (!need_len(av, 4, at, err))
						return false;
					(at == A_AGENT_ADDR ? a.addr.value : a.connected) = rd32(av.data());
				}
				if (at == A_VALUE64) {
					if (!need_len(av, 8, at, err))
						return false;
					a.requests = rd64(av.data());
				}
				return true;
			});
		}
		case A_COUNTER_RECORD: {
			CounterRecord &c = m.counters.emplace_back();
			return walk(v, err, [&](uint16_t ct, std::span<const uint8_t> cv) {
				if (ct == A_TEXT)
					return get_str(cv, ct, c.name, err);
				if (ct == A_VALUE64) {
					if (!need_len(cv, 8, ct, err))
						return false;
					c.value = rd64(cv.data());
				}
				return true;
			});
		}
		default:
			// Unknown attributes are skipped so that newer peers can add fields.
			return true;
		}
	});
	if (!ok)
		return std::nullopt;
	return m;
}

std::string validate(const Message &m)
{
	auto need = [&](bool have, const char *what) { return have ? std::string() : std::string(what); };
	std::string miss;
	switch (m.type) {
	case MsgType::hello:
		miss = need(m.role.has_value(), "role");
		if (miss.empty() && m.role == Role::agent)
			miss = need(m.agent_addr && m.instance, "agent address and instance");
		break;
	case MsgType::fam_request:
		miss = need(m.flow() && m.fam, "protocol, client, server and FAM endpoint");
		break;
	case MsgType::ham_register:
		miss = need(m.flow() && m.masq, "protocol, client, server and masquerade endpoint");
		break;
	case MsgType::ham_designate:
		// The request names the flow; the answer carries a status.
		if (!m.status)
			miss = need(m.flow().has_value(), "protocol, client and server");
		break;
	case MsgType::fam_query:
		miss = need(m.masq_key().has_value(), "protocol, server and masquerade endpoint");
		break;
	case MsgType::fam_update:
	case MsgType::conn_removed:
		miss = need(m.flow() && m.masq, "protocol, client, server and masquerade endpoint");
		break;
	case MsgType::client_departed:
	case MsgType::client_arrived:
		miss = need(m.client_addr.has_value(), "client address");
		break;
	case MsgType::conn_end:
		miss = need(m.flow().has_value(), "protocol, client and server");
		break;
	case MsgType::dump_request:
		miss = need(m.what.has_value(), "dump selector");
		break;
	case MsgType::hello_ack:
	case MsgType::fam_reply:
	case MsgType::register_reply:
	case MsgType::fam_list:
	case MsgType::departed_ack:
	case MsgType::conn_end_ack:
	case MsgType::dump_reply:
	case MsgType::client_flows:
	case MsgType::error:
		miss = need(m.status.has_value(), "status");
		break;
	}
	if (miss.empty())
		return miss;
	return std::string(msg_type_name(m.type)) + " lacks " + miss;
}

} // namespace roamnat::proto
