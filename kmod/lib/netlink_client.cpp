#include "netlink_client.hpp"

#include "../uapi/roamnat.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <sys/socket.h>

namespace roamnat::kmod {

void NlSockFree::operator()(nl_sock *s) const { nl_socket_free(s); }

namespace {

struct MsgFree {
	void operator()(nl_msg *m) const { nlmsg_free(m); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgFree>;

// Counter names by enum roamnat_counter; empty where there is none.
const char *const kCounterNames[] = {"", "fam_out_packets", "fam_out_bytes", "fam_in_packets", "fam_in_bytes",
				     "ham_packets", "ham_bytes", "misses", "drop_unknown", "drop_malformed", "",
				     "events", "events_lost", "icmp_packets", "icmp_bytes", "ham_rev_packets",
				     "ham_rev_bytes", "fam_out_via_packets", "fam_out_via_bytes", "drop_no_route",
				     "drop_other", "policy_denied", "policy_unknown", "policy_held"};
static_assert(std::size(kCounterNames) == __ROAMNAT_C_MAX);

void put_endpoint(nl_msg *m, int addr_attr, int port_attr, const Endpoint &e)
{
	nla_put_u32(m, addr_attr, htonl(e.addr.value));
	nla_put_u16(m, port_attr, htons(e.port));
}

std::optional<Endpoint> get_endpoint(nlattr **a, int addr_attr, int port_attr)
{
	if (!a[addr_attr] || !a[port_attr])
		return std::nullopt;
	return Endpoint{Ipv4{ntohl(nla_get_u32(a[addr_attr]))}, ntohs(nla_get_u16(a[port_attr]))};
}

void put_entry(nl_msg *m, const Entry &e, bool key_only)
{
	nla_put_u8(m, ROAMNAT_A_TABLE, uint8_t(e.table));
	nla_put_u8(m, ROAMNAT_A_PROTO, uint8_t(e.proto));
	put_endpoint(m, ROAMNAT_A_SADDR, ROAMNAT_A_SPORT, e.src);
	put_endpoint(m, ROAMNAT_A_DADDR, ROAMNAT_A_DPORT, e.dst);
	if (key_only)
		return;
	if (e.new_src)
		put_endpoint(m, ROAMNAT_A_NEW_SADDR, ROAMNAT_A_NEW_SPORT, *e.new_src);
	if (e.new_dst)
		put_endpoint(m, ROAMNAT_A_NEW_DADDR, ROAMNAT_A_NEW_DPORT, *e.new_dst);
	if (e.orig)
		put_endpoint(m, ROAMNAT_A_ORIG_ADDR, ROAMNAT_A_ORIG_PORT, *e.orig);
	if (e.ifindex)
		nla_put_u32(m, ROAMNAT_A_IFINDEX, e.ifindex);
}

std::optional<Entry> parse_entry(nlattr **a)
{
	auto src = get_endpoint(a, ROAMNAT_A_SADDR, ROAMNAT_A_SPORT);
	auto dst = get_endpoint(a, ROAMNAT_A_DADDR, ROAMNAT_A_DPORT);
	if (!a[ROAMNAT_A_TABLE] || !a[ROAMNAT_A_PROTO] || !src || !dst)
		return std::nullopt;
	uint8_t t = nla_get_u8(a[ROAMNAT_A_TABLE]);
	auto proto = l4_from_number(nla_get_u8(a[ROAMNAT_A_PROTO]));
	if (t > ROAMNAT_TABLE_MAX || !proto)
		return std::nullopt;
	Entry e;
	e.table = Table(t);
	e.proto = *proto;
	e.src = *src;
	e.dst = *dst;
	e.new_src = get_endpoint(a, ROAMNAT_A_NEW_SADDR, ROAMNAT_A_NEW_SPORT);
	e.new_dst = get_endpoint(a, ROAMNAT_A_NEW_DADDR, ROAMNAT_A_NEW_DPORT);
	e.orig = get_endpoint(a, ROAMNAT_A_ORIG_ADDR, ROAMNAT_A_ORIG_PORT);
	if (a[ROAMNAT_A_IFINDEX])
		e.ifindex = nla_get_u32(a[ROAMNAT_A_IFINDEX]);
	if (a[ROAMNAT_A_IDLE_MS])
		e.idle_ms = nla_get_u64(a[ROAMNAT_A_IDLE_MS]);
	return e;
}

bool parse_attrs(nl_msg *msg, nlattr **a)
{
	return genlmsg_parse(nlmsg_hdr(msg), 0, a, ROAMNAT_A_MAX, nullptr) >= 0;
}

// The kernel's extended-ack text, when it sent one (NETLINK_EXT_ACK).
std::string ext_ack_text(const nlmsghdr *nlh)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return {};
	auto *err = static_cast<const nlmsgerr *>(nlmsg_data(nlh));
	size_t off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	int len = int(nlmsg_datalen(nlh)) - int(off);
	if (len <= 0)
		return {};
	auto *tlv = reinterpret_cast<nlattr *>(static_cast<char *>(nlmsg_data(nlh)) + off);
	nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, tlv, len, nullptr) < 0 || !tb[NLMSGERR_ATTR_MSG])
		return {};
	return std::string(static_cast<const char *>(nla_data(tb[NLMSGERR_ATTR_MSG])),
			   strnlen(static_cast<const char *>(nla_data(tb[NLMSGERR_ATTR_MSG])), nla_len(tb[NLMSGERR_ATTR_MSG])));
}

void enable_ext_ack(nl_sock *s)
{
	int one = 1;
	setsockopt(nl_socket_get_fd(s), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(s), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

} // namespace

const char *table_name(Table t)
{
	switch (t) {
	case Table::fam_out: return "fam_out";
	case Table::fam_in: return "fam_in";
	case Table::ham: return "ham";
	case Table::ham_rev: return "ham_rev";
	}
	return "?";
}

std::optional<Table> table_from_name(const std::string &name)
{
	for (Table t : kTables)
		if (name == table_name(t))
			return t;
	return std::nullopt;
}

std::string Entry::str() const
{
	std::string s = std::string(table_name(table)) + " " + l4_name(proto) + " " + src.str() + " -> " + dst.str();
	if (new_src)
		s += " new-src " + new_src->str();
	if (new_dst)
		s += " new-dst " + new_dst->str();
	if (orig)
		s += " orig " + orig->str();
	if (ifindex)
		s += " ifindex " + std::to_string(ifindex);
	return s;
}

static_assert(uint8_t(Filtering::off) == ROAMNAT_FILTERING_OFF && uint8_t(Filtering::deny) == ROAMNAT_FILTERING_DENY &&
	      uint8_t(Filtering::hold) == ROAMNAT_FILTERING_HOLD);

const char *filtering_name(Filtering f)
{
	switch (f) {
	case Filtering::off: return "off";
	case Filtering::deny: return "deny";
	case Filtering::hold: return "hold";
	}
	return "?";
}

std::optional<Filtering> filtering_from_name(const std::string &name)
{
	for (Filtering f : {Filtering::off, Filtering::deny, Filtering::hold})
		if (name == filtering_name(f))
			return f;
	return std::nullopt;
}

bool Client::open(std::string &error)
{
	sock_.reset(nl_socket_alloc());
	if (!sock_ || genl_connect(sock_.get()) < 0) {
		error = "cannot open a generic netlink socket";
		return false;
	}
	nl_socket_disable_seq_check(sock_.get());
	enable_ext_ack(sock_.get());
	nl_socket_set_buffer_size(sock_.get(), 1 << 20, 1 << 20);
	// A policy's dump message is up to about 13 KiB: read whole datagrams.
	nl_socket_set_msg_buf_size(sock_.get(), 64 * 1024);
	family_ = genl_ctrl_resolve(sock_.get(), ROAMNAT_GENL_NAME);
	if (family_ < 0) {
		error = "the roamnat kernel module is not loaded (modprobe roamnat, or insmod roamnat.ko)";
		return false;
	}
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_GET_VERSION, ROAMNAT_GENL_VERSION);
	uint32_t version = 0;
	if (!exchange(msg.get(), [&](nl_msg *r) {
		    nlattr *a[ROAMNAT_A_MAX + 1];
		    if (parse_attrs(r, a) && a[ROAMNAT_A_VERSION])
			    version = nla_get_u32(a[ROAMNAT_A_VERSION]);
	    }, error))
		return false;
	if (version != ROAMNAT_GENL_VERSION) {
		error = "roamnat module speaks API version " + std::to_string(version) + ", this program " +
			std::to_string(ROAMNAT_GENL_VERSION);
		return false;
	}
	return true;
}

bool Client::exchange(nl_msg *msg, const std::function<void(nl_msg *)> &on_reply, std::string &error)
{
	Failure f;
	if (exchange(msg, on_reply, f))
		return true;
	error = f.text;
	return false;
}

bool Client::exchange(nl_msg *msg, const std::function<void(nl_msg *)> &on_reply, Failure &failure)
{
	struct Ctx {
		const std::function<void(nl_msg *)> *on_reply;
		std::string text;
		int error = 0;
		bool done = false;
	} ctx{&on_reply, {}, 0, false};
	std::unique_ptr<nl_cb, void (*)(nl_cb *)> cb(nl_cb_clone(nl_socket_get_cb(sock_.get())), nl_cb_put);
	nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, [](nl_msg *m, void *arg) -> int {
		auto *c = static_cast<Ctx *>(arg);
		if (*c->on_reply)
			(*c->on_reply)(m);
		return NL_OK;
	}, &ctx);
	nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, [](nl_msg *, void *arg) -> int {
		static_cast<Ctx *>(arg)->done = true;
		return NL_STOP;
	}, &ctx);
	nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, [](nl_msg *, void *arg) -> int {
		static_cast<Ctx *>(arg)->done = true;
		return NL_STOP;
	}, &ctx);
	nl_cb_err(cb.get(), NL_CB_CUSTOM, [](sockaddr_nl *, nlmsgerr *e, void *arg) -> int {
		auto *c = static_cast<Ctx *>(arg);
		c->error = e->error;
		c->text = ext_ack_text(reinterpret_cast<nlmsghdr *>(e) - 1);
		c->done = true;
		return NL_SKIP; // NL_STOP would turn it into libnl's own error code
	}, &ctx);
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	int err = nl_send_auto(sock_.get(), msg);
	while (err >= 0 && !ctx.done)
		err = nl_recvmsgs(sock_.get(), cb.get());
	if (err < 0) {
		failure = {0, std::string("netlink: ") + nl_geterror(err)};
		return false;
	}
	if (ctx.error) {
		failure = {-ctx.error, strerror(-ctx.error)};
		if (!ctx.text.empty())
			failure.text += " (" + ctx.text + ")";
		return false;
	}
	return true;
}

