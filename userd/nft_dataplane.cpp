#include "nft_dataplane.hpp"

#include "../common/log.hpp"
#include "nfqueue.hpp"
#include "packet_info.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <linux/netfilter.h>
#include <net/if.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/rtnetlink.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

namespace roamnat {
namespace {

// Registers: the 5-tuple key is loaded into REG32_00..04 (20 bytes) and a map
// lookup returns its value into REG32_05 onwards. Payload writes read from
// there, so both fields of a rewrite come from one lookup.
constexpr uint32_t kKeyReg = NFT_REG32_00;
constexpr uint32_t kValReg = NFT_REG32_05;
constexpr uint32_t kKeyLen = 20;
constexpr uint32_t kEpLen = 8; // address + port padded to a register

// nft's type ids, so that "nft list ruleset" prints our maps readably.
constexpr uint32_t kTypeIpv4 = 7, kTypeProto = 12, kTypeService = 13, kTypeBits = 6;
constexpr uint32_t concat_type(std::initializer_list<uint32_t> types)
{
	uint32_t t = 0;
	for (uint32_t x : types)
		t = (t << kTypeBits) | x;
	return t;
}
constexpr uint32_t kKeyType = concat_type({kTypeProto, kTypeIpv4, kTypeService, kTypeIpv4, kTypeService});
constexpr uint32_t kEpType = concat_type({kTypeIpv4, kTypeService});
constexpr uint32_t kEp2Type = concat_type({kTypeIpv4, kTypeService, kTypeIpv4, kTypeService});

// Map and set names (docs/architecture.md lists them).
constexpr const char *kFamOut = "fam_out";         // key client side -> new src
constexpr const char *kFamOutVia = "fam_out_via";  // key client side -> new src . new dst
constexpr const char *kFamIn = "fam_in";           // key server . fam -> client
constexpr const char *kHam = "ham";                // key server . masq -> fam
constexpr const char *kHamPending = "ham_nofam";   // key server . masq, FAM unknown
constexpr const char *kHamRev = "ham_rev";         // key fam . masq -> server . masq
constexpr const char *kSeen = "seen";              // activity, for idle timeouts

const char *kCounters[] = {"fam_out", "fam_out_via", "fam_in", "ham_in", "ham_rev", "miss_out",
			   "miss_ham", "unknown_dropped", "tcp_end_events", "icmp_queued", "other_dropped",
			   "policy_denied", "policy_unknown", "policy_held"};
// Fig. 14 1465: client address -> jump to the chain of its user's policy,
// one map per direction (filtering on).
constexpr const char *kPolicyOut = "policy_out";
constexpr const char *kPolicyIn = "policy_in";
constexpr uint32_t kNftDataVerdict = 0xffffff00; // NFT_DATA_VERDICT

struct ExprDel { void operator()(nftnl_expr *e) const { nftnl_expr_free(e); } };

class Rule {
public:
	Rule(const char *chain) : r_(nftnl_rule_alloc())
	{
		nftnl_rule_set_str(r_, NFTNL_RULE_TABLE, NftDataPlane::kTable);
		nftnl_rule_set_str(r_, NFTNL_RULE_CHAIN, chain);
		nftnl_rule_set_u32(r_, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	}
	~Rule() { nftnl_rule_free(r_); }
	Rule(const Rule &) = delete;

	nftnl_expr *expr(const char *name)
	{
		nftnl_expr *e = nftnl_expr_alloc(name);
		nftnl_rule_add_expr(r_, e); // the rule owns it
		return e;
	}
	Rule &meta(uint32_t key, uint32_t dreg)
	{
		auto e = expr("meta");
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
		return *this;
	}
	Rule &load(uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
	{
		auto e = expr("payload");
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
		return *this;
	}
	// Writes keep checksums valid: the IPv4 header checksum and, for an
	// address, the transport checksum's pseudo-header; for a port, the
	// transport checksum itself.
	Rule &store(uint32_t base, uint32_t off, uint32_t len, uint32_t sreg, uint32_t csum_off, bool pseudo)
	{
		auto e = expr("payload");
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE, NFT_PAYLOAD_CSUM_INET);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, csum_off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_FLAGS, pseudo ? NFT_PAYLOAD_L4CSUM_PSEUDOHDR : 0);
		return *this;
	}
	Rule &cmp(uint32_t sreg, uint32_t op, const void *data, uint32_t len)
	{
		auto e = expr("cmp");
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
		return *this;
	}
	Rule &cmp_u8(uint32_t sreg, uint32_t op, uint8_t v) { return cmp(sreg, op, &v, 1); }
	// reg := reg & mask, on len bytes.
	Rule &mask(uint32_t reg, uint32_t bits, uint32_t len)
	{
		uint32_t zero = 0;
		auto e = expr("bitwise");
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &bits, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, len);
		return *this;
	}
	Rule &cmp_u32(uint32_t sreg, uint32_t op, uint32_t v) { return cmp(sreg, op, &v, 4); }
	Rule &range(uint32_t sreg, const void *lo, const void *hi, uint32_t len)
	{
		auto e = expr("range");
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, lo, len);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, hi, len);
		return *this;
	}
	Rule &port_range(uint32_t sreg, uint16_t lo, uint16_t hi)
	{
		uint16_t nlo = htons(lo), nhi = htons(hi);
		return range(sreg, &nlo, &nhi, 2);
	}
	// ICMP echo: the identifier (at 4) is the port of its side, PacketInfo.
	Rule &icmp_type(uint8_t lo, uint8_t hi)
	{
		load(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, kKeyReg + 1);
		return lo == hi ? cmp_u8(kKeyReg + 1, NFT_CMP_EQ, lo) : range(kKeyReg + 1, &lo, &hi, 1);
	}
	Rule &zero(uint32_t dreg)
	{
		uint32_t z = 0;
		auto e = expr("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &z, sizeof(z));
		return *this;
	}
	Rule &key5_echo(bool request)
	{
		meta(NFT_META_L4PROTO, kKeyReg);
		load(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kKeyReg + 1);
		load(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kKeyReg + 3);
		load(NFT_PAYLOAD_TRANSPORT_HEADER, 4, 2, request ? kKeyReg + 2 : kKeyReg + 4);
		return zero(request ? kKeyReg + 4 : kKeyReg + 2);
	}
	Rule &fib_daddr_type(uint32_t dreg)
	{
		auto e = expr("fib");
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, dreg);
		return *this;
	}
	Rule &key5()
	{
		meta(NFT_META_L4PROTO, kKeyReg);
		load(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kKeyReg + 1);
		load(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, kKeyReg + 2);
		load(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kKeyReg + 3);
		load(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, kKeyReg + 4);
		return *this;
	}
	Rule &lookup(const char *set, uint32_t dreg = 0)
	{
		auto e = expr("lookup");
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, kKeyReg);
		if (dreg)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		return *this;
	}
	// A verdict map: its entry's verdict (a jump) applies; no entry, no match.
	Rule &vmap(const char *map, uint32_t sreg)
	{
		auto e = expr("lookup");
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map);
		return *this;
	}
	// The packet's input (NFT_META_IIFNAME) or output interface matches a
	// client_interfaces pattern (a trailing '*' a prefix).
	Rule &interface(uint32_t meta_key, const std::string &pattern)
	{
		const uint32_t ifreg = NFT_REG_1; // 16 bytes: an interface name
		bool prefix = !pattern.empty() && pattern.back() == '*';
		std::string name = prefix ? pattern.substr(0, pattern.size() - 1) : pattern;
		char buf[IFNAMSIZ] = {};
		memcpy(buf, name.data(), std::min(name.size(), size_t(IFNAMSIZ - 1)));
		uint32_t len = prefix ? uint32_t(name.size()) : uint32_t(std::min(name.size() + 1, size_t(IFNAMSIZ)));
		return meta(meta_key, ifreg).cmp(ifreg, NFT_CMP_EQ, buf, len);
	}
	// The address at offset (12 source, 16 destination) is in the prefix.
	Rule &in_prefix(uint32_t offset, const Prefix &p, uint32_t reg)
	{
		if (p.len == 0)
			return *this;
		load(NFT_PAYLOAD_NETWORK_HEADER, offset, 4, reg);
		if (p.len < 32)
			mask(reg, htonl(~uint32_t(0) << (32 - p.len)), 4);
		return cmp_u32(reg, NFT_CMP_EQ, htonl(p.addr.value));
	}
	Rule &touch(uint32_t timeout_s)
	{
		auto e = expr("dynset");
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, kKeyReg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
		nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, uint64_t(timeout_s) * 1000);
		nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, kSeen);
		return *this;
	}
	Rule &count(const char *name)
	{
		auto e = expr("objref");
		nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
		return *this;
	}
	Rule &notrack()
	{
		expr("notrack");
		return *this;
	}
	// Kernels without nft_queue (CONFIG_NFT_QUEUE) still have the xtables
	// NFQUEUE target, reachable from nftables through nft_compat as
	// iptables-nft does; both end in nfnetlink_queue.
	Rule &queue(uint16_t num, bool bypass)
	{
		// libnftnl takes ownership of the target info and free()s it.
		auto *info = static_cast<xt_NFQ_info_v3 *>(calloc(1, sizeof(xt_NFQ_info_v3)));
		info->queuenum = num;
		info->queues_total = 1;
		info->flags = bypass ? NFQ_FLAG_BYPASS : 0;
		auto e = expr("target");
		nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
		nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
		return *this;
	}
	Rule &log_limited(const char *prefix)
	{
		auto l = expr("limit");
		nftnl_expr_set_u64(l, NFTNL_EXPR_LIMIT_RATE, 5);
		nftnl_expr_set_u64(l, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_BURST, 5);
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		auto e = expr("log");
		nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix);
		return *this;
	}
	Rule &verdict(int v, const char *chain = nullptr)
	{
		auto e = expr("immediate");
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, uint32_t(v));
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
		return *this;
	}
	Rule &l4(uint8_t proto)
	{
		meta(NFT_META_L4PROTO, kKeyReg);
		return cmp_u8(kKeyReg, NFT_CMP_EQ, proto);
	}
	// Any conntrack expression makes the kernel take conntrack, and with it
	// nf_defrag_ipv4 (priority -400), for this namespace: fragments are
	// reassembled before the rewrite rules see them, as roamnat.ko asks
	// for itself.
	Rule &ct_state(uint32_t dreg)
	{
		auto e = expr("ct");
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
		return *this;
	}
	nftnl_rule *get() { return r_; }

