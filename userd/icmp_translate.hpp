// ICMP errors about translated flows, rewritten in roamd for the nftables
// back end, which cannot reach into the quoted packet (roamnat.ko does the
// same in the kernel: kmod/icmp.c). The quoted header is translated like the
// packet it answers, outer address included, so that client and server each
// find their socket and path-MTU discovery and traceroute work through a
// HAM and after a roam.
#pragma once

#include "../common/endpoint.hpp"

#include <cstdint>
#include <map>
#include <span>
#include <string>

namespace roamnat {

// The data plane's entries as committed, keyed by a packet's (protocol,
// source, destination) as it arrives; FlowKey's client field is the source.
struct IcmpTables {
	std::map<FlowKey, Endpoint> out;  // fam_out, direct: client -> server gives the masquerade
	std::map<FlowKey, Endpoint> in;   // ham and fam_in: server -> masquerade or FAM gives the next hop
	std::map<FlowKey, Endpoint> sent; // fam_out as sent: masquerade -> server gives the client
};

enum class IcmpOrigin {
	client,    // arrived on a client interface, forwarded
	network,   // arrived from elsewhere, addressed to this host
	this_host, // sent by this host (LOCAL_OUT)
};

enum class IcmpOutcome {
	translated,
	not_ours,  // not an error, or quotes nothing roamnat translates: leave it
	unknown,   // quotes a masquerade port no entry has: forged or stale
	malformed, // the headers or the quote cannot be read
};

// Rewrites pkt, a whole IPv4 packet, in place and fixes every checksum it
// touches. An error travels opposite to the packet it quotes, so the quote
// is looked up reversed:
//  - from a client (server -> client quoted): `out` gives the masquerade, the
//    new outer source and quoted destination (Fig. 6 650 applied to it);
//  - from the network (masquerade or FAM -> server quoted): `in` gives the
//    next hop, the new outer destination and quoted source (Fig. 7 735, 760);
//  - from this host: as from a client, but the outer source stays this
//    host's; or, about a packet this host translated outbound (masquerade ->
//    server quoted), `sent` gives the client, which becomes the outer
//    destination and the quoted source (then `in`, where this host is HAM).
IcmpOutcome translate_icmp_error(std::span<uint8_t> pkt, IcmpOrigin origin, const IcmpTables &tables,
				 PortRange masquerade_ports, std::string &why);

} // namespace roamnat
