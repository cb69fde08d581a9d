#include "endpoint_allocator.hpp"

#include <algorithm>

namespace roamnat {

EndpointAllocator::EndpointAllocator(Address fam_address, const std::vector<Address> &masquerade, PortRange ports,
				     Millis quarantine, size_t seed)
	: fam_(fam_address), range_(ports), masq_(masquerade)
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

void EndpointAllocator::add_masquerade(Address a, Millis quarantine)
{
	if (is_masquerade(a))
		return;
	if (masq_.size() == 1 && masq_.front() == fam_)
		masq_.clear();
	masq_.push_back(a);
	ports_.try_emplace(a, range_.min, range_.max, quarantine, ports_.size() * 7919);
}

void EndpointAllocator::remove_masquerade(Address a)
{
	if (a == fam_ || !std::erase(masq_, a))
		return;
	ports_.erase(a);
	if (masq_.empty())
		masq_.push_back(fam_);
	next_masq_ = 0;
}

bool EndpointAllocator::is_masquerade(Address a) const
{
	return std::find(masq_.begin(), masq_.end(), a) != masq_.end();
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