private:
	nftnl_rule *r_;
};

std::vector<uint8_t> msg_buf() { return std::vector<uint8_t>(MNL_SOCKET_BUFFER_SIZE); }

nlmsghdr *hdr(std::vector<uint8_t> &buf, uint16_t type, uint16_t flags, uint32_t seq)
{
	return nftnl_nlmsg_build_hdr(reinterpret_cast<char *>(buf.data()), type, NFPROTO_IPV4, flags, seq);
}

void finish(std::vector<uint8_t> &buf)
{
	auto *nlh = reinterpret_cast<nlmsghdr *>(buf.data());
	buf.resize(nlh->nlmsg_len);
}

void put_ep(std::vector<uint8_t> &out, const Endpoint &e)
{
	uint32_t a = htonl(e.addr.value);
	uint16_t p = htons(e.port);
	const auto *ab = reinterpret_cast<const uint8_t *>(&a);
	const auto *pb = reinterpret_cast<const uint8_t *>(&p);
	out.insert(out.end(), ab, ab + 4);
	out.insert(out.end(), pb, pb + 2);
	out.insert(out.end(), 2, 0);
}

std::vector<uint8_t> key5(L4 proto, const Endpoint &src, const Endpoint &dst)
{
	std::vector<uint8_t> k{uint8_t(proto), 0, 0, 0};
	put_ep(k, src);
	put_ep(k, dst);
	return k;
}

Endpoint get_ep(const uint8_t *p)
{
	uint32_t a;
	uint16_t port;
	memcpy(&a, p, 4);
	memcpy(&port, p + 4, 2);
	return Endpoint{Ipv4{ntohl(a)}, ntohs(port)};
}

// Comments (nft list ruleset prints them) carry what a restart needs and
// the maps do not hold: the run's instance, a HAM entry's client, a FAM
// entry's client interface.
std::vector<uint8_t> comment_udata(uint8_t type, const std::string &text)
{
	std::vector<uint8_t> out;
	nftnl_udata_buf *b = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (b && nftnl_udata_put_strz(b, type, text.c_str())) {
		const auto *p = static_cast<const uint8_t *>(nftnl_udata_buf_data(b));
		out.assign(p, p + nftnl_udata_buf_len(b));
	}
	nftnl_udata_buf_free(b);
	return out;
}

// The comment in userdata that anyone with CAP_NET_ADMIN may have written:
// each (type, length, value) is bounds-checked here.
std::string comment_of(const void *udata, uint32_t len, uint8_t comment_type)
{
	const auto *p = static_cast<const uint8_t *>(udata);
	for (uint32_t at = 0; p && at + 2 <= len;) {
		uint8_t type = p[at], n = p[at + 1];
		if (at + 2 + n > len)
			break;
		if (type == comment_type) {
			const char *v = reinterpret_cast<const char *>(p + at + 2);
			return std::string(v, strnlen(v, n));
		}
		at += 2 + n;
	}
	return {};
}

const std::string kInstancePrefix = "roamd instance ";
const std::string kClientPrefix = "client ";
const std::string kIfindexPrefix = "client interface ";

std::optional<std::string_view> after(std::string_view text, const std::string &prefix)
{
	if (text.substr(0, prefix.size()) != prefix)
		return std::nullopt;
	return text.substr(prefix.size());
}

std::optional<uint64_t> number(std::string_view text)
{
	uint64_t v = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
	if (ec != std::errc() || end != text.data() + text.size())
		return std::nullopt;
	return v;
}

int collect_cb(const nlmsghdr *nlh, void *data)
{
	auto *out = static_cast<std::vector<std::vector<uint8_t>> *>(data);
	const auto *p = reinterpret_cast<const uint8_t *>(nlh);
	out->emplace_back(p, p + nlh->nlmsg_len);
	return MNL_CB_OK;
}

} // namespace

// The kernel takes a batch in one message, which the send buffer must hold,
// and answers each of its messages with an ack of its own, all of which the
// receive buffer must hold (a 100-rule policy is hundreds of messages): as
// nft does (mnl_set_sndbuffer, mnl_nft_batch_talk), past the sysctl limits
// with CAP_NET_ADMIN.
void NftDataPlane::fit_buffers(size_t batch_bytes, size_t acks)
{
	int fd = mnl_socket_get_fd(nl_.get());
	// What the socket holds is asked once and remembered: most batches (a
	// connection's entries) fit, and the packet path pays no system call.
	auto fit = [fd](int opt, int force, size_t need, size_t &known) {
		if (known >= need)
			return;
		int want = int(std::min<size_t>(need, INT32_MAX / 2)), have = 0;
		socklen_t len = sizeof have;
		if (known == 0 && getsockopt(fd, SOL_SOCKET, opt, &have, &len) == 0 && size_t(have) >= need) {
			known = size_t(have);
			return;
		}
		if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof want) != 0)
			setsockopt(fd, SOL_SOCKET, opt, &want, sizeof want);
		len = sizeof have;
		known = getsockopt(fd, SOL_SOCKET, opt, &have, &len) == 0 ? size_t(have) : 0;
	};
	fit(SO_SNDBUF, SO_SNDBUFFORCE, batch_bytes + 4096, sndbuf_);
	fit(SO_RCVBUF, SO_RCVBUFFORCE, acks * 1024 + 65536, rcvbuf_);
}

