#include "ham_table.hpp"

#include "../common/log.hpp"

#include <algorithm>

namespace roamnat {

HamRec &HamTable::add(HamRec rec)
{
	by_masq_[key_of(rec)] = rec.flow;
	FlowKey flow = rec.flow;
	HamRec &stored = recs_[flow] = std::move(rec);
	program(stored);
	return stored;
}

void HamTable::adopt(HamRec rec)
{
	by_masq_[key_of(rec)] = rec.flow;
	FlowKey flow = rec.flow;
	recs_[flow] = std::move(rec);
}

HamRec *HamTable::set_fams(const FlowKey &flow, std::vector<proto::FamRecord> fams)
{
	HamRec *rec = find(flow);
	if (!rec)
		return nullptr;
	rec->fams = std::move(fams);
	program(*rec);
	return rec;
}

void HamTable::drop_fam(const FlowKey &flow, const std::string &agent)
{
	HamRec *rec = find(flow);
	if (!rec)
		return;
	std::erase_if(rec->fams, [&](const auto &f) { return f.agent == agent; });
	program(*rec); // with no FAM left, inbound packets wait for the next one
}

std::optional<HamRec> HamTable::remove(const FlowKey &flow)
{
	auto it = recs_.find(flow);
	if (it == recs_.end())
		return std::nullopt;
	HamRec &rec = it->second;
	rec.fams.clear();
	program(rec); // leaves a pending entry, removed with the record
	dp_.del_ham({key_of(rec), std::nullopt, rec.flow.client});
	by_masq_.erase(key_of(rec));
	HamRec removed = std::move(rec);
	recs_.erase(it);
	return removed;
}

HamRec *HamTable::find(const FlowKey &flow)
{
	auto it = recs_.find(flow);
	return it == recs_.end() ? nullptr : &it->second;
}

const HamRec *HamTable::find(const FlowKey &flow) const
{
	auto it = recs_.find(flow);
	return it == recs_.end() ? nullptr : &it->second;
}

HamRec *HamTable::find(const MasqKey &server_to_masq)
{
	auto it = by_masq_.find(server_to_masq);
	return it == by_masq_.end() ? nullptr : find(it->second);
}

// Reconciles the data plane with the record's newest FAM (Fig. 12 1250).
void HamTable::program(HamRec &rec)
{
	using Installed = HamRec::Installed;
	MasqKey key = key_of(rec);
	Installed want = Installed::pending;
	Endpoint fam;
	if (!rec.fams.empty()) {
		fam = rec.fams.front().fam;
		want = rec.fams.front().agent == self_ ? Installed::local : Installed::remote;
		if (want == Installed::local && fam != rec.masq)
			log_warn("HAM ", key.str(), ": local FAM endpoint ", fam.str(), " differs from the masquerade endpoint");
	}
	if (want == rec.installed && (want != Installed::remote || fam == rec.installed_fam))
		return;
	if (rec.installed == Installed::pending)
		dp_.del_ham({key, std::nullopt, rec.flow.client});
	else if (rec.installed == Installed::remote)
		dp_.del_ham({key, rec.installed_fam, rec.flow.client});
	if (want == Installed::pending)
		dp_.add_ham({key, std::nullopt, rec.flow.client});
	else if (want == Installed::remote)
		dp_.add_ham({key, fam, rec.flow.client});
	if (outbound_ == OutboundMode::via_ham) {
		if (rec.installed == Installed::remote)
			dp_.del_ham_reverse({key.proto, rec.installed_fam, rec.masq, rec.flow.server});
		if (want == Installed::remote)
			dp_.add_ham_reverse({key.proto, fam, rec.masq, rec.flow.server});
	}
	rec.installed = want;
	rec.installed_fam = fam;
}

} // namespace roamnat
