// roamd's attachment to one hostapd BSS's control interface (the socket
// hostapd creates in its ctrl_interface directory, named after the BSS's
// interface: /run/hostapd/wlan0). ATTACH subscribes to events; after every
// attach the station list (STA-FIRST, STA-NEXT) says who is associated now;
// a PING every few seconds notices a hostapd that went away. The socket is
// connected to hostapd's, so the kernel delivers datagrams from that socket
// only: no other process can forge a station event (docs/operations.md).
#pragma once

#include "../common/event_loop.hpp"
#include "../common/secret.hpp"
#include "hostapd_messages.hpp"

#include <deque>
#include <functional>
#include <set>
#include <string>

namespace roamnat {

struct HostapdTiming {
	Millis reply_timeout{2000}; // a request unanswered this long: hostapd is gone
	Millis ping_every{5000};
	Millis max_backoff{5000}; // between attempts to attach again
};

class HostapdLink {
public:
	struct Handlers {
		// A station is associated and authorized, or is no longer.
		std::function<void(const MacAddr &)> connected;
		std::function<void(const MacAddr &)> disconnected;
		// An authorized station's record (STA <mac> after each
		// association, and every record of a resync): its 802.1X user, or
		// none (WPA-PSK, or a PMKSA roamd installed, which carries no
		// identity).
		std::function<void(const StationRecord &)> authenticated;
		// Attached, and the BSS's configuration read (bssid(), wpa_eap()).
		std::function<void()> attached;
	};
	struct Stats {
		uint64_t events = 0, malformed = 0, attaches = 0, lost = 0;
	};

	using Timing = HostapdTiming;

	// local_path: where this end's socket is bound (a directory only roamd
	// can write to); removed on destruction.
	HostapdLink(EventLoop &loop, std::string ctrl_path, std::string local_path, Handlers handlers,
		    Timing timing = {});
	~HostapdLink();
	HostapdLink(const HostapdLink &) = delete;
	HostapdLink &operator=(const HostapdLink &) = delete;

	void start();
	bool attached() const { return attached_; }
	const std::string &ctrl_path() const { return ctrl_path_; }
	const std::set<MacAddr> &stations() const { return stations_; }
	const Stats &stats() const { return stats_; }
	const MacAddr &bssid() const { return bss_.bssid; }
	bool wpa_eap() const { return bss_.wpa_eap; }

	// Fig. 15 1500: PMKSA_ADD, the station's PMK under the PMKID it will
	// name at this BSS, so it reassociates without EAP. done(true) once
	// hostapd took it, done(false) when it refused; not called when the
	// link is lost first (the attached handler installs keys again).
	void add_pmksa(const MacAddr &station, const SecretBytes &pmk, uint32_t lifetime_s,
		       std::function<void(bool)> done);

	// Revocation: the station's key is withdrawn from this BSS and the
	// station, when associated here, deauthenticated. hostapd keeps one
	// PMKSA per station and has no command to remove one, so a random key
	// expiring in a second replaces it. done(ok, deauthenticated); when
	// the link is down (or goes down first) the withdrawal is done on the
	// next attach, before any key goes in, and done says ok.
	void withdraw_station(const MacAddr &station, std::function<void(bool ok, bool deauthenticated)> done);

private:
	using OnReply = std::function<void(std::string_view reply)>;
	struct Request {
		std::string command;
		OnReply on_reply;
		std::string label; // set: the command holds a key; wiped once sent, logged as this
	};

	void connect_now();
	void request(std::string command, OnReply on_reply, std::string secret_label = {});
	void drop_queue();
	void send_next();
	void readable();
	void on_event(std::string_view datagram);
	void lost(const std::string &why);
	void retry_later();
	void schedule_ping();
	void resync_from(std::string_view reply);
	void station_connected(const MacAddr &mac);
	void station_gone(const MacAddr &mac);
	void read_user(const MacAddr &mac);
	void send_withdrawal(const MacAddr &station, bool deauthenticate, std::function<void(bool, bool)> done);
	void user_from(const MacAddr &mac, std::string_view reply);

	EventLoop &loop_;
	std::string ctrl_path_, local_path_;
	Handlers h_;
	Timing timing_;
	UniqueFd fd_;
	bool attached_ = false;
	bool warned_ = false;
	std::deque<Request> queue_; // one in flight at a time: replies carry no id
	bool in_flight_ = false;
	EventLoop::TimerId reply_timer_ = 0, ping_timer_ = 0, retry_timer_ = 0;
	Millis backoff_{200};
	BssConfig bss_;
	std::set<MacAddr> stations_;    // authorized stations, as last known
	std::set<MacAddr> resync_seen_; // during a resync: the stations listed so far
	std::set<MacAddr> withdraw_on_attach_; // withdrawals not yet confirmed by hostapd
	Stats stats_;
};

} // namespace roamnat
