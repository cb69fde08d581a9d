// The roaming coordinator (Fig. 3, 320): answers FAMs and HAMs on demand and
// keeps the connection table of Fig. 8.
#pragma once

#include "../common/framed_conn.hpp"
#include "../common/key_table.hpp"
#include "../common/tls.hpp"
#include "authorizations.hpp"
#include "connection_table.hpp"
#include "das_server.hpp"
#include "hard_state.hpp"
#include "ft_domain.hpp"
#include "key_holders.hpp"
#include "policies.hpp"
#include "revocations.hpp"
#include "station_table.hpp"
#include "user_table.hpp"

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

namespace roamnat {

struct CoordinatorOptions {
	Endpoint listen{Address{0}, 7447};
	TlsFiles tls;
	std::set<std::string> allowed_agents; // empty: any certificate the CA signed
	bool push_fam_updates = true;
	// Certificate names that may hand over station keys (a RADIUS server's
	// roamctl station-key); empty: no key handoff.
	std::set<std::string> key_sources;
	size_t max_keys = 16384;
	// Certificate names that may revoke, reinstate and disconnect users
	// (roamctl revoke); empty: nobody.
	std::set<std::string> operators;
	// RADIUS Disconnect-Requests (RFC 5176) are taken when set.
	std::optional<DasOptions> das;
	// The policies_file; unset: only RADIUS attributes name policies, and a
	// user without any is not filtered (docs/policy.md).
	std::optional<PolicySet> policies;
	// 802.11r: the mobility domain and the key its key holders share, handed
	// to operators (roamctl ft-config) for the APs' hostapd configuration.
	std::optional<FtDomain> ft;
	// Liveness: how often agents send keepalive, and the silence after which
	// an agent is declared failed (several keepalives: never one late frame).
	Millis keepalive{1000};
	Millis dead_after{5000};
	// HAM failover: an agent holding masquerade addresses that is gone this
	// long has them and their connections moved to another agent, the first
	// connected one of failover_to (empty: the one serving most of them).
	Millis failover_after{5000};
	std::vector<std::string> failover_to;
	// Where the hard state lives (hard_state.hpp); empty: nowhere, and a
	// restart forgets agents and revocations.
	std::string state_file;
};

class Coordinator {
public:
	// One revocation or disconnection in progress: the APs still to confirm
	// that the user's keys and stations are gone.
	struct Withdrawal {
		FramedConn *requester = nullptr; // roamctl, until it goes away
		uint32_t request_id = 0;
		std::string user;
		proto::UserAction action = proto::UserAction::revoke;
		std::string by;
		size_t stations = 0, keys = 0, connections = 0;
		std::map<std::string, unsigned> waiting; // agent -> station_revoke answers due
		std::set<std::string> confirmed, failed;
		std::chrono::steady_clock::time_point started;
		EventLoop::TimerId timer = 0;
		std::function<void(const Withdrawal &)> done;
	};
	Coordinator(EventLoop &loop, CoordinatorOptions opts, std::unique_ptr<TlsContext> tls);
	~Coordinator();
	Coordinator(const Coordinator &) = delete;
	// Reads the state_file (start() does it first); false on a corrupt or
	// unwritable one, with the reason.
	bool load_state(std::string &error);
	bool start(std::string &error);
	// Serves an already authenticated plain stream as if it were a TLS
	// session with this identity (unit tests drive the protocol this way).
	void adopt(UniqueFd fd, const std::string &identity);
	const ConnectionTable &table() const { return table_; }
	const StationTable &stations() const { return stations_; }
	const UserTable &users() const { return users_; }
	const DasServer *das() const { return das_.get(); }
	const Authorizations &authorizations() const { return authorizations_; }

	// Fig. 14 1435/1465: the user behind a MAC and the policy it is under.
	struct PolicyDecision {
		std::string user;
		Policy policy;
		std::string source; // what chose it: "NAS-Filter-Rule", "Filter-Id", "policies_file", ...
		bool undefined_filter_id = false; // RADIUS named a policy the file does not define
	};
	enum class PolicyRefusal { unknown_station, revoked };
	std::optional<PolicyDecision> policy_for(const MacAddr &mac, PolicyRefusal &why);
	// Revokes (or disconnects, or reinstates) a user at every AP; done (may
	// be empty) once every AP confirmed or the deadline passed. requester,
	// when set, is answered with user_action_ack.
	void user_action(proto::UserAction action, const std::string &user,
			 std::optional<Revocations::Clock::time_point> until, const std::string &by,
			 FramedConn *requester, uint32_t request_id, std::function<void(const Withdrawal &)> done);

private:
	struct Session {
		std::unique_ptr<FramedConn> conn;
		bool hello = false;
		proto::Role role = proto::Role::agent;
		std::string agent;
		Address addr;
		uint64_t requests = 0;
		bool takes_client_moved = false; // hello flag kFlagClientMoved
		bool takes_keys = false;         // hello flag kFlagKeys
		bool relays_ft = false;          // hello flag kFlagFtRelay
		bool keepalive = false;          // hello flag kFlagKeepalive: silence means failure
		Clock::time_point heard{}; // the last frame from the peer
	};
	struct Designation {
		FramedConn *requester;
		uint32_t request_id;
	};

