// The agent <-> coordinator wire protocol (docs/protocol.md): length-prefixed frames
// carrying a fixed header and netlink-style attributes.
#pragma once

#include "connection_record.hpp"
#include "endpoint.hpp"
#include "filter_rule.hpp"
#include "mac_addr.hpp"
#include "secret.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace roamnat::proto {

inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kLengthPrefix = 4;
inline constexpr size_t kHeaderSize = 8; // version, type, reserved u16, request id u32
inline constexpr size_t kMaxFrame = 64 * 1024;
inline constexpr size_t kMaxString = 255;
inline constexpr size_t kMaxRecords = 4096;

enum class MsgType : uint8_t {
	hello = 1,          // agent/ctl -> coordinator, first frame
	hello_ack = 2,
	fam_request = 3,    // Fig. 10 1010, with flag combined: Fig. 11
	fam_reply = 4,      // Fig. 10 1060/1070, Fig. 11 1175
	ham_register = 5,   // Fig. 9 930
	register_reply = 6,
	fam_query = 7,      // Fig. 12 1200
	fam_list = 8,       // Fig. 12 1240/1280
	fam_update = 9,     // push to the HAM: Fig. 12 alternative, Fig. 13 1340
	client_departed = 10, // Fig. 13 1300
	departed_ack = 11,
	conn_end = 12,      // FIN/RST or idle seen by a HAM or FAM
	conn_end_ack = 13,
	conn_removed = 14,  // coordinator -> HAM and FAMs of an ended connection
	dump_request = 15,  // roamctl
	dump_reply = 16,
	error = 17,         // fatal: sender closes after it
	ham_designate = 18, // Fig. 9 980: coordinator asks the designated HAM host to run Fig. 9
	client_arrived = 19, // a client (or a station, by its MAC) appeared at this FAM: which connections has it?
	client_flows = 20,   // answer: the client's connections
	client_moved = 21,   // coordinator -> a client's previous FAMs: it arrived at another
	station_auth = 22,   // Fig. 14 1455: a station completed 802.1X here as this user
	station_auth_ack = 23,
	station_key = 24,    // key source -> coordinator: Fig. 14's link session key of a station, for its next APs
	station_key_ack = 25,
	key_push = 26,       // coordinator -> agents: install that key (Fig. 15 1500)
	user_action = 27,    // an operator (roamctl) -> coordinator: revoke, reinstate or disconnect a user
	user_action_ack = 28,
	station_revoke = 29, // coordinator -> agents: forget this station's key, disconnect it
	station_revoke_ack = 30,
	policy_request = 31, // Fig. 14 1435: an AP (or roamctl) asks which user a MAC is and that user's policy
	policy_reply = 32,
	ft_frame = 33,       // an 802.11r key holders' frame between APs: AP -> coordinator -> APs (docs/protocol.md)
	ft_config_request = 34, // an operator (roamctl ft-config) asks for the mobility domain and its key holders' key
	ft_config_reply = 35,
	keepalive = 36,      // agent -> coordinator, every keepalive_ms once hello_ack named it: liveness
	keepalive_ack = 37,
	ham_takeover = 38,   // coordinator -> an agent: anchor a failed HAM's connections on its masquerade address
	ham_takeover_ack = 39,
};
const char *msg_type_name(MsgType type);

enum class Status : uint16_t {
	ok = 0,
	rejected = 1,      // Fig. 10 1070: no such connection
	became_ham = 2,    // Fig. 11 1175: the requester is now the HAM
	not_found = 3,     // Fig. 12 1280
	conflict = 4,      // key already registered by someone else
	suspect = 5,       // Fig. 12 note: masquerade key and server disagree
	bad_message = 6,
	unauthorized = 7,
	bad_version = 8,
	internal = 9,
};
const char *status_name(Status status);

// key_source: a RADIUS server's hook (roamctl station-key), which may only
// send station_key.
enum class Role : uint8_t { agent = 1, ctl = 2, key_source = 3 };

enum class DumpWhat : uint8_t { connections = 1, agents = 2, counters = 3, fam_table = 4, ham_table = 5, users = 6 };

// user_action. revoke: disconnect and refuse the user until reinstated (or
// for lifetime seconds); disconnect: end the user's sessions and keys only,
// as a RADIUS Disconnect-Request does; reinstate: lift a revocation.
enum class UserAction : uint8_t { revoke = 1, reinstate = 2, disconnect = 3 };
const char *user_action_name(UserAction a);
// The past participle, for audit lines and answers: "revoked".
const char *user_action_done(UserAction a);