bool NftDataPlane::send_batch(const std::vector<std::vector<uint8_t>> &msgs, std::string &error)
{
	std::vector<uint8_t> buf;
	buf.reserve(4096 + msgs.size() * 160);
	auto append = [&](const void *p, size_t n) {
		size_t at = buf.size();
		buf.resize(at + MNL_ALIGN(n));
		memcpy(buf.data() + at, p, n);
	};
	uint32_t first = seq_;
	char tmp[256];
	nftnl_batch_begin(tmp, seq_++);
	append(tmp, reinterpret_cast<nlmsghdr *>(tmp)->nlmsg_len);
	for (const auto &m : msgs) {
		auto *nlh = reinterpret_cast<const nlmsghdr *>(m.data());
		std::vector<uint8_t> copy(m);
		reinterpret_cast<nlmsghdr *>(copy.data())->nlmsg_seq = seq_++;
		(void)nlh;
		append(copy.data(), copy.size());
	}
	nftnl_batch_end(tmp, seq_++);
	append(tmp, reinterpret_cast<nlmsghdr *>(tmp)->nlmsg_len);
	fit_buffers(buf.size(), msgs.size());
	if (mnl_socket_sendto(nl_.get(), buf.data(), buf.size()) < 0) {
		error = std::string("netlink send of ") + std::to_string(buf.size()) + " bytes: " + strerror(errno);
		return false;
	}
	// Every message asked for an ack; errors name the failing message.
	size_t acks = 0;
	std::vector<uint8_t> rx(MNL_SOCKET_BUFFER_SIZE);
	uint32_t port = mnl_socket_get_portid(nl_.get());
	while (acks < msgs.size()) {
		ssize_t n = mnl_socket_recvfrom(nl_.get(), rx.data(), rx.size());
		if (n <= 0) {
			error = std::string("netlink receive: ") + strerror(errno);
			return false;
		}
		auto *nlh = reinterpret_cast<nlmsghdr *>(rx.data());
		int len = int(n);
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_pid != port || nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			++acks;
			auto *err = static_cast<nlmsgerr *>(mnl_nlmsg_get_payload(nlh));
			if (err->error != 0) {
				rejected_errno_ = -err->error;
				error = std::string("nftables rejected message ") + std::to_string(nlh->nlmsg_seq - first) +
					" of the batch: " + strerror(-err->error);
				// Drain the remaining acks so the next batch starts clean.
				acks = msgs.size();
				return false;
			}
		}
	}
	return true;
}

bool NftDataPlane::init(const DataPlaneConfig &cfg, std::string &error)
{
	cfg_ = cfg;
	nl_.reset(mnl_socket_open(NETLINK_NETFILTER));
	if (!nl_ || mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
		error = std::string("cannot open nfnetlink: ") + strerror(errno);
		return false;
	}
	int one = 1;
	mnl_socket_setsockopt(nl_.get(), NETLINK_EXT_ACK, &one, sizeof(one));
	// A table a previous run left goes on forwarding until the new one,
	// holding its entries, replaces it.
	// One that cannot be read whole is left as it is, and roamd does not
	// start: replacing it would drop what it could not read.
	Leftover entries;
	std::optional<uint64_t> instance;
	if (!table_instance(instance)) {
		error = "cannot read the nftables ruleset (the error above); a table a previous run left is left as it is";
		return false;
	}
	if (instance) {
		auto read = read_entries();
		if (!read) {
			error = std::string("cannot read the entries of the table ip ") + kTable +
				" a previous run left (left as it is)";
			return false;
		}
		entries = std::move(*read);
		entries.instance = *instance;
		previous_ = entries;
	}
	return replace_table(entries.instance, entries, error);
}

void NftDataPlane::set_instance(uint64_t instance)
{
	if (instance == instance_)
		return;
	std::string err;
	auto entries = read_entries();
	if (!entries) {
		log_error("storing the instance in the nftables table: its entries could not be read (the next roamd "
			  "will not adopt them)");
		return;
	}
	if (!replace_table(instance, *entries, err))
		log_error("storing the instance in the nftables table (the next roamd will not adopt its entries): ",
			  err);
}

namespace {
// The messages of one ruleset transaction, in the order they must apply.
class Batch {
public:
	explicit Batch(const DataPlaneConfig &cfg) : cfg_(cfg) {}
	std::vector<std::vector<uint8_t>> msgs;

	void table(uint16_t type, uint16_t flags, const std::string &comment = {})
	{
		auto buf = msg_buf();
		nftnl_table *t = nftnl_table_alloc();
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, NftDataPlane::kTable);
		if (!comment.empty()) {
			auto ud = comment_udata(NFTNL_UDATA_TABLE_COMMENT, comment);
			nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, ud.data(), uint32_t(ud.size()));
		}
		auto *nlh = hdr(buf, type, flags, 0);
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
		push(std::move(buf));
	}
	void counter(const char *name)
	{
		auto buf = msg_buf();
		nftnl_obj *o = nftnl_obj_alloc();
		nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NftDataPlane::kTable);
		nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
		nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
		nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_IPV4);
		auto *nlh = hdr(buf, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_ACK, 0);
		nftnl_obj_nlmsg_build_payload(nlh, o);
		nftnl_obj_free(o);
		push(std::move(buf));
	}
	void set(const char *name, uint32_t data_len, uint32_t data_type, uint32_t extra_flags,
		 uint32_t key_len = kKeyLen, uint32_t key_type = kKeyType)
	{
		auto buf = msg_buf();
		nftnl_set *s = nftnl_set_alloc();
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NftDataPlane::kTable);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
		nftnl_set_set_u32(s, NFTNL_SET_ID, set_id_++);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
		uint32_t flags = extra_flags;
		if (data_len) {
			flags |= NFT_SET_MAP;
			nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, data_len);
			nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, data_type);
		}
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
		// A full activity set would make the rewrite rules fail: size it for
		// every tuple the agent can own (three per port) with room to spare.
		if (extra_flags & NFT_SET_EVAL)
			nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, 4 * (uint32_t(cfg_.port_max) - cfg_.port_min + 1) + 4096);
		auto *nlh = hdr(buf, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK, 0);
		nftnl_set_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		push(std::move(buf));
	}
	void chain(const char *name, int hook, int prio)
	{
		auto buf = msg_buf();
		nftnl_chain *c = nftnl_chain_alloc();
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NftDataPlane::kTable);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_IPV4);
		if (hook >= 0) {
			nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, uint32_t(hook));
			nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
			nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
			nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		}
		auto *nlh = hdr(buf, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, 0);
		nftnl_chain_nlmsg_build_payload(nlh, c);
		nftnl_chain_free(c);
		push(std::move(buf));
	}
	void rule(Rule &r)
	{
		auto buf = msg_buf();
		auto *nlh = nftnl_rule_nlmsg_build_hdr(reinterpret_cast<char *>(buf.data()), NFT_MSG_NEWRULE,
							NFPROTO_IPV4, NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, 0);
		nftnl_rule_nlmsg_build_payload(nlh, r.get());
		push(std::move(buf));
	}

private:
	void push(std::vector<uint8_t> buf)
	{
		finish(buf);
		msgs.push_back(std::move(buf));
	}
	const DataPlaneConfig &cfg_;
	uint32_t set_id_ = 1;
};

constexpr uint8_t kProtos[] = {IPPROTO_TCP, IPPROTO_UDP};
constexpr uint8_t kEchoRequest = 8, kEchoReply = 0;
// ICMP errors (RFC 792) quoting the packet they answer: 3-4 and 11-12.
constexpr std::pair<uint8_t, uint8_t> kIcmpErrors[] = {{3, 4}, {11, 12}};
constexpr uint32_t kIcmpId = 4, kIcmpCsum = 2;
uint32_t l4_csum(uint8_t p) { return p == IPPROTO_TCP ? 16u : 6u; }
uint32_t idle_of(const DataPlaneConfig &cfg, uint8_t p) { return p == IPPROTO_TCP ? cfg.tcp_idle_s : cfg.udp_idle_s; }

