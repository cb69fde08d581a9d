// A map bounded in size where the newest entry wins and, when full, the
// entry put longest ago goes first: the coordinator's per-station tables
// (who a MAC is, what RADIUS authorized it for), where a flood of new MACs
// must cost old entries, never memory without bound.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace roamnat {

template <typename Key, typename Value> class OldestFirstMap {
public:
	explicit OldestFirstMap(size_t capacity) : capacity_(capacity) {}

	// Returns what the key held before, if anything.
	std::optional<Value> put(const Key &key, Value value)
	{
		std::optional<Value> before = take(key);
		while (!by_age_.empty() && by_key_.size() >= capacity_)
			take(by_age_.begin()->second);
		uint64_t seq = next_seq_++;
		by_key_.emplace(key, Entry{std::move(value), seq});
		by_age_.emplace(seq, key);
		return before;
	}

	const Value *find(const Key &key) const
	{
		auto it = by_key_.find(key);
		return it == by_key_.end() ? nullptr : &it->second.value;
	}

	std::optional<Value> take(const Key &key)
	{
		auto it = by_key_.find(key);
		if (it == by_key_.end())
			return std::nullopt;
		std::optional<Value> v(std::move(it->second.value));
		by_age_.erase(it->second.seq);
		by_key_.erase(it);
		return v;
	}

	template <typename Fn> void for_each(Fn &&fn) const
	{
		for (const auto &[key, e] : by_key_)
			fn(key, e.value);
	}
	size_t size() const { return by_key_.size(); }

private:
	struct Entry {
		Value value;
		uint64_t seq;
	};
	size_t capacity_;
	uint64_t next_seq_ = 0;
	std::map<Key, Entry> by_key_;
	std::map<uint64_t, Key> by_age_;
};

} // namespace roamnat
