#include "protocol.hpp"

#include <array>
#include <bitset>
#include <variant>

namespace roamnat::proto {
namespace {

constexpr size_t kAttrHeader = 4;

// ---- the specification --------------------------------------------------------

// How each value type is on the wire: its length and, for enumerations, the
// numbers it may take. A new value type is one Wire specialisation.
template <typename T> struct Wire;
template <> struct Wire<Status> {
	static constexpr size_t len = 2;
	static constexpr unsigned min = 0, max = unsigned(Status::internal);
	static constexpr const char *what = "status";
};
template <> struct Wire<Role> {
	static constexpr size_t len = 1;
	static constexpr unsigned min = unsigned(Role::agent), max = unsigned(Role::key_source);
	static constexpr const char *what = "role";
};
template <> struct Wire<DumpWhat> {
	static constexpr size_t len = 1;
	static constexpr unsigned min = unsigned(DumpWhat::connections), max = unsigned(DumpWhat::users);
	static constexpr const char *what = "dump selector";
};
template <> struct Wire<UserAction> {
	static constexpr size_t len = 1;
	static constexpr unsigned min = unsigned(UserAction::revoke), max = unsigned(UserAction::disconnect);
	static constexpr const char *what = "user action";
};
template <> struct Wire<RuleAction> {
	static constexpr size_t len = 1;
	static constexpr unsigned min = unsigned(RuleAction::permit), max = unsigned(RuleAction::deny);
	static constexpr const char *what = "verdict";
};
template <> struct Wire<L4> { static constexpr size_t len = 1; };
// The codec of the address family (endpoint.hpp): IPv6 adds its alternative here.
template <> struct Wire<Address> { static constexpr size_t len = 4; };
template <> struct Wire<Endpoint> { static constexpr size_t len = 6; }; // address, port
template <> struct Wire<uint32_t> { static constexpr size_t len = 4; };
template <> struct Wire<uint64_t> { static constexpr size_t len = 8; };
template <> struct Wire<MacAddr> { static constexpr size_t len = 6; };

// The message's slot for a scalar attribute.
using Field = std::variant<std::optional<Status> Message::*, std::optional<std::string> Message::*,
			   std::optional<Address> Message::*, std::optional<L4> Message::*,
			   std::optional<Endpoint> Message::*, std::optional<uint32_t> Message::*,
			   std::optional<uint64_t> Message::*, std::optional<Role> Message::*,
			   std::optional<DumpWhat> Message::*, std::optional<MacAddr> Message::*,
			   std::optional<SecretBytes> Message::*, std::optional<UserAction> Message::*,
			   std::optional<RuleAction> Message::*, std::optional<EtherFrame> Message::*>;

struct AttrSpec {
	Attr id;
	const char *name;
	std::optional<Field> field; // nullopt: a record (repeatable) or a record's own field
};

const AttrSpec kAttrs[] = {
	{Attr::status, "status", &Message::status},
	{Attr::agent_id, "agent_id", &Message::agent_id},
	{Attr::text, "text", &Message::text},
	{Attr::ham_agent, "ham_agent", &Message::ham_agent},
	{Attr::agent_addr, "agent_addr", &Message::agent_addr},
	{Attr::client_addr, "client_addr", &Message::client_addr},
	{Attr::proto, "proto", &Message::proto},
	{Attr::client, "client", &Message::client},
	{Attr::server, "server", &Message::server},
	{Attr::masq, "masq", &Message::masq},
	{Attr::fam, "fam", &Message::fam},
	{Attr::flags, "flags", &Message::flags},
	{Attr::generation, "generation", &Message::generation},
	{Attr::count, "count", &Message::count},
	{Attr::role, "role", &Message::role},
	{Attr::what, "what", &Message::what},
	{Attr::fam_record, "fam_record", std::nullopt},
	{Attr::conn_record, "conn_record", std::nullopt},
	{Attr::agent_record, "agent_record", std::nullopt},
	{Attr::counter_record, "counter_record", std::nullopt},
	{Attr::value64, "value64", std::nullopt},
	{Attr::instance, "instance", &Message::instance},
	{Attr::mac, "mac", &Message::mac},
	{Attr::user, "user", &Message::user},
	{Attr::auth_method, "auth_method", &Message::auth_method},
	{Attr::user_record, "user_record", std::nullopt},
	{Attr::pmk, "pmk", &Message::pmk},
	{Attr::lifetime, "lifetime", &Message::lifetime},
	{Attr::action, "action", &Message::action},
	{Attr::filter_id, "filter_id", &Message::filter_id},
	{Attr::rule, "rule", std::nullopt},
	{Attr::session_timeout, "session_timeout", &Message::session_timeout},
	{Attr::vlan, "vlan", &Message::vlan},
	{Attr::radius_class, "radius_class", &Message::radius_class},
	{Attr::verdict, "verdict", &Message::verdict},
	{Attr::frame, "frame", &Message::frame},
	{Attr::mobility_domain, "mobility_domain", &Message::mobility_domain},
	{Attr::ft_key, "ft_key", &Message::ft_key},
	{Attr::keepalive_ms, "keepalive_ms", &Message::keepalive_ms},
	{Attr::dead_after_ms, "dead_after_ms", &Message::dead_after_ms},
	{Attr::masq_addr, "masq_addr", std::nullopt},
};
static_assert(std::size(kAttrs) == kMaxAttr);

const AttrSpec *attr_spec(uint16_t id)
{
	return id >= 1 && id <= kMaxAttr ? &kAttrs[id - 1] : nullptr;
}

std::string hello_more(const Message &m)
{
	return m.role == Role::agent && !(m.agent_addr && m.instance) ? "agent_addr and instance (an agent's hello)" : "";
}

std::string designate_more(const Message &m)
{
	// The request names the flow; the answer carries a status.
	return !m.status && !m.flow() ? "proto, client and server" : "";
}

// A station is named by its address, its MAC or both (which binds the two).
std::string arrived_more(const Message &m)
{
	return !m.client_addr && !m.mac ? "client_addr or mac" : "";
}

std::string takeover_more(const Message &m)
{
	return m.masq_addrs.size() != 1 ? "exactly one masq_addr" : "";
}

using A = Attr;
constexpr AttrSet kFlow = attrs({A::proto, A::client, A::server});
constexpr AttrSet kStatus = attrs({A::status});
constexpr AttrSet kText = attrs({A::text});
constexpr AttrSet kAuthz = attrs({A::filter_id, A::rule, A::session_timeout, A::vlan, A::radius_class});

const MessageSpec kMessages[] = {
	{MsgType::hello, "hello", attrs({A::role}), attrs({A::agent_addr, A::instance, A::flags, A::masq_addr}), {}, false,
	 hello_more},
	{MsgType::hello_ack, "hello_ack", kStatus,
	 attrs({A::flags, A::text, A::keepalive_ms, A::dead_after_ms, A::masq_addr}), MsgType::hello},
	{MsgType::fam_request, "fam_request", kFlow | attrs({A::fam}), attrs({A::flags}), {}},
	{MsgType::fam_reply, "fam_reply", kStatus, attrs({A::masq, A::ham_agent, A::generation, A::text}),
	 MsgType::fam_request},
	{MsgType::ham_register, "ham_register", kFlow | attrs({A::masq}), attrs({A::fam, A::flags}), {}},
	{MsgType::register_reply, "register_reply", kStatus, kText | attrs({A::ham_agent}), MsgType::ham_register},
	{MsgType::fam_query, "fam_query", attrs({A::proto, A::server, A::masq}), 0, {}},
	{MsgType::fam_list, "fam_list", kStatus, attrs({A::fam_record, A::generation}), MsgType::fam_query},
	{MsgType::fam_update, "fam_update", kFlow | attrs({A::masq}), attrs({A::fam_record, A::generation}), {}},
	{MsgType::client_departed, "client_departed", attrs({A::client_addr}), 0, {}},
	{MsgType::departed_ack, "departed_ack", kStatus, attrs({A::count}), MsgType::client_departed},
	{MsgType::conn_end, "conn_end", kFlow, kText, {}},
	{MsgType::conn_end_ack, "conn_end_ack", kStatus, 0, MsgType::conn_end},
	{MsgType::conn_removed, "conn_removed", kFlow | attrs({A::masq}), kText | attrs({A::ham_agent, A::generation}),
	 {}},
	{MsgType::dump_request, "dump_request", attrs({A::what}), 0, {}},
	{MsgType::dump_reply, "dump_reply", kStatus,
	 attrs({A::flags, A::conn_record, A::agent_record, A::counter_record, A::user_record}), MsgType::dump_request},
	{MsgType::error, "error", kStatus, kText, {}},
	{MsgType::ham_designate, "ham_designate", 0, kFlow | kStatus | kText | attrs({A::ham_agent}),
	 MsgType::ham_designate, true, designate_more},
	{MsgType::client_arrived, "client_arrived", 0, attrs({A::client_addr, A::mac}), {}, false, arrived_more},
	{MsgType::client_flows, "client_flows", kStatus, attrs({A::client_addr, A::conn_record}), MsgType::client_arrived},
	{MsgType::client_moved, "client_moved", attrs({A::client_addr}), attrs({A::agent_id}), {}},
	{MsgType::station_auth, "station_auth", attrs({A::mac, A::user}), attrs({A::auth_method}), {}},
	{MsgType::station_auth_ack, "station_auth_ack", kStatus, kText, MsgType::station_auth},
	{MsgType::station_key, "station_key", attrs({A::mac, A::user, A::pmk, A::lifetime}), attrs({A::agent_id}) | kAuthz,
	 {}},
	{MsgType::station_key_ack, "station_key_ack", kStatus, kText | attrs({A::count}), MsgType::station_key},
	{MsgType::key_push, "key_push", attrs({A::mac, A::user, A::pmk, A::lifetime}), 0, {}},
	{MsgType::user_action, "user_action", attrs({A::user, A::action}), attrs({A::lifetime}), {}},
	{MsgType::user_action_ack, "user_action_ack", kStatus, kText | attrs({A::count}), MsgType::user_action},
	{MsgType::station_revoke, "station_revoke", attrs({A::mac, A::user}), kText, {}},
	{MsgType::station_revoke_ack, "station_revoke_ack", kStatus, attrs({A::mac, A::count}), MsgType::station_revoke},
	{MsgType::policy_request, "policy_request", attrs({A::mac}), 0, {}},
	{MsgType::policy_reply, "policy_reply", kStatus,
	 kText | attrs({A::mac, A::user, A::filter_id, A::rule, A::verdict}), MsgType::policy_request},
	// From an AP without agent_id; the coordinator names the AP it came from.
	{MsgType::ft_frame, "ft_frame", attrs({A::frame}), attrs({A::agent_id}), {}},
	{MsgType::ft_config_request, "ft_config_request", 0, 0, {}},
	{MsgType::ft_config_reply, "ft_config_reply", kStatus, kText | attrs({A::mobility_domain, A::ft_key}),
	 MsgType::ft_config_request},
	{MsgType::keepalive, "keepalive", 0, 0, {}},
	{MsgType::keepalive_ack, "keepalive_ack", kStatus, 0, MsgType::keepalive},
	{MsgType::ham_takeover, "ham_takeover", attrs({A::generation, A::agent_id}),
	 attrs({A::masq_addr, A::conn_record, A::flags}), {}, false, takeover_more},
	{MsgType::ham_takeover_ack, "ham_takeover_ack", kStatus, kText | attrs({A::count}), MsgType::ham_takeover},
};

const char *const kStatusNames[] = {
	"ok", "rejected", "became_ham", "not_found", "conflict", "suspect", "bad_message", "unauthorized",
	"bad_version", "internal",
};
static_assert(std::size(kStatusNames) == Wire<Status>::max + 1);

// ---- writing ---------------------------------------------------------------------

class Writer {
public:
	WireBytes out;

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
	size_t begin(Attr type)
	{
		size_t at = out.size();
		u16(uint16_t(type));
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

	void value(Status v) { u16(uint16_t(v)); }
	void value(Role v) { u8(uint8_t(v)); }
	void value(DumpWhat v) { u8(uint8_t(v)); }
	void value(UserAction v) { u8(uint8_t(v)); }
	void value(RuleAction v) { u8(uint8_t(v)); }
	void value(L4 v) { u8(uint8_t(v)); }
	void value(Address a) { u32(a.value); }
	void value(const Endpoint &e)
	{
		value(e.addr);
		u16(e.port);
	}
	void value(uint32_t v) { u32(v); }
	void value(uint64_t v) { u64(v); }
	void value(const MacAddr &m) { out.insert(out.end(), m.bytes.begin(), m.bytes.end()); }
	void value(const SecretBytes &k) { out.insert(out.end(), k.begin(), k.end()); }
	void value(const EtherFrame &f) { out.insert(out.end(), f.bytes.begin(), f.bytes.end()); }
	void value(const std::string &s)
	{
		size_t n = std::min(s.size(), kMaxString);
		out.insert(out.end(), s.begin(), s.begin() + long(n));
	}
	template <typename T> void attr(Attr type, const T &v)
	{
		auto a = begin(type);
		value(v);
		end(a);
	}
};

void put_fam(Writer &w, const FamRecord &f)
{
	auto a = w.begin(A::fam_record);
	w.attr(A::agent_id, f.agent);
	w.attr(A::fam, f.fam);
	w.end(a);
}

void put_conn(Writer &w, const ConnRecord &c)
{
	auto a = w.begin(A::conn_record);
	w.attr(A::proto, c.flow.proto);
	w.attr(A::client, c.flow.client);
	w.attr(A::server, c.flow.server);
	w.attr(A::masq, c.masq);
	w.attr(A::ham_agent, c.ham_agent);
	w.attr(A::generation, c.generation);
	for (const auto &f : c.fams)
		put_fam(w, f);
	w.end(a);
}

// ---- reading ---------------------------------------------------------------------

uint16_t rd16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t *p) { return uint32_t(rd16(p)) << 16 | rd16(p + 2); }
uint64_t rd64(const uint8_t *p) { return uint64_t(rd32(p)) << 32 | rd32(p + 4); }

std::string attr_label(uint16_t type)
{
	const AttrSpec *s = attr_spec(type);
	return s ? std::string(s->name) + " (" + std::to_string(type) + ")" : std::to_string(type);
}

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
			err.what = "attribute " + attr_label(type) + " overruns its message";
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
	err.what = "attribute " + attr_label(type) + " has length " + std::to_string(v.size()) + ", expected " +
		   std::to_string(n);
	return false;
}

template <typename T> bool read_enum(std::span<const uint8_t> v, uint16_t type, T &out, DecodeError &err)
{
	if (!need_len(v, Wire<T>::len, type, err))
		return false;
	unsigned n = Wire<T>::len == 2 ? rd16(v.data()) : v[0];
	if (n < Wire<T>::min || n > Wire<T>::max) {
		err.what = std::string("unknown ") + Wire<T>::what + " " + std::to_string(n);
		return false;
	}
	out = T(n);
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, Status &out, DecodeError &err) { return read_enum(v, type, out, err); }
bool read(std::span<const uint8_t> v, uint16_t type, Role &out, DecodeError &err) { return read_enum(v, type, out, err); }
bool read(std::span<const uint8_t> v, uint16_t type, DumpWhat &out, DecodeError &err) { return read_enum(v, type, out, err); }
bool read(std::span<const uint8_t> v, uint16_t type, UserAction &out, DecodeError &err) { return read_enum(v, type, out, err); }
bool read(std::span<const uint8_t> v, uint16_t type, RuleAction &out, DecodeError &err) { return read_enum(v, type, out, err); }

bool read(std::span<const uint8_t> v, uint16_t type, L4 &out, DecodeError &err)
{
	if (!need_len(v, Wire<L4>::len, type, err))
		return false;
	auto p = l4_from_number(v[0]);
	if (!p) {
		err.what = "unsupported transport protocol " + std::to_string(v[0]);
		return false;
	}
	out = *p;
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, Address &out, DecodeError &err)
{
	if (!need_len(v, Wire<Address>::len, type, err))
		return false;
	out = Address{rd32(v.data())};
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, Endpoint &out, DecodeError &err)
{
	if (!need_len(v, Wire<Endpoint>::len, type, err) || !read(v.first(Wire<Address>::len), type, out.addr, err))
		return false;
	out.port = rd16(v.data() + Wire<Address>::len);
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, uint32_t &out, DecodeError &err)
{
	if (!need_len(v, Wire<uint32_t>::len, type, err))
		return false;
	out = rd32(v.data());
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, uint64_t &out, DecodeError &err)
{
	if (!need_len(v, Wire<uint64_t>::len, type, err))
		return false;
	out = rd64(v.data());
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, MacAddr &out, DecodeError &err)
{
	if (!need_len(v, Wire<MacAddr>::len, type, err))
		return false;
	std::copy(v.begin(), v.end(), out.bytes.begin());
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, SecretBytes &out, DecodeError &err)
{
	if (v.size() < kMinPmk || v.size() > kMaxPmk) {
		err.what = "key attribute " + attr_label(type) + " has length " + std::to_string(v.size()) + ", expected " +
			   std::to_string(kMinPmk) + " to " + std::to_string(kMaxPmk);
		return false;
	}
	out.assign(v.begin(), v.end());
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, EtherFrame &out, DecodeError &err)
{
	if (v.size() < kMinEtherFrame || v.size() > kMaxEtherFrame) {
		err.what = "frame attribute " + attr_label(type) + " has length " + std::to_string(v.size()) + ", expected " +
			   std::to_string(kMinEtherFrame) + " to " + std::to_string(kMaxEtherFrame);
		return false;
	}
	out.bytes.assign(v.begin(), v.end());
	return true;
}

bool read(std::span<const uint8_t> v, uint16_t type, std::string &out, DecodeError &err)
{
	if (v.size() > kMaxString) {
		err.what = "string attribute " + attr_label(type) + " too long";
		return false;
	}
	for (uint8_t c : v) {
		if (c < 0x20 || c > 0x7e) {
			err.what = "string attribute " + attr_label(type) + " holds a non-printable byte";
			return false;
		}
	}
	out.assign(v.begin(), v.end());
	return true;
}

bool get_fam(std::span<const uint8_t> v, FamRecord &f, DecodeError &err)
{
	bool have_fam = false;
	bool ok = walk(v, err, [&](uint16_t t, std::span<const uint8_t> val) {
		if (t == uint16_t(A::agent_id))
			return read(val, t, f.agent, err);
		if (t == uint16_t(A::fam)) {
			have_fam = true;
			return read(val, t, f.fam, err);
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
	AttrSet seen = 0;
	bool ok = walk(v, err, [&](uint16_t t, std::span<const uint8_t> val) {
		switch (A(t)) {
		case A::proto:
			seen |= attrs({A::proto});
			return read(val, t, c.flow.proto, err);
		case A::client:
			seen |= attrs({A::client});
			return read(val, t, c.flow.client, err);
		case A::server:
			seen |= attrs({A::server});
			return read(val, t, c.flow.server, err);
		case A::masq:
			seen |= attrs({A::masq});
			return read(val, t, c.masq, err);
		case A::ham_agent:
			return read(val, t, c.ham_agent, err);
		case A::generation:
			return read(val, t, c.generation, err);
		case A::fam_record:
			if (c.fams.size() >= kMaxRecords) {
				err.what = "too many FAM records";
				return false;
			}
			return get_fam(val, c.fams.emplace_back(), err);
		default:
			return true;
		}
	});
	if (ok && seen != (kFlow | attrs({A::masq}))) {
		err.what = "connection record lacks protocol, client, server or masquerade";
		return false;
	}
	return ok;
}

bool get_agent(std::span<const uint8_t> v, AgentRecord &a, DecodeError &err)
{
	return walk(v, err, [&](uint16_t t, std::span<const uint8_t> val) {
		switch (A(t)) {
		case A::agent_id: return read(val, t, a.id, err);
		case A::agent_addr: return read(val, t, a.addr, err);
		case A::count: return read(val, t, a.connected, err);
		case A::value64: return read(val, t, a.requests, err);
		default: return true;
		}
	});
}

bool get_counter(std::span<const uint8_t> v, CounterRecord &c, DecodeError &err)
{
	return walk(v, err, [&](uint16_t t, std::span<const uint8_t> val) {
		switch (A(t)) {
		case A::text: return read(val, t, c.name, err);
		case A::value64: return read(val, t, c.value, err);
		default: return true;
		}
	});
}

bool get_user(std::span<const uint8_t> v, UserRecord &u, DecodeError &err)
{
	bool have_mac = false;
	bool ok = walk(v, err, [&](uint16_t t, std::span<const uint8_t> val) {
		switch (A(t)) {
		case A::mac: have_mac = true; return read(val, t, u.mac, err);
		case A::user: return read(val, t, u.user, err);
		case A::agent_id: return read(val, t, u.agent, err);
		case A::auth_method: return read(val, t, u.method, err);
		case A::value64: return read(val, t, u.since, err);
		case A::filter_id: return read(val, t, u.policy, err);
		default: return true;
		}
	});
	if (ok && (!have_mac || u.user.empty())) {
		err.what = "user record without mac or user";
		return false;
	}
	return ok;
}

bool is_record(uint16_t t)
{
	return t == uint16_t(A::fam_record) || t == uint16_t(A::conn_record) || t == uint16_t(A::agent_record) ||
	       t == uint16_t(A::counter_record) || t == uint16_t(A::user_record);
}

bool get_record(Message &m, uint16_t t, std::span<const uint8_t> v, DecodeError &err)
{
	if (m.fams.size() + m.conns.size() + m.agents.size() + m.counters.size() + m.users.size() >= kMaxRecords) {
		err.what = "too many records";
		return false;
	}
	switch (A(t)) {
	case A::fam_record: return get_fam(v, m.fams.emplace_back(), err);
	case A::conn_record: return get_conn(v, m.conns.emplace_back(), err);
	case A::agent_record: return get_agent(v, m.agents.emplace_back(), err);
	case A::user_record: return get_user(v, m.users.emplace_back(), err);
	default: return get_counter(v, m.counters.emplace_back(), err);
	}
}

// A rule this side could not enforce fails the whole message: a policy is
// never taken with one of its rules left out.
bool get_rule(Message &m, uint16_t t, std::span<const uint8_t> v, DecodeError &err)
{
	if (m.rules.size() >= kMaxPolicyRules) {
		err.what = "more than " + std::to_string(kMaxPolicyRules) + " rules";
		return false;
	}
	std::string text, why;
	if (!read(v, t, text, err))
		return false;
	auto rule = parse_filter_rule(text, why);
	if (!rule) {
		err.what = "rule " + std::to_string(m.rules.size() + 1) + " '" + text + "': " + why;
		return false;
	}
	m.rules.push_back(std::move(*rule));
	return true;
}

} // namespace

// ---- public ------------------------------------------------------------------------

const char *attr_name(Attr a)
{
	const AttrSpec *s = attr_spec(uint16_t(a));
	return s ? s->name : "unknown";
}

const MessageSpec *message_spec(MsgType type)
{
	for (const auto &s : kMessages)
		if (s.type == type)
			return &s;
	return nullptr;
}

std::span<const MessageSpec> message_specs() { return kMessages; }

const char *msg_type_name(MsgType type)
{
	const MessageSpec *s = message_spec(type);
	return s ? s->name : "unknown";
}

const char *user_action_name(UserAction a)
{
	switch (a) {
	case UserAction::revoke: return "revoke";
	case UserAction::reinstate: return "reinstate";
	case UserAction::disconnect: return "disconnect";
	}
	return "unknown";
}

const char *user_action_done(UserAction a)
{
	switch (a) {
	case UserAction::revoke: return "revoked";
	case UserAction::reinstate: return "reinstated";
	case UserAction::disconnect: return "disconnected";
	}
	return "acted on";
}

const char *status_name(Status status)
{
	return unsigned(status) < std::size(kStatusNames) ? kStatusNames[unsigned(status)] : "unknown";
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

WireBytes encode(const Message &m)
{
	Writer w;
	w.u32(0);
	w.u8(kVersion);
	w.u8(uint8_t(m.type));
	w.u16(0);
	w.u32(m.request_id);
	for (const auto &spec : kAttrs) {
		if (!spec.field)
			continue;
		std::visit([&](auto field) {
			if (const auto &v = m.*field)
				w.attr(spec.id, *v);
		}, *spec.field);
	}
	for (const auto &r : m.rules)
		w.attr(A::rule, r.str());
	for (Address a : m.masq_addrs)
		w.attr(A::masq_addr, a);
	for (const auto &f : m.fams)
		put_fam(w, f);
	for (const auto &c : m.conns)
		put_conn(w, c);
	for (const auto &ag : m.agents) {
		auto a = w.begin(A::agent_record);
		w.attr(A::agent_id, ag.id);
		w.attr(A::agent_addr, ag.addr);
		w.attr(A::count, ag.connected);
		w.attr(A::value64, ag.requests);
		w.end(a);
	}
	for (const auto &c : m.counters) {
		auto a = w.begin(A::counter_record);
		w.attr(A::text, c.name);
		w.attr(A::value64, c.value);
		w.end(a);
	}
	for (const auto &u : m.users) {
		auto a = w.begin(A::user_record);
		w.attr(A::mac, u.mac);
		w.attr(A::user, u.user);
		w.attr(A::agent_id, u.agent);
		w.attr(A::auth_method, u.method);
		w.attr(A::value64, u.since);
		if (!u.policy.empty())
			w.attr(A::filter_id, u.policy);
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
	err = DecodeError{};
	if (body.size() < kHeaderSize) {
		err.what = "frame shorter than its header";
		return std::nullopt;
	}
	if (body[0] != kVersion) {
		err.status = Status::bad_version;
		err.what = "protocol version " + std::to_string(body[0]) + " not supported (this side speaks " +
			   std::to_string(kVersion) + ")";
		return std::nullopt;
	}
	Message m;
	m.type = MsgType(body[1]);
	if (!message_spec(m.type)) {
		err.what = "unknown message type " + std::to_string(body[1]);
		return std::nullopt;
	}
	m.request_id = rd32(&body[4]);
	std::bitset<kMaxAttr + 1> seen;
	bool ok = walk(body.subspan(kHeaderSize), err, [&](uint16_t t, std::span<const uint8_t> v) {
		if (is_record(t))
			return get_record(m, t, v, err);
		if (t == uint16_t(A::rule))
			return get_rule(m, t, v, err);
		if (t == uint16_t(A::masq_addr)) {
			if (m.masq_addrs.size() >= kMaxMasqAddrs) {
				err.what = "more than " + std::to_string(kMaxMasqAddrs) + " masq_addr";
				return false;
			}
			return read(v, t, m.masq_addrs.emplace_back(), err);
		}
		const AttrSpec *spec = attr_spec(t);
		if (!spec || !spec->field)
			return true; // unknown attributes are skipped so that newer peers can add fields
		if (seen[t]) {
			err.what = "attribute " + attr_label(t) + " repeated";
			return false;
		}
		seen[t] = true;
		return std::visit([&](auto field) { return read(v, t, (m.*field).emplace(), err); }, *spec->field);
	});
	if (!ok)
		return std::nullopt;
	return m;
}

std::string validate(const Message &m)
{
	const MessageSpec *spec = message_spec(m.type);
	if (!spec)
		return "unknown message type " + std::to_string(unsigned(m.type));
	std::string missing;
	for (const auto &a : kAttrs) {
		if (!has(spec->required, a.id) || !a.field)
			continue;
		bool present = std::visit([&](auto field) { return (m.*field).has_value(); }, *a.field);
		if (!present)
			missing += (missing.empty() ? "" : ", ") + std::string(a.name);
	}
	if (missing.empty() && spec->more)
		missing = spec->more(m);
	return missing.empty() ? missing : std::string(spec->name) + " lacks " + missing;
}

std::optional<MsgType> answers(const Message &m)
{
	const MessageSpec *spec = message_spec(m.type);
	if (!spec || (spec->reply_only_with_status && !m.status))
		return std::nullopt;
	return spec->answers;
}

} // namespace roamnat::proto