// events: TCP FIN/RST of any flow reach roamd without being held (bypass
// keeps traffic flowing when roamd is down).
void events_rules(Batch &b, const DataPlaneConfig &cfg)
{
	Rule r("events");
	r.l4(IPPROTO_TCP);
	r.load(NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, kKeyReg + 1).mask(kKeyReg + 1, 0x05, 1); // FIN | RST
	r.cmp_u8(kKeyReg + 1, NFT_CMP_NEQ, 0);
	r.count("tcp_end_events").queue(cfg.event_queue, true);
	b.rule(r);
}

// pre: classify. Client interfaces by name (a trailing '*' a prefix), and
// this AP's own port range.
void pre_rules(Batch &b, const DataPlaneConfig &cfg)
{
	for (const auto &pattern : cfg.client_interfaces) {
		Rule r("pre");
		r.interface(NFT_META_IIFNAME, pattern).verdict(NFT_JUMP, "from_client");
		b.rule(r);
	}
	for (uint8_t p : kProtos) {
		Rule r("pre");
		r.l4(p).fib_daddr_type(kKeyReg + 1).cmp_u32(kKeyReg + 1, NFT_CMP_EQ, RTN_LOCAL);
		r.load(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, kKeyReg + 2).port_range(kKeyReg + 2, cfg.port_min, cfg.port_max);
		r.verdict(NFT_JUMP, "to_local");
		b.rule(r);
	}
	{
		// Echo replies to a masquerade or FAM identifier, as ports above.
		Rule r("pre");
		r.l4(IPPROTO_ICMP).icmp_type(kEchoReply, kEchoReply);
		r.fib_daddr_type(kKeyReg + 1).cmp_u32(kKeyReg + 1, NFT_CMP_EQ, RTN_LOCAL);
		r.load(NFT_PAYLOAD_TRANSPORT_HEADER, kIcmpId, 2, kKeyReg + 2);
		r.port_range(kKeyReg + 2, cfg.port_min, cfg.port_max).verdict(NFT_JUMP, "to_local");
		b.rule(r);
	}
	if (cfg.outbound == OutboundMode::via_ham) {
		// via-ham at the HAM: an echo request fam -> masq becomes masq -> server.
		// Pings of this host itself match nothing and pass.
		Rule r("pre");
		r.l4(IPPROTO_ICMP).icmp_type(kEchoRequest, kEchoRequest).key5_echo(true);
		r.lookup(kHamRev, kValReg).notrack().touch(cfg.udp_idle_s);
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kValReg + 2, 10, false);
		r.store(NFT_PAYLOAD_TRANSPORT_HEADER, kIcmpId, 2, kValReg + 3, kIcmpCsum, false);
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kValReg, 10, false);
		r.count("ham_rev").verdict(NF_ACCEPT);
		b.rule(r);
	}
	for (auto [lo, hi] : kIcmpErrors) {
		// Errors to this host: roamd translates those about a connection.
		Rule r("pre");
		r.l4(IPPROTO_ICMP).icmp_type(lo, hi);
		r.fib_daddr_type(kKeyReg + 1).cmp_u32(kKeyReg + 1, NFT_CMP_EQ, RTN_LOCAL);
		r.notrack().count("icmp_queued").queue(cfg.icmp_queue, true);
		b.rule(r);
	}
}

// out: the ICMP errors this host sends (a packet too big for the next link,
// TTL exceeded on forwarding), which quote a translated packet as it was
// rewritten; roamd translates them, the kernel routes them again. Only
// those about untracked packets, which is what translated packets are: an
// error about a tracked one carries its conntrack entry (RELATED), and
// NFQUEUE drops a packet whose unconfirmed entry another packet shares.
void out_rules(Batch &b, const DataPlaneConfig &cfg)
{
	for (auto [lo, hi] : kIcmpErrors) {
		Rule r("out");
		// "invalid": no conntrack entry attached.
		r.l4(IPPROTO_ICMP).icmp_type(lo, hi).ct_state(kKeyReg + 2).mask(kKeyReg + 2, NF_CT_STATE_INVALID_BIT, 4);
		r.cmp_u32(kKeyReg + 2, NFT_CMP_NEQ, 0);
		r.count("icmp_queued").queue(cfg.icmp_queue, true);
		b.rule(r);
	}
}

// defrag: jumped to by nothing; its conntrack expression is what enables
// reassembly for the namespace (Rule::ct_state).
void defrag_rules(Batch &b)
{
	Rule r("defrag");
	r.ct_state(kKeyReg);
	b.rule(r);
}

// from_client (Fig. 6).
void from_client_rules(Batch &b, const DataPlaneConfig &cfg)
{
	{
		// Traffic for the AP itself and non-unicast stays untouched.
		Rule r("from_client");
		r.fib_daddr_type(kKeyReg).cmp_u32(kKeyReg, NFT_CMP_NEQ, RTN_UNICAST).verdict(NFT_RETURN);
		b.rule(r);
	}
	if (cfg.filtering != Filtering::off) {
		// Fig. 14 1465: the user's policy decides (policy_rules).
		Rule r("from_client");
		r.verdict(NFT_JUMP, "check_out");
		b.rule(r);
	}
	{
		// It dies here (ip_forward): this AP's time exceeded must quote what
		// the client sent, so that the client's traceroute sees its first hop.
		// Untracked like the translated packets, so that the error is
		// handled as theirs are (out_rules).
		Rule r("from_client");
		uint8_t one = 1;
		r.load(NFT_PAYLOAD_NETWORK_HEADER, 8, 1, kKeyReg).cmp(kKeyReg, NFT_CMP_LTE, &one, 1);
		r.notrack().verdict(NFT_RETURN);
		b.rule(r);
	}
	{
		// Fig. 6 640-660 for an echo request: source := masquerade, the
		// identifier its port. ICMP has no pseudo-header.
		Rule r("from_client");
		r.l4(IPPROTO_ICMP).icmp_type(kEchoRequest, kEchoRequest).key5_echo(true);
		r.lookup(kFamOut, kValReg).notrack().touch(cfg.udp_idle_s);
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kValReg, 10, false);
		r.store(NFT_PAYLOAD_TRANSPORT_HEADER, kIcmpId, 2, kValReg + 1, kIcmpCsum, false);
		r.count("fam_out").verdict(NF_ACCEPT);
		b.rule(r);
	}
	for (uint8_t p : kProtos) {
		// Fig. 6 640-660: source := masquerade endpoint.
		Rule r("from_client");
		r.l4(p).key5().lookup(kFamOut, kValReg).notrack().touch(idle_of(cfg, p));
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kValReg, 10, true);
		r.store(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, kValReg + 1, l4_csum(p), false);
		r.count("fam_out").verdict(NF_ACCEPT);
		b.rule(r);
	}
	if (cfg.outbound == OutboundMode::via_ham) {
		for (uint8_t p : kProtos) {
			// via-ham: source := FAM endpoint, destination := masquerade (the HAM).
			Rule r("from_client");
			r.l4(p).key5().lookup(kFamOutVia, kValReg).notrack().touch(idle_of(cfg, p));
			r.store(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kValReg, 10, true);
			r.store(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, kValReg + 1, l4_csum(p), false);
			r.store(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kValReg + 2, 10, true);
			r.store(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, kValReg + 3, l4_csum(p), false);
			r.count("fam_out_via").verdict(NF_ACCEPT);
			b.rule(r);
		}
		// The echo request's identifier is on the source side only.
		Rule r("from_client");
		r.l4(IPPROTO_ICMP).icmp_type(kEchoRequest, kEchoRequest).key5_echo(true);
		r.lookup(kFamOutVia, kValReg).notrack().touch(cfg.udp_idle_s);
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kValReg, 10, false);
		r.store(NFT_PAYLOAD_TRANSPORT_HEADER, kIcmpId, 2, kValReg + 1, kIcmpCsum, false);
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kValReg + 2, 10, false);
		r.count("fam_out_via").verdict(NF_ACCEPT);
		b.rule(r);
	}
	for (uint8_t p : kProtos) {
		// Fig. 6 630 -> 670: no record; roamd decides (held in the queue meanwhile).
		Rule r("from_client");
		r.l4(p).notrack().count("miss_out").queue(cfg.miss_queue, false);
		b.rule(r);
	}
	{
		Rule r("from_client");
		r.l4(IPPROTO_ICMP).icmp_type(kEchoRequest, kEchoRequest);
		r.notrack().count("miss_out").queue(cfg.miss_queue, false);
		b.rule(r);
	}
	for (auto [lo, hi] : kIcmpErrors) {
		// A client's error about a connection (port unreachable, ...): roamd.
		Rule r("from_client");
		r.l4(IPPROTO_ICMP).icmp_type(lo, hi).notrack().count("icmp_queued").queue(cfg.icmp_queue, true);
		b.rule(r);
	}
	if (cfg.drop_other) {
		// Nothing translates the rest, and the client's own address means
		// nothing past this AP (other_protocols).
		Rule log("from_client");
		log.log_limited("roamnat: not translatable, dropped: ");
		b.rule(log);
		Rule r("from_client");
		r.count("other_dropped").verdict(NF_DROP);
		b.rule(r);
	}
}

