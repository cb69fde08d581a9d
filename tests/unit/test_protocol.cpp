#include "../../common/protocol.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

using namespace roamnat;
using namespace roamnat::proto;

namespace {
Endpoint ep(const char *s) { return *Endpoint::parse(s); }

Message sample_fam_request()
{
	Message m;
	m.type = MsgType::fam_request;
	m.request_id = 77;
	m.proto = L4::tcp;
	m.client = ep("10.202.0.11:40123");
	m.server = ep("10.201.0.10:5001");
	m.fam = ep("10.201.0.102:40007");
	m.flags = kFlagCombined;
	return m;
}

std::optional<Message> roundtrip(const Message &m, DecodeError &err)
{
	auto bytes = encode(m);
	auto len = peek_frame_length(bytes, err);
	REQUIRE(len);
	REQUIRE(*len + kLengthPrefix == bytes.size());
	return decode(std::span<const uint8_t>(bytes).subspan(kLengthPrefix), err);
}
} // namespace

TEST_CASE("every field of a message survives encode and decode")
{
	Message m = sample_fam_request();
	m.status = Status::became_ham;
	m.agent_id = "ap2";
	m.text = "hello world";
	m.ham_agent = "ap1";
	m.agent_addr = Ipv4{0x0ac90066};
	m.client_addr = Ipv4{0x0aca000b};
	m.masq = ep("10.201.0.101:40000");
	m.generation = 3;
	m.count = 9;
	m.role = Role::agent;
	m.what = DumpWhat::agents;
	m.fams = {{"ap2", ep("10.201.0.102:40007")}, {"ap3", ep("10.201.0.103:41000")}};
	m.conns = {{FlowKey{L4::udp, ep("1.2.3.4:5"), ep("6.7.8.9:10")}, ep("10.0.0.1:40000"), "ap1", 2,
		    {{"ap1", ep("10.0.0.1:40000")}}}};
	m.agents = {{"ap1", Ipv4{42}, 1, 1234567890123ULL}};
	m.counters = {{"rx_hello", 5}, {"big", ~0ULL}};
	m.mac = *MacAddr::parse("02:00:00:00:01:00");
	m.user = "alice@example.org";
	m.auth_method = "PEAP";
	m.users = {{*MacAddr::parse("02:00:00:00:02:00"), "bob", "ap2", "TTLS", 1764633600, "staff"},
		   {*MacAddr::parse("02:00:00:00:03:00"), "carol", "ap1", "", 1764633601, ""}};
	m.pmk = SecretBytes(48, 0xa5);
	m.lifetime = 43200;
	m.filter_id = "staff";
	m.session_timeout = 600;
	m.vlan = "20";
	m.radius_class = "0x726f616d6e6174";
	m.verdict = RuleAction::permit;
	std::string why;
	m.rules = {*parse_filter_rule("permit in tcp from any to 10.201.0.0/24 80,443", why),
		   *parse_filter_rule("deny in ip from any to any", why)};
	DecodeError err;
	auto back = roundtrip(m, err);
	REQUIRE(back);
	CHECK(*back == m);
	CHECK(validate(*back).empty());
}

TEST_CASE("a key of another length than 32 to 64 bytes is refused")
{
	Message m;
	m.type = MsgType::key_push;
	m.mac = *MacAddr::parse("02:00:00:00:01:00");
	m.user = "alice";
	m.lifetime = 60;
	DecodeError err;
	for (size_t n : {32, 64}) {
		m.pmk = SecretBytes(n, 1);
		CHECK(roundtrip(m, err));
	}
	for (size_t n : {1, 31, 65}) {
		m.pmk = SecretBytes(n, 1);
		CHECK_FALSE(roundtrip(m, err));
		CHECK(err.what.find("key attribute pmk (27) has length " + std::to_string(n)) != std::string::npos);
	}
	m.pmk.reset();
	CHECK(validate(m) == "key_push lacks pmk");
}

TEST_CASE("a user record without its MAC or user is refused")
{
	Message m;
	m.type = MsgType::dump_reply;
	m.status = Status::ok;
	m.users = {{MacAddr{}, "", "ap1", "", 0, ""}};
	DecodeError err;
	CHECK_FALSE(roundtrip(m, err));
	CHECK(err.what == "user record without mac or user");

	Message a;
	a.type = MsgType::station_auth;
	a.mac = *MacAddr::parse("02:00:00:00:01:00");
	CHECK(validate(a) == "station_auth lacks user");
}

