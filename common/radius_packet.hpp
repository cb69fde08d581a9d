// RADIUS packets (RFC 2865 section 3) as a Dynamic Authorization Server
// receives and answers them (RFC 5176): the layout, the Request and
// Response Authenticators, and Message-Authenticator (RFC 3579 3.2). Only
// what a DAS needs; nothing here trusts a length it has not checked.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roamnat::radius {

enum class Code : uint8_t {
	disconnect_request = 40,
	disconnect_ack = 41,
	disconnect_nak = 42,
	coa_request = 43,
	coa_ack = 44,
	coa_nak = 45,
};

namespace attr {
inline constexpr uint8_t user_name = 1;
inline constexpr uint8_t nas_ip_address = 4;
inline constexpr uint8_t calling_station_id = 31;
inline constexpr uint8_t nas_identifier = 32;
inline constexpr uint8_t proxy_state = 33;
inline constexpr uint8_t acct_session_id = 44;
inline constexpr uint8_t event_timestamp = 55;
inline constexpr uint8_t message_authenticator = 80;
inline constexpr uint8_t error_cause = 101;
} // namespace attr

// RFC 5176 3.6.
namespace error_cause {
inline constexpr uint32_t unsupported_attribute = 401;
inline constexpr uint32_t missing_attribute = 402;
inline constexpr uint32_t invalid_request = 404;
inline constexpr uint32_t unsupported_service = 405;
inline constexpr uint32_t session_context_not_found = 503;
} // namespace error_cause

inline constexpr size_t kHeader = 20, kMinLength = 20, kMaxLength = 4096;
using Authenticator = std::array<uint8_t, 16>;

struct Attribute {
	uint8_t type = 0;
	std::vector<uint8_t> value;
	std::string text() const { return {value.begin(), value.end()}; }
};

struct Packet {
	Code code = Code::disconnect_request;
	uint8_t id = 0;
	Authenticator authenticator{};
	std::vector<Attribute> attrs;

	// The first attribute of the type, or nullptr.
	const Attribute *find(uint8_t type) const;
	size_t count(uint8_t type) const;
};

// The layout alone: the header's length within the datagram (octets past it
// are padding, RFC 2865 3), every attribute's length at least 2 and within
// the packet. why: what is wrong.
std::optional<Packet> parse(std::span<const uint8_t> datagram, std::string &why);

// A CoA or Disconnect-Request's Request Authenticator (RFC 5176 3.5:
// MD5 over the packet with 16 zero octets in its place, then the secret)
// and, when present, its Message-Authenticator (HMAC-MD5 over the packet
// with zeros in the authenticator and in its own value). The datagram as
// received, its length as the header says.
bool verify_request(std::span<const uint8_t> datagram, std::string_view secret, std::string &why);

// A request the way a Dynamic Authorization Client builds one (for tests,
// and for the fuzzer's corpus): with Message-Authenticator first.
std::vector<uint8_t> encode_request(const Packet &request, std::string_view secret);

// An ACK or NAK to the request whose authenticator is request_auth: with
// Message-Authenticator first, then the Response Authenticator over it all.
std::vector<uint8_t> encode_response(const Packet &response, const Authenticator &request_auth,
				     std::string_view secret);

} // namespace roamnat::radius
