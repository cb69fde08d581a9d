#include "dhcp_messages.hpp"

#include <algorithm>

namespace roamnat {
namespace {

constexpr size_t kIpMin = 20, kUdpHeader = 8;
constexpr size_t kBootpFixed = 236; // op .. file, before the magic cookie
constexpr uint8_t kCookie[4] = {99, 130, 83, 99};
constexpr uint8_t kOptPad = 0, kOptEnd = 255, kOptLease = 51, kOptType = 53;

uint16_t rd16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t *p) { return uint32_t(rd16(p)) << 16 | rd16(p + 2); }

bool fail(std::string &why, const char *what)
{
	why = what;
	return false;
}

std::nullopt_t refuse(std::string &why, const char *what)
{
	why = what;
	return std::nullopt;
}

// Options after the cookie: type 53 is required, 51 is read when present.
bool read_options(std::span<const uint8_t> o, DhcpMessage &m, std::string &why)
{
	bool have_type = false;
	size_t i = 0;
	while (i < o.size()) {
		uint8_t code = o[i];
		if (code == kOptPad) {
			++i;
			continue;
		}
		if (code == kOptEnd)
			break;
		if (o.size() - i < 2 || o[i + 1] > o.size() - i - 2)
			return fail(why, "an option overruns the message");
		auto v = o.subspan(i + 2, o[i + 1]);
		if (code == kOptType) {
			if (v.size() != 1 || v[0] < 1 || v[0] > 8)
				return fail(why, "message type option (53) is malformed or unknown");
			m.type = DhcpMessage::Type(v[0]);
			have_type = true;
		} else if (code == kOptLease && v.size() == 4) {
			m.lease = rd32(v.data());
		}
		i += 2 + v.size();
	}
	return have_type || fail(why, "no message type option (53): BOOTP, not DHCP");
}

} // namespace

const char *dhcp_type_name(DhcpMessage::Type t)
{
	static const char *const names[] = {"DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"};
	unsigned i = unsigned(t) - 1;
	return i < std::size(names) ? names[i] : "unknown";
}

std::optional<DhcpMessage> parse_dhcp(std::span<const uint8_t> p, std::string &why)
{
	if (p.size() < kIpMin || p[0] >> 4 != 4)
		return refuse(why, "not an IPv4 packet");
	size_t ihl = size_t(p[0] & 0x0f) * 4;
	size_t total = rd16(&p[2]);
	if (ihl < kIpMin || total < ihl || total > p.size())
		return refuse(why, "IPv4 header or total length inconsistent");
	if (rd16(&p[6]) & 0x3fff)
		return refuse(why, "a fragment");
	if (p[9] != 17 || total - ihl < kUdpHeader)
		return refuse(why, "not UDP");
	auto udp = p.subspan(ihl, total - ihl);
	uint16_t sport = rd16(&udp[0]), dport = rd16(&udp[2]);
	size_t ulen = rd16(&udp[4]);
	bool ports = (sport == 67 && dport == 68) || (sport == 68 && dport == 67) || (sport == 67 && dport == 67);
	if (!ports)
		return refuse(why, "not between the DHCP ports 67 and 68");
	if (ulen < kUdpHeader || ulen > udp.size())
		return refuse(why, "UDP length inconsistent");
	auto b = udp.subspan(kUdpHeader, ulen - kUdpHeader);
	if (b.size() < kBootpFixed + sizeof(kCookie))
		return refuse(why, "shorter than a BOOTP message");
	if (b[0] != 1 && b[0] != 2)
		return refuse(why, "BOOTP op is neither request nor reply");
	if (b[1] != 1 || b[2] != 6)
		return refuse(why, "hardware address is not Ethernet (htype 1, hlen 6)");
	if (!std::equal(std::begin(kCookie), std::end(kCookie), b.begin() + kBootpFixed))
		return refuse(why, "no DHCP magic cookie");
	DhcpMessage m;
	m.reply = b[0] == 2;
	m.yiaddr = Address{rd32(&b[16])};
	std::copy_n(b.begin() + 28, 6, m.client.bytes.begin());
	if (!read_options(b.subspan(kBootpFixed + sizeof(kCookie)), m, why))
		return std::nullopt;
	return m;
}

} // namespace roamnat
