// roamnat-kmodctl: talks to roamnat.ko over generic netlink (docs/netlink.md).
// For operators and for the module's tests; roamd's kmod back end uses the
// same family.
#include "../uapi/roamnat.h"

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <net/if.h>
#include <poll.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <random>
#include <string>
#include <vector>

namespace {

const char *kUsage = R"(Usage: roamnat-kmodctl COMMAND [ARGS]

Talks to the roamnat kernel module in this network namespace.

  version                         the API version the module speaks
  config PORT_MIN PORT_MAX QUEUE [IFNAME...]
                                  masquerade port range, NFQUEUE for misses,
                                  client-facing interfaces
  add TABLE PROTO SRC DST [new-src ADDR:PORT] [new-dst ADDR:PORT]
  del TABLE PROTO SRC DST
  get TABLE PROTO SRC DST
  dump TABLE
  flush [TABLE]
  counters
  fuzz N                          N random, truncated and hostile messages
                                  (tests: the module must survive them)

TABLE is fam_out, fam_in or ham; PROTO tcp or udp; SRC and DST ADDR:PORT.
Exit status: 0 on success, 1 on a usage error, 2 when the kernel refused.
)";

struct SockFree {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
struct MsgFree {
	void operator()(nl_msg *m) const { nlmsg_free(m); }
};

bool parse_ep(const char *text, uint32_t &addr, uint16_t &port)
{
	std::string s(text);
	auto colon = s.rfind(':');
	in_addr a{};
	if (colon == std::string::npos || inet_pton(AF_INET, s.substr(0, colon).c_str(), &a) != 1)
		return false;
	char *end = nullptr;
	unsigned long p = strtoul(s.c_str() + colon + 1, &end, 10);
	if (*end || p > 65535)
		return false;
	addr = a.s_addr;
	port = htons(uint16_t(p));
	return true;
}

int table_of(const char *t)
{
	if (!strcmp(t, "fam_out")) return ROAMNAT_TABLE_FAM_OUT;
	if (!strcmp(t, "fam_in")) return ROAMNAT_TABLE_FAM_IN;
	if (!strcmp(t, "ham")) return ROAMNAT_TABLE_HAM;
	return -1;
}

const char *table_name(int t)
{
	static const char *names[] = {"fam_out", "fam_in", "ham"};
	return t >= 0 && t <= ROAMNAT_TABLE_MAX ? names[t] : "?";
}

std::string ep_str(uint32_t addr, uint16_t port)
{
	char buf[INET_ADDRSTRLEN];
	in_addr a{addr};
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	return std::string(buf) + ":" + std::to_string(ntohs(port));
}

int print_entry(nl_msg *msg, void *)
{
	nlattr *a[ROAMNAT_A_MAX + 1];
	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, ROAMNAT_A_MAX, nullptr) < 0 || !a[ROAMNAT_A_SADDR])
		return NL_OK;
	printf("%s %s %s -> %s", table_name(nla_get_u8(a[ROAMNAT_A_TABLE])),
	       nla_get_u8(a[ROAMNAT_A_PROTO]) == IPPROTO_TCP ? "tcp" : "udp",
	       ep_str(nla_get_u32(a[ROAMNAT_A_SADDR]), nla_get_u16(a[ROAMNAT_A_SPORT])).c_str(),
	       ep_str(nla_get_u32(a[ROAMNAT_A_DADDR]), nla_get_u16(a[ROAMNAT_A_DPORT])).c_str());
	if (a[ROAMNAT_A_NEW_SADDR])
		printf(" new-src %s", ep_str(nla_get_u32(a[ROAMNAT_A_NEW_SADDR]), nla_get_u16(a[ROAMNAT_A_NEW_SPORT])).c_str());
	if (a[ROAMNAT_A_NEW_DADDR])
		printf(" new-dst %s", ep_str(nla_get_u32(a[ROAMNAT_A_NEW_DADDR]), nla_get_u16(a[ROAMNAT_A_NEW_DPORT])).c_str());
	if (a[ROAMNAT_A_IDLE_MS])
		printf(" idle %llums", (unsigned long long)nla_get_u64(a[ROAMNAT_A_IDLE_MS]));
	printf("\n");
	return NL_OK;
}

