// Single-threaded epoll loop with millisecond timers: each daemon owns its
// state on one thread, so tables need no locks.
#pragma once

#include "unique_fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

namespace roamnat {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

class EventLoop {
public:
	using FdHandler = std::function<void(uint32_t events)>;
	using TimerId = uint64_t;

	EventLoop();
	bool add(int fd, uint32_t events, FdHandler handler);
	bool modify(int fd, uint32_t events);
	void remove(int fd);

	TimerId after(Millis delay, std::function<void()> fn);
	void cancel(TimerId id);

	// Runs until stop() or SIGINT/SIGTERM.
	void run();
	// One round: waits at most max_wait for events, then runs due timers.
	void run_once(Millis max_wait);
	void stop() { running_ = false; }
	Clock::time_point now() const { return Clock::now(); }

private:
	UniqueFd epoll_;
	UniqueFd signals_;
	bool running_ = false;
	// Handlers are shared so one can remove itself while it runs.
	std::unordered_map<int, std::shared_ptr<FdHandler>> handlers_;
	std::multimap<Clock::time_point, TimerId> timer_order_;
	std::unordered_map<TimerId, std::pair<Clock::time_point, std::function<void()>>> timers_;
	TimerId next_timer_ = 1;
};

} // namespace roamnat