// to_client: what is forwarded to a client, after translation (Fig. 7
// 760), passes its user's policy as the client's own traffic does in
// from_client, the source in the destination's place. ICMP errors pass:
// roamd forwards only those quoting a connection of this client.
void to_client_rules(Batch &b, const DataPlaneConfig &cfg)
{
	for (const auto &pattern : cfg.client_interfaces) {
		for (auto [lo, hi] : kIcmpErrors) {
			Rule r("to_client");
			r.interface(NFT_META_OIFNAME, pattern).l4(IPPROTO_ICMP).icmp_type(lo, hi).verdict(NF_ACCEPT);
			b.rule(r);
		}
		Rule r("to_client");
		r.interface(NFT_META_OIFNAME, pattern).verdict(NFT_JUMP, "check_in");
		b.rule(r);
	}
}

// check_out, check_in: the client address's entry goes to its policy's
// chain (a goto: the policy's return goes back to the chain that jumped
// here); a client without one passes nothing, or with filtering = hold
// waits in policy_queue for roamd (no bypass: without roamd, nothing passes).
void check_rules(Batch &b, const DataPlaneConfig &cfg, const char *chain, const char *map, uint32_t addr_at)
{
	Rule r(chain);
	r.load(NFT_PAYLOAD_NETWORK_HEADER, addr_at, 4, kKeyReg).vmap(map, kKeyReg);
	b.rule(r);
	if (cfg.filtering == Filtering::hold) {
		Rule q(chain);
		q.count("policy_held").queue(cfg.policy_queue, false);
		b.rule(q);
		return;
	}
	Rule log(chain);
	log.log_limited("roamnat: no policy for this client yet, dropped: ");
	b.rule(log);
	Rule d(chain);
	d.count("policy_unknown").verdict(NF_DROP);
	b.rule(d);
}

// A policy's chain per direction: its rules in order, then its default.
// permit returns to the chain that jumped here (translation goes on), deny
// drops. Outbound the rules match the destination, inbound the source.
void policy_rules(Batch &b, const std::string &chain, const Policy &p, bool outbound)
{
	const uint32_t addr_at = outbound ? 16 : 12, port_at = outbound ? 2 : 0;
	auto end = [](Rule &r, RuleAction a) {
		if (a == RuleAction::permit)
			r.verdict(NFT_RETURN);
		else
			r.count("policy_denied").verdict(NF_DROP);
	};
	for (const FilterRule &fr : p.rules) {
		std::vector<std::optional<PortRange>> ranges(fr.ports.begin(), fr.ports.end());
		if (ranges.empty())
			ranges.push_back(std::nullopt);
		for (const auto &range : ranges) {
			Rule r(chain.c_str());
			if (fr.proto)
				r.l4(uint8_t(*fr.proto));
			r.in_prefix(addr_at, fr.dst, kKeyReg + 1);
			if (range)
				r.load(NFT_PAYLOAD_TRANSPORT_HEADER, port_at, 2, kKeyReg + 2).port_range(kKeyReg + 2, range->min, range->max);
			end(r, fr.action);
			b.rule(r);
		}
	}
	Rule r(chain.c_str());
	end(r, p.fallback);
	b.rule(r);
}

// to_local (Fig. 7).
void to_local_rules(Batch &b, const DataPlaneConfig &cfg)
{
	{
		Rule r("to_local");
		r.notrack();
		b.rule(r);
	}
	for (uint8_t p : kProtos) {
		// Fig. 7 735: HAM, destination := FAM endpoint.
		Rule r("to_local");
		r.l4(p).key5().lookup(kHam, kValReg).touch(idle_of(cfg, p));
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kValReg, 10, true);
		r.store(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, kValReg + 1, l4_csum(p), false);
		r.count("ham_in").verdict(NF_ACCEPT);
		b.rule(r);
	}
	for (uint8_t p : kProtos) {
		// Fig. 7 760: FAM, destination := client.
		Rule r("to_local");
		r.l4(p).key5().lookup(kFamIn, kValReg).touch(idle_of(cfg, p));
		r.store(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kValReg, 10, true);
		r.store(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, kValReg + 1, l4_csum(p), false);
		r.count("fam_in").verdict(NF_ACCEPT);
		b.rule(r);
	}
	{
		// Echo replies (pre sends only those here): as Fig. 7 735 and 760.
		for (const char *map : {kHam, kFamIn}) {
			Rule r("to_local");
			r.l4(IPPROTO_ICMP).key5_echo(false).lookup(map, kValReg).touch(cfg.udp_idle_s);
			r.store(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kValReg, 10, false);
			r.store(NFT_PAYLOAD_TRANSPORT_HEADER, kIcmpId, 2, kValReg + 1, kIcmpCsum, false);
			r.count(map == kHam ? "ham_in" : "fam_in").verdict(NF_ACCEPT);
			b.rule(r);
		}
		Rule r("to_local");
		r.l4(IPPROTO_ICMP).key5_echo(false).lookup(kHamPending).count("miss_ham").queue(cfg.ham_miss_queue, false);
		b.rule(r);
	}
	if (cfg.outbound == OutboundMode::via_ham) {
		for (uint8_t p : kProtos) {
			// via-ham at the HAM: fam -> masq becomes masq -> server.
			Rule r("to_local");
			r.l4(p).key5().lookup(kHamRev, kValReg).touch(idle_of(cfg, p));
			r.store(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kValReg + 2, 10, true);
			r.store(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, kValReg + 3, l4_csum(p), false);
			r.store(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kValReg, 10, true);
			r.store(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, kValReg + 1, l4_csum(p), false);
			r.count("ham_rev").verdict(NF_ACCEPT);
			b.rule(r);
		}
	}
	{
		// Fig. 7 720 -> 725: a known connection whose FAM is not known yet.
		Rule r("to_local");
		r.key5().lookup(kHamPending).count("miss_ham").queue(cfg.ham_miss_queue, false);
		b.rule(r);
	}
	{
		// Fig. 7 715 -> 785 and 755 -> 790: nothing here owns this endpoint.
		// Dropped in the kernel, counted and logged (rate-limited): it may be
		// spoofed, or a client that left without a word.
		// The log is a rule of its own: over its rate the limit ends the rule,
		// and the drop must not depend on that.
		Rule log("to_local");
		log.log_limited("roamnat: no HAM or FAM record, dropped: ");
		b.rule(log);
		Rule r("to_local");
		r.count("unknown_dropped").verdict(NF_DROP);
		b.rule(r);
	}
}
} // namespace

