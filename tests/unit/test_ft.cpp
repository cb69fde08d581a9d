// 802.11r across subnets: the coordinator's relay of key holder frames
// between APs (coordinator_ft.cpp, KeyHolders) and its mobility domain
// configuration (ft_domain.cpp, roamctl ft-config).
#include "../../coordinator/ft_domain.hpp"
#include "../../coordinator/key_holders.hpp"
#include "coordinator_harness.hpp"

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace roamnat;
using namespace roamnat::test;

namespace {
MacAddr mac(const char *s) { return *MacAddr::parse(s); }

const MacAddr kBss1 = *MacAddr::parse("02:00:00:00:01:00");
const MacAddr kBss2 = *MacAddr::parse("02:00:00:00:02:00");
const MacAddr kBroadcast = *MacAddr::parse("ff:ff:ff:ff:ff:ff");

Message ft_frame(const MacAddr &dst, const MacAddr &src, uint16_t ethertype = kEthPOui, size_t len = 80)
{
	std::vector<uint8_t> b(len, 0x5a);
	std::copy(dst.bytes.begin(), dst.bytes.end(), b.begin());
	std::copy(src.bytes.begin(), src.bytes.end(), b.begin() + 6);
	b[12] = uint8_t(ethertype >> 8);
	b[13] = uint8_t(ethertype);
	Message m;
	m.type = MsgType::ft_frame;
	m.frame = EtherFrame{b};
	return m;
}

size_t frames(const FakePeer &p)
{
	size_t n = 0;
	for (const auto &m : p.got)
		n += m.type == MsgType::ft_frame;
	return n;
}

std::string write_key(const std::string &text, mode_t mode)
{
	char path[] = "/tmp/roamnat-ft-key.XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text.data(), text.size()) == ssize_t(text.size()));
	close(fd);
	chmod(path, mode);
	return path;
}
} // namespace

TEST_CASE("key holders are learnt from frames, one AP per BSSID, bounded")
{
	KeyHolders k(2);
	CHECK(k.learn(kBss1, "ap1") == KeyHolders::Learnt::added);
	CHECK(k.learn(kBss1, "ap1") == KeyHolders::Learnt::known);
	std::string owner;
	CHECK(k.learn(kBss1, "ap2", &owner) == KeyHolders::Learnt::claimed_by_other);
	CHECK(owner == "ap1");
	CHECK(k.find(kBss1) == "ap1");
	CHECK(k.learn(kBss2, "ap2") == KeyHolders::Learnt::added);
	CHECK(k.learn(mac("02:00:00:00:03:00"), "ap3") == KeyHolders::Learnt::full);
	CHECK_FALSE(k.find(mac("02:00:00:00:03:00")));
	k.forget_agent("ap1");
	CHECK_FALSE(k.find(kBss1));
	CHECK(k.learn(kBss1, "ap2") == KeyHolders::Learnt::added); // the BSS moved with its AP's session
}

TEST_CASE("ft_frame: flooded to the other relaying APs while the destination is unknown, then relayed to its AP alone")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagFtRelay);
	auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagFtRelay);
	auto ap3 = h.agent("ap3", "10.201.0.103", 1, kFlagFtRelay);
	auto plain = h.agent("ap4", "10.201.0.104"); // no ft_relay: never sent a frame

	Message pull = ft_frame(kBroadcast, kBss2); // ap2's pull to every R0KH
	ap2->conn->send(pull);
	REQUIRE(h.run_until([&] { return frames(*ap1) == 1 && frames(*ap3) == 1; }));
	const Message *got = last_of(*ap1, MsgType::ft_frame);
	CHECK(got->frame == pull.frame); // byte for byte, the header too
	CHECK(got->agent_id == "ap2");
	CHECK(frames(*ap2) == 0);
	CHECK(frames(*plain) == 0);

	Message resp = ft_frame(kBss2, kBss1); // ap1 answers ap2, whose BSSID is known now
	ap1->conn->send(resp);
	REQUIRE(h.run_until([&] { return frames(*ap2) == 1; }));
	CHECK(last_of(*ap2, MsgType::ft_frame)->frame == resp.frame);
	h.loop.run_once(Millis(20));
	CHECK(frames(*ap3) == 1);
	CHECK(frames(*ap1) == 1);

	// Unicast to a BSSID nobody sent from yet: every other relaying AP.
	ap1->conn->send(ft_frame(mac("02:00:00:00:09:00"), kBss1, kEthPRrb));
	REQUIRE(h.run_until([&] { return frames(*ap2) == 2 && frames(*ap3) == 2; }));

	auto counters = h.ask(*h.peer("roamctl", Role::ctl), [] {
		Message d;
		d.type = MsgType::dump_request;
		d.what = DumpWhat::counters;
		return d;
	}());
	auto value = [&](const char *name) {
		for (const auto &c : counters.counters)
			if (c.name == name)
				return c.value;
		return uint64_t(0);
	};
	CHECK(value("ft_frames_flooded") == 2);
	CHECK(value("ft_frames_relayed") == 1);
}