bool Client::set_config(const Config &cfg, std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_SET_CONFIG, ROAMNAT_GENL_VERSION);
	nla_put_u16(msg.get(), ROAMNAT_A_PORT_MIN, cfg.port_min);
	nla_put_u16(msg.get(), ROAMNAT_A_PORT_MAX, cfg.port_max);
	nla_put_u16(msg.get(), ROAMNAT_A_MISS_QUEUE, cfg.miss_queue);
	if (cfg.ham_miss_queue)
		nla_put_u16(msg.get(), ROAMNAT_A_HAM_MISS_QUEUE, *cfg.ham_miss_queue);
	nla_put_u32(msg.get(), ROAMNAT_A_UDP_IDLE_S, cfg.udp_idle_s);
	nla_put_u32(msg.get(), ROAMNAT_A_TCP_IDLE_S, cfg.tcp_idle_s);
	nla_put_u8(msg.get(), ROAMNAT_A_DROP_OTHER, cfg.drop_other);
	if (cfg.filtering)
		nla_put_u8(msg.get(), ROAMNAT_A_FILTERING, uint8_t(*cfg.filtering));
	if (cfg.policy_queue)
		nla_put_u16(msg.get(), ROAMNAT_A_POLICY_QUEUE, *cfg.policy_queue);
	nla_put_u64(msg.get(), ROAMNAT_A_COOKIE, cfg.cookie);
	nla_put(msg.get(), ROAMNAT_A_CLIENT_IFINDEX, int(cfg.client_ifindexes.size() * sizeof(uint32_t)),
		cfg.client_ifindexes.data());
	return exchange(msg.get(), nullptr, error);
}