// Attribute types (docs/protocol.md). Records nest the scalar attributes.
enum class Attr : uint16_t {
	status = 1,
	agent_id = 2,
	text = 3,
	ham_agent = 4,
	agent_addr = 5,
	client_addr = 6,
	proto = 7,
	client = 8,
	server = 9,
	masq = 10,
	fam = 11,
	flags = 12,
	generation = 13,
	count = 14,
	role = 15,
	what = 16,
	fam_record = 17,     // agent_id, fam; repeatable
	conn_record = 18,    // proto, client, server, masq, ham_agent, generation, fam_record*; repeatable
	agent_record = 19,   // agent_id, agent_addr, count, value64; repeatable
	counter_record = 20, // text, value64; repeatable
	value64 = 21,
	instance = 22,
	mac = 23, // a station's link-layer address
	user = 24,        // the authenticated user (the RADIUS User-Name of the Access-Accept)
	auth_method = 25, // the EAP method that authenticated it ("PEAP", "TTLS", ...)
	user_record = 26, // mac, user, agent_id, auth_method, value64; repeatable
	pmk = 27,         // a station's pairwise master key, 32 to 64 bytes (TLS only)
	lifetime = 28,    // seconds a key stays usable
	action = 29,      // a UserAction
	// The RADIUS server's authorization (RFC 2865/4849 attributes of the
	// Access-Accept) and the policy the coordinator made of it.
	filter_id = 30,       // Filter-Id: a policy's name
	rule = 31,            // NAS-Filter-Rule: one filter rule (filter_rule.hpp); repeatable
	session_timeout = 32, // Session-Timeout, seconds
	vlan = 33,            // Tunnel-Private-Group-Id
	radius_class = 34,    // Class, as the RADIUS server printed it
	verdict = 35,         // a RuleAction: a policy's default
	frame = 36,           // ft_frame: one whole Ethernet frame, header included
	mobility_domain = 37, // 802.11r MDID, 16 bits
	ft_key = 38,          // the key holders' shared 256-bit key (TLS only)
	keepalive_ms = 39,    // hello_ack: how often the agent sends keepalive
	dead_after_ms = 40,   // hello_ack: silence after which either end gives the session up
	masq_addr = 41,       // a masquerade address; repeatable
};
inline constexpr uint16_t kMaxAttr = 41;
inline constexpr size_t kMaxMasqAddrs = 64;
inline constexpr size_t kMinPmk = 32, kMaxPmk = 64;
const char *attr_name(Attr a);

using AttrSet = uint64_t;
constexpr AttrSet attrs(std::initializer_list<Attr> list)
{
	AttrSet set = 0;
	for (Attr a : list)
		set |= AttrSet(1) << unsigned(a);
	return set;
}
constexpr bool has(AttrSet set, Attr a) { return set & (AttrSet(1) << unsigned(a)); }

struct Message;

// One row per message type; encode, decode, validate and the agents' and
// roamctl's reply matching read these. A new message type is a row here
// plus its handler.
struct MessageSpec {
	MsgType type;
	const char *name;
	AttrSet required;
	AttrSet optional;
	// The request this type answers (a reply carries its request id).
	std::optional<MsgType> answers;
	// ham_designate is a request and, with a status, its own answer.
	bool reply_only_with_status = false;
	// What presence alone cannot say: returns what is missing, or empty.
	std::string (*more)(const Message &) = nullptr;
};
// nullptr for a type no row describes.
const MessageSpec *message_spec(MsgType type);
std::span<const MessageSpec> message_specs();

// Flag bits in Attr::flags.
inline constexpr uint32_t kFlagCombined = 1u << 0; // fam_request: Fig. 11 path allowed
inline constexpr uint32_t kFlagPush = 1u << 1;     // hello_ack: coordinator pushes new FAMs
inline constexpr uint32_t kFlagMore = 1u << 2;     // dump_reply: more frames follow
inline constexpr uint32_t kFlagResync = 1u << 3;   // ham_register/fam_request replayed after reconnect
inline constexpr uint32_t kFlagClientMoved = 1u << 4; // hello: this agent takes client_moved pushes
inline constexpr uint32_t kFlagStations = 1u << 5;    // hello_ack: client_arrived may carry a MAC alone
inline constexpr uint32_t kFlagUsers = 1u << 6;       // hello_ack: station_auth is taken
inline constexpr uint32_t kFlagKeys = 1u << 7;        // hello: this agent takes key_push
inline constexpr uint32_t kFlagFtRelay = 1u << 8;     // hello: this agent relays 802.11r frames (ft_frame)
inline constexpr uint32_t kFlagKeepalive = 1u << 9;   // hello: this agent sends keepalive when asked to
inline constexpr uint32_t kFlagLeases = 1u << 10;     // hello_ack: masq_addr lists every masquerade address the agent holds

using roamnat::ConnRecord;
using roamnat::FamRecord;

struct AgentRecord {
	std::string id;
	Address addr;
	uint32_t connected = 0;
	uint64_t requests = 0;
	friend bool operator==(const AgentRecord &, const AgentRecord &) = default;
};