	void accept_ready();
	void serve(std::unique_ptr<FramedConn> conn);
	void dispatch(Session &s, proto::Message &&m);
	void on_hello(Session &s, const proto::Message &m);
	void on_fam_request(Session &s, const proto::Message &m);
	void on_ham_register(Session &s, const proto::Message &m);
	void on_fam_query(Session &s, const proto::Message &m);
	void on_client_departed(Session &s, const proto::Message &m);
	void on_client_arrived(Session &s, const proto::Message &m);
	void on_station_auth(Session &s, const proto::Message &m);
	// coordinator_keys.cpp: Fig. 14's key lookup table, Fig. 15 1500.
	void on_station_key(Session &s, const proto::Message &m);
	void keep_authorization(const proto::Message &m, std::string &audit);
	bool push_key(Session &agent, const KeyTable::Key &key);
	void push_keys_to(Session &agent);
	// coordinator_revoke.cpp: one user cut off at every AP.
	void on_user_action(Session &s, const proto::Message &m);
	void send_station_revoke(Session &agent, const MacAddr &mac, const std::string &user, uint32_t id,
				 const std::string &why);
	void on_station_revoke_ack(Session &s, const proto::Message &m);
	void finish_withdrawal(const Withdrawal &w);
	void withdraw_keys_at(Session &agent);
	void withdraw(Withdrawal w, const std::set<MacAddr> &macs);
	std::set<MacAddr> stations_of(const std::string &user) const;
	void on_das_disconnect(const DasServer::Request &r, DasServer::Answer answer);
	// coordinator_policy.cpp: Fig. 14's filtering module asking.
	void on_policy_request(Session &s, const proto::Message &m);
	// coordinator_ft.cpp: 802.11r key holders' frames between APs.
	void on_ft_frame(Session &s, const proto::Message &m);
	void on_ft_config(Session &s, const proto::Message &m);
	void on_conn_end(Session &s, const proto::Message &m);
	void on_ham_designate(Session &s, const proto::Message &m);
	void on_dump(Session &s, const proto::Message &m);
	void check_liveness();
	// coordinator_failover.cpp: masquerade address leases and HAM failover.
	// Why an agent's hello may not claim its masquerade addresses; empty: it may.
	std::string lease_refusal(const std::string &agent, const proto::Message &hello) const;
	void claim_leases(const std::string &agent, const proto::Message &hello);
	// The connections on addresses taken over, sent again when their holder
	// says hello: a takeover frame it never got or could not apply.
	void resend_takeovers(const std::string &agent);
	void send_takeover(const std::string &to, Address addr, const std::string &failed, uint32_t generation,
			   const std::vector<ConnRecord> &conns);
	std::vector<Address> leases_of(const std::string &agent) const;
	// The agent holding addr when it is not agent: a registration there is stale.
	const HardState::Lease *held_elsewhere(Address addr, const std::string &agent) const;
	void check_failover();
	void fail_over(const std::string &failed, bool restarted);
	std::string takeover_target(const std::string &failed, const std::vector<FlowKey> &moving) const;
	void on_ham_takeover_ack(Session &s, const proto::Message &m);
	// coordinator_state.cpp: the hard state written at every change of it.
	void save_state();
	void push_fams(const ConnRecord &conn, bool departure = false);
	void remove_connection(const ConnRecord &conn, const std::string &why);
	void forget_agent_state(const std::string &agent);
	void supersede_stale(const std::string &agent, L4 proto, const Endpoint &masq, const FlowKey &flow);
	void send_to_agent(const std::string &agent, const proto::Message &m);
	void count(const std::string &name, uint64_t by = 1) { counters_[name] += by; }

	EventLoop &loop_;
	CoordinatorOptions opts_;
	std::unique_ptr<TlsContext> tls_;
	UniqueFd listener_;
	std::unordered_map<FramedConn *, Session> sessions_;
	std::unordered_map<std::string, FramedConn *> agents_;
	std::map<std::string, Address> known_agents_; // every agent ever seen, for listings
	std::map<std::string, uint64_t> instances_; // each agent's current run
	std::unordered_map<FlowKey, Designation> designations_;
	std::map<std::string, uint64_t> counters_;
	// Counted per message without building a name each time: dumped as rx_TYPE.
	std::array<uint64_t, 256> received_{};
	ConnectionTable table_;
	StationTable stations_;
	UserTable users_;
	KeyTable keys_;
	Authorizations authorizations_;
	KeyHolders key_holders_;
	Revocations revocations_;
	std::map<uint32_t, Withdrawal> withdrawals_; // by the request id of their station_revokes
	uint32_t next_withdrawal_ = 1;
	std::unique_ptr<DasServer> das_;
	Clock::time_point last_sweep_{};
	EventLoop::TimerId sweep_ = 0;
	std::string state_error_; // the last failure to write the state_file, until one succeeds
	std::map<Address, HardState::Lease> leases_;
	// Agents holding leases whose session is gone, since when.
	std::map<std::string, Clock::time_point> absent_since_;
};

} // namespace roamnat