bool NftDataPlane::replace_table(uint64_t instance, const Leftover &entries, std::string &error)
{
	Batch b(cfg_);
	// add + delete + add: replaces a table left by an earlier run without
	// failing when there was none.
	b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK);
	b.table(NFT_MSG_DELTABLE, NLM_F_ACK);
	b.table(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, instance ? kInstancePrefix + std::to_string(instance) : "");
	for (const char *name : kCounters)
		b.counter(name);
	b.set(kFamOut, kEpLen, kEpType, 0);
	b.set(kFamOutVia, 2 * kEpLen, kEp2Type, 0);
	b.set(kFamIn, kEpLen, kEpType, 0);
	b.set(kHam, kEpLen, kEpType, 0);
	b.set(kHamPending, 0, 0, 0);
	b.set(kHamRev, 2 * kEpLen, kEp2Type, 0);
	b.set(kSeen, 0, 0, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	if (cfg_.filtering != Filtering::off) {
		b.set(kPolicyOut, 4, kNftDataVerdict, 0, 4, kTypeIpv4);
		b.set(kPolicyIn, 4, kNftDataVerdict, 0, 4, kTypeIpv4);
	}
	// Before raw (-300) and conntrack (-200): the events chain sees original
	// headers; translated packets are untracked, so conntrack never sees half
	// of a rewritten flow.
	b.chain("events", NF_INET_PRE_ROUTING, -350);
	b.chain("pre", NF_INET_PRE_ROUTING, -300);
	b.chain("out", NF_INET_LOCAL_OUT, -300);
	b.chain("from_client", -1, 0);
	b.chain("to_local", -1, 0);
	b.chain("defrag", -1, 0);
	if (cfg_.filtering != Filtering::off) {
		b.chain("to_client", NF_INET_FORWARD, 0);
		b.chain("check_out", -1, 0);
		b.chain("check_in", -1, 0);
	}
	events_rules(b, cfg_);
	pre_rules(b, cfg_);
	out_rules(b, cfg_);
	from_client_rules(b, cfg_);
	to_local_rules(b, cfg_);
	defrag_rules(b);
	if (cfg_.filtering != Filtering::off) {
		to_client_rules(b, cfg_);
		check_rules(b, cfg_, "check_out", kPolicyOut, 12);
		check_rules(b, cfg_, "check_in", kPolicyIn, 16);
	}
	// The entries, staged as the agent stages its own, so that ICMP
	// translation knows them too. Client policies are not carried: a new
	// run's policy ids are its own, and it asks for every station's again.
	// What roamd knows of the table it replaces stays if the kernel refuses.
	auto kept_icmp = std::exchange(icmp_tables_, {});
	auto kept_policy = std::exchange(client_policy_, {});
	staged_.clear();
	icmp_staged_.clear();
	for (const auto &r : entries.fam_out)
		add_fam_out(r);
	for (const auto &r : entries.fam_in)
		add_fam_in(r);
	for (const auto &r : entries.ham)
		add_ham(r);
	for (const auto &r : entries.ham_rev)
		add_ham_reverse(r);
	for (const auto &op : staged_)
		b.msgs.push_back(element_message(op));
	staged_.clear();
	auto icmp_changes = std::move(icmp_staged_);
	icmp_staged_.clear();
	if (!send_batch(b.msgs, error)) {
		error = "installing the nftables ruleset: " + error;
		icmp_tables_ = std::move(kept_icmp);
		client_policy_ = std::move(kept_policy);
		return false;
	}
	for (auto &change : icmp_changes)
		change(icmp_tables_);
	instance_ = instance;
	return true;
}

void NftDataPlane::shutdown()
{
	staged_.clear();
	icmp_staged_.clear();
}

void NftDataPlane::add_fam_out(const FamOutRule &r)
{
	std::vector<uint8_t> data;
	put_ep(data, r.new_src);
	if (r.new_dst)
		put_ep(data, *r.new_dst);
	staged_.push_back({true, r.new_dst ? kFamOutVia : kFamOut, key5(r.flow.proto, r.flow.client, r.flow.server), data,
			   {}, r.ifindex ? kIfindexPrefix + std::to_string(r.ifindex) : ""});
	if (!r.new_dst)
		icmp_staged_.push_back([r](IcmpTables &t) {
			t.out[r.flow] = r.new_src;
			t.sent[FlowKey{r.flow.proto, r.new_src, r.flow.server}] = r.flow.client;
		});
}
void NftDataPlane::del_fam_out(const FamOutRule &r)
{
	staged_.push_back({false, r.new_dst ? kFamOutVia : kFamOut, key5(r.flow.proto, r.flow.client, r.flow.server), {}});
	if (!r.new_dst)
		icmp_staged_.push_back([r](IcmpTables &t) {
			t.out.erase(r.flow);
			t.sent.erase(FlowKey{r.flow.proto, r.new_src, r.flow.server});
		});
}
void NftDataPlane::add_fam_in(const FamInRule &r)
{
	std::vector<uint8_t> data;
	put_ep(data, r.client);
	staged_.push_back({true, kFamIn, key5(r.proto, r.server, r.fam), data});
	icmp_staged_.push_back([r](IcmpTables &t) { t.in[FlowKey{r.proto, r.server, r.fam}] = r.client; });
}
void NftDataPlane::del_fam_in(const FamInRule &r)
{
	staged_.push_back({false, kFamIn, key5(r.proto, r.server, r.fam), {}});
	icmp_staged_.push_back([r](IcmpTables &t) { t.in.erase(FlowKey{r.proto, r.server, r.fam}); });
}
void NftDataPlane::add_ham(const HamRule &r)
{
	std::vector<uint8_t> data;
	if (r.fam)
		put_ep(data, *r.fam);
	staged_.push_back({true, r.fam ? kHam : kHamPending, key5(r.key.proto, r.key.server, r.key.masq), data, {},
			   r.client.is_nil() ? "" : kClientPrefix + r.client.str()});
	// Errors to a HAM entry without its FAM are dropped, not held: the
	// sender repeats what matters (path MTU, unreachable).
	if (r.fam)
		icmp_staged_.push_back([r](IcmpTables &t) { t.in[FlowKey{r.key.proto, r.key.server, r.key.masq}] = *r.fam; });
}
void NftDataPlane::del_ham(const HamRule &r)
{
	staged_.push_back({false, r.fam ? kHam : kHamPending, key5(r.key.proto, r.key.server, r.key.masq), {}});
	if (r.fam)
		icmp_staged_.push_back([r](IcmpTables &t) { t.in.erase(FlowKey{r.key.proto, r.key.server, r.key.masq}); });
}
void NftDataPlane::add_ham_reverse(const HamReverseRule &r)
{
	std::vector<uint8_t> data;
	put_ep(data, r.server);
	put_ep(data, r.masq);
	staged_.push_back({true, kHamRev, key5(r.proto, r.fam, r.key_dst()), data});
}
void NftDataPlane::del_ham_reverse(const HamReverseRule &r)
{
	staged_.push_back({false, kHamRev, key5(r.proto, r.fam, r.key_dst()), {}});
}

std::vector<uint8_t> NftDataPlane::element_message(const Op &op)
{
	auto buf = msg_buf();
	nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, kTable);
	nftnl_set_set_str(s, NFTNL_SET_NAME, op.set.c_str());
	nftnl_set_elem *e = nftnl_set_elem_alloc();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, op.key.data(), uint32_t(op.key.size()));
	if (!op.data.empty())
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, op.data.data(), uint32_t(op.data.size()));
	if (op.add && !op.jump.empty()) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, uint32_t(NFT_GOTO));
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, op.jump.c_str());
	}
	if (op.add && !op.comment.empty()) {
		auto ud = comment_udata(NFTNL_UDATA_SET_ELEM_COMMENT, op.comment);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, ud.data(), uint32_t(ud.size()));
	}
	nftnl_set_elem_add(s, e);
	auto *nlh = hdr(buf, op.add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, op.add ? NLM_F_CREATE | NLM_F_ACK : NLM_F_ACK,
			0);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	finish(buf);
	return buf;
}

