// A data plane that records what the agent's tables ask of it: the entries
// it would hold after each commit, and the changes staged since the last.
#pragma once

#include "../../userd/dataplane.hpp"

#include <set>
#include <string>
#include <vector>

namespace roamnat::test {

class FakeDataPlane : public DataPlane {
public:
	bool init(const DataPlaneConfig &, std::string &) override { return true; }
	void shutdown() override {}
	const char *name() const override { return "fake"; }

	void add_fam_out(const FamOutRule &r) override { stage("+fam_out " + r.flow.str() + " src " + r.new_src.str() + via(r)); }
	void del_fam_out(const FamOutRule &r) override { stage("-fam_out " + r.flow.str() + " src " + r.new_src.str() + via(r)); }
	void add_fam_in(const FamInRule &r) override { stage("+fam_in " + in(r)); }
	void del_fam_in(const FamInRule &r) override { stage("-fam_in " + in(r)); }
	void add_ham(const HamRule &r) override { stage("+ham " + ham(r)); }
	void del_ham(const HamRule &r) override { stage("-ham " + ham(r)); }
	void add_ham_reverse(const HamReverseRule &r) override { stage("+ham_rev " + rev(r)); }
	void del_ham_reverse(const HamReverseRule &r) override { stage("-ham_rev " + rev(r)); }

	bool commit(std::string &error) override
	{
		if (refuse_commits) {
			error = "refused by the test";
			staged.clear();
			return false;
		}
		for (const auto &c : staged) {
			std::string entry = c.substr(1);
			if (c[0] == '+')
				entries.insert(entry);
			else
				entries.erase(entry);
		}
		staged.clear();
		++commits;
		return true;
	}

	std::map<std::string, uint64_t> counters() override { return {}; }
	std::optional<std::set<FlowKey>> active_tuples() override { return active; }
	bool start_events(EventLoop &, EventHandler h, std::string &) override
	{
		events = std::move(h);
		return true;
	}
	bool start_misses(EventLoop &, uint32_t, MissHandler h, std::string &) override
	{
		misses = std::move(h);
		return true;
	}
	void verdict(MissId id, Verdict v) override { verdicts.push_back({id.packet, v}); }
	void client_interface(uint32_t ifindex, bool present) override { interfaces.push_back({ifindex, present}); }
	bool add_policy(uint32_t id, const Policy &p, std::string &) override
	{
		policies[id] = p;
		return true;
	}
	void set_client_policy(Address client, uint32_t id) override { stage("+policy " + client.str() + " " + std::to_string(id)); }
	void clear_client_policy(Address client) override
	{
		for (const auto &e : entries)
			if (e.rfind("policy " + client.str() + " ", 0) == 0)
				stage("-" + e);
	}
	bool start_policy_holds(EventLoop &, uint32_t, PolicyQueue::Handler h, std::string &) override
	{
		holds = std::move(h);
		return true;
	}
	std::map<uint32_t, Policy> policies; // installed, by id
	PolicyQueue::Handler holds;          // filtering = hold: the policy queue

	// The entries the data plane holds, as "table key -> rewrite" strings.
	std::set<std::string> entries;
	std::vector<std::string> staged;
	std::optional<std::set<FlowKey>> active;
	EventHandler events;
	MissHandler misses;
	std::vector<std::pair<uint32_t, Verdict>> verdicts; // (packet id, verdict) in order
	std::vector<std::pair<uint32_t, bool>> interfaces;  // client interfaces told, in order
	bool refuse_commits = false;
	int commits = 0;

private:
	void stage(std::string change) { staged.push_back(std::move(change)); }
	static std::string via(const FamOutRule &r) { return r.new_dst ? " dst " + r.new_dst->str() : ""; }
	static std::string in(const FamInRule &r)
	{
		return std::string(l4_name(r.proto)) + " " + r.server.str() + " -> " + r.fam.str() + " dst " + r.client.str();
	}
	static std::string ham(const HamRule &r)
	{
		return r.key.str() + (r.fam ? " fam " + r.fam->str() : " pending");
	}
	static std::string rev(const HamReverseRule &r)
	{
		return std::string(l4_name(r.proto)) + " " + r.fam.str() + " -> " + r.masq.str() + " to " + r.server.str();
	}
};

} // namespace roamnat::test