std::optional<Config> Client::get_config(std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_GET_CONFIG, ROAMNAT_GENL_VERSION);
	Config cfg;
	Failure failure;
	if (!exchange(msg.get(), [&](nl_msg *r) {
		    nlattr *a[ROAMNAT_A_MAX + 1];
		    if (!parse_attrs(r, a))
			    return;
		    auto u16 = [&](int at, uint16_t &out) { if (a[at]) out = nla_get_u16(a[at]); };
		    auto u32 = [&](int at, uint32_t &out) { if (a[at]) out = nla_get_u32(a[at]); };
		    u16(ROAMNAT_A_PORT_MIN, cfg.port_min);
		    u16(ROAMNAT_A_PORT_MAX, cfg.port_max);
		    u16(ROAMNAT_A_MISS_QUEUE, cfg.miss_queue);
		    if (a[ROAMNAT_A_HAM_MISS_QUEUE])
			    cfg.ham_miss_queue = nla_get_u16(a[ROAMNAT_A_HAM_MISS_QUEUE]);
		    u32(ROAMNAT_A_UDP_IDLE_S, cfg.udp_idle_s);
		    u32(ROAMNAT_A_TCP_IDLE_S, cfg.tcp_idle_s);
		    if (a[ROAMNAT_A_DROP_OTHER])
			    cfg.drop_other = nla_get_u8(a[ROAMNAT_A_DROP_OTHER]) != 0;
		    if (a[ROAMNAT_A_COOKIE])
			    cfg.cookie = nla_get_u64(a[ROAMNAT_A_COOKIE]);
		    if (a[ROAMNAT_A_FILTERING] && nla_get_u8(a[ROAMNAT_A_FILTERING]) <= ROAMNAT_FILTERING_MAX)
			    cfg.filtering = Filtering(nla_get_u8(a[ROAMNAT_A_FILTERING]));
		    if (a[ROAMNAT_A_POLICY_QUEUE])
			    cfg.policy_queue = nla_get_u16(a[ROAMNAT_A_POLICY_QUEUE]);
		    u32(ROAMNAT_A_POLICIES, cfg.policies);
		    u32(ROAMNAT_A_CLIENTS, cfg.clients);
		    if (a[ROAMNAT_A_CLIENT_IFINDEX]) {
			    cfg.client_ifindexes.resize(nla_len(a[ROAMNAT_A_CLIENT_IFINDEX]) / sizeof(uint32_t));
			    memcpy(cfg.client_ifindexes.data(), nla_data(a[ROAMNAT_A_CLIENT_IFINDEX]),
				   cfg.client_ifindexes.size() * sizeof(uint32_t));
		    }
	    }, failure)) {
		if (failure.code != ENOENT) // ENOENT: not configured in this namespace
			error = "reading the module's configuration: " + failure.text;
		return std::nullopt;
	}
	return cfg;
}

