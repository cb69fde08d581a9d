#include "nfqueue.hpp"

#include "../common/log.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <vector>
#include <libnetfilter_queue/libnetfilter_queue.h>

namespace roamnat {

namespace {
struct Ctx {
	NfQueue::Handler *handler;
};

int packet_cb(const nlmsghdr *nlh, void *data)
{
	nlattr *attr[NFQA_MAX + 1] = {};
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	auto *ph = static_cast<nfqnl_msg_packet_hdr *>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
	NfQueue::Packet p{};
	p.id = ntohl(ph->packet_id);
	p.hook = ph->hook;
	if (attr[NFQA_IFINDEX_INDEV])
		p.in_ifindex = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	if (attr[NFQA_PAYLOAD])
		p.payload = {static_cast<const uint8_t *>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
			     mnl_attr_get_payload_len(attr[NFQA_PAYLOAD])};
	(*static_cast<Ctx *>(data)->handler)(p);
	return MNL_CB_OK;
}
} // namespace

bool NfQueue::config(uint8_t cmd, bool params, uint32_t max_len, std::string &error)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, num_);
	if (cmd)
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, cmd);
	if (params) {
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, copy_range_);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, max_len);
		// GSO packets are queued whole rather than segmented in the kernel.
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	}
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0) {
		error = std::string("nfqueue config: ") + strerror(errno);
		return false;
	}
	char rx[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n = mnl_socket_recvfrom(nl_.get(), rx, sizeof(rx));
	if (n < 0 || mnl_cb_run(rx, size_t(n), 0, mnl_socket_get_portid(nl_.get()), nullptr, nullptr) < 0) {
		error = "binding NFQUEUE " + std::to_string(num_) + ": " + strerror(errno) +
			(errno == EBUSY ? " (another process holds this queue number)" : "");
		return false;
	}
	return true;
}

bool NfQueue::open(EventLoop &loop, uint16_t num, uint32_t max_len, Handler handler, std::string &error,
		   uint16_t copy_range)
{
	num_ = num;
	copy_range_ = copy_range;
	handler_ = std::move(handler);
	nl_.reset(mnl_socket_open(NETLINK_NETFILTER));
	if (!nl_ || mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
		error = std::string("cannot open nfnetlink for NFQUEUE: ") + strerror(errno);
		return false;
	}
	int one = 1;
	// ENOBUFS instead of silent loss tells us when the socket overflowed.
	mnl_socket_setsockopt(nl_.get(), NETLINK_NO_ENOBUFS, &one, sizeof(int));
	int rcvbuf = 4 << 20;
	setsockopt(mnl_socket_get_fd(nl_.get()), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (!config(NFQNL_CFG_CMD_BIND, false, 0, error) || !config(0, true, max_len, error))
		return false;
	loop.add(mnl_socket_get_fd(nl_.get()), EPOLLIN, [this](uint32_t) { readable(); });
	return true;
}

void NfQueue::readable()
{
	std::vector<char> buf(0xffff + (MNL_SOCKET_BUFFER_SIZE / 2));
	for (int i = 0; i < 256; ++i) {
		ssize_t n = recv(mnl_socket_get_fd(nl_.get()), buf.data(), buf.size(), MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("NFQUEUE ", num_, ": receive: ", strerror(errno));
			return;
		}
		Ctx ctx{&handler_};
		mnl_cb_run(buf.data(), size_t(n), 0, mnl_socket_get_portid(nl_.get()), packet_cb, &ctx);
	}
}

void NfQueue::verdict(uint32_t id, int verdict, std::span<const uint8_t> payload)
{
	// A packet handed back needs room; a plain verdict (every miss) does not.
	char small[256];
	std::vector<char> big(payload.empty() ? 0 : MNL_SOCKET_BUFFER_SIZE + payload.size());
	nlmsghdr *nlh = nfq_nlmsg_put(payload.empty() ? small : big.data(), NFQNL_MSG_VERDICT, num_);
	nfq_nlmsg_verdict_put(nlh, int(id), verdict);
	if (!payload.empty())
		nfq_nlmsg_verdict_put_pkt(nlh, payload.data(), uint32_t(payload.size()));
	if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0)
		log_warn("NFQUEUE ", num_, ": verdict for packet ", id, ": ", strerror(errno));
}

} // namespace roamnat
