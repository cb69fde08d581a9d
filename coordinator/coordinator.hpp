// The roaming coordinator (Fig. 3, 320): answers FAMs and HAMs on demand and
// keeps the connection table of Fig. 8.
#pragma once

#include "../common/framed_conn.hpp"
#include "../common/key_table.hpp"
#include "../common/tls.hpp"
#include "connection_table.hpp"
#include "station_table.hpp"
#include "user_table.hpp"

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
};

class Coordinator {
public:
	Coordinator(EventLoop &loop, CoordinatorOptions opts, std::unique_ptr<TlsContext> tls);
	bool start(std::string &error);
	// Serves an already authenticated plain stream as if it were a TLS
	// session with this identity (unit tests drive the protocol this way).
	void adopt(UniqueFd fd, const std::string &identity);
	const ConnectionTable &table() const { return table_; }
	const StationTable &stations() const { return stations_; }
	const UserTable &users() const { return users_; }

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
	bool push_key(Session &agent, const KeyTable::Key &key);
	void push_keys_to(Session &agent);
	void on_conn_end(Session &s, const proto::Message &m);
	void on_ham_designate(Session &s, const proto::Message &m);
	void on_dump(Session &s, const proto::Message &m);
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
	ConnectionTable table_;
	StationTable stations_;
	UserTable users_;
	KeyTable keys_;
};

} // namespace roamnat