bool Client::apply(const std::vector<Change> &changes, std::string &error)
{
	// Requests per datagram: the kernel handles each message of a datagram
	// in turn and answers each with an ACK, which must fit the receive buffer
	// (an ACK costs about 1 KiB of it, set to 1 MiB in open()).
	constexpr size_t kBatchBytes = 32 * 1024, kBatchMessages = 256;
	size_t next = 0;
	while (next < changes.size()) {
		std::vector<uint8_t> buf;
		uint32_t first_seq = nl_socket_use_seq(sock_.get());
		size_t first = next, count = 0;
		while (next < changes.size() && buf.size() < kBatchBytes && count < kBatchMessages) {
			const Change &c = changes[next];
			MsgPtr msg(nlmsg_alloc());
			genlmsg_put(msg.get(), nl_socket_get_local_port(sock_.get()), first_seq + uint32_t(count), family_, 0,
				    NLM_F_REQUEST | NLM_F_ACK, c.add ? ROAMNAT_CMD_ADD_ENTRY : ROAMNAT_CMD_DEL_ENTRY,
				    ROAMNAT_GENL_VERSION);
			put_entry(msg.get(), c.entry, !c.add);
			nlmsghdr *h = nlmsg_hdr(msg.get());
			auto *p = reinterpret_cast<uint8_t *>(h);
			buf.insert(buf.end(), p, p + NLMSG_ALIGN(h->nlmsg_len));
			++next;
			++count;
		}
		for (size_t i = 1; i < count; ++i)
			nl_socket_use_seq(sock_.get());
		if (nl_sendto(sock_.get(), buf.data(), buf.size()) < 0) {
			error = std::string("netlink send: ") + strerror(errno);
			return false;
		}
		struct Ctx {
			size_t acked = 0;
			std::string failure;
			uint32_t first_seq;
			const std::vector<Change> *changes;
			size_t first;
		} ctx{0, {}, first_seq, &changes, first};
		std::unique_ptr<nl_cb, void (*)(nl_cb *)> cb(nl_cb_clone(nl_socket_get_cb(sock_.get())), nl_cb_put);
		nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, [](nl_msg *, void *arg) -> int {
			++static_cast<Ctx *>(arg)->acked;
			return NL_SKIP;
		}, &ctx);
		nl_cb_err(cb.get(), NL_CB_CUSTOM, [](sockaddr_nl *, nlmsgerr *e, void *arg) -> int {
			auto *c = static_cast<Ctx *>(arg);
			++c->acked;
			size_t idx = c->first + (e->msg.nlmsg_seq - c->first_seq);
			bool del = idx < c->changes->size() && !(*c->changes)[idx].add;
			if (!(del && e->error == -ENOENT) && c->failure.empty()) {
				c->failure = std::string(del ? "deleting " : "adding ") +
					     (idx < c->changes->size() ? (*c->changes)[idx].entry.str() : "?") + ": " +
					     strerror(-e->error);
				std::string text = ext_ack_text(reinterpret_cast<nlmsghdr *>(e) - 1);
				if (!text.empty())
					c->failure += " (" + text + ")";
			}
			return NL_SKIP;
		}, &ctx);
		while (ctx.acked < count) {
			int err = nl_recvmsgs(sock_.get(), cb.get());
			if (err < 0) {
				error = std::string("netlink receive: ") + nl_geterror(err);
				return false;
			}
		}
		if (!ctx.failure.empty()) {
			error = ctx.failure;
			return false;
		}
	}
	return true;
}

