// The coordinator's hard state on disk (hard_state.hpp): read at start,
// written at every change of it.
#include "../common/log.hpp"
#include "coordinator.hpp"
#include "hard_state.hpp"

#include <filesystem>

namespace roamnat {
namespace {

// Revocations run on the steady clock; the file holds wall-clock times, the
// only ones that mean something after a restart.
HardState::Wall to_wall(Revocations::Clock::time_point t)
{
	return std::chrono::system_clock::now() +
	       std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Revocations::Clock::now());
}

Revocations::Clock::time_point from_wall(HardState::Wall t)
{
	return Revocations::Clock::now() +
	       std::chrono::duration_cast<Revocations::Clock::duration>(t - std::chrono::system_clock::now());
}

} // namespace

bool Coordinator::load_state(std::string &error)
{
	if (opts_.state_file.empty())
		return true;
	auto st = load_hard_state(opts_.state_file, error);
	if (!st) {
		error = "state_file " + error + " (roamcoord will not start without the revocations it holds; fix or "
			"move the file aside)";
		return false;
	}
	auto now = std::chrono::system_clock::now();
	for (const auto &[name, a] : st->agents) {
		instances_[name] = a.instance;
		known_agents_[name] = a.addr;
	}
	// An agent holding addresses is gone until it says hello. A live one
	// reconnects within its back-off (up to 5 s) once it has given up the
	// old session (dead_after): only after that, and failover_after, do its
	// addresses move.
	leases_ = st->leases;
	for (const auto &[addr, lease] : leases_)
		absent_since_.emplace(lease.holder, loop_.now() + Millis(5000) + opts_.dead_after);
	size_t revoked = 0, withdrawn = 0;
	for (const auto &[user, until] : st->revoked) {
		if (until && *until <= now)
			continue;
		revocations_.revoke(user, until ? std::optional(from_wall(*until)) : std::nullopt);
		++revoked;
	}
	for (const auto &[mac, w] : st->withdrawn) {
		if (w.until <= now)
			continue;
		revocations_.withdraw(mac, {w.user, from_wall(w.until)});
		++withdrawn;
	}
	// Its directory is made (0700) where a unit without StateDirectory=, or
	// a run by hand, did not make it; written back at once: a state_file
	// roamcoord cannot write stops it now, not at the first revocation.
	std::error_code ec;
	auto dir = std::filesystem::path(opts_.state_file).parent_path();
	if (!dir.empty() && !std::filesystem::exists(dir, ec) && std::filesystem::create_directories(dir, ec)) {
		std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
		log_info("made the state_file's directory ", dir.string());
	}
	save_state();
	if (!state_error_.empty()) {
		error = "state_file: " + state_error_;
		return false;
	}
	log_info("state from ", opts_.state_file, ": ", st->agents.size(), " agent(s), ", revoked, " revoked user(s), ",
		 withdrawn, " withdrawn key(s), ", leases_.size(), " masquerade address(es)");
	return true;
}

void Coordinator::save_state()
{
	if (opts_.state_file.empty())
		return;
	HardState st;
	for (const auto &[name, addr] : known_agents_) {
		auto inst = instances_.find(name);
		st.agents[name] = {addr, inst == instances_.end() ? 0 : inst->second};
	}
	revocations_.for_each_revoked([&](const std::string &user, std::optional<Revocations::Clock::time_point> until) {
		st.revoked[user] = until ? std::optional(to_wall(*until)) : std::nullopt;
	});
	st.leases = leases_;
	revocations_.for_each_withdrawn([&](const MacAddr &mac, const Revocations::Withdrawn &w) {
		st.withdrawn[mac] = {w.user, to_wall(w.until)};
	});
	std::string err;
	if (save_hard_state(opts_.state_file, st, err)) {
		state_error_.clear();
		return;
	}
	count("state_write_failures");
	if (state_error_ != err)
		log_error("cannot write the state_file (a restart would forget what changed): ", err);
	state_error_ = err;
}

} // namespace roamnat