bool NftDataPlane::commit(std::string &error)
{
	if (staged_.empty())
		return true;
	std::vector<std::vector<uint8_t>> msgs;
	for (const auto &op : staged_)
		msgs.push_back(element_message(op));
	staged_.clear();
	auto icmp_changes = std::move(icmp_staged_);
	icmp_staged_.clear();
	if (!send_batch(msgs, error))
		return false;
	for (auto &change : icmp_changes)
		change(icmp_tables_);
	return true;
}

bool NftDataPlane::start_misses(EventLoop &loop, uint32_t max_held, MissHandler handler, std::string &error)
{
	if (!misses_.open(loop, cfg_.miss_queue, cfg_.ham_miss_queue, max_held, std::move(handler), error))
		return false;
	icmp_ = std::make_unique<NfQueue>();
	// Whole packets: roamd rewrites them and hands them back.
	return icmp_->open(loop, cfg_.icmp_queue, 1024, [this](const NfQueue::Packet &p) { icmp_error(p); }, error,
			   NfQueue::kWhole);
}

IcmpOrigin NftDataPlane::icmp_origin(const NfQueue::Packet &p) const
{
	if (p.hook == NF_INET_LOCAL_OUT)
		return IcmpOrigin::this_host;
	char name[IF_NAMESIZE] = {};
	if (p.in_ifindex && if_indextoname(p.in_ifindex, name) && cfg_.is_client_interface(name))
		return IcmpOrigin::client;
	return IcmpOrigin::network;
}

// ICMP errors the chains queued (pre, out, from_client): translated here,
// since nftables cannot rewrite the quoted packet. Errors are rare (routers
// rate-limit them), so a round trip to roamd each is cheap.
void NftDataPlane::icmp_error(const NfQueue::Packet &p)
{
	std::vector<uint8_t> pkt(p.payload.begin(), p.payload.end());
	IcmpOrigin origin = icmp_origin(p);
	std::string why;
	IcmpOutcome outcome =
		translate_icmp_error(pkt, origin, icmp_tables_, PortRange{cfg_.port_min, cfg_.port_max}, why);
	if (outcome == IcmpOutcome::translated) {
		++icmp_counts_.translated;
		icmp_counts_.translated_bytes += pkt.size();
		icmp_->verdict(p.id, NF_ACCEPT, pkt);
		return;
	}
	// A client's error that translates to nothing is other traffic; one from
	// elsewhere is dropped only when it claims a masquerade port.
	bool drop = false;
	if (origin == IcmpOrigin::client && cfg_.drop_other) {
		drop = true;
		++icmp_counts_.other;
	} else if (origin == IcmpOrigin::network && outcome == IcmpOutcome::unknown) {
		drop = true;
		++icmp_counts_.unknown;
	} else if (origin == IcmpOrigin::network && outcome == IcmpOutcome::malformed) {
		drop = true;
		++icmp_counts_.malformed;
	}
	if (drop)
		log_debug("ICMP error dropped: ", why);
	icmp_->verdict(p.id, drop ? NF_DROP : NF_ACCEPT);
}

// roamd leaves its table at every exit, so that the next run adopts it; an
// AP leaving the nftables back end (roamnat.ko now, or roamnat removed)
// must not keep its rules, which queue misses with no bypass.
std::optional<bool> NftDataPlane::remove_table(std::string &error)
{
	NftDataPlane dp;
	dp.nl_.reset(mnl_socket_open(NETLINK_NETFILTER));
	if (!dp.nl_ || mnl_socket_bind(dp.nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
		error = std::string("cannot open nfnetlink: ") + strerror(errno);
		return std::nullopt;
	}
	Batch b(dp.cfg_);
	b.table(NFT_MSG_DELTABLE, NLM_F_ACK);
	if (dp.send_batch(b.msgs, error))
		return true;
	if (dp.rejected_errno_ == ENOENT) {
		error.clear();
		return false;
	}
	return std::nullopt;
}

// A dump the kernel interrupted (a ruleset change meanwhile: NLM_F_DUMP_INTR)
// is asked again; one that fails otherwise is reported, never taken as a
// complete answer: a short list of entries read as whole would drop live
// connections (at adoption, or as idle). A set that does not exist is empty.
bool NftDataPlane::dump(uint16_t type, const std::vector<uint8_t> &req, std::vector<std::vector<uint8_t>> &out)
{
	std::vector<uint8_t> rx(MNL_SOCKET_BUFFER_SIZE * 4);
	uint32_t port = mnl_socket_get_portid(nl_.get());
	int err = 0;
	for (int attempt = 0; attempt < 5; ++attempt) {
		out.clear();
		std::vector<uint8_t> copy(req);
		auto *nlh = reinterpret_cast<nlmsghdr *>(copy.data());
		nlh->nlmsg_type = uint16_t((NFNL_SUBSYS_NFTABLES << 8) | type);
		nlh->nlmsg_seq = seq_++;
		if (mnl_socket_sendto(nl_.get(), copy.data(), copy.size()) < 0) {
			err = errno;
			break;
		}
		int rc = MNL_CB_OK;
		while (rc > MNL_CB_STOP) {
			ssize_t n = mnl_socket_recvfrom(nl_.get(), rx.data(), rx.size());
			if (n <= 0) {
				rc = MNL_CB_ERROR;
				break;
			}
			rc = mnl_cb_run(rx.data(), size_t(n), nlh->nlmsg_seq, port, collect_cb, &out);
		}
		if (rc == MNL_CB_STOP)
			return true;
		err = errno;
		if (err == ENOENT) {
			out.clear();
			return true;
		}
		// What this dump left unread would fail the next one's sequence
		// check; a successful dump leaves nothing, so only here.
		while (recv(mnl_socket_get_fd(nl_.get()), rx.data(), rx.size(), MSG_DONTWAIT) > 0) {
		}
		if (err != EINTR)
			break;
	}
	out.clear();
	log_error("reading the nftables table ", kTable, ": ", strerror(err));
	return false;
}

std::map<std::string, uint64_t> NftDataPlane::counters()
{
	std::map<std::string, uint64_t> out;
	auto buf = msg_buf();
	nftnl_obj *o = nftnl_obj_alloc();
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, kTable);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	auto *nlh = hdr(buf, NFT_MSG_GETOBJ, NLM_F_DUMP, 0);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	finish(buf);
	std::vector<std::vector<uint8_t>> msgs;
	dump(NFT_MSG_GETOBJ, buf, msgs); // counters are a view: a failed read shows fewer
	for (const auto &m : msgs) {
		nftnl_obj *got = nftnl_obj_alloc();
		if (nftnl_obj_nlmsg_parse(reinterpret_cast<const nlmsghdr *>(m.data()), got) == 0 &&
		    nftnl_obj_get_u32(got, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER) {
			std::string name = nftnl_obj_get_str(got, NFTNL_OBJ_NAME);
			out[name + "_packets"] = nftnl_obj_get_u64(got, NFTNL_OBJ_CTR_PKTS);
			out[name + "_bytes"] = nftnl_obj_get_u64(got, NFTNL_OBJ_CTR_BYTES);
		}
		nftnl_obj_free(got);
	}
	misses_.add_counters(out);
	// roamd's share: the ICMP errors it translated or dropped (icmp_error).
	out["icmp_packets"] = icmp_counts_.translated;
	out["icmp_bytes"] = icmp_counts_.translated_bytes;
	out["unknown_dropped_packets"] += icmp_counts_.unknown;
	out["malformed_dropped_packets"] += icmp_counts_.malformed;
	out["other_dropped_packets"] += icmp_counts_.other;
	return out;
}

NftDataPlane::NftDataPlane() = default;
NftDataPlane::~NftDataPlane() = default;

bool NftDataPlane::start_events(EventLoop &loop, EventHandler handler, std::string &error)
{
	events_ = std::make_unique<NfQueue>();
	NfQueue *q = events_.get();
	return q->open(loop, cfg_.event_queue, 1024, [q, handler = std::move(handler)](const NfQueue::Packet &p) {
		q->verdict(p.id, NF_ACCEPT);
		std::string why;
		auto pi = parse_packet(p.payload, why);
		if (!pi || pi->proto != L4::tcp)
			return;
		handler({pi->rst() ? DataPlaneEvent::Kind::tcp_rst : DataPlaneEvent::Kind::tcp_fin,
			 FlowKey{pi->proto, pi->src, pi->dst}});
	}, error);
}

std::optional<std::set<FlowKey>> NftDataPlane::active_tuples()
{
	auto seen = elements(kSeen);
	if (!seen)
		return std::nullopt;
	std::set<FlowKey> act;
	for (const auto &e : *seen)
		act.insert(FlowKey{e.proto, e.src, e.dst});
	return act;
}

std::optional<std::vector<NftDataPlane::Element>> NftDataPlane::elements(const char *set)
{
	auto buf = msg_buf();
	nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, kTable);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	auto *nlh = hdr(buf, NFT_MSG_GETSETELEM, NLM_F_DUMP, 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	finish(buf);
	std::vector<std::vector<uint8_t>> msgs;
	if (!dump(NFT_MSG_GETSETELEM, buf, msgs))
		return std::nullopt;
	std::vector<Element> out;
	for (const auto &m : msgs) {
		nftnl_set *got = nftnl_set_alloc();
		if (nftnl_set_elems_nlmsg_parse(reinterpret_cast<const nlmsghdr *>(m.data()), got) == 0) {
			nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(got);
			for (nftnl_set_elem *e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
				uint32_t len = 0;
				auto *k = static_cast<const uint8_t *>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
				auto proto = k && len == kKeyLen ? l4_from_number(k[0]) : std::nullopt;
				if (!proto)
					continue;
				Element el{*proto, get_ep(k + 4), get_ep(k + 12), {}, {}};
				uint32_t dlen = 0;
				if (auto *d = static_cast<const uint8_t *>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &dlen)))
					el.data.assign(d, d + dlen);
				uint32_t ulen = 0;
				if (const void *u = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen))
					el.comment = comment_of(u, ulen, NFTNL_UDATA_SET_ELEM_COMMENT);
				out.push_back(std::move(el));
			}
			nftnl_set_elems_iter_destroy(it);
		}
		nftnl_set_free(got);
	}
	return out;
}

