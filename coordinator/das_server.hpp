// The coordinator as the network's RADIUS Dynamic Authorization Server
// (RFC 5176): a RADIUS server (or an operator's radclient) sends one
// Disconnect-Request for a user or a station, and the coordinator ends it
// at every AP, instead of every AP's hostapd being a DAS of its own.
//
// A request counts only from a listed client address, with the shared
// secret's Request Authenticator and Message-Authenticator, and an
// Event-Timestamp within the window (replay protection, RFC 5176 3.5);
// anything else is dropped with a log line, as the RFC says. A
// retransmission of a request already answered gets the same answer; one
// still in progress is not acted on twice.
#pragma once

#include "../common/endpoint.hpp"
#include "../common/event_loop.hpp"
#include "../common/mac_addr.hpp"
#include "../common/radius_packet.hpp"
#include "../common/unique_fd.hpp"

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace roamnat {

struct DasOptions {
	Endpoint listen;
	std::set<Address> clients;
	std::string secret;
	uint32_t time_window = 300; // seconds an Event-Timestamp may be off
};

class DasServer {
public:
	struct Request {
		std::string user;             // User-Name, may be empty
		std::optional<MacAddr> station; // Calling-Station-Id
		std::string from;             // the client, for logs
	};
	// 0: done (Disconnect-ACK); otherwise the Error-Cause of a Disconnect-NAK.
	using Answer = std::function<void(uint32_t error_cause)>;
	using Handler = std::function<void(const Request &, Answer)>;
	struct Stats {
		uint64_t requests = 0, acks = 0, naks = 0, dropped = 0, duplicates = 0;
	};

	DasServer(EventLoop &loop, DasOptions opts, Handler handler);
	~DasServer();
	DasServer(const DasServer &) = delete;
	DasServer &operator=(const DasServer &) = delete;

	bool start(std::string &error);
	const Stats &stats() const { return stats_; }
	uint16_t port() const; // the bound port (listen may say 0)
	// Handles one datagram from `from` (the socket's reader, and unit tests);
	// sends any answer to `from`.
	void datagram(std::span<const uint8_t> data, const Endpoint &from);

private:
	struct Seen {
		Endpoint from;
		uint8_t id;
		radius::Authenticator auth;
		auto operator<=>(const Seen &) const = default;
	};
	void readable();
	void drop(const Endpoint &from, const std::string &why);
	void answer(const Seen &key, const radius::Packet &request, uint32_t error_cause);
	void send(const Endpoint &to, const std::vector<uint8_t> &bytes);

	EventLoop &loop_;
	DasOptions opts_;
	Handler handler_;
	UniqueFd fd_;
	Stats stats_;
	std::set<Seen> in_progress_;
	std::map<Seen, std::vector<uint8_t>> answered_; // the last answers, for retransmissions
	std::deque<Seen> answered_order_;
	std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace roamnat
