// A coordinator link that keeps every request the agent makes, for the test
// to read and answer (or leave unanswered), and lets the test push messages
// and start sessions as the coordinator would.
#pragma once

#include "../../userd/coordinator_link.hpp"

#include <vector>

namespace roamnat::test {

class FakeCoordinator : public CoordinatorLink {
public:
	struct Asked {
		proto::Message msg;
		ReplyHandler reply;
		bool answered = false;
	};

	void on_push(PushHandler h) override { push_ = std::move(h); }
	void on_session(std::function<void()> h) override { session_ = std::move(h); }
	bool up() const override { return connected; }
	uint64_t timeouts() const override { return 0; }
	bool resolves_stations() const override { return connected && stations; }
	bool keeps_users() const override { return connected && users; }
	std::optional<std::vector<Address>> leases() const override { return lease_list; }
	std::optional<std::vector<Address>> lease_list; // what the last hello_ack granted

	// The i-th request answered with reply (nullptr: no answer came).
	void answer(size_t i, const proto::Message *reply)
	{
		// The handler may ask more (and grow asked): call a copy.
		ReplyHandler h = asked.at(i).reply;
		asked[i].answered = true;
		h(reply);
	}
	void answer(size_t i, proto::Status status)
	{
		proto::Message r;
		r.status = status;
		answer(i, &r);
	}
	void push(const proto::Message &m) { push_(m); }
	void new_session() { session_(); }
	const proto::Message &last() const { return asked.back().msg; }
	size_t count(proto::MsgType type) const
	{
		size_t n = 0;
		for (const auto &a : asked)
			n += a.msg.type == type;
		return n;
	}

	std::vector<Asked> asked;
	bool connected = true;
	bool stations = true;
	bool users = true;

protected:
	void request(proto::Message msg, ReplyHandler h) override { asked.push_back({std::move(msg), std::move(h)}); }
	void answer(proto::Message msg) override { answers.push_back(std::move(msg)); }

public:
	std::vector<proto::Message> answers;

private:

private:
	PushHandler push_;
	std::function<void()> session_;
};

} // namespace roamnat::test
