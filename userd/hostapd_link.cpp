#include "hostapd_link.hpp"

#include "../common/hex.hpp"
#include "../common/log.hpp"
#include "pmkid.hpp"

#include <cerrno>
#include <openssl/rand.h>
#include <cstring>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace roamnat {

namespace {
bool fill_address(sockaddr_un &sa, const std::string &path)
{
	sa = {};
	sa.sun_family = AF_UNIX;
	if (path.size() >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path.data(), path.size());
	return true;
}
} // namespace

HostapdLink::HostapdLink(EventLoop &loop, std::string ctrl_path, std::string local_path, Handlers handlers,
			 Timing timing)
	: loop_(loop), ctrl_path_(std::move(ctrl_path)), local_path_(std::move(local_path)), h_(std::move(handlers)),
	  timing_(timing)
{
}

HostapdLink::~HostapdLink()
{
	if (fd_) {
		if (attached_)
			(void)send(fd_.get(), "DETACH", 6, MSG_DONTWAIT);
		loop_.remove(fd_.get());
		unlink(local_path_.c_str());
	}
	for (auto t : {reply_timer_, ping_timer_, retry_timer_})
		if (t)
			loop_.cancel(t);
	drop_queue();
}

// Requests not yet sent may hold a key (PMKSA_ADD): wiped, not just freed.
void HostapdLink::drop_queue()
{
	for (auto &req : queue_)
		if (!req.label.empty())
			wipe(req.command.data(), req.command.size());
	queue_.clear();
}

void HostapdLink::start()
{
	connect_now();
}

void HostapdLink::connect_now()
{
	retry_timer_ = 0;
	sockaddr_un local, peer;
	if (!fill_address(local, local_path_) || !fill_address(peer, ctrl_path_)) {
		log_error("hostapd ", ctrl_path_, ": socket path too long");
		return;
	}
	UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	unlink(local_path_.c_str());
	// hostapd answers to this address; nobody else needs to reach it.
	mode_t old = umask(0177);
	bool bound = fd && bind(fd.get(), reinterpret_cast<sockaddr *>(&local), sizeof(local)) == 0;
	umask(old);
	if (!bound) {
		if (!warned_)
			log_error("hostapd ", ctrl_path_, ": cannot bind ", local_path_, ": ", strerror(errno), "; retrying");
		warned_ = true;
		retry_later();
		return;
	}
	if (connect(fd.get(), reinterpret_cast<sockaddr *>(&peer), sizeof(peer)) != 0) {
		if (!warned_)
			log_warn("hostapd ", ctrl_path_, ": ", strerror(errno),
				 errno == ENOENT || errno == ECONNREFUSED ? " (hostapd not running?)" : "", "; retrying");
		warned_ = true;
		unlink(local_path_.c_str());
		retry_later();
		return;
	}
	fd_ = std::move(fd);
	loop_.add(fd_.get(), EPOLLIN, [this](uint32_t) { readable(); });
	request("ATTACH", [this](std::string_view reply) {
		if (reply != "OK\n") {
			lost("ATTACH refused: '" + std::string(reply.substr(0, 40)) + "'");
			return;
		}
		attached_ = true;
		warned_ = false;
		backoff_ = Millis(200);
		++stats_.attaches;
		resync_seen_.clear();
		request("GET_CONFIG", [this](std::string_view r) {
			std::string why;
			auto bss = parse_bss_config(r, why);
			if (!bss) {
				lost("GET_CONFIG: " + why);
				return;
			}
			bss_ = *bss;
			log_info("attached to hostapd at ", ctrl_path_, " (BSS ", bss_.bssid.str(),
				 bss_.wpa_eap ? ", WPA-EAP" : "", "); reading its station list");
			std::set<MacAddr> pending;
			pending.swap(withdraw_on_attach_);
			for (const MacAddr &mac : pending)
				send_withdrawal(mac, true, [](bool, bool) {});
			request("STA-FIRST", [this](std::string_view r2) { resync_from(r2); });
			if (h_.attached)
				h_.attached();
		});
		schedule_ping();
	});
}

void HostapdLink::request(std::string command, OnReply on_reply, std::string secret_label)
{
	queue_.push_back({std::move(command), std::move(on_reply), std::move(secret_label)});
	send_next();
}

