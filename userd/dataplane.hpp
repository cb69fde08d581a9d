// The packet-rewriting back end of roamd: nftables (nft_dataplane.cpp) or
// the roamnat.ko kernel module (kmod_dataplane.cpp).
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "../common/filter_rule.hpp"
#include "miss.hpp"
#include "policy_queue.hpp"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace roamnat {

enum class OutboundMode { direct, via_ham };
// Fig. 14 1435/1465, per-user filtering (docs/policy.md). off: every
// client's traffic passes as before; deny: a client's traffic passes only
// as its user's policy says, and a client whose policy this AP does not
// have (yet) gets nothing through; hold: as deny, but such a client's
// packets wait in policy_queue for its policy (or for miss_hold) instead of
// being dropped at once (Fig. 14 1435: "held or denied until the answer").
enum class Filtering { off, deny, hold };

struct DataPlaneConfig {
	std::vector<std::string> client_interfaces; // names; a trailing '*' matches a prefix
	bool is_client_interface(const std::string &name) const
	{
		for (const auto &p : client_interfaces)
			if (!p.empty() && p.back() == '*' ? name.rfind(p.substr(0, p.size() - 1), 0) == 0 : name == p)
				return true;
		return false;
	}
	uint16_t port_min = 40000;                  // masquerade and FAM ports
	uint16_t port_max = 59999;
	uint16_t miss_queue = 0;     // NFQUEUE number for misses at the FAM (Fig. 6)
	uint16_t event_queue = 1;    // NFQUEUE number for TCP FIN/RST
	uint16_t ham_miss_queue = 2; // NFQUEUE number for misses at the HAM (Fig. 7)
	uint16_t icmp_queue = 3;     // NFQUEUE number for ICMP errors roamd translates (nftables)
	uint16_t policy_queue = 4;   // NFQUEUE number for filtering = hold
	// What clients send that no table can translate (other IP protocols,
	// ICMP other than echo and errors about translated flows): dropped and
	// counted, or passed untranslated where the network routes their subnet.
	bool drop_other = true;
	uint32_t udp_idle_s = 60;
	uint32_t tcp_idle_s = 7200;
	OutboundMode outbound = OutboundMode::direct;
	Filtering filtering = Filtering::off;
};

// Fig. 4 outbound: client -> server packets leave with source := masq.
// In via-ham mode the FAM sends them to the HAM instead: source := fam,
// destination := masq, and the HAM does the rest (HamReverse).
struct FamOutRule {
	FlowKey flow;
	Endpoint new_src;
	std::optional<Endpoint> new_dst; // via-ham only
	uint32_t ifindex = 0;            // the client's interface, kept for a restart
};

// Fig. 4 inbound: server -> fam packets are delivered to the client.
struct FamInRule {
	L4 proto;
	Endpoint server;
	Endpoint fam;
	Endpoint client;
};

// Fig. 5: server -> masq packets are forwarded to a remote FAM. With fam
// empty the HAM knows the connection but not its FAM: packets are held and
// roamd asks the coordinator (Fig. 7 725, Fig. 12).
struct HamRule {
	MasqKey key;
	std::optional<Endpoint> fam;
	Endpoint client; // kept for a restart
};

// via-ham outbound at the HAM: fam -> masq becomes masq -> server.
struct HamReverseRule {
	L4 proto;
	Endpoint fam;
	Endpoint masq;
	Endpoint server;
	// The packet's destination as it arrives: an echo request carries its
	// identifier on the FAM's side only (PacketInfo), so port 0 here.
	Endpoint key_dst() const { return {masq.addr, proto == L4::icmp ? uint16_t(0) : masq.port}; }
};

// What the data plane reports about translated packets.
struct DataPlaneEvent {
	enum class Kind { tcp_fin, tcp_rst, idle } kind;
	FlowKey tuple; // the packet's (protocol, source, destination) before rewriting
};

// Entries a previous roamd left in a data plane that outlives it (both keep
// translating while roamd restarts), with that run's instance.
struct Leftover {
	uint64_t instance = 0;
	std::vector<FamOutRule> fam_out;
	std::vector<FamInRule> fam_in;
	std::vector<HamRule> ham;
	std::vector<HamReverseRule> ham_rev;
};

class DataPlane {
public:
	virtual ~DataPlane() = default;
	virtual bool init(const DataPlaneConfig &cfg, std::string &error) = 0;
	// On exit: drops what is staged. The entries stay, translating while
	// roamd restarts, for the next run to adopt (Leftover).
	virtual void shutdown() = 0;
	virtual const char *name() const = 0;

	// Changes are staged and applied atomically by commit(), so that a packet
	// released after commit() sees every entry of its connection.
	virtual void add_fam_out(const FamOutRule &r) = 0;
	virtual void del_fam_out(const FamOutRule &r) = 0;
	virtual void add_fam_in(const FamInRule &r) = 0;
	virtual void del_fam_in(const FamInRule &r) = 0;
	virtual void add_ham(const HamRule &r) = 0;
	virtual void del_ham(const HamRule &r) = 0;
	virtual void add_ham_reverse(const HamReverseRule &r) = 0;
	virtual void del_ham_reverse(const HamReverseRule &r) = 0;
	virtual bool commit(std::string &error) = 0;

	// Packet and byte counters by name (fam_out, fam_in, ham_in, ...).
	virtual std::map<std::string, uint64_t> counters() = 0;

	// (protocol, source, destination) of every translated packet seen within
	// its idle timeout, before rewriting; FlowKey's client field is the source.
	virtual std::optional<std::set<FlowKey>> active_tuples() = 0;

	// Misses (Fig. 6 630, Fig. 7 720), each held in the kernel until verdict()
	// is given its id; at most max_held wait at once.
	virtual bool start_misses(EventLoop &loop, uint32_t max_held, MissHandler handler, std::string &error) = 0;
	virtual void verdict(MissId id, Verdict v) = 0;

	// TCP FIN/RST (and, where reports_idle(), idle entries) as they happen.
	using EventHandler = std::function<void(const DataPlaneEvent &)>;
	virtual bool start_events(EventLoop &loop, EventHandler handler, std::string &error) = 0;
	virtual bool reports_idle() const { return false; }
	// Fig. 14 1465 (filtering on): a policy, installed once under an id
	// (at once, not staged), and the client addresses it applies to
	// (staged, applied by commit()). A client address without one passes
	// nothing to or from the client.
	virtual bool add_policy(uint32_t /*id*/, const Policy & /*p*/, std::string &error)
	{
		error = std::string("the ") + name() + " back end does not enforce policies";
		return false;
	}
	virtual void set_client_policy(Address /*client*/, uint32_t /*id*/) {}
	virtual void clear_client_policy(Address /*client*/) {}
	// filtering = hold: packets of a client address without a policy, each
	// held in the kernel until verdict() is given its id.
	virtual bool start_policy_holds(EventLoop & /*loop*/, uint32_t /*max_held*/, PolicyQueue::Handler /*handler*/,
					std::string &error)
	{
		error = std::string("the ") + name() + " back end does not hold packets for policies";
		return false;
	}
	// A client-facing interface appeared or went away.
	virtual void client_interface(uint32_t /*ifindex*/, bool /*present*/) {}
	// What a previous run left; nullopt where nothing survives a restart.
	virtual std::optional<Leftover> leftover() { return std::nullopt; }
	// Stores this run's instance with the entries (see Leftover).
	virtual void set_instance(uint64_t /*instance*/) {}
};

} // namespace roamnat