TEST_CASE("ft_frame: other ethertypes, group or claimed sources are dropped; an AP that did not offer to relay is refused")
{
	Harness h;
	auto ap1 = h.agent("ap1", "10.201.0.101", 1, kFlagFtRelay);
	auto ap2 = h.agent("ap2", "10.201.0.102", 1, kFlagFtRelay);
	ap1->conn->send(ft_frame(kBroadcast, kBss1));
	REQUIRE(h.run_until([&] { return frames(*ap2) == 1; }));

	ap2->conn->send(ft_frame(kBroadcast, kBss2, 0x0800));       // IPv4: not the coordinator's to carry
	ap2->conn->send(ft_frame(kBroadcast, kBss1));               // ap1's BSSID, from ap2
	ap2->conn->send(ft_frame(kBroadcast, kBroadcast));          // a group source
	ap2->conn->send(ft_frame(kBroadcast, kBss2, kEthPOui, 64)); // the one good frame, last
	REQUIRE(h.run_until([&] { return frames(*ap1) == 1; }));
	CHECK(last_of(*ap1, MsgType::ft_frame)->frame->src() == kBss2);
	CHECK_FALSE(ap2->closed);

	// The coordinator decodes frames of 14 to 2048 bytes only.
	Message tiny;
	tiny.type = MsgType::ft_frame;
	tiny.frame = EtherFrame{std::vector<uint8_t>(13, 0)};
	DecodeError err;
	auto bytes = encode(tiny);
	CHECK_FALSE(decode(std::span<const uint8_t>(bytes).subspan(kLengthPrefix), err));
	CHECK(err.what.find("frame attribute frame (36) has length 13") != std::string::npos);

	auto quiet = h.agent("ap3", "10.201.0.103");
	quiet->conn->send(ft_frame(kBroadcast, mac("02:00:00:00:03:00")));
	REQUIRE(h.run_until([&] { return quiet->closed; }));
	const Message *e = last_of(*quiet, MsgType::error);
	REQUIRE(e);
	CHECK(e->status == Status::unauthorized);
	CHECK(frames(*ap1) == 1);
}

TEST_CASE("ft-config: the mobility domain and key go to operators alone")
{
	CoordinatorOptions o;
	o.operators = {"roamctl"};
	o.ft = FtDomain{0xa1b2, SecretBytes(32, 0x11)};
	Harness h(o);
	Message req;
	req.type = MsgType::ft_config_request;
	auto op = h.peer("roamctl", Role::ctl);
	Message r = h.ask(*op, req);
	CHECK(r.type == MsgType::ft_config_reply);
	CHECK(r.status == Status::ok);
	CHECK(r.mobility_domain == 0xa1b2u);
	CHECK(r.ft_key == SecretBytes(32, 0x11));

	auto other = h.peer("ap1", Role::ctl);
	r = h.ask(*other, req);
	CHECK(r.status == Status::unauthorized);
	CHECK_FALSE(r.ft_key);

	Harness none; // no mobility domain configured
	auto op2 = none.peer("roamctl", Role::ctl);
	r = none.ask(*op2, req);
	CHECK(r.status != Status::ok);
	CHECK_FALSE(r.ft_key);
}

TEST_CASE("ft_key_file: 64 hex digits, readable by its owner alone")
{
	std::string err;
	std::string hex(64, 'a');
	std::string good = write_key(hex + "\n", 0600);
	auto d = load_ft_domain("A1b2", good, err);
	REQUIRE(d);
	CHECK(d->mobility_domain == 0xa1b2);
	CHECK(d->key == SecretBytes(32, 0xaa));
	CHECK(mdid_text(d->mobility_domain) == "a1b2");

	std::string open_to_all = write_key(hex, 0644);
	CHECK_FALSE(load_ft_domain("a1b2", open_to_all, err));
	CHECK(err.find("chmod 600") != std::string::npos);
	std::string short_key = write_key(hex.substr(2), 0600);
	CHECK_FALSE(load_ft_domain("a1b2", short_key, err));
	CHECK(err.find("64 hex digits") != std::string::npos);
	std::string not_hex = write_key(std::string(63, 'a') + "g", 0600);
	CHECK_FALSE(load_ft_domain("a1b2", not_hex, err));
	CHECK_FALSE(load_ft_domain("a1b", good, err));
	CHECK(err.find("4 hex digits") != std::string::npos);
	CHECK_FALSE(load_ft_domain("a1b2", "", err));
	CHECK_FALSE(load_ft_domain("a1b2", "/nonexistent/ft.key", err));
	CHECK(err.find("cannot be read") != std::string::npos);
	for (const auto &p : {good, open_to_all, short_key, not_hex})
		unlink(p.c_str());
}