bool Client::flush(std::optional<Table> table, std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_FLUSH, ROAMNAT_GENL_VERSION);
	if (table)
		nla_put_u8(msg.get(), ROAMNAT_A_TABLE, uint8_t(*table));
	return exchange(msg.get(), nullptr, error);
}

bool Client::reset(std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_RESET, ROAMNAT_GENL_VERSION);
	return exchange(msg.get(), nullptr, error);
}

bool Client::set_policy(uint32_t id, const Policy &p, std::string &error)
{
	auto action = [](RuleAction a) { return a == RuleAction::permit ? ROAMNAT_ACTION_PERMIT : ROAMNAT_ACTION_DENY; };
	// 128 rules of 16 port ranges each: about 13 KiB, more than one page.
	MsgPtr msg(nlmsg_alloc_size(64 * 1024));
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_SET_POLICY, ROAMNAT_GENL_VERSION);
	nla_put_u32(msg.get(), ROAMNAT_A_POLICY_ID, id);
	nla_put_u8(msg.get(), ROAMNAT_A_POLICY_DEFAULT, uint8_t(action(p.fallback)));
	nlattr *rules = nla_nest_start(msg.get(), ROAMNAT_A_RULES);
	int n = 0;
	for (const FilterRule &r : p.rules) {
		nlattr *rule = nla_nest_start(msg.get(), ++n);
		nla_put_u8(msg.get(), ROAMNAT_R_ACTION, uint8_t(action(r.action)));
		if (r.proto)
			nla_put_u8(msg.get(), ROAMNAT_R_PROTO, uint8_t(*r.proto));
		if (r.dst.len) {
			nla_put_u32(msg.get(), ROAMNAT_R_ADDR, htonl(r.dst.addr.value));
			nla_put_u8(msg.get(), ROAMNAT_R_PLEN, r.dst.len);
		}
		if (!r.ports.empty()) {
			std::vector<roamnat_port_range> ranges;
			for (const PortRange &pr : r.ports)
				ranges.push_back({pr.min, pr.max});
			nla_put(msg.get(), ROAMNAT_R_PORTS, int(ranges.size() * sizeof(ranges[0])), ranges.data());
		}
		nla_nest_end(msg.get(), rule);
	}
	nla_nest_end(msg.get(), rules);
	if (exchange(msg.get(), nullptr, error))
		return true;
	error = "installing policy " + p.name + ": " + error;
	return false;
}

