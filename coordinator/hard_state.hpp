// What roamcoord keeps on disk, so that a restart (kill -9 included) loses
// none of it: every agent it knows, with its address and its current run's
// instance (a restarted coordinator still tells an agent that restarted with
// empty tables from one that reconnects), and the revocations (users
// refused, keys withdrawn from APs that may not have confirmed). The
// connection table is soft state: the agents replay it (docs/protocol.md).
// One text file, written whole to a temporary file, synced and renamed over
// the old one at every change: a crash leaves the old state or the new.
#pragma once

#include "../common/endpoint.hpp"
#include "../common/mac_addr.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace roamnat {

struct HardState {
	using Wall = std::chrono::system_clock::time_point;
	struct Agent {
		Address addr;
		uint64_t instance = 0;
		friend bool operator==(const Agent &, const Agent &) = default;
	};
	struct Withdrawn {
		std::string user;
		Wall until;
		friend bool operator==(const Withdrawn &, const Withdrawn &) = default;
	};
	std::map<std::string, Agent> agents;
	std::map<std::string, std::optional<Wall>> revoked; // nullopt: until reinstated
	std::map<MacAddr, Withdrawn> withdrawn;
	// A masquerade address (docs/operations.md, "Addressing plan"): the
	// agent it belongs to, the one holding it now (another after a
	// failover), and its generation, bumped at every move.
	struct Lease {
		std::string home, holder;
		uint32_t generation = 1;
		friend bool operator==(const Lease &, const Lease &) = default;
	};
	std::map<Address, Lease> leases;
	friend bool operator==(const HardState &, const HardState &) = default;
};

// An absent file is an empty state. A corrupt or cut-short one is nullopt, with error
// "PATH:LINE: reason": roamcoord then refuses to start rather than forget a
// revocation.
std::optional<HardState> load_hard_state(const std::string &path, std::string &error);
bool save_hard_state(const std::string &path, const HardState &state, std::string &error);
// The file's text; name is what errors call it.
std::optional<HardState> parse_hard_state(std::string_view text, const std::string &name, std::string &error);
std::string render_hard_state(const HardState &state);

} // namespace roamnat
