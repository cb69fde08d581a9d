// A packet the data plane could not translate (Fig. 6 630 "no", Fig. 7 720
// "no"), as the data plane hands it to roamd: held in the kernel until roamd
// returns a verdict for it.
#pragma once

#include "packet_info.hpp"

#include <cstdint>
#include <functional>

namespace roamnat {

// Which flowchart the miss belongs to, as the data plane decided it: the
// kernel module and the nftables chains queue each kind to its own NFQUEUE.
enum class Direction {
	outbound, // from a client, no FAM record (Fig. 6)
	inbound,  // to a masquerade endpoint whose FAM is not known (Fig. 7)
};

// The handle a verdict is given for.
struct MissId {
	uint16_t queue = 0;
	uint32_t packet = 0;
	bool operator==(const MissId &) const = default;
};

enum class Verdict {
	accept, // continue as if roamnat had not seen it
	drop,
	repeat, // run the hook again: the packet takes the entries installed meanwhile
};

// NF_ACCEPT, NF_DROP or NF_REPEAT (miss_queues.cpp).
int nf_verdict(Verdict v);

struct Miss {
	MissId id;
	Direction way = Direction::outbound;
	uint32_t ifindex = 0; // the interface it arrived on
	// Protocol, addresses, ports, TCP flags; for an ICMP error those of the
	// quoted packet, reversed, so they key the error like a packet going the
	// way the error goes.
	PacketInfo packet;
	FlowKey flow() const { return {packet.proto, packet.src, packet.dst}; }
};

using MissHandler = std::function<void(const Miss &)>;

} // namespace roamnat
