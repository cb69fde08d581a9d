// roamd's nftables back end: a table "ip roamnat" of stateless rewrite rules
// whose per-connection state lives in maps, programmed with libnftnl over
// libmnl. One map lookup returns both the new address and the new port.
// The table outlives roamd, as roamnat.ko's tables do: the next run adopts
// its entries (the table's comment names the run's instance).
#pragma once

#include "dataplane.hpp"
#include "icmp_translate.hpp"
#include "miss_queues.hpp"
#include "mnl_socket.hpp"

#include <functional>
#include <memory>
#include <utility>

namespace roamnat {

class NfQueue;

class NftDataPlane final : public DataPlane {
public:
	static constexpr const char *kTable = "roamnat";

	NftDataPlane();
	~NftDataPlane() override;

	bool init(const DataPlaneConfig &cfg, std::string &error) override;
	// Leaves the table and its entries: traffic keeps flowing while roamd
	// restarts (nft delete table ip roamnat removes it).
	void shutdown() override;
	const char *name() const override { return "nftables"; }

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
	// Misses are queued to miss_queue by the client-interface chain and to
	// ham_miss_queue by the HAM chain.
	// ICMP errors go to icmp_queue, translated here (icmp_translate.cpp).
	bool start_misses(EventLoop &loop, uint32_t max_held, MissHandler handler, std::string &error) override;
	void verdict(MissId id, Verdict v) override
	{
		if (policy_holds_.is_open() && id.queue == policy_holds_.number())
			policy_holds_.verdict(id, v);
		else
			misses_.verdict(id, v);
	}
	// TCP FIN/RST arrive as packets on the event NFQUEUE (accepted at once).
	bool start_events(EventLoop &loop, EventHandler handler, std::string &error) override;
	// Each policy is a chain per direction; each client address an entry
	// of the policy_out and policy_in verdict maps that jumps to them.
	bool add_policy(uint32_t id, const Policy &p, std::string &error) override;
	void set_client_policy(Address client, uint32_t id) override;
	void clear_client_policy(Address client) override;
	// filtering = hold: check_out and check_in queue what has no policy yet.
	bool start_policy_holds(EventLoop &loop, uint32_t max_held, PolicyQueue::Handler handler,
				std::string &error) override
	{
		return policy_holds_.open(loop, cfg_.policy_queue, max_held, std::move(handler), error);
	}
	std::optional<Leftover> leftover() override { return std::exchange(previous_, std::nullopt); }
	// Deletes the table a previous run left: true if there was one, false
	// if not, nullopt (error) if it could not be deleted.
	static std::optional<bool> remove_table(std::string &error);
	void set_instance(uint64_t instance) override;

private:
	struct Op {
		bool add;
		std::string set;
		std::vector<uint8_t> key;
		std::vector<uint8_t> data;
		std::string jump = {}; // a verdict map's entry: the chain it goes to
		std::string comment = {}; // what a restart needs that the map does not hold
	};
	// One element of a map keyed by a 5-tuple.
	struct Element {
		L4 proto;
		Endpoint src, dst;
		std::vector<uint8_t> data;
		std::string comment;
	};
	static std::string policy_chain(uint32_t id, bool outbound);
	void fit_buffers(size_t batch_bytes, size_t acks);
	bool send_batch(const std::vector<std::vector<uint8_t>> &msgs, std::string &error);
	static std::vector<uint8_t> element_message(const Op &op);
	// Replaces the table with a fresh ruleset holding the entries given, in
	// one transaction: no packet sees a table without them.
	bool replace_table(uint64_t instance, const Leftover &entries, std::string &error);
	bool table_instance(std::optional<uint64_t> &instance);
	std::optional<Leftover> read_entries();
	std::optional<std::vector<Element>> elements(const char *set);
	bool dump(uint16_t type, const std::vector<uint8_t> &req_payload_msg, std::vector<std::vector<uint8_t>> &out);

	void icmp_error(const NfQueue::Packet &p);
	IcmpOrigin icmp_origin(const NfQueue::Packet &p) const;

	DataPlaneConfig cfg_;
	MissQueues misses_;
	PolicyQueue policy_holds_;
	std::unique_ptr<NfQueue> icmp_;
	// What ICMP translation reads: the committed entries, and the changes of
	// the batch being staged, applied once the kernel has taken it.
	IcmpTables icmp_tables_;
	std::vector<std::function<void(IcmpTables &)>> icmp_staged_;
	struct IcmpCounts {
		uint64_t translated = 0, translated_bytes = 0, unknown = 0, malformed = 0, other = 0;
	} icmp_counts_;
	MnlSocket nl_;
	uint32_t seq_ = 1;
	size_t sndbuf_ = 0, rcvbuf_ = 0; // the netlink socket's buffers, as last read
	std::vector<Op> staged_;
	std::map<Address, uint32_t> client_policy_; // as staged: a change deletes the old entry first
	std::unique_ptr<NfQueue> events_;
	uint64_t instance_ = 0;             // in the table's comment
	std::optional<Leftover> previous_; // what the previous run's table held
	int rejected_errno_ = 0;            // errno of the last batch the kernel refused
};

} // namespace roamnat