int print_reply(nl_msg *msg, void *)
{
	static const char *names[] = {"", "fam_out_packets", "fam_out_bytes", "fam_in_packets", "fam_in_bytes",
				      "ham_packets", "ham_bytes", "misses", "drop_unknown", "drop_malformed"};
	nlattr *a[ROAMNAT_A_MAX + 1];
	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, ROAMNAT_A_MAX, nullptr) < 0)
		return NL_OK;
	if (a[ROAMNAT_A_VERSION])
		printf("version %u\n", nla_get_u32(a[ROAMNAT_A_VERSION]));
	if (a[ROAMNAT_A_COUNTERS]) {
		nlattr *c;
		int rem;
		nla_for_each_nested(c, a[ROAMNAT_A_COUNTERS], rem) {
			int t = nla_type(c);
			if (t > 0 && t < ROAMNAT_C_PAD)
				printf("%-16s %llu\n", names[t], (unsigned long long)nla_get_u64(c));
		}
	}
	if (a[ROAMNAT_A_SADDR])
		print_entry(msg, nullptr);
	return NL_OK;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(kUsage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	std::unique_ptr<nl_sock, SockFree> sock(nl_socket_alloc());
	if (!sock || genl_connect(sock.get()) < 0) {
		fprintf(stderr, "roamnat-kmodctl: cannot open generic netlink\n");
		return 2;
	}
	int family = genl_ctrl_resolve(sock.get(), ROAMNAT_GENL_NAME);
	if (family < 0) {
		fprintf(stderr, "roamnat-kmodctl: the roamnat module is not loaded\n");
		return 2;
	}
	std::string cmd = argv[1];
	auto usage = [] {
		fputs(kUsage, stderr);
		return 1;
	};
	auto send = [&](int genl_cmd, int flags, auto &&fill) -> int {
		std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
		genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, uint8_t(genl_cmd), ROAMNAT_GENL_VERSION);
		if (!fill(msg.get()))
			return usage();
		nl_socket_modify_cb(sock.get(), NL_CB_VALID, NL_CB_CUSTOM, flags & NLM_F_DUMP ? print_entry : print_reply,
				    nullptr);
		int err = nl_send_auto(sock.get(), msg.get());
		// Replies, then the ACK (or NLMSG_DONE for a dump), end the exchange.
		if (err >= 0)
			err = nl_recvmsgs_default(sock.get());
		if (err < 0) {
			fprintf(stderr, "roamnat-kmodctl: %s: %s\n", cmd.c_str(), nl_geterror(err));
			return 2;
		}
		return 0;
	};
	auto put_key = [&](nl_msg *m, int first) {
		if (argc < first + 4)
			return false;
		int t = table_of(argv[first]);
		uint32_t sa, da;
		uint16_t sp, dp;
		bool tcp = !strcmp(argv[first + 1], "tcp");
		if (t < 0 || (!tcp && strcmp(argv[first + 1], "udp")) || !parse_ep(argv[first + 2], sa, sp) ||
		    !parse_ep(argv[first + 3], da, dp))
			return false;
		nla_put_u8(m, ROAMNAT_A_TABLE, uint8_t(t));
		nla_put_u8(m, ROAMNAT_A_PROTO, tcp ? IPPROTO_TCP : IPPROTO_UDP);
		nla_put_u32(m, ROAMNAT_A_SADDR, sa);
		nla_put_u16(m, ROAMNAT_A_SPORT, sp);
		nla_put_u32(m, ROAMNAT_A_DADDR, da);
		nla_put_u16(m, ROAMNAT_A_DPORT, dp);
		return true;
	};
	if (cmd == "version")
		return send(ROAMNAT_CMD_GET_VERSION, 0, [](nl_msg *) { return true; });
	if (cmd == "counters")
		return send(ROAMNAT_CMD_GET_COUNTERS, 0, [](nl_msg *) { return true; });
	if (cmd == "config")
		return send(ROAMNAT_CMD_SET_CONFIG, NLM_F_ACK, [&](nl_msg *m) {
			if (argc < 5)
				return false;
			nla_put_u16(m, ROAMNAT_A_PORT_MIN, uint16_t(atoi(argv[2])));
			nla_put_u16(m, ROAMNAT_A_PORT_MAX, uint16_t(atoi(argv[3])));
			nla_put_u16(m, ROAMNAT_A_MISS_QUEUE, uint16_t(atoi(argv[4])));
			std::vector<uint32_t> ifs;
			for (int i = 5; i < argc; ++i) {
				unsigned idx = if_nametoindex(argv[i]);
				if (!idx) {
					fprintf(stderr, "roamnat-kmodctl: no interface %s\n", argv[i]);
					return false;
				}
				ifs.push_back(idx);
			}
			nla_put(m, ROAMNAT_A_CLIENT_IFINDEX, int(ifs.size() * 4), ifs.data());
			return true;
		});
	if (cmd == "add")
		return send(ROAMNAT_CMD_ADD_ENTRY, NLM_F_ACK, [&](nl_msg *m) {
			if (!put_key(m, 2))
				return false;
			for (int i = 6; i + 1 < argc; i += 2) {
				uint32_t a;
				uint16_t p;
				if (!parse_ep(argv[i + 1], a, p))
					return false;
				bool src = !strcmp(argv[i], "new-src");
				nla_put_u32(m, src ? ROAMNAT_A_NEW_SADDR : ROAMNAT_A_NEW_DADDR, a);
				nla_put_u16(m, src ? ROAMNAT_A_NEW_SPORT : ROAMNAT_A_NEW_DPORT, p);
			}
			return true;
		});
	if (cmd == "del" || cmd == "get")
		return send(cmd == "del" ? ROAMNAT_CMD_DEL_ENTRY : ROAMNAT_CMD_GET_ENTRY, NLM_F_ACK,
			    [&](nl_msg *m) { return put_key(m, 2); });
	if (cmd == "dump")
		return send(ROAMNAT_CMD_GET_ENTRY, NLM_F_DUMP, [&](nl_msg *m) {
			int t = argc > 2 ? table_of(argv[2]) : -1;
			if (t < 0)
				return false;
			nla_put_u8(m, ROAMNAT_A_TABLE, uint8_t(t));
			return true;
		});
	if (cmd == "flush")
		return send(ROAMNAT_CMD_FLUSH, NLM_F_ACK, [&](nl_msg *m) {
			if (argc > 2) {
				int t = table_of(argv[2]);
				if (t < 0)
					return false;
				nla_put_u8(m, ROAMNAT_A_TABLE, uint8_t(t));
			}
			return true;
		});
	if (cmd == "fuzz" && argc == 3) {
		// Random commands with random, truncated, oversized and mistyped
		// attributes, sent raw; the answers (mostly errors) are read and ignored.
		std::mt19937 rng(12345);
		long n = atol(argv[2]), refused = 0;
		nl_socket_disable_auto_ack(sock.get());
		nl_socket_disable_seq_check(sock.get());
		nl_socket_set_nonblocking(sock.get());
		nl_socket_modify_cb(sock.get(), NL_CB_VALID, NL_CB_CUSTOM, [](nl_msg *, void *) -> int { return NL_SKIP; }, nullptr);
		pollfd pfd{nl_socket_get_fd(sock.get()), POLLIN, 0};
		long errors = 0;
		nl_socket_modify_err_cb(
			sock.get(), NL_CB_CUSTOM,
			[](sockaddr_nl *, nlmsgerr *e, void *arg) -> int {
				if (e->error)
					++*static_cast<long *>(arg);
				return NL_SKIP;
			},
			&errors);
		for (long i = 0; i < n; ++i) {
			std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
			int flags = NLM_F_REQUEST | (rng() % 8 == 0 ? NLM_F_DUMP : NLM_F_ACK);
			genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, uint8_t(rng() % 12),
				    uint8_t(rng() % 3));
			int attrs = int(rng() % 12);
			for (int k = 0; k < attrs; ++k) {
				uint8_t junk[64];
				for (auto &b : junk)
					b = uint8_t(rng());
				nla_put(msg.get(), int(rng() % (ROAMNAT_A_MAX + 4)), int(rng() % 24), junk);
			}
			nlmsghdr *h = nlmsg_hdr(msg.get());
			if (rng() % 4 == 0 && h->nlmsg_len > NLMSG_HDRLEN + 4)
				h->nlmsg_len -= uint32_t(rng() % 8); // truncated
			if (nl_sendto(sock.get(), h, h->nlmsg_len) < 0)
				++refused;
			// Whatever comes back (an error, a reply, nothing), drain it
			// without waiting long: the point is that the kernel copes.
			while (poll(&pfd, 1, 20) > 0)
				if (nl_recvmsgs_default(sock.get()) < 0)
					++refused;
		}
		printf("fuzz: %ld messages sent, %ld refused with an error, %ld receive failures\n", n, errors,
		       refused);
		return 0;
	}
	return usage();
}