// Fig. 15 1580b: which user a station is, where and how it last authenticated.
struct UserRecord {
	MacAddr mac;
	std::string user;
	std::string agent;  // the AP it authenticated at
	std::string method; // EAP method, empty when hostapd did not say
	uint64_t since = 0; // Unix time of that authentication, seconds
	std::string policy; // the filtering policy it is under, empty when none
	friend bool operator==(const UserRecord &, const UserRecord &) = default;
};

// 802.11r's key holders talk in Ethernet frames (ethertype 0x88b7, and
// 0x890d for FT over the DS) that do not cross routers; ft_frame carries
// them between APs byte for byte, the header included, since hostapd
// authenticates the source address.
struct EtherFrame {
	std::vector<uint8_t> bytes; // kMinEtherFrame or more: decode checks
	MacAddr dst() const { return mac_at(0); }
	MacAddr src() const { return mac_at(6); }
	uint16_t ethertype() const { return uint16_t(bytes[12] << 8 | bytes[13]); }
	friend bool operator==(const EtherFrame &, const EtherFrame &) = default;

private:
	MacAddr mac_at(size_t off) const
	{
		MacAddr m;
		std::copy_n(bytes.begin() + long(off), m.bytes.size(), m.bytes.begin());
		return m;
	}
};
inline constexpr size_t kMinEtherFrame = 14, kMaxEtherFrame = 2048;
// hostapd's RRB over the OUI ethertype (PMK-R1 pull, response, push) and
// the older RRB ethertype (FT-over-DS action frames).
inline constexpr uint16_t kEthPOui = 0x88b7, kEthPRrb = 0x890d;
constexpr bool is_ft_ethertype(uint16_t t) { return t == kEthPOui || t == kEthPRrb; }


struct CounterRecord {
	std::string name;
	uint64_t value = 0;
	friend bool operator==(const CounterRecord &, const CounterRecord &) = default;
};

// One struct for every message type: absent attributes stay empty, and
// validate() checks that a type's required attributes are present.
struct Message {
	MsgType type = MsgType::error;
	uint32_t request_id = 0;
	std::optional<Status> status;
	std::optional<std::string> agent_id;
	std::optional<std::string> text;
	std::optional<std::string> ham_agent;
	std::optional<Address> agent_addr;
	std::optional<Address> client_addr;
	std::optional<L4> proto;
	std::optional<Endpoint> client;
	std::optional<Endpoint> server;
	std::optional<Endpoint> masq;
	std::optional<Endpoint> fam;
	std::optional<uint32_t> flags;
	std::optional<uint32_t> generation;
	std::optional<uint32_t> count;
	std::optional<uint64_t> instance; // hello: changes when an agent restarts with empty tables
	std::optional<Role> role;
	std::optional<DumpWhat> what;
	std::optional<MacAddr> mac;
	std::optional<std::string> user;
	std::optional<std::string> auth_method;
	std::optional<SecretBytes> pmk;
	std::optional<uint32_t> lifetime;
	std::optional<UserAction> action;
	std::optional<std::string> filter_id;
	std::optional<uint32_t> session_timeout;
	std::optional<std::string> vlan;
	std::optional<std::string> radius_class;
	std::optional<RuleAction> verdict;
	std::optional<EtherFrame> frame;
	std::optional<uint32_t> mobility_domain;
	std::optional<SecretBytes> ft_key;
	std::optional<uint32_t> keepalive_ms;
	std::optional<uint32_t> dead_after_ms;
	std::vector<FilterRule> rules; // in order: the first that matches decides
	std::vector<Address> masq_addrs;
	std::vector<FamRecord> fams;
	std::vector<ConnRecord> conns;
	std::vector<AgentRecord> agents;
	std::vector<CounterRecord> counters;
	std::vector<UserRecord> users;

	bool has_flag(uint32_t bit) const { return flags && (*flags & bit); }
	std::optional<FlowKey> flow() const;
	std::optional<MasqKey> masq_key() const;
	friend bool operator==(const Message &, const Message &) = default;
};

struct DecodeError {
	Status status = Status::bad_message; // what the receiver answers with
	std::string what;
};

// Encodes header and attributes, length prefix included (wiped when freed:
// a frame may carry a key).
WireBytes encode(const Message &msg);

// Decodes one frame body (after the length prefix). Never throws; every
// length is checked against the buffer before it is read.
std::optional<Message> decode(std::span<const uint8_t> body, DecodeError &err);

// Returns a description of what a message of its type lacks, or empty.
std::string validate(const Message &msg);

// The request a message answers, or nullopt for a request or a push.
std::optional<MsgType> answers(const Message &msg);

// Given the first bytes of a stream, how long the next frame body is;
// nullopt until four bytes are available. Sets err when the length is illegal.
std::optional<size_t> peek_frame_length(std::span<const uint8_t> buffered, DecodeError &err);

} // namespace roamnat::proto
