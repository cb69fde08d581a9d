// Named event counters of an agent, shown by `roamctl --agent SOCKET counters`.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace roamnat {

class Counters {
public:
	void add(const std::string &name, uint64_t by = 1) { values_[name] += by; }
	uint64_t get(const std::string &name) const
	{
		auto it = values_.find(name);
		return it == values_.end() ? 0 : it->second;
	}
	const std::map<std::string, uint64_t> &values() const { return values_; }

private:
	std::map<std::string, uint64_t> values_;
};

} // namespace roamnat