bool Client::set_client_policy(Address client, uint32_t id, std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_SET_CLIENT, ROAMNAT_GENL_VERSION);
	nla_put_u32(msg.get(), ROAMNAT_A_CLIENT, htonl(client.value));
	nla_put_u32(msg.get(), ROAMNAT_A_POLICY_ID, id);
	if (exchange(msg.get(), nullptr, error))
		return true;
	error = "giving " + client.str() + " policy " + std::to_string(id) + ": " + error;
	return false;
}

bool Client::del_client_policy(Address client, std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_DEL_CLIENT, ROAMNAT_GENL_VERSION);
	nla_put_u32(msg.get(), ROAMNAT_A_CLIENT, htonl(client.value));
	Failure f;
	if (exchange(msg.get(), nullptr, f) || f.code == ENOENT)
		return true;
	error = "taking " + client.str() + "'s policy away: " + f.text;
	return false;
}

bool Client::flush_policies(std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_FLUSH_POLICIES, ROAMNAT_GENL_VERSION);
	return exchange(msg.get(), nullptr, error);
}

namespace {

// The inverse of set_policy's rule encoding; nullopt for what it never sends.
std::optional<FilterRule> parse_rule(nlattr *nest)
{
	nlattr *r[ROAMNAT_R_MAX + 1];
	if (nla_parse_nested(r, ROAMNAT_R_MAX, nest, nullptr) < 0 || !r[ROAMNAT_R_ACTION])
		return std::nullopt;
	FilterRule rule;
	uint8_t action = nla_get_u8(r[ROAMNAT_R_ACTION]);
	if (action != ROAMNAT_ACTION_PERMIT && action != ROAMNAT_ACTION_DENY)
		return std::nullopt;
	rule.action = action == ROAMNAT_ACTION_PERMIT ? RuleAction::permit : RuleAction::deny;
	if (r[ROAMNAT_R_PROTO]) {
		rule.proto = l4_from_number(nla_get_u8(r[ROAMNAT_R_PROTO]));
		if (!rule.proto)
			return std::nullopt;
	}
	if (r[ROAMNAT_R_ADDR] && r[ROAMNAT_R_PLEN] && nla_len(r[ROAMNAT_R_ADDR]) == 4) {
		rule.dst.addr = Address{ntohl(nla_get_u32(r[ROAMNAT_R_ADDR]))};
		rule.dst.len = nla_get_u8(r[ROAMNAT_R_PLEN]);
		if (rule.dst.len > 32)
			return std::nullopt;
	}
	if (r[ROAMNAT_R_PORTS]) {
		int len = nla_len(r[ROAMNAT_R_PORTS]);
		if (len <= 0 || len % int(sizeof(roamnat_port_range)))
			return std::nullopt;
		std::vector<roamnat_port_range> ranges(size_t(len) / sizeof(roamnat_port_range));
		memcpy(ranges.data(), nla_data(r[ROAMNAT_R_PORTS]), size_t(len));
		for (const auto &pr : ranges)
			rule.ports.push_back({pr.lo, pr.hi});
	}
	return rule;
}

std::optional<Policy> parse_policy(nlattr **a)
{
	if (!a[ROAMNAT_A_POLICY_ID] || !a[ROAMNAT_A_POLICY_DEFAULT])
		return std::nullopt;
	Policy p;
	p.name = std::to_string(nla_get_u32(a[ROAMNAT_A_POLICY_ID]));
	p.fallback = nla_get_u8(a[ROAMNAT_A_POLICY_DEFAULT]) == ROAMNAT_ACTION_PERMIT ? RuleAction::permit
										       : RuleAction::deny;
	if (a[ROAMNAT_A_RULES]) {
		nlattr *nest;
		int rem;
		nla_for_each_nested(nest, a[ROAMNAT_A_RULES], rem) {
			auto rule = parse_rule(nest);
			if (!rule)
				return std::nullopt;
			p.rules.push_back(*rule);
		}
	}
	return p;
}

} // namespace