// The instance a previous run wrote in the table's comment, into instance;
// nullopt when there is no table or no instance in it (nothing to adopt).
// False when the tables could not be read.
bool NftDataPlane::table_instance(std::optional<uint64_t> &instance)
{
	auto buf = msg_buf();
	nftnl_table *t = nftnl_table_alloc();
	auto *nlh = hdr(buf, NFT_MSG_GETTABLE, NLM_F_DUMP, 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	finish(buf);
	instance.reset();
	std::vector<std::vector<uint8_t>> msgs;
	if (!dump(NFT_MSG_GETTABLE, buf, msgs))
		return false;
	for (const auto &m : msgs) {
		nftnl_table *got = nftnl_table_alloc();
		uint32_t len = 0;
		const void *ud = nullptr;
		if (nftnl_table_nlmsg_parse(reinterpret_cast<const nlmsghdr *>(m.data()), got) == 0 &&
		    nftnl_table_get_u32(got, NFTNL_TABLE_FAMILY) == NFPROTO_IPV4 &&
		    nftnl_table_is_set(got, NFTNL_TABLE_NAME) &&
		    std::string_view(nftnl_table_get_str(got, NFTNL_TABLE_NAME)) == kTable &&
		    (ud = nftnl_table_get_data(got, NFTNL_TABLE_USERDATA, &len))) {
			std::string comment = comment_of(ud, len, NFTNL_UDATA_TABLE_COMMENT);
			auto text = after(comment, kInstancePrefix);
			if (auto n = text ? number(*text) : std::nullopt; n && *n)
				instance = n;
		}
		nftnl_table_free(got);
	}
	return true;
}

// The table's translation entries as rules (Leftover). What is malformed is
// left out: the new table will not have it. nullopt when a map could not be
// read whole.
std::optional<Leftover> NftDataPlane::read_entries()
{
	auto fam_out = elements(kFamOut), fam_out_via = elements(kFamOutVia), fam_in = elements(kFamIn);
	auto ham = elements(kHam), ham_pending = elements(kHamPending), ham_rev = elements(kHamRev);
	if (!fam_out || !fam_out_via || !fam_in || !ham || !ham_pending || !ham_rev)
		return std::nullopt;
	Leftover left;
	auto ifindex_of = [](const std::string &comment) {
		auto text = after(comment, kIfindexPrefix);
		auto n = text ? number(*text) : std::nullopt;
		return n && *n <= UINT32_MAX ? uint32_t(*n) : 0u;
	};
	auto client_of = [](const std::string &comment) {
		auto text = after(comment, kClientPrefix);
		auto ep = text ? Endpoint::parse(*text) : std::nullopt;
		return ep.value_or(Endpoint{});
	};
	for (const auto &e : *fam_out)
		if (e.data.size() == kEpLen)
			left.fam_out.push_back({{e.proto, e.src, e.dst}, get_ep(e.data.data()), std::nullopt, ifindex_of(e.comment)});
	for (const auto &e : *fam_out_via)
		if (e.data.size() == 2 * kEpLen)
			left.fam_out.push_back({{e.proto, e.src, e.dst}, get_ep(e.data.data()), get_ep(e.data.data() + kEpLen),
						ifindex_of(e.comment)});
	for (const auto &e : *fam_in)
		if (e.data.size() == kEpLen)
			left.fam_in.push_back({e.proto, e.src, e.dst, get_ep(e.data.data())});
	for (const auto &e : *ham)
		if (e.data.size() == kEpLen)
			left.ham.push_back({{e.proto, e.src, e.dst}, get_ep(e.data.data()), client_of(e.comment)});
	for (const auto &e : *ham_pending)
		left.ham.push_back({{e.proto, e.src, e.dst}, std::nullopt, client_of(e.comment)});
	for (const auto &e : *ham_rev)
		if (e.data.size() == 2 * kEpLen)
			left.ham_rev.push_back({e.proto, e.src, get_ep(e.data.data() + kEpLen), get_ep(e.data.data())});
	return left;
}

} // namespace roamnat

namespace roamnat {

std::string NftDataPlane::policy_chain(uint32_t id, bool outbound)
{
	return "policy" + std::to_string(id) + (outbound ? "_out" : "_in");
}

bool NftDataPlane::add_policy(uint32_t id, const Policy &p, std::string &error)
{
	if (cfg_.filtering == Filtering::off) {
		error = "filtering is off";
		return false;
	}
	Batch b(cfg_);
	for (bool outbound : {true, false}) {
		std::string chain = policy_chain(id, outbound);
		b.chain(chain.c_str(), -1, 0);
		policy_rules(b, chain, p, outbound);
	}
	if (!send_batch(b.msgs, error)) {
		error = "installing policy " + p.name + ": " + error;
		return false;
	}
	return true;
}

namespace {
std::vector<uint8_t> address_key(Address a)
{
	uint32_t n = htonl(a.value);
	std::vector<uint8_t> key(4);
	memcpy(key.data(), &n, 4);
	return key;
}
} // namespace

void NftDataPlane::set_client_policy(Address client, uint32_t id)
{
	auto it = client_policy_.find(client);
	if (it != client_policy_.end() && it->second == id)
		return;
	if (it != client_policy_.end())
		clear_client_policy(client);
	auto key = address_key(client);
	staged_.push_back({true, kPolicyOut, key, {}, policy_chain(id, true)});
	staged_.push_back({true, kPolicyIn, key, {}, policy_chain(id, false)});
	client_policy_[client] = id;
}

void NftDataPlane::clear_client_policy(Address client)
{
	if (!client_policy_.erase(client))
		return;
	auto key = address_key(client);
	staged_.push_back({false, kPolicyOut, key, {}, {}});
	staged_.push_back({false, kPolicyIn, key, {}, {}});
}

} // namespace roamnat
