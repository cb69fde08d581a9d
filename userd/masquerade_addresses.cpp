#include "masquerade_addresses.hpp"

#include "../common/log.hpp"
#include "../common/unique_fd.hpp"
#include "mnl_socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <linux/if_ether.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <linux/rtnetlink.h>
#include <map>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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
bool request(nlmsghdr *nlh, mnl_cb_t cb, void *data, std::string &error)
{
	MnlSocket nl(mnl_socket_open(NETLINK_ROUTE));
	if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
		error = std::string("cannot open rtnetlink: ") + strerror(errno);
		return false;
	}
	nlh->nlmsg_seq = uint32_t(time(nullptr));
	if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) {
		error = strerror(errno);
		return false;
	}
	char buf[MNL_SOCKET_BUFFER_SIZE];
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl.get(), buf, sizeof(buf));
		if (n < 0) {
			error = strerror(errno);
			return false;
		}
		int rc = mnl_cb_run(buf, size_t(n), nlh->nlmsg_seq, mnl_socket_get_portid(nl.get()), cb, data);
		if (rc < 0) {
			error = strerror(errno);
			return false;
		}
		if (rc == MNL_CB_STOP)
			return true;
	}
}

bool local_addresses(LocalAddresses &out, std::string &error)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	auto *ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
	ifa->ifa_family = AF_INET;
	if (request(nlh, collect_address, &out, error))
		return true;
	error = "cannot list the local addresses: " + error;
	return false;
}

std::string if_name(uint32_t ifindex)
{
	char name[IF_NAMESIZE] = "?";
	if_indextoname(ifindex, name);
	return name;
}

} // namespace

bool MasqueradeAddresses::start(Address own, const std::vector<Address> &home, std::string &error)
{
	LocalAddresses local;
	if (!local_addresses(local, error))
		return false;
	auto at = local.find(own);
	if (at == local.end() && home.empty()) {
		log_warn("address ", own.str(), " is not on any interface here: this agent cannot take over ",
			 "another's masquerade addresses");
		return true;
	}
	if (at == local.end()) {
		error = "address " + own.str() + " is not configured on any interface here (masquerade_addresses go on "
			"its interface)";
		return false;
	}
	ifindex_ = at->second;
	ifname_ = if_name(ifindex_);
	for (Address a : home)
		if (auto it = local.find(a); it != local.end()) {
			found_.insert(a);
			log_info("masquerade address ", a.str(), " is already on ", if_name(it->second));
		} else
			log_info("masquerade address ", a.str(), " goes on ", ifname_, " once the coordinator confirms it");
	return true;
}


bool MasqueradeAddresses::add(Address a, std::string &error)
{
	LocalAddresses local;
	if (!local_addresses(local, error))
		return false;
	if (local.count(a))
		return true;
	if (!change(RTM_NEWADDR, a, error))
		return false;
	log_info("masquerade address ", a.str(), "/32 added to ", ifname_);
	return true;
}

bool MasqueradeAddresses::remove(Address a, std::string &error)
{
	// Not there (removed by hand, or never added here): nothing to remove.
	if (!change(RTM_DELADDR, a, error) && error.find(strerror(EADDRNOTAVAIL)) == std::string::npos)
		return false;
	log_info("masquerade address ", a.str(), "/32 removed from ", ifname_);
	return true;
}

bool MasqueradeAddresses::change(int type, Address a, std::string &error)
{
	if (!ifindex_) {
		error = "cannot place " + a.str() + ": this agent's address is on no interface here";
		return false;
	}
	char buf[MNL_SOCKET_BUFFER_SIZE];
	nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = uint16_t(type);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
	auto *ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex_;
	uint32_t be = htonl(a.value);
	mnl_attr_put(nlh, IFA_LOCAL, 4, &be);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &be);
	std::string why;
	if (request(nlh, nullptr, nullptr, why))
		return true;
	error = std::string("cannot ") + (type == RTM_NEWADDR ? "add " : "remove ") + a.str() + "/32 " +
		(type == RTM_NEWADDR ? "to " : "from ") + ifname_ + ": " + why;
	return false;
}

bool MasqueradeAddresses::announce(Address a, std::string &error)
{
	UniqueFd fd(socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP)));
	ifreq ifr{};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname_.c_str());
	if (!fd || ioctl(fd.get(), SIOCGIFHWADDR, &ifr) < 0) {
		error = "cannot announce " + a.str() + " on " + ifname_ + ": " + strerror(errno);
		return false;
	}
	// RFC 5227 section 3: an ARP request whose sender and target are both the address.
	struct [[gnu::packed]] {
		arphdr h;
		uint8_t sha[6];
		uint32_t spa;
		uint8_t tha[6];
		uint32_t tpa;
	} arp{};
	arp.h.ar_hrd = htons(ARPHRD_ETHER);
	arp.h.ar_pro = htons(ETH_P_IP);
	arp.h.ar_hln = 6;
	arp.h.ar_pln = 4;
	arp.h.ar_op = htons(ARPOP_REQUEST);
	memcpy(arp.sha, ifr.ifr_hwaddr.sa_data, 6);
	arp.spa = arp.tpa = htonl(a.value);
	sockaddr_ll to{};
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(ETH_P_ARP);
	to.sll_ifindex = int(ifindex_);
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	if (sendto(fd.get(), &arp, sizeof(arp), 0, reinterpret_cast<sockaddr *>(&to), sizeof(to)) < 0) {
		error = "cannot announce " + a.str() + " on " + ifname_ + ": " + strerror(errno);
		return false;
	}
	return true;
}

} // namespace roamnat
