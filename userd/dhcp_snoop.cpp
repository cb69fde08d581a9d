#include "dhcp_snoop.hpp"

#include "../common/log.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace roamnat {
namespace {

// In the kernel, before a copy is made: IPv4 leaving this host, UDP, not a
// fragment, to port 67 or 68. Offsets are from the network header (a
// SOCK_DGRAM packet socket), so any link type works. Every failed test
// jumps to the last instruction.
const sock_filter kFilter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, uint32_t(SKF_AD_OFF + SKF_AD_PKTTYPE)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 11),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, uint32_t(SKF_AD_OFF + SKF_AD_PROTOCOL)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 9),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9), // protocol
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 7),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6), // flags, fragment offset
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 5, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), // X = IP header length
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),  // UDP destination port
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

} // namespace

DhcpSnoop::~DhcpSnoop()
{
	if (loop_ && fd_)
		loop_->remove(fd_.get());
}

bool DhcpSnoop::open(EventLoop &loop, Handler h, std::string &error)
{
	fd_.reset(socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL)));
	if (!fd_) {
		error = std::string("DHCP snooping: packet socket: ") + strerror(errno) +
			" (roamd needs CAP_NET_RAW for it, or set dhcp_snooping = no)";
		return false;
	}
	sock_fprog prog{uint16_t(std::size(kFilter)), const_cast<sock_filter *>(kFilter)};
	if (setsockopt(fd_.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
		error = std::string("DHCP snooping: attaching its filter: ") + strerror(errno);
		return false;
	}
	h_ = std::move(h);
	loop_ = &loop;
	return loop.add(fd_.get(), EPOLLIN, [this](uint32_t) { readable(); });
}

void DhcpSnoop::readable()
{
	uint8_t buf[2048];
	// Bounded: a flood of DHCP cannot starve the rest of the loop.
	for (int i = 0; i < 64; ++i) {
		sockaddr_ll from{};
		socklen_t len = sizeof from;
		ssize_t n = recvfrom(fd_.get(), buf, sizeof buf, MSG_TRUNC, reinterpret_cast<sockaddr *>(&from), &len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("DHCP snooping: ", strerror(errno));
			return;
		}
		if (from.sll_pkttype != PACKET_OUTGOING)
			continue;
		std::string why;
		auto m = parse_dhcp({buf, std::min(size_t(n), sizeof buf)}, why);
		if (!m) {
			++malformed_;
			log_debug("DHCP snooping: ignored a packet leaving ifindex ", from.sll_ifindex, ": ", why);
			continue;
		}
		h_(*m, uint32_t(from.sll_ifindex));
	}
}

} // namespace roamnat
