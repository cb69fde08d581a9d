#include "link_monitor.hpp"

#include "../common/log.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <vector>

namespace roamnat {

namespace {
// mnl_attr_for_each() relies on C's implicit void* conversion.
std::vector<const nlattr *> attributes(const nlmsghdr *nlh, size_t offset)
{
	std::vector<const nlattr *> out;
	auto *attr = static_cast<const nlattr *>(mnl_nlmsg_get_payload_offset(nlh, offset));
	auto *tail = static_cast<const char *>(mnl_nlmsg_get_payload_tail(nlh));
	while (mnl_attr_ok(attr, int(tail - reinterpret_cast<const char *>(attr)))) {
		out.push_back(attr);
		attr = mnl_attr_next(attr);
	}
	return out;
}
} // namespace

bool LinkMonitor::open(EventLoop &loop, Handlers handlers, std::string &error)
{
	h_ = std::move(handlers);
	nl_.reset(mnl_socket_open(NETLINK_ROUTE));
	if (!nl_ || mnl_socket_bind(nl_.get(), RTMGRP_LINK | RTMGRP_NEIGH, MNL_SOCKET_AUTOPID) < 0) {
		error = std::string("cannot open rtnetlink: ") + strerror(errno);
		return false;
	}
	loop.add(mnl_socket_get_fd(nl_.get()), EPOLLIN, [this](uint32_t) { readable(); });
	return true;
}

void LinkMonitor::readable()
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	for (int i = 0; i < 64; ++i) {
		ssize_t n = recv(mnl_socket_get_fd(nl_.get()), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS)
				log_warn("rtnetlink overflow: some link events were lost");
			return;
		}
		auto *nlh = reinterpret_cast<nlmsghdr *>(buf);
		int len = int(n);
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK) {
				auto *ifi = static_cast<ifinfomsg *>(mnl_nlmsg_get_payload(nlh));
				std::string name;
				for (const nlattr *attr : attributes(nlh, sizeof(*ifi))) {
					if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
						name = mnl_attr_get_str(attr);
				}
				h_.link_exists(uint32_t(ifi->ifi_index), name, nlh->nlmsg_type == RTM_NEWLINK);
				bool carrier = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
				if (nlh->nlmsg_type == RTM_DELLINK || !(ifi->ifi_flags & IFF_UP))
					h_.link_gone(uint32_t(ifi->ifi_index), name);
				else if (carrier)
					h_.link_up(uint32_t(ifi->ifi_index), name);
			} else if (nlh->nlmsg_type == RTM_NEWNEIGH || nlh->nlmsg_type == RTM_DELNEIGH) {
				auto *nd = static_cast<ndmsg *>(mnl_nlmsg_get_payload(nlh));
				if (nd->ndm_family != AF_INET)
					continue;
				// Only a failed resolution means the client is gone: entries are also
				// deleted by garbage collection while their client is merely quiet.
				bool failed = nlh->nlmsg_type == RTM_NEWNEIGH && (nd->ndm_state & NUD_FAILED);
				bool seen = nlh->nlmsg_type == RTM_NEWNEIGH &&
					    (nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE));
				if (!failed && !seen)
					continue;
				std::optional<Address> addr;
				std::optional<MacAddr> mac;
				for (const nlattr *attr : attributes(nlh, sizeof(*nd))) {
					uint16_t len = mnl_attr_get_payload_len(attr);
					if (mnl_attr_get_type(attr) == NDA_DST && len == 4) {
						uint32_t a;
						memcpy(&a, mnl_attr_get_payload(attr), 4);
						addr = Ipv4{ntohl(a)};
					} else if (mnl_attr_get_type(attr) == NDA_LLADDR && len == 6) {
						mac.emplace();
						memcpy(mac->bytes.data(), mnl_attr_get_payload(attr), 6);
					}
				}
				if (addr && failed)
					h_.neighbour_failed(uint32_t(nd->ndm_ifindex), *addr);
				else if (addr)
					h_.neighbour_seen(uint32_t(nd->ndm_ifindex), *addr, mac);
			}
		}
	}
}

} // namespace roamnat
