#include "kmod_dataplane.hpp"

#include "../common/log.hpp"

#include <algorithm>
#include <net/if.h>
#include <sys/epoll.h>

namespace roamnat {

namespace {
// One table entry: the key as the packet arrives, and its rewrite.
kmod::Entry entry(kmod::Table table, L4 proto, Endpoint src, Endpoint dst, std::optional<Endpoint> new_src,
		  std::optional<Endpoint> new_dst)
{
	kmod::Entry e;
	e.table = table;
	e.proto = proto;
	e.src = src;
	e.dst = dst;
	e.new_src = new_src;
	e.new_dst = new_dst;
	return e;
}

kmod::Entry fam_out_entry(const FamOutRule &r)
{
	kmod::Entry e = entry(kmod::Table::fam_out, r.flow.proto, r.flow.client, r.flow.server, r.new_src, r.new_dst);
	e.ifindex = r.ifindex;
	return e;
}

kmod::Entry fam_in_entry(const FamInRule &r)
{
	return entry(kmod::Table::fam_in, r.proto, r.server, r.fam, std::nullopt, r.client);
}

kmod::Entry ham_entry(const HamRule &r)
{
	kmod::Entry e = entry(kmod::Table::ham, r.key.proto, r.key.server, r.key.masq, std::nullopt, r.fam);
	if (!r.client.is_nil())
		e.orig = r.client;
	return e;
}

kmod::Entry ham_rev_entry(const HamReverseRule &r)
{
	return entry(kmod::Table::ham_rev, r.proto, r.fam, r.key_dst(), r.masq, r.server);
}
} // namespace

bool KmodDataPlane::available()
{
	kmod::Client probe;
	std::string ignored;
	return probe.open(ignored);
}

bool KmodDataPlane::init(const DataPlaneConfig &cfg, std::string &error)
{
	cfg_ = cfg;
	if (!nl_.open(error))
		return false;
	kcfg_.port_min = cfg.port_min;
	kcfg_.port_max = cfg.port_max;
	kcfg_.miss_queue = cfg.miss_queue;
	kcfg_.ham_miss_queue = cfg.ham_miss_queue;
	kcfg_.udp_idle_s = cfg.udp_idle_s;
	kcfg_.tcp_idle_s = cfg.tcp_idle_s;
	kcfg_.drop_other = cfg.drop_other;
	// The previous run's instance stays until set_instance(): leftover() reads it.
	auto old = nl_.get_config(error);
	if (!old && !error.empty())
		return false;
	if (old)
		kcfg_.cookie = old->cookie;
	// Sent only when filtering is or was on: a module older than filtering
	// still takes the configuration of an agent that does not filter.
	if (cfg.filtering != Filtering::off || (old && old->filtering.value_or(kmod::Filtering::off) != kmod::Filtering::off)) {
		kcfg_.filtering = cfg.filtering == Filtering::hold   ? kmod::Filtering::hold
				  : cfg.filtering == Filtering::deny ? kmod::Filtering::deny
								     : kmod::Filtering::off;
		kcfg_.policy_queue = cfg.policy_queue;
	}
	// The client interfaces there are now, at once: a client packet seen as
	// coming from elsewhere would be forwarded untranslated.
	if (struct if_nameindex *ifs = if_nameindex()) {
		for (struct if_nameindex *i = ifs; i->if_index; ++i)
			if (cfg.is_client_interface(i->if_name) && kcfg_.client_ifindexes.size() < 64)
				kcfg_.client_ifindexes.push_back(i->if_index);
		if_freenameindex(ifs);
	}
	if (!nl_.set_config(kcfg_, error)) {
		error = "configuring roamnat.ko: " + error;
		return false;
	}
	// A previous run's policy ids mean nothing to this one, which asks the
	// coordinator again for every station: meanwhile its clients pass nothing.
	if ((old && old->policies) && !nl_.flush_policies(error)) {
		error = "clearing roamnat.ko's policies: " + error;
		return false;
	}
	return true;
}

bool KmodDataPlane::add_policy(uint32_t id, const Policy &p, std::string &error)
{
	return nl_.set_policy(id, p, error);
}

void KmodDataPlane::push_config()
{
	std::string err;
	if (!nl_.set_config(kcfg_, err))
		log_error("configuring roamnat.ko: ", err);
}

void KmodDataPlane::client_interface(uint32_t ifindex, bool present)
{
	auto &ifs = kcfg_.client_ifindexes;
	auto it = std::find(ifs.begin(), ifs.end(), ifindex);
	if (present == (it != ifs.end()))
		return;
	if (present) {
		if (ifs.size() >= 64) {
			log_error("roamnat.ko takes at most 64 client interfaces; interface ", ifindex, " is not served");
			return;
		}
		ifs.push_back(ifindex);
	} else {
		ifs.erase(it);
	}
	push_config();
}

void KmodDataPlane::set_instance(uint64_t instance)
{
	kcfg_.cookie = instance;
	push_config();
}

std::optional<std::vector<kmod::Entry>> KmodDataPlane::dump_all()
{
	std::vector<kmod::Entry> entries;
	for (kmod::Table t : kmod::kTables) {
		std::string err;
		if (!nl_.dump(t, entries, err)) {
			log_error("reading roamnat.ko's ", kmod::table_name(t), " table: ", err);
			return std::nullopt;
		}
	}
	return entries;
}

std::optional<Leftover> KmodDataPlane::leftover()
{
	if (!kcfg_.cookie)
		return std::nullopt;
	auto entries = dump_all();
	if (!entries)
		return std::nullopt;
	Leftover left;
	left.instance = kcfg_.cookie;
	for (const auto &e : *entries) {
		switch (e.table) {
		case kmod::Table::fam_out:
			if (e.new_src)
				left.fam_out.push_back({{e.proto, e.src, e.dst}, *e.new_src, e.new_dst, e.ifindex});
			break;
		case kmod::Table::fam_in:
			if (e.new_dst)
				left.fam_in.push_back({e.proto, e.src, e.dst, *e.new_dst});
			break;
		case kmod::Table::ham:
			left.ham.push_back({{e.proto, e.src, e.dst}, e.new_dst, e.orig.value_or(Endpoint{})});
			break;
		case kmod::Table::ham_rev:
			if (e.new_src && e.new_dst)
				left.ham_rev.push_back({e.proto, e.src, *e.new_src, *e.new_dst});
			break;
		}
	}
	return left;
}

void KmodDataPlane::add_fam_out(const FamOutRule &r) { stage(true, fam_out_entry(r)); }
void KmodDataPlane::del_fam_out(const FamOutRule &r) { stage(false, fam_out_entry(r)); }
void KmodDataPlane::add_fam_in(const FamInRule &r) { stage(true, fam_in_entry(r)); }
void KmodDataPlane::del_fam_in(const FamInRule &r) { stage(false, fam_in_entry(r)); }
void KmodDataPlane::add_ham(const HamRule &r) { stage(true, ham_entry(r)); }
void KmodDataPlane::del_ham(const HamRule &r) { stage(false, ham_entry(r)); }
void KmodDataPlane::add_ham_reverse(const HamReverseRule &r) { stage(true, ham_rev_entry(r)); }
void KmodDataPlane::del_ham_reverse(const HamReverseRule &r) { stage(false, ham_rev_entry(r)); }

bool KmodDataPlane::commit(std::string &error)
{
	// In order: an ADD replaces, so "delete, add" of one key (a HAM switching
	// FAM) leaves the new entry.
	bool ok = staged_.empty() || nl_.apply(staged_, error);
	staged_.clear();
	for (const auto &[client, id] : client_changes_) {
		std::string err;
		if (!(id ? nl_.set_client_policy(client, *id, err) : nl_.del_client_policy(client, err)) && ok) {
			error = err;
			ok = false;
		}
	}
	client_changes_.clear();
	return ok;
}

std::map<std::string, uint64_t> KmodDataPlane::counters()
{
	std::string err;
	auto c = nl_.counters(err);
	if (!c) {
		log_warn("reading roamnat.ko's counters: ", err);
		return {};
	}
	// The nftables back end's names where the meaning is the same, so that
	// roamctl and the tests read either back end alike.
	static const std::map<std::string, std::string> kSameAsNft = {
		{"ham_packets", "ham_in_packets"}, {"ham_bytes", "ham_in_bytes"},
		{"drop_unknown", "unknown_dropped_packets"}, {"misses", "miss_packets"},
		{"drop_malformed", "malformed_dropped_packets"}, {"drop_other", "other_dropped_packets"},
		{"policy_denied", "policy_denied_packets"}, {"policy_unknown", "policy_unknown_packets"},
		{"policy_held", "policy_held_packets"}};
	std::map<std::string, uint64_t> out;
	for (const auto &[name, value] : *c) {
		auto same = kSameAsNft.find(name);
		out[same == kSameAsNft.end() ? name : same->second] = value;
	}
	misses_.add_counters(out);
	return out;
}

std::optional<std::set<FlowKey>> KmodDataPlane::active_tuples()
{
	auto entries = dump_all();
	if (!entries)
		return std::nullopt;
	std::set<FlowKey> active;
	for (const auto &e : *entries) {
		uint64_t limit_s = e.proto == L4::tcp ? cfg_.tcp_idle_s : cfg_.udp_idle_s;
		if (e.idle_ms < limit_s * 1000)
			active.insert({e.proto, e.src, e.dst});
	}
	return active;
}

bool KmodDataPlane::start_events(EventLoop &loop, EventHandler handler, std::string &error)
{
	on_event_ = std::move(handler);
	if (!nl_.subscribe(error))
		return false;
	return loop.add(nl_.event_fd(), EPOLLIN, [this](uint32_t) {
		bool complete = nl_.read_events([this](const kmod::Event &ev) {
			if (ev.kind == kmod::EventKind::miss)
				return; // not joined: misses reach roamd on NFQUEUE
			using K = DataPlaneEvent::Kind;
			K kind = ev.kind == kmod::EventKind::tcp_fin ? K::tcp_fin
				 : ev.kind == kmod::EventKind::tcp_rst ? K::tcp_rst : K::idle;
			on_event_({kind, FlowKey{ev.entry.proto, ev.entry.src, ev.entry.dst}});
		});
		if (!complete) {
			// Lost reports: the idle check finds what they would have said.
			log_warn("roamnat.ko events were lost (receive buffer full): checking every entry");
			on_event_({DataPlaneEvent::Kind::idle, {}});
		}
	});
}

} // namespace roamnat
