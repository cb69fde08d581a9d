// RADIUS Dynamic Authorization (RFC 5176): the packet codec and the
// coordinator's Disconnect-Request server, over a real UDP socket.
#include "../../common/log.hpp"
#include "../../common/radius_packet.hpp"
#include "../../coordinator/das_server.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <ctime>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace roamnat;
using namespace roamnat::radius;

namespace {
Attribute text_attr(uint8_t type, const std::string &v) { return {type, {v.begin(), v.end()}}; }

Attribute timestamp(int64_t off = 0)
{
	uint32_t t = uint32_t(time(nullptr) + off);
	return {attr::event_timestamp, {uint8_t(t >> 24), uint8_t(t >> 16), uint8_t(t >> 8), uint8_t(t)}};
}

Packet disconnect(uint8_t id, std::vector<Attribute> attrs)
{
	Packet p;
	p.code = Code::disconnect_request;
	p.id = id;
	p.attrs = std::move(attrs);
	return p;
}
} // namespace

TEST_CASE("RADIUS: a Disconnect-Request verifies under its secret only, and not once altered")
{
	auto wire = encode_request(disconnect(7, {text_attr(attr::user_name, "alice"), timestamp()}), "s3cret");
	std::string why;
	CHECK(verify_request(wire, "s3cret", why));
	CHECK_FALSE(verify_request(wire, "other", why));
	auto parsed = parse(wire, why);
	REQUIRE(parsed);
	CHECK(parsed->code == Code::disconnect_request);
	CHECK(parsed->id == 7);
	CHECK(parsed->attrs.front().type == attr::message_authenticator);
	CHECK(parsed->find(attr::user_name)->text() == "alice");

	auto tampered = wire;
	tampered.back() ^= 1; // the timestamp
	CHECK_FALSE(verify_request(tampered, "s3cret", why));
	// An altered Message-Authenticator fails the Request Authenticator too.
	auto w2 = wire;
	w2[22] ^= 0xff;
	CHECK_FALSE(verify_request(w2, "s3cret", why));
}

TEST_CASE("RADIUS: the layout is checked before anything is read")
{
	std::string why;
	std::vector<uint8_t> wire = encode_request(disconnect(1, {text_attr(attr::user_name, "alice")}), "k");
	CHECK_FALSE(parse(std::span(wire).first(19), why));
	auto bad = wire;
	bad[3] = uint8_t(wire.size() + 1); // longer than the datagram
	CHECK_FALSE(parse(bad, why));
	bad = wire;
	bad[21] = 1; // an attribute length below 2
	CHECK_FALSE(parse(bad, why));
	bad = wire;
	bad[21] = 200; // past the end
	CHECK_FALSE(parse(bad, why));
	auto padded = wire;
	padded.push_back(0); // octets past the length are padding
	CHECK(parse(padded, why));
	CHECK(verify_request(padded, "k", why));
}

namespace {
struct DasBench {
	EventLoop loop;
	std::vector<DasServer::Request> asked;
	std::vector<DasServer::Answer> pending;
	uint32_t cause = 0;
	bool answer_at_once = true;
	std::unique_ptr<DasServer> das;
	UniqueFd client;
	sockaddr_in to{};

