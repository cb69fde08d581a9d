// A client of roamnat.ko's generic netlink family (docs/netlink.md) over
// libnl-genl-3: configuration, batched table changes, dumps, counters and the
// "events" multicast group. Used by roamd's kmod back end and roamnat-kmodctl.
#pragma once

#include "../../common/endpoint.hpp"
#include "../../common/filter_rule.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct nl_sock;
struct nl_msg;

namespace roamnat::kmod {

enum class Table : uint8_t { fam_out = 0, fam_in = 1, ham = 2, ham_rev = 3 };
constexpr Table kTables[] = {Table::fam_out, Table::fam_in, Table::ham, Table::ham_rev};
const char *table_name(Table t);
std::optional<Table> table_from_name(const std::string &name);

struct Entry {
	Table table = Table::fam_out;
	L4 proto = L4::udp;
	Endpoint src, dst;                      // the key: the packet as it arrives
	std::optional<Endpoint> new_src, new_dst;
	std::optional<Endpoint> orig;           // HAM: the connection's client
	uint32_t ifindex = 0;                   // FAM_OUT: the client's interface
	uint64_t idle_ms = 0;                   // answers only
	std::string str() const;
};

// enum roamnat_filtering: clients pass only as their policy says; hold also
// queues what has no policy yet to policy_queue.
enum class Filtering : uint8_t { off = 0, deny = 1, hold = 2 };
const char *filtering_name(Filtering f);
std::optional<Filtering> filtering_from_name(const std::string &name);

struct Config {
	uint16_t port_min = 40000, port_max = 59999, miss_queue = 0;
	std::optional<uint16_t> ham_miss_queue;  // unset: the module uses miss_queue
	std::optional<uint16_t> policy_queue;    // unset: the module uses miss_queue + 4
	uint32_t udp_idle_s = 0, tcp_idle_s = 0; // 0: no idle events
	bool drop_other = false;                 // clients' untranslatable packets
	// Fig. 14 1465: clients pass only as their policy says. Unset: not sent,
	// so a module older than filtering takes the rest of the configuration.
	std::optional<Filtering> filtering;
	uint32_t policies = 0, clients = 0;      // answers only: installed policies, clients given one
	uint64_t cookie = 0;                     // roamd's instance
	std::vector<uint32_t> client_ifindexes;
};

enum class EventKind : uint8_t { tcp_fin = 1, tcp_rst = 2, idle = 3, miss = 4 };
struct Event {
	EventKind kind;
	Entry entry;
};

struct Change {
	bool add;
	Entry entry;
};

struct NlSockFree {
	void operator()(nl_sock *s) const;
};

class Client {
public:
	// Resolves the family and checks its version; a clear error otherwise.
	bool open(std::string &error);
	bool set_config(const Config &cfg, std::string &error);
	std::optional<Config> get_config(std::string &error); // nullopt and no error: not configured
	// Many changes per datagram, then every ACK is collected; deleting an
	// entry that is not there is not an error.
	bool apply(const std::vector<Change> &changes, std::string &error);
	bool flush(std::optional<Table> table, std::string &error);
	// Unhooks the module from this namespace, forgets its configuration and
	// empties its tables: the namespace forwards as if it had never been served.
	bool reset(std::string &error);
	// Fig. 14 1465 (docs/netlink.md, "Filtering"): a policy under an id
	// (replacing the one there), a client address's policy, and forgetting
	// them; deleting a client that has none is not an error.
	bool set_policy(uint32_t id, const Policy &p, std::string &error);
	bool set_client_policy(Address client, uint32_t id, std::string &error);
	bool del_client_policy(Address client, std::string &error);
	bool flush_policies(std::string &error);
	// What the module enforces: each policy by id (named by its id), and
	// each client address's policy id. A policy that does not parse back
	// (a newer module's rule) is an error, not left out.
	// With only, that policy alone (an error when there is none).
	std::optional<std::map<uint32_t, Policy>> policies(std::string &error, std::optional<uint32_t> only = {});
	std::optional<std::map<Address, uint32_t>> clients(std::string &error);
	bool dump(Table table, std::vector<Entry> &out, std::string &error);
	std::optional<std::map<std::string, uint64_t>> counters(std::string &error);

	// Events arrive on a second socket joined to the "events" group, and
	// with misses to the "misses" group too (monitoring: roamd has NFQUEUE).
	bool subscribe(std::string &error, bool misses = false);
	int event_fd() const;
	// Reads what is queued without blocking; false when events were lost
	// (the socket's buffer overflowed: resynchronise from a dump).
	bool read_events(const std::function<void(const Event &)> &handler);

private:
	// The kernel's answer: errno (0 when libnl itself failed) and a text
	// naming it, with the module's extended ACK message when it sent one.
	struct Failure {
		int code = 0;
		std::string text;
	};
	bool exchange(nl_msg *msg, const std::function<void(nl_msg *)> &on_reply, Failure &failure);
	bool exchange(nl_msg *msg, const std::function<void(nl_msg *)> &on_reply, std::string &error);

	std::unique_ptr<nl_sock, NlSockFree> sock_, events_;
	int family_ = -1;
};

} // namespace roamnat::kmod
