#include "icmp_translate.hpp"

#include "packet_info.hpp"

#include <optional>

namespace roamnat {

namespace {

uint16_t rd16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t *p) { return uint32_t(rd16(p)) << 16 | rd16(p + 2); }
void wr16(uint8_t *p, uint16_t v)
{
	p[0] = uint8_t(v >> 8);
	p[1] = uint8_t(v);
}
void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, uint16_t(v >> 16));
	wr16(p + 2, uint16_t(v));
}

// The Internet checksum (RFC 1071) of a span, as stored.
uint16_t checksum(std::span<const uint8_t> b)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < b.size(); i += 2)
		sum += rd16(&b[i]);
	if (b.size() & 1)
		sum += uint32_t(b.back()) << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return uint16_t(~sum);
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing.
void adjust(uint8_t *csum, uint16_t from, uint16_t to)
{
	uint32_t sum = uint16_t(~rd16(csum)) + uint16_t(~from) + uint32_t(to);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(csum, uint16_t(~sum));
}
void adjust32(uint8_t *csum, uint32_t from, uint32_t to)
{
	adjust(csum, uint16_t(from >> 16), uint16_t(to >> 16));
	adjust(csum, uint16_t(from), uint16_t(to));
}

std::optional<Endpoint> find(const std::map<FlowKey, Endpoint> &m, const FlowKey &k)
{
	auto it = m.find(k);
	return it == m.end() ? std::nullopt : std::optional(it->second);
}

IcmpOutcome malformed(std::string &why, const char *what)
{
	why = what;
	return IcmpOutcome::malformed;
}

IcmpOutcome not_ours(std::string &why, const char *what)
{
	why = what;
	return IcmpOutcome::not_ours;
}

} // namespace

IcmpOutcome translate_icmp_error(std::span<uint8_t> pkt, IcmpOrigin origin, const IcmpTables &tables,
				 PortRange masquerade_ports, std::string &why)
{
	if (pkt.size() < 20 || (pkt[0] >> 4) != 4)
		return malformed(why, "not an IPv4 packet");
	size_t ihl = size_t(pkt[0] & 0x0f) * 4;
	size_t total = rd16(&pkt[2]);
	if (ihl < 20 || total > pkt.size() || total < ihl + 8)
		return malformed(why, "IPv4 lengths do not hold an ICMP header");
	if (pkt[9] != 1 || !is_icmp_error(pkt[ihl]))
		return not_ours(why, "not an ICMP error");
	if (rd16(&pkt[6]) & 0x3fff)
		return not_ours(why, "a fragment (not reassembled)");
	auto p = pkt.first(total);
	const size_t in = ihl + 8; // the quoted packet
	if (total < in + 20 || (p[in] >> 4) != 4)
		return malformed(why, "the quote is shorter than an IPv4 header");
	size_t in_ihl = size_t(p[in] & 0x0f) * 4;
	const size_t l4 = in + in_ihl;
	// RFC 792: the quote holds the header and at least 8 bytes past it.
	if (in_ihl < 20 || total < l4 + 8)
		return malformed(why, "the quoted header's length runs past the quote");
	if (rd16(&p[in + 6]) & 0x1fff)
		return not_ours(why, "quotes a non-first fragment");

	// The quoted "ports", as PacketInfo gives them: an echo's identifier is on
	// one side, the other has none (nullptr).
	uint8_t *qsport = nullptr, *qdport = nullptr;
	uint8_t *l4sum = nullptr;
	bool pseudo = true;
	auto proto = l4_from_number(p[in + 9]);
	if (!proto)
		return not_ours(why, "quotes a protocol roamnat does not translate");
	switch (*proto) {
	case L4::tcp:
		qsport = &p[l4];
		qdport = &p[l4 + 2];
		if (total >= l4 + 18)
			l4sum = &p[l4 + 16];
		break;
	case L4::udp:
		qsport = &p[l4];
		qdport = &p[l4 + 2];
		if (rd16(&p[l4 + 6]))
			l4sum = &p[l4 + 6];
		break;
	case L4::icmp:
		if (p[l4] == kIcmpEchoRequest)
			qsport = &p[l4 + 4];
		else if (p[l4] == kIcmpEchoReply)
			qdport = &p[l4 + 4];
		else
			return not_ours(why, "quotes ICMP other than echo");
		l4sum = &p[l4 + 2];
		pseudo = false;
		break;
	}
	Endpoint qsrc{Ipv4{rd32(&p[in + 12])}, qsport ? rd16(qsport) : uint16_t(0)};
	Endpoint qdst{Ipv4{rd32(&p[in + 16])}, qdport ? rd16(qdport) : uint16_t(0)};
	FlowKey reversed{*proto, qdst, qsrc};

	std::optional<Endpoint> to;
	bool outbound = origin == IcmpOrigin::client;
	switch (origin) {
	case IcmpOrigin::client:
		to = find(tables.out, reversed);
		break;
	case IcmpOrigin::network:
		to = find(tables.in, reversed);
		break;
	case IcmpOrigin::this_host:
		if ((to = find(tables.out, reversed)))
			outbound = true;
		else if (!(to = find(tables.sent, FlowKey{*proto, qsrc, qdst})))
			to = find(tables.in, reversed);
		break;
	}
	if (!to) {
		why = "quotes " + FlowKey{*proto, qsrc, qdst}.str() + ", which no entry translates";
		return qsport && masquerade_ports.contains(qsrc.port) ? IcmpOutcome::unknown : IcmpOutcome::not_ours;
	}

	// Outbound: the quoted destination becomes the masquerade, and so does
	// the outer source unless this host sent it. Inbound: the quoted source
	// and the outer destination become the next hop.
	uint8_t *qaddr = &p[in + (outbound ? 16 : 12)];
	uint8_t *qport = outbound ? qdport : qsport;
	if (l4sum && pseudo)
		adjust32(l4sum, rd32(qaddr), to->addr.value);
	if (l4sum && qport)
		adjust(l4sum, rd16(qport), to->port);
	if (l4sum && *proto == L4::udp && !rd16(l4sum))
		wr16(l4sum, 0xffff); // 0 would say "no checksum"
	adjust32(&p[in + 10], rd32(qaddr), to->addr.value);
	wr32(qaddr, to->addr.value);
	if (qport)
		wr16(qport, to->port);
	if (!outbound || origin != IcmpOrigin::this_host) {
		wr32(&p[outbound ? 12 : 16], to->addr.value);
		wr16(&p[10], 0);
		wr16(&p[10], checksum(p.first(ihl)));
	}
	wr16(&p[ihl + 2], 0);
	wr16(&p[ihl + 2], checksum(p.subspan(ihl)));
	why.clear();
	return IcmpOutcome::translated;
}

} // namespace roamnat