	explicit DasBench(std::set<Address> clients = {*Ipv4::parse("127.0.0.1")})
	{
		set_log_level(LogLevel::error);
		DasOptions o;
		o.listen = *Endpoint::parse("127.0.0.1:0");
		o.clients = std::move(clients);
		o.secret = "das-secret";
		das = std::make_unique<DasServer>(loop, o, [this](const DasServer::Request &r, DasServer::Answer a) {
			asked.push_back(r);
			if (answer_at_once)
				a(cause);
			else
				pending.push_back(std::move(a));
		});
		std::string err;
		REQUIRE(das->start(err));
		client.reset(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
		to.sin_family = AF_INET;
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		to.sin_port = htons(das->port());
	}
	void send(const std::vector<uint8_t> &wire)
	{
		REQUIRE(sendto(client.get(), wire.data(), wire.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof(to)) ==
			ssize_t(wire.size()));
	}
	// The next answer, or nullopt when none comes within 300 ms.
	std::optional<std::vector<uint8_t>> reply()
	{
		uint8_t buf[4096];
		for (int i = 0; i < 30; ++i) {
			loop.run_once(Millis(10));
			ssize_t n = recv(client.get(), buf, sizeof(buf), 0);
			if (n > 0)
				return std::vector<uint8_t>(buf, buf + n);
		}
		return std::nullopt;
	}
};
} // namespace

TEST_CASE("DAS: a Disconnect-Request is acted on once and ACKed, signed with the secret; a retransmission gets the same answer")
{
	DasBench b;
	auto req = disconnect(42, {text_attr(attr::user_name, "alice"), text_attr(attr::calling_station_id, "02-00-00-00-01-0A"),
				   text_attr(attr::proxy_state, "ps1"), timestamp()});
	auto wire = encode_request(req, "das-secret");
	b.send(wire);
	auto got = b.reply();
	REQUIRE(got);
	REQUIRE(b.asked.size() == 1);
	CHECK(b.asked[0].user == "alice");
	CHECK(b.asked[0].station->str() == "02:00:00:00:01:0a");
	std::string why;
	auto ack = parse(*got, why);
	REQUIRE(ack);
	CHECK(ack->code == Code::disconnect_ack);
	CHECK(ack->id == 42);
	REQUIRE(ack->find(attr::proxy_state));
	CHECK(ack->find(attr::proxy_state)->text() == "ps1");
	CHECK_FALSE(ack->find(attr::error_cause));
	auto sent = *parse(wire, why);
	Packet expect;
	expect.code = Code::disconnect_ack;
	expect.id = 42;
	expect.attrs = {text_attr(attr::proxy_state, "ps1")};
	CHECK(*got == encode_response(expect, sent.authenticator, "das-secret"));

	b.send(wire);
	auto again = b.reply();
	REQUIRE(again);
	CHECK(*again == *got);
	CHECK(b.asked.size() == 1);
	CHECK(b.das->stats().duplicates == 1);
}

TEST_CASE("DAS: wrong secret, missing protection, stale timestamps and strangers are dropped unanswered")
{
	DasBench b;
	b.send(encode_request(disconnect(1, {text_attr(attr::user_name, "alice"), timestamp()}), "wrong"));
	CHECK_FALSE(b.reply());
	b.send(encode_request(disconnect(2, {text_attr(attr::user_name, "alice")}), "das-secret")); // no timestamp
	CHECK_FALSE(b.reply());
	b.send(encode_request(disconnect(3, {text_attr(attr::user_name, "alice"), timestamp(-3600)}), "das-secret"));
	CHECK_FALSE(b.reply());
	b.send({1, 2, 3});
	CHECK_FALSE(b.reply());
	CHECK(b.asked.empty());
	CHECK(b.das->stats().dropped == 4);

	DasBench elsewhere({*Ipv4::parse("127.0.0.2")});
	elsewhere.send(encode_request(disconnect(4, {text_attr(attr::user_name, "alice"), timestamp()}), "das-secret"));
	CHECK_FALSE(elsewhere.reply());
	CHECK(elsewhere.das->stats().dropped == 1);
}

TEST_CASE("DAS: what cannot be done is NAKed with its Error-Cause")
{
	DasBench b;
	auto cause_of = [&](const Packet &p) -> uint32_t {
		b.send(encode_request(p, "das-secret"));
		auto got = b.reply();
		REQUIRE(got);
		std::string why;
		auto r = parse(*got, why);
		REQUIRE(r);
		const Attribute *c = r->find(attr::error_cause);
		REQUIRE(c);
		REQUIRE(c->value.size() == 4);
		return uint32_t(c->value[0]) << 24 | c->value[1] << 16 | c->value[2] << 8 | c->value[3];
	};
	CHECK(cause_of(disconnect(1, {timestamp()})) == error_cause::missing_attribute);
	CHECK(cause_of(disconnect(2, {text_attr(attr::user_name, "alice"), text_attr(attr::acct_session_id, "x"),
				      timestamp()})) == error_cause::unsupported_attribute);
	CHECK(cause_of(disconnect(3, {text_attr(attr::calling_station_id, "not-a-mac"), timestamp()})) == 407);
	Packet coa = disconnect(4, {text_attr(attr::user_name, "alice"), timestamp()});
	coa.code = Code::coa_request;
	CHECK(cause_of(coa) == error_cause::unsupported_service);
	b.cause = error_cause::session_context_not_found; // the coordinator knows no such session
	CHECK(cause_of(disconnect(5, {text_attr(attr::user_name, "nobody"), timestamp()})) ==
	      error_cause::session_context_not_found);
	CHECK(b.asked.size() == 1);
}

TEST_CASE("DAS: a retransmission while the APs are still confirming is not acted on twice")
{
	DasBench b;
	b.answer_at_once = false;
	auto wire = encode_request(disconnect(9, {text_attr(attr::user_name, "alice"), timestamp()}), "das-secret");
	b.send(wire);
	CHECK_FALSE(b.reply());
	b.send(wire);
	CHECK_FALSE(b.reply());
	REQUIRE(b.pending.size() == 1);
	b.pending[0](0);
	b.send(wire);
	auto got = b.reply(); // the first answer went out when pending[0] ran; this one repeats it
	REQUIRE(got);
	CHECK(b.asked.size() == 1);
}
