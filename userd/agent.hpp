// roamd's roles (Fig. 3): FAM for the clients on this access point's links,
// HAM for the connections anchored here. Tables of Figs. 4 and 5, filled on
// demand from the coordinator and pushed into the data plane.
#pragma once

#include "../common/key_table.hpp"
#include "../common/oldest_first_map.hpp"
#include "control_socket.hpp"
#include "coordinator_link.hpp"
#include "counters.hpp"
#include "dataplane.hpp"
#include "fam_table.hpp"
#include "ham_table.hpp"
#include "held_packets.hpp"
#include "policy_holds.hpp"
#include "dhcp_snoop.hpp"
#include "eap_identities.hpp"
#include "ft_link.hpp"
#include "hostapd_link.hpp"
#include "link_monitor.hpp"
#include "endpoint_allocator.hpp"
#include "stations.hpp"

#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace roamnat {

// HAM failover moves masquerade addresses between agents.
enum class AddressChange { add, remove, announce, present };

// Fig. 9 900: which host anchors a new connection.
struct HamPolicy {
	enum class Kind { local, host, port } kind = Kind::local;
	std::string host;                          // Kind::host
	std::map<uint16_t, std::string> by_port;   // Kind::port: server port -> agent; others local
	std::string choose(const FlowKey &flow, const std::string &self) const;
};

struct AgentOptions {
	std::string name;   // this agent's identity: its certificate's common name
	Address address;       // FAM address, routable from every AP
	// Fig. 9 920: where connections anchored here are masqueraded; empty:
	// on address. Kept apart from address so another host can take them over.
	std::vector<Address> masquerade_addresses;
	// Puts a masquerade address on the backbone link, takes it off, or
	// announces it (MasqueradeAddresses); unset: nothing to do (unit tests).
	std::function<bool(Address, AddressChange, std::string &)> change_address;
	DataPlaneConfig dp;
	HamPolicy ham_policy;
	Millis port_quarantine{120000};
	Millis miss_hold{2000};         // longest a miss is held waiting for an answer
	size_t max_held = 4096;         // packets held at once, across all misses
	Millis end_linger{3000};        // after FIN both ways or RST, before removal
	std::string control_socket;     // roamctl --agent; empty: none
	// hostapd control sockets: station events are then the arrivals and
	// departures; without, neighbour entries and links stand in for them.
	std::vector<std::string> hostapd;
	std::string run_dir = "/run/roamnat"; // this end of each hostapd socket: hostapd-NAME-BSS
	// Leases this AP's DHCP relay or server acknowledges tell each
	// station's address (the coordinator keeps it for the next AP).
	bool dhcp_snooping = true;
	// 802.11r across subnets: the veth peer of hostapd's bridge=, whose
	// key holder frames the coordinator relays; empty: none.
	std::string ft_relay;
};

class Agent {
public:
	Agent(EventLoop &loop, AgentOptions opts, DataPlane &dp, CoordinatorLink &coord);
	bool start(std::string &error);
	void stop();
	// One of the counters roamctl --agent shows.
	uint64_t counter(const std::string &name) const { return counters_.get(name); }
	// An interface exists (at start, or the link monitor saw it appear) or
	// is gone; client-facing ones are set up and given to the data plane.
	void link_exists(uint32_t ifindex, const std::string &name, bool present);
	// Rebuilds the records of a previous run from the entries it left in the
	// data plane (Leftover), before the coordinator session starts.
	void adopt(const Leftover &left);
	// Station events: hostapd's, the DHCP exchange's, else the link monitor's.
	// Fig. 13 1300: the client left this AP.
	void client_departed(Address client, const char *why);
	// The client is here: join each of its connections at once. With its
	// MAC, the coordinator also learns which address the station has.
	void client_arrived(Address client, uint32_t ifindex, const char *why, std::optional<MacAddr> mac = {});
	// hostapd: a station associated with the BSS at ifindex, or left.
	void station_associated(const MacAddr &mac, uint32_t ifindex);
	void station_left(const MacAddr &mac);
	void station_authenticated(const StationRecord &sta, const std::string &bss, bool wpa_eap = false);
	void install_key(HostapdLink &link, const KeyTable::Key &key);
	void report_user(const MacAddr &mac, const Stations::User &user);
	// The DHCP exchange here gave the station at mac the address addr.
	void dhcp_acked(const MacAddr &mac, Address addr, uint32_t ifindex);
	// The coordinator saw the client arrive at agent to.
	void client_moved(Address client, const std::string &to);
	// agent_keys.cpp (Fig. 15 1500): a station's key, handed over by the
	// coordinator, goes into every WPA-EAP BSS of this AP.
	void key_received(const proto::Message &push);
	void station_revoked(const proto::Message &m);
	void install_keys(HostapdLink &link);
	// agent_policy.cpp (Fig. 14 1435/1465, filtering on): each station's
	// policy, asked of the coordinator once its user is known, given to the
	// data plane for the station's address.
	void fetch_policy(const MacAddr &mac);
	void apply_policy(const MacAddr &mac, Address addr);
	void withdraw_policy(const MacAddr &mac, const char *why);
	// agent_ft.cpp: 802.11r key holder frames between this AP's hostapd
	// and the other APs', through the coordinator.
	void ft_frame_out(std::span<const uint8_t> frame);
	void ft_frame_in(const proto::Message &m);

private:
	using Way = HeldPackets::Way;
	struct Ending {
		bool fin_out = false, fin_in = false;
		EventLoop::TimerId timer = 0;
	};

