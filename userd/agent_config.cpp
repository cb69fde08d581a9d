#include "agent_config.hpp"

#include "../common/daemon_cli.hpp"
#include "roamd_config_keys.hpp"

#include <algorithm>
#include <net/if.h>
#include <set>

namespace roamnat {

bool load_agent_config(const ConfigFile &cfg, AgentConfig &c, std::string &error)
{
	if (!check_config(cfg, kRoamdConfigKeys, error))
		return false;
	auto get = [&](const char *key) { return config_value(cfg, kRoamdConfigKeys, key); };
	auto bad = [&](const std::string &what) {
		error = cfg.path() + ": " + what;
		return false;
	};
	auto number = [&](const char *key, unsigned long max, unsigned long &out) {
		auto n = parse_number(get(key), max);
		if (!n)
			return bad(std::string(key) + " = '" + get(key) + "' is not a number up to " + std::to_string(max));
		out = *n;
		return true;
	};
	AgentOptions &o = c.opts;

	auto coord = Endpoint::parse(get("coordinator"));
	if (!coord)
		return bad("coordinator = '" + get("coordinator") + "' is not address:port");
	c.coordinator = *coord;
	c.tls = {get("ca"), get("cert"), get("key")};
	auto addr = Address::parse(get("address"));
	if (!addr || addr->is_unspecified())
		return bad("address = '" + get("address") + "' is not an IPv4 address");
	o.address = *addr;
	auto masq = split_words(get("masquerade_addresses"));
	if (masq.size() > 16)
		return bad("masquerade_addresses lists " + std::to_string(masq.size()) + " addresses; at most 16");
	for (const auto &m : masq) {
		auto a = Address::parse(m);
		if (!a || a->is_unspecified())
			return bad("masquerade address '" + m + "' is not an IPv4 address");
		if (*a == o.address)
			return bad("masquerade address " + m + " is this AP's own address: it could not move to another host");
		if (std::find(o.masquerade_addresses.begin(), o.masquerade_addresses.end(), *a) !=
		    o.masquerade_addresses.end())
			return bad("masquerade address " + m + " is listed twice");
		o.masquerade_addresses.push_back(*a);
	}
	o.dp.client_interfaces = split_words(get("client_interfaces"));
	if (o.dp.client_interfaces.empty())
		return bad("client_interfaces is empty");
	for (const auto &i : o.dp.client_interfaces)
		if (i.size() >= IFNAMSIZ || i.find('*') < i.size() - 1 || i.find('/') != std::string::npos)
			return bad("client interface '" + i + "' is not a name or a 'prefix*' pattern");

	std::string range = get("port_range");
	auto dash = range.find('-');
	auto lo = dash == std::string::npos ? std::nullopt : parse_number(range.substr(0, dash), 65535);
	auto hi = dash == std::string::npos ? std::nullopt : parse_number(range.substr(dash + 1), 65535);
	if (!lo || !hi || *lo < 1024 || *lo > *hi)
		return bad("port_range = '" + range + "' is not FIRST-LAST within 1024-65535");
	o.dp.port_min = uint16_t(*lo);
	o.dp.port_max = uint16_t(*hi);

	unsigned long quarantine_s, udp_idle, tcp_idle, miss_q, event_q, ham_miss_q, icmp_q, policy_q, hold_ms,
		max_held;
	if (!number("port_quarantine", 86400, quarantine_s) || !number("udp_idle_timeout", 86400, udp_idle) ||
	    !number("tcp_idle_timeout", 864000, tcp_idle) || !number("miss_queue", 65535, miss_q) ||
	    !number("event_queue", 65535, event_q) || !number("ham_miss_queue", 65535, ham_miss_q) ||
	    !number("icmp_queue", 65535, icmp_q) || !number("policy_queue", 65535, policy_q) ||
	    !number("miss_hold_ms", 60000, hold_ms) ||
	    !number("max_held_packets", 1000000, max_held))
		return false;
	if (std::set<unsigned long>{miss_q, event_q, ham_miss_q, icmp_q, policy_q}.size() != 5)
		return bad("miss_queue, event_queue, ham_miss_queue, icmp_queue and policy_queue must differ");
	if (udp_idle == 0 || tcp_idle == 0)
		return bad("idle timeouts must be at least one second");
	if (max_held == 0)
		return bad("max_held_packets must be at least 1");
	o.port_quarantine = Millis(quarantine_s * 1000);
	o.dp.udp_idle_s = uint32_t(udp_idle);
	o.dp.tcp_idle_s = uint32_t(tcp_idle);
	o.dp.miss_queue = uint16_t(miss_q);
	o.dp.event_queue = uint16_t(event_q);
	o.dp.ham_miss_queue = uint16_t(ham_miss_q);
	o.dp.icmp_queue = uint16_t(icmp_q);
	o.dp.policy_queue = uint16_t(policy_q);
	o.miss_hold = Millis(hold_ms);
	o.max_held = max_held;

	std::string policy = get("ham_policy");
	if (policy == "local") {
		o.ham_policy.kind = HamPolicy::Kind::local;
	} else if (policy.rfind("host:", 0) == 0 && policy.size() > 5) {
		o.ham_policy.kind = HamPolicy::Kind::host;
		o.ham_policy.host = policy.substr(5);
	} else if (policy == "port") {
		o.ham_policy.kind = HamPolicy::Kind::port;
		for (const auto &w : split_words(get("ham_ports"))) {
			auto colon = w.find(':');
			auto port = colon == std::string::npos ? std::nullopt : parse_number(w.substr(0, colon), 65535);
			if (!port || colon + 1 >= w.size())
				return bad("ham_ports entry '" + w + "' is not PORT:AGENT");
			o.ham_policy.by_port[uint16_t(*port)] = w.substr(colon + 1);
		}
	} else {
		return bad("ham_policy = '" + policy + "' is not local, host:AGENT or port");
	}
	std::string outbound = get("outbound");
	if (outbound == "direct")
		o.dp.outbound = OutboundMode::direct;
	else if (outbound == "via-ham")
		o.dp.outbound = OutboundMode::via_ham;
	else
		return bad("outbound = '" + outbound + "' is not direct or via-ham");
	std::string other = get("other_protocols");
	if (other != "drop" && other != "pass")
		return bad("other_protocols = '" + other + "' is not drop or pass");
	o.dp.drop_other = other == "drop";
	c.backend = get("backend");
	if (c.backend != "auto" && c.backend != "nftables" && c.backend != "kmod")
		return bad("backend = '" + c.backend + "' is not kmod, nftables or auto");
	o.control_socket = get("control_socket");
	o.hostapd = split_words(get("hostapd"));
	for (const auto &path : o.hostapd)
		if (path.empty() || path[0] != '/' || path.size() > 100)
			return bad("hostapd: '" + path + "' is not an absolute socket path of at most 100 bytes");
	std::string filtering = get("filtering");
	if (filtering == "off")
		o.dp.filtering = Filtering::off;
	else if (filtering == "deny")
		o.dp.filtering = Filtering::deny;
	else if (filtering == "hold")
		o.dp.filtering = Filtering::hold;
	else
		return bad("filtering = '" + filtering + "' is not off, deny or hold");
	if (o.dp.filtering != Filtering::off && o.hostapd.empty())
		return bad("filtering = " + filtering + " needs hostapd: policies follow the users hostapd reports");
	auto snoop = parse_bool(get("dhcp_snooping"));
	if (!snoop)
		return bad("dhcp_snooping = '" + get("dhcp_snooping") + "' is not yes or no");
	o.dhcp_snooping = *snoop;
	o.ft_relay = get("ft_relay");
	if (!o.ft_relay.empty() && (o.ft_relay.size() >= 16 || o.ft_relay.find_first_of(" /") != std::string::npos))
		return bad("ft_relay = '" + o.ft_relay + "' is not an interface name");
	if (!o.ft_relay.empty() && o.hostapd.empty())
		return bad("ft_relay needs hostapd: the frames are addressed to its BSSIDs");
	auto level = parse_log_level(get("log_level"));
	if (!level)
		return bad("log_level = '" + get("log_level") + "' is not debug, info, warn or error");
	c.log_level = *level;
	return true;
}

} // namespace roamnat