TEST_CASE("a truncated frame is rejected at every length, never misread")
{
	const Message original = sample_fam_request();
	auto bytes = encode(original);
	auto body = std::span<const uint8_t>(bytes).subspan(kLengthPrefix);
	for (size_t n = 0; n < body.size(); ++n) {
		DecodeError err;
		auto m = decode(body.first(n), err);
		// A cut on an attribute boundary decodes to fewer attributes (the
		// length prefix is what stops that from happening on the wire); a cut
		// inside one is an error. Neither is ever taken for the original.
		if (m)
			CHECK(*m != original);
		else
			CHECK_FALSE(err.what.empty());
	}
}

TEST_CASE("frame length limits")
{
	DecodeError err;
	std::vector<uint8_t> huge = {0xff, 0xff, 0xff, 0xff};
	CHECK_FALSE(peek_frame_length(huge, err));
	CHECK_THAT(err.what, Catch::Contains("outside"));
	err = {};
	std::vector<uint8_t> tiny = {0, 0, 0, 3};
	CHECK_FALSE(peek_frame_length(tiny, err));
	err = {};
	std::vector<uint8_t> partial = {0, 0};
	CHECK_FALSE(peek_frame_length(partial, err));
	CHECK(err.what.empty()); // just not enough bytes yet
}

TEST_CASE("wrong version, unknown type, bad attributes")
{
	auto bytes = encode(sample_fam_request());
	auto body = std::vector<uint8_t>(bytes.begin() + kLengthPrefix, bytes.end());
	DecodeError err;

	auto v2 = body;
	v2[0] = 2;
	CHECK_FALSE(decode(v2, err));
	CHECK_THAT(err.what, Catch::Contains("version 2"));
	CHECK(err.status == Status::bad_version); // the code the receiver answers with

	auto unknown = body;
	unknown[1] = 200;
	CHECK_FALSE(decode(unknown, err));
	CHECK_THAT(err.what, Catch::Contains("unknown message type"));
	CHECK(err.status == Status::bad_message);

	// An attribute whose length runs past the frame.
	auto overrun = body;
	overrun[kHeaderSize + 2] = 0x7f;
	CHECK_FALSE(decode(overrun, err));
	CHECK_THAT(err.what, Catch::Contains("overruns"));

	// The protocol attribute with an unsupported number.
	Message gre = sample_fam_request();
	auto ib = encode(gre);
	std::vector<uint8_t> ibody(ib.begin() + kLengthPrefix, ib.end());
	for (size_t i = kHeaderSize; i + 4 < ibody.size(); i += 4) {
		if (ibody[i] == 0 && ibody[i + 1] == 7) { // A_PROTO
			ibody[i + 4] = 47;
			break;
		}
	}
	CHECK_FALSE(decode(ibody, err));
	CHECK_THAT(err.what, Catch::Contains("unsupported transport protocol"));
}

TEST_CASE("repeated scalar attributes and non-printable strings are refused")
{
	Message m;
	m.type = MsgType::hello;
	m.role = Role::agent;
	m.agent_addr = Ipv4{1};
	m.agent_id = "ap1";
	auto bytes = encode(m);
	std::vector<uint8_t> body(bytes.begin() + kLengthPrefix, bytes.end());
	// Append a second copy of the role attribute (type 15, len 1).
	std::vector<uint8_t> dup = body;
	dup.insert(dup.end(), {0, 15, 0, 1, 1, 0, 0, 0});
	DecodeError err;
	CHECK_FALSE(decode(dup, err));
	CHECK_THAT(err.what, Catch::Contains("repeated"));

	std::vector<uint8_t> bad = body;
	bad.insert(bad.end(), {0, 3, 0, 2, 'a', 0x07, 0, 0});
	CHECK_FALSE(decode(bad, err));
	CHECK_THAT(err.what, Catch::Contains("non-printable"));
}

TEST_CASE("unknown attributes are skipped for forward compatibility")
{
	auto bytes = encode(sample_fam_request());
	std::vector<uint8_t> body(bytes.begin() + kLengthPrefix, bytes.end());
	body.insert(body.end(), {0x01, 0x00, 0, 3, 'x', 'y', 'z', 0});
	DecodeError err;
	auto m = decode(body, err);
	REQUIRE(m);
	CHECK(*m == sample_fam_request());
}

TEST_CASE("validate names what a message lacks")
{
	Message m = sample_fam_request();
	m.fam.reset();
	CHECK_THAT(validate(m), Catch::Contains("fam_request lacks"));
	Message q;
	q.type = MsgType::fam_query;
	q.proto = L4::udp;
	q.server = ep("1.1.1.1:53");
	CHECK_FALSE(validate(q).empty());
	q.masq = ep("10.0.0.1:40000");
	CHECK(validate(q).empty());
	Message reply;
	reply.type = MsgType::fam_reply;
	CHECK_FALSE(validate(reply).empty());
	reply.status = Status::ok;
	CHECK(validate(reply).empty());
}

