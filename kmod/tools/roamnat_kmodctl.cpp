// roamnat-kmodctl: talks to roamnat.ko over generic netlink (docs/netlink.md),
// through the same client as roamd's kmod back end (kmod/lib/netlink_client.hpp).
// For operators and for the module's tests.
#include "../lib/netlink_client.hpp"
#include "../uapi/roamnat.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <net/if.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <random>
#include <string>
#include <vector>

using namespace roamnat;

namespace {

const char *kUsage = R"(Usage: roamnat-kmodctl COMMAND [ARGS]

Talks to the roamnat kernel module in this network namespace.

  version                         the API version the module speaks
  config PORT_MIN PORT_MAX QUEUE [idle UDP_S TCP_S] [IFNAME...]
                                  masquerade port range, NFQUEUE for misses,
                                  idle-event timeouts (0: none), client-facing
                                  interfaces (replaces the whole configuration)
  get-config                      the configuration in force
  add TABLE PROTO SRC DST [new-src ADDR:PORT] [new-dst ADDR:PORT]
                          [orig ADDR:PORT] [ifindex N]
  del TABLE PROTO SRC DST
  dump TABLE                      entries with their idle time
  flush [TABLE]
  reset                           stop translating here: unhook from this
                                  namespace, forget the configuration and
                                  every entry (config hooks it again)
  counters
  monitor [COUNT]                 print events (FIN, RST, idle, and misses)
                                  as they come; stop after COUNT of them.
                                  Says "monitoring ..." on stderr once it
                                  has joined the groups
  fill TABLE N                    add N synthetic UDP entries that match no
                                  real traffic (172.16.0.0/12 -> 172.31.255.1),
                                  in batches (benchmarks: lookup cost, memory)
  fuzz N                          N random, truncated and hostile messages
                                  (tests: the module must survive them)

Per-user filtering (docs/policy.md, docs/netlink.md "Filtering"):
  filtering off|deny|hold         deny: clients pass only as their policy
                                  says, nothing without one; hold: what has
                                  no policy yet waits in the policy queue
                                  (miss queue + 4) for roamd (keeps the rest
                                  of the configuration)
  policy ID permit|deny [RULE...] install policy ID (1 or more), replacing
                                  the one there: its rules in order, then
                                  the default; each RULE one argument in the
                                  rule language, e.g.
                                  'permit in tcp from any to 10.0.0.0/8 22,80'
  client ADDR ID                  the client address ADDR is under policy ID
  unclient ADDR                   ADDR has no policy any more
  flush-policies                  forget every policy and client
  policies [ID]                   the policies the module enforces (or
                                  policy ID), each rule in the language
  clients                         each client address and its policy id

TABLE is fam_out, fam_in, ham or ham_rev; PROTO tcp, udp or icmp (echo:
the identifier is the port of its side, ADDR:0 on the other); SRC and DST
ADDR:PORT.
Exit status: 0 on success, 1 on a usage error, 2 when the kernel refused.
)";