std::optional<std::map<uint32_t, Policy>> Client::policies(std::string &error, std::optional<uint32_t> only)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, only ? 0 : NLM_F_DUMP, ROAMNAT_CMD_GET_POLICY,
		    ROAMNAT_GENL_VERSION);
	if (only)
		nla_put_u32(msg.get(), ROAMNAT_A_POLICY_ID, *only);
	std::map<uint32_t, Policy> out;
	std::optional<uint32_t> unreadable;
	if (!exchange(msg.get(), [&](nl_msg *r) {
		    nlattr *a[ROAMNAT_A_MAX + 1];
		    if (!parse_attrs(r, a) || !a[ROAMNAT_A_POLICY_ID])
			    return;
		    uint32_t id = nla_get_u32(a[ROAMNAT_A_POLICY_ID]);
		    if (auto p = parse_policy(a))
			    out[id] = std::move(*p);
		    else
			    unreadable = id;
	    }, error))
		return std::nullopt;
	if (unreadable) {
		error = "policy " + std::to_string(*unreadable) + " holds a rule this roamnat cannot read";
		return std::nullopt;
	}
	return out;
}

std::optional<std::map<Address, uint32_t>> Client::clients(std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, NLM_F_DUMP, ROAMNAT_CMD_GET_CLIENT,
		    ROAMNAT_GENL_VERSION);
	std::map<Address, uint32_t> out;
	if (!exchange(msg.get(), [&](nl_msg *r) {
		    nlattr *a[ROAMNAT_A_MAX + 1];
		    if (parse_attrs(r, a) && a[ROAMNAT_A_CLIENT] && a[ROAMNAT_A_POLICY_ID])
			    out[Address{ntohl(nla_get_u32(a[ROAMNAT_A_CLIENT]))}] = nla_get_u32(a[ROAMNAT_A_POLICY_ID]);
	    }, error))
		return std::nullopt;
	return out;
}

bool Client::dump(Table table, std::vector<Entry> &out, std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, NLM_F_DUMP, ROAMNAT_CMD_GET_ENTRY,
		    ROAMNAT_GENL_VERSION);
	nla_put_u8(msg.get(), ROAMNAT_A_TABLE, uint8_t(table));
	return exchange(msg.get(), [&](nl_msg *r) {
		nlattr *a[ROAMNAT_A_MAX + 1];
		if (parse_attrs(r, a))
			if (auto e = parse_entry(a))
				out.push_back(*e);
	}, error);
}