namespace {
// The rows of docs/protocol.md's tables that start with a number, as cells.
std::vector<std::vector<std::string>> doc_rows(const std::string &section)
{
	std::ifstream in(std::string(ROAMNAT_SOURCE_DIR) + "/docs/protocol.md");
	REQUIRE(in);
	std::vector<std::vector<std::string>> rows;
	std::string line;
	bool inside = false;
	while (std::getline(in, line)) {
		if (line.rfind("## ", 0) == 0)
			inside = line == "## " + section;
		if (!inside || line.size() < 3 || line[0] != '|' || !isdigit(static_cast<unsigned char>(line[2])))
			continue;
		std::vector<std::string> cells;
		std::stringstream ss(line.substr(1));
		for (std::string cell; std::getline(ss, cell, '|');)
			cells.push_back(cell.substr(cell.find_first_not_of(' ') == std::string::npos ? 0 : cell.find_first_not_of(' ')));
		for (auto &c : cells)
			c.erase(c.find_last_not_of(' ') + 1);
		rows.push_back(cells);
	}
	return rows;
}

bool mentions(const std::string &cell, const char *word)
{
	return std::regex_search(cell, std::regex(std::string("\\b") + word + "\\b"));
}
} // namespace

TEST_CASE("docs/protocol.md lists every attribute and message type as the specification declares them")
{
	auto attrs_doc = doc_rows("Frames");
	REQUIRE(attrs_doc.size() == kMaxAttr);
	for (const auto &row : attrs_doc) {
		INFO("attribute row " << row[0] << " " << row[1]);
		CHECK(row[1] == attr_name(Attr(std::stoi(row[0]))));
	}

	auto msgs_doc = doc_rows("Messages");
	CHECK(msgs_doc.size() == message_specs().size());
	for (const auto &row : msgs_doc) {
		INFO("message row " << row[0] << " " << row[1]);
		REQUIRE(row.size() >= 6);
		const MessageSpec *spec = message_spec(MsgType(std::stoi(row[0])));
		REQUIRE(spec);
		CHECK(row[1] == spec->name);
		for (uint16_t a = 1; a <= kMaxAttr; ++a) {
			INFO("attribute " << attr_name(Attr(a)));
			if (has(spec->required, Attr(a)))
				CHECK(mentions(row[3], attr_name(Attr(a))));
			if (has(spec->optional, Attr(a)))
				CHECK(mentions(row[4], attr_name(Attr(a))));
		}
		std::string answered = row[5].substr(0, row[5].find(' '));
		CHECK(answered == (spec->answers ? msg_type_name(*spec->answers) : "-"));
	}
}

TEST_CASE("replies are matched to the request they answer")
{
	Message r;
	r.type = MsgType::fam_reply;
	CHECK(answers(r) == MsgType::fam_request);
	r.type = MsgType::fam_update; // a push
	CHECK_FALSE(answers(r));
	r.type = MsgType::ham_designate; // the request...
	CHECK_FALSE(answers(r));
	r.status = Status::ok; // ...and, with a status, its answer
	CHECK(answers(r) == MsgType::ham_designate);
	for (const auto &spec : message_specs())
		CHECK(std::string(msg_type_name(spec.type)) == spec.name);
}

TEST_CASE("a rule this side cannot enforce fails its whole message")
{
	Message m;
	m.type = MsgType::policy_reply;
	m.status = Status::ok;
	m.mac = *MacAddr::parse("02:00:00:00:01:00");
	std::string why;
	m.rules = {*parse_filter_rule("permit in ip from any to any", why)};
	auto wire = encode(m);
	// Rewrite the rule's text on the wire: "permit" -> "permix".
	std::string text = "permit in ip from any to any";
	auto at = std::search(wire.begin(), wire.end(), text.begin(), text.end());
	REQUIRE(at != wire.end());
	at[5] = 'x';
	DecodeError err;
	CHECK_FALSE(decode(std::span<const uint8_t>(wire).subspan(kLengthPrefix), err));
	CHECK(err.what.find("rule 1 'permix in ip from any to any'") != std::string::npos);

	m.rules.assign(kMaxPolicyRules + 1, m.rules[0]);
	CHECK_FALSE(roundtrip(m, err));
	CHECK(err.what == "more than 128 rules");
	m.rules.resize(kMaxPolicyRules);
	CHECK(roundtrip(m, err));
}