struct SockFree {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
struct MsgFree {
	void operator()(nl_msg *m) const { nlmsg_free(m); }
};

int usage()
{
	fputs(kUsage, stderr);
	return 1;
}

int refused(const std::string &what, const std::string &err)
{
	fprintf(stderr, "roamnat-kmodctl: %s: %s\n", what.c_str(), err.c_str());
	return 2;
}

// TABLE PROTO SRC DST at argv[first..first+3].
bool parse_key(char **argv, int argc, int first, kmod::Entry &e)
{
	if (argc < first + 4)
		return false;
	auto t = kmod::table_from_name(argv[first]);
	std::string p = argv[first + 1];
	auto src = Endpoint::parse(argv[first + 2]);
	auto dst = Endpoint::parse(argv[first + 3]);
	std::optional<L4> proto = p == "tcp" ? L4::tcp : p == "udp" ? L4::udp : p == "icmp" ? std::optional(L4::icmp) : std::nullopt;
	if (!t || !proto || !src || !dst)
		return false;
	e.table = *t;
	e.proto = *proto;
	e.src = *src;
	e.dst = *dst;
	return true;
}

int fuzz(int family, long n);

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(kUsage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	std::string cmd = argv[1], err;
	kmod::Client nl;
	if (!nl.open(err)) {
		fprintf(stderr, "roamnat-kmodctl: %s\n", err.c_str());
		return 2;
	}
	if (cmd == "version" && argc == 2) {
		printf("version %u\n", ROAMNAT_GENL_VERSION);
		return 0;
	}
	if (cmd == "counters" && argc == 2) {
		auto c = nl.counters(err);
		if (!c)
			return refused(cmd, err);
		for (const auto &[k, v] : *c)
			printf("%-16s %llu\n", k.c_str(), (unsigned long long)v);
		return 0;
	}
	if (cmd == "config" && argc >= 5) {
		kmod::Config c;
		c.filtering = kmod::Filtering::off;
		auto lo = strtoul(argv[2], nullptr, 10), hi = strtoul(argv[3], nullptr, 10);
		c.port_min = uint16_t(lo);
		c.port_max = uint16_t(hi);
		c.miss_queue = uint16_t(strtoul(argv[4], nullptr, 10));
		int i = 5;
		if (argc >= 8 && !strcmp(argv[5], "idle")) {
			c.udp_idle_s = uint32_t(strtoul(argv[6], nullptr, 10));
			c.tcp_idle_s = uint32_t(strtoul(argv[7], nullptr, 10));
			i = 8;
		}
		for (; i < argc; ++i) {
			unsigned idx = if_nametoindex(argv[i]);
			if (!idx) {
				fprintf(stderr, "roamnat-kmodctl: no interface %s\n", argv[i]);
				return 1;
			}
			c.client_ifindexes.push_back(idx);
		}
		if (lo > 65535 || hi > 65535)
			return usage();
		return nl.set_config(c, err) ? 0 : refused(cmd, err);
	}
	if (cmd == "get-config" && argc == 2) {
		auto c = nl.get_config(err);
		if (!c)
			return refused(cmd, err.empty() ? "not configured" : err);
		printf("ports %u-%u miss_queue %u ham_miss_queue %u policy_queue %u udp_idle %u tcp_idle %u other %s "
		       "cookie %llx filtering %s policies %u clients %u interfaces",
		       c->port_min, c->port_max, c->miss_queue, c->ham_miss_queue.value_or(c->miss_queue),
		       c->policy_queue.value_or(c->miss_queue + 4), c->udp_idle_s, c->tcp_idle_s,
		       c->drop_other ? "drop" : "pass", (unsigned long long)c->cookie,
		       kmod::filtering_name(c->filtering.value_or(kmod::Filtering::off)), c->policies, c->clients);
		for (uint32_t i : c->client_ifindexes)
			printf(" %u", i);
		printf("\n");
		return 0;
	}
	if ((cmd == "add" || cmd == "del") && argc >= 6) {
		kmod::Entry e;
		if (!parse_key(argv, argc, 2, e))
			return usage();
		for (int i = 6; cmd == "add" && i + 1 < argc; i += 2) {
			std::string opt = argv[i];
			if (opt == "ifindex") {
				e.ifindex = uint32_t(strtoul(argv[i + 1], nullptr, 10));
				continue;
			}
			auto ep = Endpoint::parse(argv[i + 1]);
			if (!ep)
				return usage();
			if (opt == "new-src")
				e.new_src = ep;
			else if (opt == "new-dst")
				e.new_dst = ep;
			else if (opt == "orig")
				e.orig = ep;
			else
				return usage();
		}
		return nl.apply({{cmd == "add", e}}, err) ? 0 : refused(cmd, err);
	}
	if (cmd == "dump" && argc == 3) {
		auto t = kmod::table_from_name(argv[2]);
		std::vector<kmod::Entry> entries;
		if (!t)
			return usage();
		if (!nl.dump(*t, entries, err))
			return refused(cmd, err);
		for (const auto &e : entries)
			printf("%s idle %llums\n", e.str().c_str(), (unsigned long long)e.idle_ms);
		return 0;
	}
	if (cmd == "flush" && argc <= 3) {
		std::optional<kmod::Table> t;
		if (argc == 3 && !(t = kmod::table_from_name(argv[2])))
			return usage();
		return nl.flush(t, err) ? 0 : refused(cmd, err);
	}
	if (cmd == "reset" && argc == 2)
		return nl.reset(err) ? 0 : refused(cmd, err);
	if (cmd == "filtering" && argc == 3) {
		auto mode = kmod::filtering_from_name(argv[2]);
		if (!mode)
			return usage();
		auto c = nl.get_config(err);
		if (!c)
			return refused(cmd, err.empty() ? "not configured (config first)" : err);
		c->filtering = *mode;
		return nl.set_config(*c, err) ? 0 : refused(cmd, err);
	}
	if (cmd == "policy" && argc >= 4) {
		Policy p;
		long id = atol(argv[2]);
		auto fallback = rule_action_from(argv[3]);
		if (id <= 0 || id > long(UINT32_MAX) || !fallback)
			return usage();
		p.name = argv[2];
		p.fallback = *fallback;
		for (int i = 4; i < argc; ++i) {
			auto r = parse_filter_rule(argv[i], err);
			if (!r) {
				fprintf(stderr, "roamnat-kmodctl: rule '%s': %s\n", argv[i], err.c_str());
				return 1;
			}
			p.rules.push_back(*r);
		}
		return nl.set_policy(uint32_t(id), p, err) ? 0 : refused(cmd, err);
	}
	if ((cmd == "client" && argc == 4) || (cmd == "unclient" && argc == 3)) {
		auto addr = Ipv4::parse(argv[2]);
		long id = cmd == "client" ? atol(argv[3]) : 0;
		if (!addr || id < 0 || id > long(UINT32_MAX))
			return usage();
		bool ok = cmd == "client" ? nl.set_client_policy(*addr, uint32_t(id), err) : nl.del_client_policy(*addr, err);
		return ok ? 0 : refused(cmd, err);
	}
	if (cmd == "policies" && argc <= 3) {
		std::optional<uint32_t> only;
		long id = argc == 3 ? atol(argv[2]) : 0;
		if (argc == 3 && (id <= 0 || id > long(UINT32_MAX)))
			return usage();
		if (argc == 3)
			only = uint32_t(id);
		auto ps = nl.policies(err, only);
		if (!ps)
			return refused(cmd, err);
		for (const auto &[pid, p] : *ps) {
			printf("policy %u default %s rules %zu\n", pid, rule_action_name(p.fallback), p.rules.size());
			for (const auto &r : p.rules)
				printf("  %s\n", r.str().c_str());
		}
		return 0;
	}
	if (cmd == "clients" && argc == 2) {
		auto cs = nl.clients(err);
		if (!cs)
			return refused(cmd, err);
		for (const auto &[addr, pid] : *cs)
			printf("%s policy %u\n", addr.str().c_str(), pid);
		return 0;
	}
	if (cmd == "flush-policies" && argc == 2)
		return nl.flush_policies(err) ? 0 : refused(cmd, err);
	if (cmd == "monitor" && argc <= 3) {
		long want = argc == 3 ? atol(argv[2]) : -1, seen = 0;
		if (!nl.subscribe(err, true))
			return refused(cmd, err);
		// Scripts wait for this line: nothing sent after it is missed.
		fprintf(stderr, "roamnat-kmodctl: monitoring the events and misses groups\n");
		setvbuf(stdout, nullptr, _IOLBF, 0);
		pollfd pfd{nl.event_fd(), POLLIN, 0};
		while (want < 0 || seen < want) {
			if (poll(&pfd, 1, -1) < 0)
				return 2;
			bool complete = nl.read_events([&](const kmod::Event &ev) {
				static const char *names[] = {"", "fin", "rst", "idle", "miss"};
				printf("%s %s\n", names[int(ev.kind)], ev.entry.str().c_str());
				++seen;
			});
			if (!complete)
				printf("lost events (receive buffer full)\n");
		}
		return 0;
	}
	if (cmd == "fill" && argc == 4) {
		auto t = kmod::table_from_name(argv[2]);
		long n = atol(argv[3]);
		if (!t || n <= 0 || n > (1L << 20))
			return usage();
		std::vector<kmod::Change> batch;
		for (long i = 0; i < n; ++i) {
			kmod::Entry e;
			e.table = *t;
			e.proto = L4::udp;
			e.src = {Ipv4{0xAC100000u + uint32_t(i >> 4)}, uint16_t(1024 + (i & 15))};
			e.dst = {Ipv4{0xAC1FFF01u}, 9};
			Endpoint to{Ipv4{0xAC1FFF02u}, uint16_t(40000 + i % 20000)};
			if (*t == kmod::Table::fam_out || *t == kmod::Table::ham_rev)
				e.new_src = to;
			if (*t != kmod::Table::fam_out)
				e.new_dst = to;
			batch.push_back({true, e});
			if (batch.size() == 10000 || i + 1 == n) {
				if (!nl.apply(batch, err))
					return refused(cmd, err);
				batch.clear();
			}
		}
		return 0;
	}
	if (cmd == "fuzz" && argc == 3) {
		std::unique_ptr<nl_sock, SockFree> sock(nl_socket_alloc());
		if (!sock || genl_connect(sock.get()) < 0)
			return refused(cmd, "cannot open generic netlink");
		return fuzz(genl_ctrl_resolve(sock.get(), ROAMNAT_GENL_NAME), atol(argv[2]));
	}
	return usage();
}

namespace {

// Random commands with random, truncated, oversized and mistyped attributes,
// sent raw; the answers (mostly errors) are read and counted.
int fuzz(int family, long n)
{
	std::unique_ptr<nl_sock, SockFree> sock(nl_socket_alloc());
	if (family < 0 || !sock || genl_connect(sock.get()) < 0)
		return refused("fuzz", "cannot open generic netlink");
	std::mt19937 rng(12345);
	long send_failures = 0;
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
		genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, uint8_t(rng() % (ROAMNAT_CMD_MAX + 2)),
			    uint8_t(rng() % 3));
		uint8_t junk[96];
		auto refill = [&] {
			for (auto &b : junk)
				b = uint8_t(rng());
		};
		int attrs = int(rng() % 12);
		for (int k = 0; k < attrs; ++k) {
			refill();
			nla_put(msg.get(), int(rng() % (ROAMNAT_A_MAX + 4)), int(rng() % 24), junk);
		}
		if (rng() % 3 == 0) {
			// A policy's rules: nests of random rule attributes, some too long.
			nlattr *rules = nla_nest_start(msg.get(), ROAMNAT_A_RULES);
			for (int k = int(rng() % 5); k > 0; --k) {
				nlattr *rule = nla_nest_start(msg.get(), int(rng() % 4));
				for (int m = int(rng() % 6); m > 0; --m) {
					refill();
					nla_put(msg.get(), int(rng() % (ROAMNAT_R_MAX + 3)), int(rng() % 80), junk);
				}
				nla_nest_end(msg.get(), rule);
			}
			nla_nest_end(msg.get(), rules);
		}
		nlmsghdr *h = nlmsg_hdr(msg.get());
		if (rng() % 4 == 0 && h->nlmsg_len > NLMSG_HDRLEN + 4)
			h->nlmsg_len -= uint32_t(rng() % 8); // truncated
		if (nl_sendto(sock.get(), h, h->nlmsg_len) < 0)
			++send_failures;
		// Whatever comes back (an error, a reply, nothing), drain it
		// without waiting long: the point is that the kernel copes.
		while (poll(&pfd, 1, 20) > 0)
			if (nl_recvmsgs_default(sock.get()) < 0)
				++send_failures;
	}
	printf("fuzz: %ld messages sent, %ld refused with an error, %ld receive failures\n", n, errors,
	       send_failures);
	return 0;
}

} // namespace