std::optional<std::map<std::string, uint64_t>> Client::counters(std::string &error)
{
	MsgPtr msg(nlmsg_alloc());
	genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, 0, ROAMNAT_CMD_GET_COUNTERS, ROAMNAT_GENL_VERSION);
	std::map<std::string, uint64_t> out;
	if (!exchange(msg.get(), [&](nl_msg *r) {
		    nlattr *a[ROAMNAT_A_MAX + 1];
		    if (!parse_attrs(r, a) || !a[ROAMNAT_A_COUNTERS])
			    return;
		    nlattr *c;
		    int rem;
		    nla_for_each_nested(c, a[ROAMNAT_A_COUNTERS], rem) {
			    int t = nla_type(c);
			    if (t > 0 && t < int(std::size(kCounterNames)) && *kCounterNames[t] && nla_len(c) == 8)
				    out[kCounterNames[t]] = nla_get_u64(c);
		    }
	    }, error))
		return std::nullopt;
	return out;
}

bool Client::subscribe(std::string &error, bool misses)
{
	events_.reset(nl_socket_alloc());
	if (!events_ || genl_connect(events_.get()) < 0) {
		error = "cannot open a generic netlink socket for events";
		return false;
	}
	nl_socket_disable_seq_check(events_.get());
	int group = genl_ctrl_resolve_grp(events_.get(), ROAMNAT_GENL_NAME, ROAMNAT_MCGRP_EVENTS);
	if (group < 0 || nl_socket_add_membership(events_.get(), group) < 0) {
		error = "cannot join the roamnat events group (needs CAP_NET_ADMIN)";
		return false;
	}
	if (misses) {
		group = genl_ctrl_resolve_grp(events_.get(), ROAMNAT_GENL_NAME, ROAMNAT_MCGRP_MISSES);
		if (group < 0 || nl_socket_add_membership(events_.get(), group) < 0) {
			error = "cannot join the roamnat misses group (needs CAP_NET_ADMIN)";
			return false;
		}
	}
	// Bursts of FIN/RST and idle reports: room for tens of thousands.
	nl_socket_set_buffer_size(events_.get(), 4 << 20, 0);
	nl_socket_set_nonblocking(events_.get());
	return true;
}

int Client::event_fd() const { return events_ ? nl_socket_get_fd(events_.get()) : -1; }

bool Client::read_events(const std::function<void(const Event &)> &handler)
{
	std::unique_ptr<nl_cb, void (*)(nl_cb *)> cb(nl_cb_clone(nl_socket_get_cb(events_.get())), nl_cb_put);
	nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, [](nl_msg *m, void *arg) -> int {
		nlattr *a[ROAMNAT_A_MAX + 1];
		if (!parse_attrs(m, a) || !a[ROAMNAT_A_EVENT])
			return NL_OK;
		uint8_t kind = nla_get_u8(a[ROAMNAT_A_EVENT]);
		auto e = parse_entry(a);
		if (e && kind >= ROAMNAT_EV_TCP_FIN && kind <= ROAMNAT_EV_MAX)
			(*static_cast<const std::function<void(const Event &)> *>(arg))(Event{EventKind(kind), *e});
		return NL_OK;
	}, const_cast<std::function<void(const Event &)> *>(&handler));
	for (int i = 0; i < 64; ++i) { // bounded: the event loop comes back while more wait
		int err = nl_recvmsgs(events_.get(), cb.get());
		if (err == -NLE_AGAIN)
			return true;
		if (err == -NLE_NOMEM)
			return false; // ENOBUFS: the kernel dropped events for us
		if (err < 0)
			return true;
	}
	return true;
}

} // namespace roamnat::kmod
