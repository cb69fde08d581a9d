// roamd's kernel module back end: the translation tables live in roamnat.ko
// (kmod/), programmed over generic netlink (kmod/lib/netlink_client.hpp). The module
// keeps forwarding while roamd restarts; the next run adopts its entries.
#pragma once

#include "dataplane.hpp"
#include "miss_queues.hpp"
#include "../kmod/lib/netlink_client.hpp"

namespace roamnat {

class KmodDataPlane final : public DataPlane {
public:
	// True when roamnat.ko is loaded in this network namespace.
	static bool available();

	bool init(const DataPlaneConfig &cfg, std::string &error) override;
	// Leaves the tables in place: the module goes on forwarding.
	void shutdown() override {}
	const char *name() const override { return "kmod"; }

	void add_fam_out(const FamOutRule &r) override;
	void del_fam_out(const FamOutRule &r) override;
	void add_fam_in(const FamInRule &r) override;
	void del_fam_in(const FamInRule &r) override;
	void add_ham(const HamRule &r) override;
	void del_ham(const HamRule &r) override;
	void add_ham_reverse(const HamReverseRule &r) override;
	void del_ham_reverse(const HamReverseRule &r) override;
	bool commit(std::string &error) override;
	std::map<std::string, uint64_t> counters() override;
	std::optional<std::set<FlowKey>> active_tuples() override;

	// The module queues FAM_OUT misses to miss_queue and HAM misses (and the
	// ICMP errors that wait with them) to ham_miss_queue.
	bool start_misses(EventLoop &loop, uint32_t max_held, MissHandler handler, std::string &error) override
	{
		return misses_.open(loop, cfg_.miss_queue, cfg_.ham_miss_queue, max_held, std::move(handler), error);
	}
	void verdict(MissId id, Verdict v) override
	{
		if (policy_holds_.is_open() && id.queue == policy_holds_.number())
			policy_holds_.verdict(id, v);
		else
			misses_.verdict(id, v);
	}
	bool start_events(EventLoop &loop, EventHandler handler, std::string &error) override;
	bool reports_idle() const override { return true; }
	void client_interface(uint32_t ifindex, bool present) override;
	std::optional<Leftover> leftover() override;
	void set_instance(uint64_t instance) override;
	// Fig. 14 1465: policies by id and client addresses in the module's
	// policy tables (docs/netlink.md, "Filtering").
	bool add_policy(uint32_t id, const Policy &p, std::string &error) override;
	void set_client_policy(Address client, uint32_t id) override { client_changes_.push_back({client, id}); }
	void clear_client_policy(Address client) override { client_changes_.push_back({client, std::nullopt}); }
	// filtering = hold: the module queues what has no policy yet (POLICY_QUEUE).
	bool start_policy_holds(EventLoop &loop, uint32_t max_held, PolicyQueue::Handler handler,
				std::string &error) override
	{
		return policy_holds_.open(loop, cfg_.policy_queue, max_held, std::move(handler), error);
	}

private:
	void stage(bool add, kmod::Entry e) { staged_.push_back({add, std::move(e)}); }
	void push_config();
	std::optional<std::vector<kmod::Entry>> dump_all(); // every table; nullopt (logged) on error

	DataPlaneConfig cfg_;
	MissQueues misses_;
	PolicyQueue policy_holds_;
	kmod::Client nl_;
	kmod::Config kcfg_;
	std::vector<kmod::Change> staged_;
	std::vector<std::pair<Address, std::optional<uint32_t>>> client_changes_; // nullopt: clear
	EventHandler on_event_;
};

} // namespace roamnat