	// Packet path: misses (Figs. 6, 7) and events from the data plane.
	void on_miss(const Miss &m);
	void outbound_miss(const Miss &m);
	void inbound_miss(const Miss &m);
	void on_dp_event(const DataPlaneEvent &ev);
	void on_tcp_end(const FlowKey &tuple, bool rst);
	void policy_hold(const PolicyHold &h);

	// Connection set-up (Figs. 9, 10, 11).
	void anchor_here(const FlowKey &flow, uint32_t ifindex);
	void ask_to_join(const FlowKey &flow, uint32_t ifindex, bool may_anchor);
	void designate(const FlowKey &flow, uint32_t ifindex, const std::string &ham);
	void on_fam_reply(const FlowKey &flow, uint32_t ifindex, Endpoint fam, bool fam_is_masq,
			  const proto::Message *reply);
	void joined(const FlowKey &flow, uint32_t ifindex, Endpoint fam, bool fam_is_masq, const proto::Message &reply);
	void on_ham_designate(const proto::Message &m);
	void setup_failed(const FlowKey &flow, const char *counter, const char *why);
	// A station associated here whose address this AP does not know.
	void station_arrived(const MacAddr &mac, uint32_t ifindex);
	// The coordinator's client_flows: join what is not served here yet.
	void join_arrived(const proto::Message &flows, uint32_t ifindex);
	void ask_arrival(Address client, uint32_t ifindex, std::optional<MacAddr> mac);

	// Records: the tables change the data plane, the agent owns the ports.
	void add_fam(FamRec rec);
	void add_ham(const FlowKey &flow, Endpoint masq, std::optional<Endpoint> own_fam);
	void drop_fam(const FlowKey &flow);
	void drop_ham(const FlowKey &flow);
	void update_ham_fams(const FlowKey &flow, std::vector<proto::FamRecord> fams);
	bool commit(const char *what);
	void end_connection(const FlowKey &flow, const std::string &why);
	// commit: false when the caller removes many and commits once.
	void forget(const FlowKey &flow, bool commit_now = true);

	// Coordinator events.
	void on_push(const proto::Message &m);
	void query_fams(HamRec &rec);
	void resync();
	void register_ham(const HamRec &rec, bool resync);

	// agent_failover.cpp: masquerade addresses moving between agents.
	void take_over(const proto::Message &m);
	void fence();
	bool is_home(Address a) const;
	// A masquerade address the previous run's entries use: held again until
	// the coordinator says otherwise (fence).
	void hold_adopted(Address a);
	// Gives up an address another agent holds now, with every record on it.
	void give_up(Address a);
	void announce(Address a);
	bool change_address(Address a, AddressChange how, std::string &error);

	// Station events (hostapd), links and idle expiry.
	void start_hostapd();
	std::optional<Stations::User> handed_over_user(const StationRecord &sta, bool wpa_eap);
	void turn_away_withdrawn(const MacAddr &mac, const std::string &bss);
	void on_dhcp(const DhcpMessage &m, uint32_t ifindex);
	void link_gone(uint32_t ifindex, const std::string &name);
	void check_idle();
	void idle_tick();

	// Restart: records from the data plane's leftover entries.
	size_t adopt_fams(const Leftover &left);
	size_t adopt_hams(const Leftover &left);

	// roamctl --agent.
	bool dump(proto::DumpWhat what, proto::Message &reply);

	void count(const char *name, uint64_t by = 1) { counters_.add(name, by); }

	EventLoop &loop_;
	AgentOptions opts_;
	DataPlane &dp_;
	CoordinatorLink &coord_;
	Counters counters_;
	EndpointAllocator endpoints_;
	HeldPackets held_;
	PolicyHolds policy_holds_;
	LinkMonitor links_;
	FamTable fams_;
	HamTable hams_;
	ControlSocket control_;
	Stations stations_;
	KeyTable keys_;
	EapIdentities eap_identities_;
	// Stations the coordinator withdrew, by MAC, with their user: hostapd
	// cannot forget an FT station's PMK-R1, so one back by FT is turned away.
	OldestFirstMap<MacAddr, std::string> withdrawn_{Stations::kMaxKnown};
	std::vector<std::unique_ptr<HostapdLink>> hostapd_;
	DhcpSnoop dhcp_;
	FtLink ft_;

	std::unordered_map<FlowKey, Ending> ending_;
	// Connections being set up (Figs. 9-11): asked once, whatever number of
	// packets wait for the answer.
	struct Setup {
		bool may_designate = false; // Fig. 9 980 allowed if Fig. 10 is refused
	};
	std::unordered_map<FlowKey, Setup> setups_;
	std::map<Address, Clock::time_point> arrivals_; // last arrival asked per client
	struct Arrival {
		uint32_t ifindex = 0;
		std::optional<MacAddr> mac;
	};
	std::map<Address, Arrival> unanswered_arrivals_; // asked again on the next session
	std::set<uint32_t> client_ifs_;                // client interfaces set up, by index
	struct StationPolicy {
		std::string user, name;
		uint32_t id = 0;
	};
	std::map<MacAddr, StationPolicy> station_policies_; // answers for stations associated here
	struct Policed {
		Address addr;
		uint32_t id = 0;
	};
	std::map<MacAddr, Policed> policed_; // each one's address, given its policy
	std::set<Address> policed_addrs_;    // the addresses of policed_, for the policy queue
	std::map<std::string, uint32_t> policy_ids_;        // installed policies, by their text
	Millis idle_every_{15000};
	bool idle_check_pending_ = false;
};

} // namespace roamnat