void HostapdLink::add_pmksa(const MacAddr &station, const SecretBytes &pmk, uint32_t lifetime_s,
			    std::function<void(bool)> done)
{
	// <STA addr> <PMKID> <PMK> <expiration in seconds> <akmp>; akmp 1 is
	// WPA_KEY_MGMT_IEEE8021X (hostapd's PMKSA_ADD, src/ap/ctrl_iface_ap.c).
	Pmkid id = pmkid_for(pmk, bss_.bssid, station);
	std::string cmd = "PMKSA_ADD " + station.str() + " ";
	cmd.reserve(cmd.size() + 2 * (id.size() + pmk.size()) + 16);
	append_hex(id, cmd);
	cmd += ' ';
	append_hex(pmk, cmd);
	cmd += " " + std::to_string(lifetime_s) + " 1";
	request(
		std::move(cmd), [done](std::string_view r) { done(r == "OK\n"); }, "PMKSA_ADD " + station.str());
}

void HostapdLink::withdraw_station(const MacAddr &station, std::function<void(bool, bool)> done)
{
	// Bounded by the coordinator's key table: one entry per revoked station.
	constexpr size_t kMaxPending = 65536;
	if (!attached_ || bss_.bssid == MacAddr{}) {
		if (withdraw_on_attach_.size() < kMaxPending)
			withdraw_on_attach_.insert(station);
		else
			log_warn("hostapd ", ctrl_path_, ": too many withdrawals waiting; ", station.str(),
				 "'s key stays until it expires");
		done(true, false);
		return;
	}
	send_withdrawal(station, stations_.count(station) > 0, std::move(done));
}

void HostapdLink::send_withdrawal(const MacAddr &station, bool deauthenticate, std::function<void(bool, bool)> done)
{
	withdraw_on_attach_.insert(station); // until hostapd confirms
	auto finish = [this, station, deauthenticate, done = std::move(done)](bool key_ok) {
		if (!deauthenticate) {
			withdraw_on_attach_.erase(station);
			done(key_ok, false);
			return;
		}
		// Reason 2: previous authentication no longer valid.
		request("DEAUTHENTICATE " + station.str() + " reason=2", [this, station, key_ok, done](std::string_view r) {
			withdraw_on_attach_.erase(station);
			done(key_ok && r == "OK\n", r == "OK\n");
		});
	};
	if (!bss_.wpa_eap) {
		finish(true);
		return;
	}
	SecretBytes unknown(32); // a PMK's length (hostapd's PMK_LEN)
	if (RAND_bytes(unknown.data(), int(unknown.size())) != 1) {
		log_error("no random bytes for the withdrawal of ", station.str(), "'s key");
		finish(false);
		return;
	}
	add_pmksa(station, unknown, 1, std::move(finish));
}

void HostapdLink::send_next()
{
	if (queue_.empty() || !fd_ || in_flight_)
		return;
	Request &req = queue_.front();
	const std::string &cmd = req.command;
	bool sent = send(fd_.get(), cmd.data(), cmd.size(), MSG_DONTWAIT) >= 0;
	int error = errno;
	if (!req.label.empty()) {
		wipe(req.command.data(), req.command.size());
		req.command = req.label;
	}
	if (!sent) {
		lost("sending " + req.command + ": " + strerror(error));
		return;
	}
	in_flight_ = true;
	reply_timer_ = loop_.after(timing_.reply_timeout, [this] {
		reply_timer_ = 0;
		lost("no answer to " + (queue_.empty() ? std::string("a request") : queue_.front().command) + " within " +
		     std::to_string(timing_.reply_timeout.count()) + " ms");
	});
}

void HostapdLink::readable()
{
	char buf[kHostapdMaxMessage + 1];
	for (int i = 0; i < 64 && fd_; ++i) {
		ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				lost(std::string("receiving: ") + strerror(errno));
			return;
		}
		std::string_view d(buf, size_t(n));
		if (is_hostapd_event(d)) {
			on_event(d);
			continue;
		}
		if (!in_flight_) {
			++stats_.malformed;
			log_warn("hostapd ", ctrl_path_, ": a reply nobody asked for, ignored");
			continue;
		}
		Request req = std::move(queue_.front());
		queue_.pop_front();
		in_flight_ = false;
		if (reply_timer_)
			loop_.cancel(reply_timer_);
		reply_timer_ = 0;
		int fd = fd_.get();
		req.on_reply(d);
		if (fd_.get() != fd)
			return; // the reply ended the session
		send_next();
	}
}

