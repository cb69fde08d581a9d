#include "masquerade_addresses.hpp"

#include "../common/log.hpp"
#include "mnl_socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <linux/rtnetlink.h>
#include <map>
#include <net/if.h>
#include <sys/socket.h>

namespace roamnat {

namespace {

using LocalAddresses = std::map<Address, uint32_t>; // address -> ifindex

int collect_address(const nlmsghdr *nlh, void *data)
{
	auto *ifa = static_cast<const ifaddrmsg *>(mnl_nlmsg_get_payload(nlh));
	if (ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	auto *attr = static_cast<const nlattr *>(mnl_nlmsg_get_payload_offset(nlh, sizeof(*ifa)));
	auto *tail = static_cast<const char *>(mnl_nlmsg_get_payload_tail(nlh));
	for (; mnl_attr_ok(attr, int(tail - reinterpret_cast<const char *>(attr))); attr = mnl_attr_next(attr)) {
		if (mnl_attr_get_type(attr) != IFA_LOCAL || mnl_attr_get_payload_len(attr) != 4)
			continue;
		uint32_t a;
		memcpy(&a, mnl_attr_get_payload(attr), 4);
		static_cast<LocalAddresses *>(data)->emplace(Ipv4{ntohl(a)}, ifa->ifa_index);
	}
	return MNL_CB_OK;
}

// Sends one request and reads until its ack or the end of its dump.
bool request(mnl_socket *nl, nlmsghdr *nlh, mnl_cb_t cb, void *data, std::string &error)
{
	nlh->nlmsg_seq = uint32_t(time(nullptr));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		error = strerror(errno);
		return false;
	}
	char buf[MNL_SOCKET_BUFFER_SIZE];
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			error = strerror(errno);
			return false;
		}
		int rc = mnl_cb_run(buf, size_t(n), nlh->nlmsg_seq, mnl_socket_get_portid(nl), cb, data);
		if (rc < 0) {
			error = strerror(errno);
			return false;
		}
		if (rc == MNL_CB_STOP)
			return true;
	}
}

} // namespace

bool place_masquerade_addresses(Address own, const std::vector<Address> &masq, std::string &error)
{
	if (masq.empty())
		return true;
	MnlSocket nl(mnl_socket_open(NETLINK_ROUTE));
	if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
		error = std::string("cannot open rtnetlink: ") + strerror(errno);
		return false;
	}
	char buf[MNL_SOCKET_BUFFER_SIZE];
	nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	auto *ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
	ifa->ifa_family = AF_INET;
	LocalAddresses local;
	std::string why;
	if (!request(nl.get(), nlh, collect_address, &local, why)) {
		error = "cannot list the local addresses: " + why;
		return false;
	}
	auto home = local.find(own);
	if (home == local.end()) {
		error = "address " + own.str() + " is not configured on any interface here";
		return false;
	}
	char ifname[IF_NAMESIZE] = "?";
	if_indextoname(home->second, ifname);
	for (Address a : masq) {
		if (auto it = local.find(a); it != local.end()) {
			char where[IF_NAMESIZE] = "?";
			if_indextoname(it->second, where);
			log_info("masquerade address ", a.str(), " is already on ", where);
			continue;
		}
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_NEWADDR;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
		ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = 32;
		ifa->ifa_scope = RT_SCOPE_UNIVERSE;
		ifa->ifa_index = home->second;
		uint32_t be = htonl(a.value);
		mnl_attr_put(nlh, IFA_LOCAL, 4, &be);
		mnl_attr_put(nlh, IFA_ADDRESS, 4, &be);
		if (!request(nl.get(), nlh, nullptr, nullptr, why)) {
			error = "cannot add masquerade address " + a.str() + "/32 to " + ifname + ": " + why;
			return false;
		}
		log_info("masquerade address ", a.str(), "/32 added to ", ifname);
	}
	return true;
}

} // namespace roamnat
