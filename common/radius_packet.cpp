#include "radius_packet.hpp"

#include <algorithm>
#include <cstring>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace roamnat::radius {
namespace {

constexpr size_t kMessageAuthLength = 2 + 16;

Authenticator md5(std::span<const uint8_t> a, std::string_view secret)
{
	Authenticator out{};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	if (ctx && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 && EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
	    EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1)
		EVP_DigestFinal_ex(ctx, out.data(), &len);
	EVP_MD_CTX_free(ctx);
	return out;
}

Authenticator hmac_md5(std::span<const uint8_t> data, std::string_view secret)
{
	Authenticator out{};
	unsigned len = 0;
	HMAC(EVP_md5(), secret.data(), int(secret.size()), data.data(), data.size(), out.data(), &len);
	return out;
}

bool same(const uint8_t *a, const uint8_t *b) { return CRYPTO_memcmp(a, b, 16) == 0; }

// Where the Message-Authenticator's value sits in a packet, or 0.
size_t message_auth_at(std::span<const uint8_t> packet)
{
	for (size_t at = kHeader; at + 2 <= packet.size() && packet[at + 1] >= 2; at += packet[at + 1])
		if (packet[at] == attr::message_authenticator && packet[at + 1] == kMessageAuthLength)
			return at + 2;
	return 0;
}

std::vector<uint8_t> layout(const Packet &p, const Authenticator &auth, bool with_message_auth)
{
	std::vector<uint8_t> out(kHeader);
	out[0] = uint8_t(p.code);
	out[1] = p.id;
	std::copy(auth.begin(), auth.end(), out.begin() + 4);
	if (with_message_auth) {
		out.push_back(attr::message_authenticator);
		out.push_back(uint8_t(kMessageAuthLength));
		out.insert(out.end(), 16, 0);
	}
	for (const auto &a : p.attrs) {
		if (a.type == attr::message_authenticator)
			continue;
		size_t len = std::min<size_t>(a.value.size(), 253);
		out.push_back(a.type);
		out.push_back(uint8_t(2 + len));
		out.insert(out.end(), a.value.begin(), a.value.begin() + long(len));
	}
	out[2] = uint8_t(out.size() >> 8);
	out[3] = uint8_t(out.size());
	return out;
}

} // namespace

const Attribute *Packet::find(uint8_t type) const
{
	for (const auto &a : attrs)
		if (a.type == type)
			return &a;
	return nullptr;
}

size_t Packet::count(uint8_t type) const
{
	return size_t(std::count_if(attrs.begin(), attrs.end(), [&](const Attribute &a) { return a.type == type; }));
}

std::optional<Packet> parse(std::span<const uint8_t> d, std::string &why)
{
	if (d.size() < kMinLength) {
		why = "shorter than a RADIUS header (" + std::to_string(d.size()) + " bytes)";
		return std::nullopt;
	}
	size_t len = size_t(d[2]) << 8 | d[3];
	if (len < kMinLength || len > kMaxLength || len > d.size()) {
		why = "length field " + std::to_string(len) + " does not fit the " + std::to_string(d.size()) +
		      "-byte datagram";
		return std::nullopt;
	}
	Packet p;
	p.code = Code(d[0]);
	p.id = d[1];
	std::copy(d.begin() + 4, d.begin() + 20, p.authenticator.begin());
	for (size_t at = kHeader; at < len;) {
		if (at + 2 > len || d[at + 1] < 2 || at + d[at + 1] > len) {
			why = "attribute at offset " + std::to_string(at) + " overruns the packet";
			return std::nullopt;
		}
		p.attrs.push_back({d[at], std::vector<uint8_t>(d.begin() + long(at) + 2, d.begin() + long(at) + d[at + 1])});
		at += d[at + 1];
	}
	return p;
}

bool verify_request(std::span<const uint8_t> d, std::string_view secret, std::string &why)
{
	size_t len = d.size() >= 4 ? (size_t(d[2]) << 8 | d[3]) : 0;
	if (len < kMinLength || len > d.size()) {
		why = "bad length";
		return false;
	}
	std::vector<uint8_t> copy(d.begin(), d.begin() + long(len));
	std::fill(copy.begin() + 4, copy.begin() + 20, 0);
	if (!same(md5(copy, secret).data(), d.data() + 4)) {
		why = "Request Authenticator does not match (wrong secret?)";
		return false;
	}
	if (size_t at = message_auth_at(copy)) {
		Authenticator got;
		std::copy(copy.begin() + long(at), copy.begin() + long(at) + 16, got.begin());
		std::fill(copy.begin() + long(at), copy.begin() + long(at) + 16, 0);
		if (!same(hmac_md5(copy, secret).data(), got.data())) {
			why = "Message-Authenticator does not match";
			return false;
		}
	}
	return true;
}

namespace {
// RFC 5176 3.5: the Message-Authenticator is computed with the authenticator
// field holding request_auth (zeros for a request), then the field is
// overwritten with MD5(packet with request_auth + secret).
std::vector<uint8_t> sign(const Packet &p, const Authenticator &request_auth, std::string_view secret)
{
	std::vector<uint8_t> out = layout(p, request_auth, true);
	Authenticator ma = hmac_md5(out, secret);
	std::copy(ma.begin(), ma.end(), out.begin() + kHeader + 2);
	Authenticator auth = md5(out, secret);
	std::copy(auth.begin(), auth.end(), out.begin() + 4);
	return out;
}
} // namespace

std::vector<uint8_t> encode_request(const Packet &request, std::string_view secret)
{
	return sign(request, Authenticator{}, secret);
}

std::vector<uint8_t> encode_response(const Packet &response, const Authenticator &request_auth,
				     std::string_view secret)
{
	return sign(response, request_auth, secret);
}

} // namespace roamnat::radius
