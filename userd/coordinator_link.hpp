// What the agent asks of the roaming coordinator and hears from it
// (docs/protocol.md), one typed call per request so that no caller builds a
// message by hand. CoordinatorSession is the TLS session behind it; unit tests
// put a fake in its place.
#pragma once

#include "../common/protocol.hpp"

#include <functional>
#include <span>
#include <string>

namespace roamnat {

class CoordinatorLink {
public:
	using ReplyHandler = std::function<void(const proto::Message *reply)>; // nullptr: no answer
	using PushHandler = std::function<void(const proto::Message &)>;

	virtual ~CoordinatorLink() = default;

	// Pushes: fam_update, conn_removed, ham_designate (docs/protocol.md).
	virtual void on_push(PushHandler h) = 0;
	// Runs after every new session, so the agent can replay its state.
	virtual void on_session(std::function<void()> h) = 0;
	virtual bool up() const = 0;
	virtual uint64_t timeouts() const = 0;
	// The coordinator resolves a station named by its MAC alone (hello_ack
	// flag kFlagStations).
	virtual bool resolves_stations() const = 0;
	// The coordinator keeps the users of stations (hello_ack flag kFlagUsers).
	virtual bool keeps_users() const = 0;
	// The masquerade addresses the last hello_ack says this agent holds
	// (flag kFlagLeases); nullopt from a coordinator that does not lease them.
	virtual std::optional<std::vector<Address>> leases() const = 0;

	// Each handler runs once: with the reply, or with nullptr after the
	// timeout or a lost session.

	// Fig. 10 1010: join a connection as its FAM at fam; combined: Fig. 11,
	// the coordinator may make this agent the HAM. resync: replayed after a
	// reconnect.
	void fam_request(const FlowKey &flow, Endpoint fam, bool combined, bool resync, ReplyHandler h);
	// Fig. 9 930 / 950: this agent anchors the connection at masq, and is its
	// FAM at fam when it serves the client too.
	void ham_register(const FlowKey &flow, Endpoint masq, std::optional<Endpoint> fam, bool resync,
			  ReplyHandler h);
	// Fig. 12 1200: where is the FAM of the connection at masq now?
	void fam_query(L4 proto, Endpoint server, Endpoint masq, ReplyHandler h);
	// Fig. 9 980: have agent ham anchor the connection.
	void ham_designate(const FlowKey &flow, const std::string &ham, ReplyHandler h);
	// Fig. 13 1300: the client left this FAM.
	void client_departed(Address client);
	// The client appeared at this FAM: which connections does it have? With
	// its MAC, the coordinator binds the station to the address.
	void client_arrived(Address client, std::optional<MacAddr> mac, ReplyHandler h);
	// A station associated here whose address this agent does not know: the
	// coordinator answers with its address and connections.
	void station_arrived(const MacAddr &mac, ReplyHandler h);
	// Fig. 14 1455: the station completed 802.1X here as user (method: the
	// EAP method, may be empty).
	void station_auth(const MacAddr &mac, const std::string &user, const std::string &method, ReplyHandler h);
	// Fig. 14 1435: the user behind the station and that user's policy.
	void policy_request(const MacAddr &mac, ReplyHandler h);
	// FIN/RST or idle: the connection is over.
	void conn_end(const FlowKey &flow, const std::string &why);
	// Answers the coordinator's station_revoke request_id: the station's key
	// is gone from every BSS here (ok) or hostapd refused; deauthenticated:
	// at how many BSSes it was associated and was disconnected.
	void station_revoke_ack(uint32_t request_id, const MacAddr &mac, bool ok, uint32_t deauthenticated);
	// Answers ham_takeover request_id: count connections installed, or
	// refused with why.
	void ham_takeover_ack(uint32_t request_id, bool ok, uint32_t count, const std::string &why);
	// An 802.11r frame this AP's hostapd sent, for the other APs' (no reply;
	// lost when the session is down, as on a lossy wire: hostapd retries).
	void ft_frame(std::span<const uint8_t> frame);

protected:
	virtual void request(proto::Message msg, ReplyHandler h) = 0;
	// A message the coordinator expects no reply to.
	virtual void answer(proto::Message msg) = 0;
};

} // namespace roamnat
