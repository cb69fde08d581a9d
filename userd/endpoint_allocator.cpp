#include "endpoint_allocator.hpp"

#include <algorithm>

namespace roamnat {

EndpointAllocator::EndpointAllocator(Address fam_address, const std::vector<Address> &masquerade, PortRange ports,
				     Millis quarantine, size_t seed)
	: fam_(fam_address), range_(ports), quarantine_(quarantine), seed_(seed), masq_(masquerade)
{
	if (masq_.empty())
		masq_.push_back(fam_);
	auto add = [&](Address a) {
		// A different start per address: a restarted agent does not reuse
		// the ports its previous run just released on any of them.
		ports_.try_emplace(a, ports.min, ports.max, quarantine, seed + ports_.size() * 7919);
	};
	add(fam_);
	for (Address a : masq_)
		add(a);
}

std::optional<Endpoint> EndpointAllocator::masquerade(Clock::time_point now)
{
	for (size_t i = 0; i < masq_.size(); ++i) {
		Address a = masq_[(next_masq_ + i) % masq_.size()];
		if (auto port = ports_.at(a).allocate(now)) {
			next_masq_ = (next_masq_ + i + 1) % masq_.size();
			return Endpoint{a, *port};
		}
	}
	return std::nullopt;
}

std::optional<Endpoint> EndpointAllocator::fam(Clock::time_point now)
{
	if (auto port = ports_.at(fam_).allocate(now))
		return Endpoint{fam_, *port};
	return std::nullopt;
}

bool EndpointAllocator::claim(Endpoint e)
{
	auto it = ports_.find(e.addr);
	return it != ports_.end() && it->second.claim(e.port);
}

void EndpointAllocator::release(Endpoint e, Clock::time_point now)
{
	if (auto it = ports_.find(e.addr); it != ports_.end())
		it->second.release(e.port, now);
}

void EndpointAllocator::hold(Address a, bool for_new)
{
	if (a == fam_)
		return;
	ports_.try_emplace(a, range_.min, range_.max, quarantine_, seed_ + ports_.size() * 7919);
	if (!for_new || std::count(masq_.begin(), masq_.end(), a))
		return;
	if (masq_.size() == 1 && masq_.front() == fam_)
		masq_.clear();
	masq_.push_back(a);
}

void EndpointAllocator::release_address(Address a)
{
	if (a == fam_ || !ports_.erase(a))
		return;
	std::erase(masq_, a);
	if (masq_.empty())
		masq_.push_back(fam_);
	next_masq_ = 0;
}

std::vector<Address> EndpointAllocator::held() const
{
	std::vector<Address> out;
	for (const auto &[a, p] : ports_)
		if (a != fam_)
			out.push_back(a);
	return out;
}

size_t EndpointAllocator::in_use() const
{
	size_t n = 0;
	for (const auto &[a, p] : ports_)
		n += p.in_use();
	return n;
}

size_t EndpointAllocator::quarantined() const
{
	size_t n = 0;
	for (const auto &[a, p] : ports_)
		n += p.quarantined();
	return n;
}

} // namespace roamnat
