#include "event_loop.hpp"

#include "log.hpp"

#include <csignal>
#include <cstring>
#include <sys/epoll.h>
#include <sys/signalfd.h>

namespace roamnat {

EventLoop::EventLoop() : epoll_(epoll_create1(EPOLL_CLOEXEC))
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, nullptr);
	signal(SIGPIPE, SIG_IGN);
	signals_.reset(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
	add(signals_.get(), EPOLLIN, [this](uint32_t) {
		signalfd_siginfo info;
		if (read(signals_.get(), &info, sizeof(info)) == sizeof(info)) {
			log_info("signal ", strsignal(int(info.ssi_signo)), ": shutting down");
			stop();
		}
	});
}

bool EventLoop::add(int fd, uint32_t events, FdHandler handler)
{
	epoll_event ev{};
	ev.events = events;
	ev.data.fd = fd;
	if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
		log_error("epoll add fd ", fd, ": ", strerror(errno));
		return false;
	}
	handlers_[fd] = std::make_shared<FdHandler>(std::move(handler));
	return true;
}

bool EventLoop::modify(int fd, uint32_t events)
{
	epoll_event ev{};
	ev.events = events;
	ev.data.fd = fd;
	return epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd)
{
	epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
	handlers_.erase(fd);
}

EventLoop::TimerId EventLoop::after(Millis delay, std::function<void()> fn)
{
	TimerId id = next_timer_++;
	auto when = Clock::now() + delay;
	timers_.emplace(id, std::make_pair(when, std::move(fn)));
	timer_order_.emplace(when, id);
	return id;
}

void EventLoop::cancel(TimerId id)
{
	auto it = timers_.find(id);
	if (it == timers_.end())
		return;
	auto range = timer_order_.equal_range(it->second.first);
	for (auto o = range.first; o != range.second; ++o) {
		if (o->second == id) {
			timer_order_.erase(o);
			break;
		}
	}
	timers_.erase(it);
}

void EventLoop::run()
{
	running_ = true;
	while (running_)
		run_once(Millis(60000));
}

void EventLoop::run_once(Millis max_wait)
{
	epoll_event events[64];
	int timeout = int(max_wait.count());
	if (!timer_order_.empty()) {
		auto wait = std::chrono::duration_cast<Millis>(timer_order_.begin()->first - Clock::now()).count();
		timeout = int(std::max<long long>(0, std::min<long long>(wait + 1, timeout)));
	}
	bool was_running = running_;
	running_ = true;
	int n = epoll_wait(epoll_.get(), events, 64, timeout);
	if (n < 0 && errno != EINTR) {
		log_error("epoll_wait: ", strerror(errno));
		running_ = false;
		return;
	}
	for (int i = 0; i < n && running_; ++i) {
		auto it = handlers_.find(events[i].data.fd);
		if (it == handlers_.end())
			continue;
		auto keep = it->second;
		(*keep)(events[i].events);
	}
	auto now = Clock::now();
	while (running_ && !timer_order_.empty() && timer_order_.begin()->first <= now) {
		TimerId id = timer_order_.begin()->second;
		timer_order_.erase(timer_order_.begin());
		auto it = timers_.find(id);
		if (it == timers_.end())
			continue;
		auto fn = std::move(it->second.second);
		timers_.erase(it);
		fn();
	}
	if (!was_running && running_)
		running_ = false;
}

} // namespace roamnat
