#include "ft_link.hpp"

#include "../common/log.hpp"
#include "../common/protocol.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace roamnat {
namespace {

// In the kernel: frames arriving from hostapd (not the ones roamd writes,
// which a packet socket sees leave), of the two 802.11r ethertypes.
const sock_filter kFilter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, uint32_t(SKF_AD_OFF + SKF_AD_PKTTYPE)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 3, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, uint32_t(SKF_AD_OFF + SKF_AD_PROTOCOL)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, proto::kEthPOui, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, proto::kEthPRrb, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 0),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
};

} // namespace

FtLink::~FtLink()
{
	if (loop_ && fd_)
		loop_->remove(fd_.get());
}

bool FtLink::open(EventLoop &loop, const std::string &ifname, Handler h, std::string &error)
{
	ifname_ = ifname;
	unsigned ifindex = if_nametoindex(ifname.c_str());
	if (ifindex == 0) {
		error = "ft_relay = " + ifname + ": no such interface (the veth peer of hostapd's bridge=)";
		return false;
	}
	fd_.reset(socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	if (!fd_) {
		error = std::string("ft_relay: packet socket: ") + strerror(errno) + " (roamd needs CAP_NET_RAW for it)";
		return false;
	}
	sock_fprog prog{uint16_t(std::size(kFilter)), const_cast<sock_filter *>(kFilter)};
	if (setsockopt(fd_.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
		error = std::string("ft_relay: attaching its filter: ") + strerror(errno);
		return false;
	}
	// Bound with the filter in place, so nothing else is ever queued.
	sockaddr_ll sll{};
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = int(ifindex);
	if (bind(fd_.get(), reinterpret_cast<sockaddr *>(&sll), sizeof sll) != 0) {
		error = "ft_relay: binding to " + ifname + ": " + strerror(errno);
		return false;
	}
	h_ = std::move(h);
	loop_ = &loop;
	return loop.add(fd_.get(), EPOLLIN, [this](uint32_t) { readable(); });
}

bool FtLink::deliver(std::span<const uint8_t> frame, std::string &error)
{
	if (send(fd_.get(), frame.data(), frame.size(), 0) == ssize_t(frame.size()))
		return true;
	error = "writing to " + ifname_ + ": " + strerror(errno);
	return false;
}

void FtLink::readable()
{
	uint8_t buf[proto::kMaxEtherFrame + 1];
	// Bounded: hostapd flooding the link cannot starve the rest of the loop.
	for (int i = 0; i < 64; ++i) {
		ssize_t n = recv(fd_.get(), buf, sizeof buf, MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("ft_relay ", ifname_, ": ", strerror(errno));
			return;
		}
		if (size_t(n) < proto::kMinEtherFrame || size_t(n) > proto::kMaxEtherFrame) {
			log_warn("ft_relay ", ifname_, ": a frame of ", n, " bytes from hostapd is not relayed (",
				 proto::kMinEtherFrame, " to ", proto::kMaxEtherFrame, " are)");
			continue;
		}
		h_({buf, size_t(n)});
	}
}

} // namespace roamnat
