// roamd's roles (Fig. 3): FAM for the clients on this access point's links,
// HAM for the connections anchored here. Tables of Figs. 4 and 5, filled on
// demand from the coordinator and pushed into the data plane.
#pragma once

#include "../common/framed_conn.hpp"
#include "coordinator_link.hpp"
#include "dataplane.hpp"
#include "link_monitor.hpp"
#include "nfqueue.hpp"
#include "port_allocator.hpp"

#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace roamnat {

// Fig. 9 900: which host anchors a new connection.
struct HamPolicy {
	enum class Kind { local, host, port } kind = Kind::local;
	std::string host;                          // Kind::host
	std::map<uint16_t, std::string> by_port;   // Kind::port: server port -> agent; others local
	std::string choose(const FlowKey &flow, const std::string &self) const;
};

struct AgentOptions {
	std::string name;   // this agent's identity: its certificate's common name
	Ipv4 address;       // masquerade and FAM address, routable from every AP
	DataPlaneConfig dp;
	HamPolicy ham_policy;
	Millis port_quarantine{120000};
	Millis miss_hold{2000};         // longest a miss is held waiting for an answer
	size_t max_held = 4096;         // packets held at once, across all misses
	Millis end_linger{3000};        // after FIN both ways or RST, before removal
	std::string control_socket;     // roamctl --agent; empty: none
};

class Agent {
public:
	Agent(EventLoop &loop, AgentOptions opts, DataPlane &dp, CoordinatorLink &coord);
	bool start(std::string &error);
	void stop();

private:
	struct FamRec { // Fig. 4, plus the interface the client is on
		FlowKey flow;
		Endpoint masq;
		Endpoint fam;
		std::string ham_agent;
		bool via_ham = false;
		uint32_t ifindex = 0;
		Clock::time_point since;
	};
	struct HamRec { // Fig. 5 with the client endpoint and every FAM (alternative embodiment)
		FlowKey flow;
		Endpoint masq;
		std::vector<proto::FamRecord> fams; // newest first
		enum class Installed { none, pending, remote, local } installed = Installed::none;
		Endpoint installed_fam;
		Clock::time_point since;
		Clock::time_point last_query;
	};
	struct Held {
		std::vector<uint32_t> ids;
		EventLoop::TimerId timer = 0;
	};
	struct Ending {
		bool fin_out = false, fin_in = false;
		EventLoop::TimerId timer = 0;
	};

	// Packet path (misses and events from the data plane).
	void on_miss(const NfQueue::Packet &p);
	void outbound_miss(const PacketInfo &pi, const NfQueue::Packet &p);
	void inbound_miss(const PacketInfo &pi, const NfQueue::Packet &p);
	void on_dp_event(const DataPlaneEvent &ev);
	void on_tcp_end(const FlowKey &tuple, bool rst);
	bool hold(std::unordered_map<FlowKey, Held> &table, const FlowKey &key, uint32_t id, const char *what);
	void release(std::unordered_map<FlowKey, Held> &table, const FlowKey &key, int verdict, const char *why);

	// Connection set-up (Figs. 9, 10, 11).
	void anchor_here(const FlowKey &flow, uint32_t ifindex);
	void ask_to_join(const FlowKey &flow, uint32_t ifindex, bool may_anchor);
	void designate(const FlowKey &flow, uint32_t ifindex, const std::string &ham);
	void on_fam_reply(const FlowKey &flow, uint32_t ifindex, Endpoint fam, bool fam_is_masq,
			  const proto::Message *reply);
	void on_ham_designate(const proto::Message &m);

	// Table maintenance.
	void add_fam(FamRec rec);
	void drop_fam(const FlowKey &flow);
	void add_ham(HamRec rec);
	void update_ham_fams(const FlowKey &flow, std::vector<proto::FamRecord> fams);
	void program_ham(HamRec &rec);
	void drop_ham(const FlowKey &flow);
	bool commit(const char *what);
	void end_connection(const FlowKey &flow, const std::string &why);
	void forget(const FlowKey &flow);

	// Coordinator events.
	void on_push(const proto::Message &m);
	void query_fams(HamRec &rec);
	void resync();
	void register_ham(const HamRec &rec, bool resync);

	// Departures (Fig. 13) and idle expiry.
	void client_departed(Ipv4 client, const char *why);
	void client_arrived(Ipv4 client, uint32_t ifindex, const char *why);
	bool serves_client(Ipv4 client) const;
	void link_gone(uint32_t ifindex, const std::string &name);
public:
	void link_up(uint32_t ifindex, const std::string &name);

private:
	void check_idle();
	void idle_tick();
public:
	// Rebuilds the records of a previous run from the entries it left in the
	// data plane (Leftover), before the coordinator session starts.
	void adopt(const Leftover &left);

private:

	// roamctl --agent.
	void start_control(std::string &error);
	void on_control(FramedConn &c, proto::Message &&m);

	const FamRec *fam_by_tuple_in(const FlowKey &server_to_fam) const;
	bool is_client_iface(const std::string &name) const;
	void count(const char *name, uint64_t by = 1) { counters_[name] += by; }

	EventLoop &loop_;
	AgentOptions opts_;
	DataPlane &dp_;
	CoordinatorLink &coord_;
	PortAllocator ports_;
	NfQueue miss_q_;
	LinkMonitor links_;

	std::unordered_map<FlowKey, FamRec> fams_;
	std::unordered_map<MasqKey, FlowKey> fam_in_index_; // (server, fam) -> flow
	std::unordered_map<FlowKey, HamRec> hams_;
	std::unordered_map<MasqKey, FlowKey> ham_index_;    // (server, masq) -> flow
	std::unordered_map<FlowKey, Held> held_out_;
	std::unordered_map<FlowKey, Held> held_in_;         // keyed by the HAM record's flow
	std::unordered_map<FlowKey, Ending> ending_;
	std::unordered_set<FlowKey> in_setup_;
	std::unordered_set<FlowKey> designate_ok_; // may ask another host to anchor it
	std::map<Ipv4, Clock::time_point> arrivals_; // last arrival asked per client
	size_t held_total_ = 0;
	Millis idle_every_{15000};
	bool idle_check_pending_ = false;
	std::map<std::string, uint64_t> counters_;

	UniqueFd control_listener_;
	std::unordered_map<FramedConn *, std::unique_ptr<FramedConn>> control_sessions_;
};

} // namespace roamnat