void HostapdLink::on_event(std::string_view d)
{
	std::string why;
	auto ev = parse_hostapd_event(d, why);
	if (!ev) {
		++stats_.malformed;
		log_warn("hostapd ", ctrl_path_, ": ignoring an event: ", why);
		return;
	}
	++stats_.events;
	switch (ev->kind) {
	case HostapdEvent::Kind::sta_connected:
		stations_.insert(*ev->station);
		// Every (re)association is news: the station may have been elsewhere.
		if (h_.connected)
			h_.connected(*ev->station);
		read_user(*ev->station);
		return;
	case HostapdEvent::Kind::sta_disconnected:
		station_gone(*ev->station);
		return;
	case HostapdEvent::Kind::terminating:
	case HostapdEvent::Kind::disabled: {
		// hostapd deauthenticates every station when it stops a BSS.
		log_info("hostapd ", ctrl_path_, ": ", ev->name, ": its ", stations_.size(), " station(s) are gone");
		auto gone = stations_;
		for (const auto &mac : gone)
			station_gone(mac);
		if (ev->kind == HostapdEvent::Kind::terminating)
			lost("hostapd is exiting");
		return;
	}
	case HostapdEvent::Kind::other:
		return;
	}
}

void HostapdLink::resync_from(std::string_view reply)
{
	std::string why;
	auto sta = parse_station_record(reply, why);
	if (!sta) {
		if (!why.empty()) {
			++stats_.malformed;
			log_warn("hostapd ", ctrl_path_, ": station list cut short: ", why);
			return; // nobody is taken for gone on a list that did not finish
		}
		std::vector<MacAddr> gone;
		for (const auto &mac : stations_)
			if (!resync_seen_.count(mac))
				gone.push_back(mac);
		for (const auto &mac : gone)
			station_gone(mac); // left while roamd was not listening
		resync_seen_.clear();
		return;
	}
	if (sta->authorized) {
		resync_seen_.insert(sta->mac);
		station_connected(sta->mac);
		if (h_.authenticated)
			h_.authenticated(*sta);
	}
	request("STA-NEXT " + sta->mac.str(), [this](std::string_view r) { resync_from(r); });
}

// The association event names the station only; its record says who
// authenticated (an 802.1X station) and how.
void HostapdLink::read_user(const MacAddr &mac)
{
	if (h_.authenticated)
		request("STA " + mac.str(), [this, mac](std::string_view r) { user_from(mac, r); });
}

void HostapdLink::user_from(const MacAddr &mac, std::string_view reply)
{
	if (reply == "FAIL\n" || reply.empty())
		return; // it left before hostapd answered
	std::string why;
	auto sta = parse_station_record(reply, why);
	if (!sta) {
		++stats_.malformed;
		log_warn("hostapd ", ctrl_path_, ": station ", mac.str(), "'s record ignored: ", why);
		return;
	}
	if (sta->mac != mac) {
		++stats_.malformed;
		log_warn("hostapd ", ctrl_path_, ": asked for station ", mac.str(), ", got ", sta->mac.str(), "'s record; ignored");
		return;
	}
	if (sta->authorized && stations_.count(mac))
		h_.authenticated(*sta);
}

void HostapdLink::station_connected(const MacAddr &mac)
{
	if (stations_.insert(mac).second && h_.connected)
		h_.connected(mac);
}

void HostapdLink::station_gone(const MacAddr &mac)
{
	if (stations_.erase(mac) && h_.disconnected)
		h_.disconnected(mac);
}

void HostapdLink::schedule_ping()
{
	ping_timer_ = loop_.after(timing_.ping_every, [this] {
		ping_timer_ = 0;
		if (!attached_)
			return;
		if (queue_.empty())
			request("PING", [this](std::string_view r) {
				if (r != "PONG\n")
					lost("PING answered with '" + std::string(r.substr(0, 40)) + "'");
			});
		schedule_ping();
	});
}

void HostapdLink::lost(const std::string &why)
{
	++stats_.lost;
	if (attached_ || !warned_)
		log_warn("hostapd ", ctrl_path_, ": ", why, "; reattaching (stations kept until its list says otherwise)");
	warned_ = true;
	attached_ = false;
	if (fd_) {
		loop_.remove(fd_.get());
		fd_.reset();
		unlink(local_path_.c_str());
	}
	for (auto *t : {&reply_timer_, &ping_timer_, &retry_timer_}) {
		if (*t)
			loop_.cancel(*t);
		*t = 0;
	}
	drop_queue();
	in_flight_ = false;
	resync_seen_.clear();
	bss_ = {}; // known again after the next GET_CONFIG: no key goes in before
	retry_later();
}

void HostapdLink::retry_later()
{
	retry_timer_ = loop_.after(backoff_, [this] { connect_now(); });
	backoff_ = std::min(backoff_ * 2, timing_.max_backoff);
}

} // namespace roamnat
