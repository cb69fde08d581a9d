#include "filter_rule.hpp"

#include <charconv>

namespace roamnat {

namespace {

std::vector<std::string_view> words_of(std::string_view text)
{
	std::vector<std::string_view> words;
	size_t i = 0;
	while (i < text.size()) {
		while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
			++i;
		size_t start = i;
		while (i < text.size() && text[i] != ' ' && text[i] != '\t')
			++i;
		if (i > start)
			words.push_back(text.substr(start, i - start));
	}
	return words;
}

std::optional<unsigned> number_of(std::string_view text, unsigned max)
{
	unsigned n = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
	if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n > max)
		return std::nullopt;
	return n;
}

// IPFilterRule's protocol: a name or its IANA number.
bool parse_proto(std::string_view word, std::optional<L4> &proto)
{
	if (word == "ip") {
		proto.reset();
		return true;
	}
	for (L4 p : {L4::icmp, L4::tcp, L4::udp}) {
		if (word == l4_name(p) || word == std::to_string(unsigned(p))) {
			proto = p;
			return true;
		}
	}
	return false;
}

std::optional<std::vector<PortRange>> parse_ports(std::string_view text, std::string &why)
{
	std::vector<PortRange> ports;
	while (true) {
		auto comma = text.find(',');
		auto item = text.substr(0, comma);
		auto dash = item.find('-');
		auto lo = number_of(item.substr(0, dash), 65535);
		auto hi = dash == std::string_view::npos ? lo : number_of(item.substr(dash + 1), 65535);
		if (!lo || !hi || *lo > *hi) {
			why = "'" + std::string(item) + "' is not a port or a range LOW-HIGH";
			return std::nullopt;
		}
		if (ports.size() == kMaxRulePorts) {
			why = "more than " + std::to_string(kMaxRulePorts) + " ports or ranges";
			return std::nullopt;
		}
		ports.push_back({uint16_t(*lo), uint16_t(*hi)});
		if (comma == std::string_view::npos)
			return ports;
		text.remove_prefix(comma + 1);
	}
}

} // namespace

const char *rule_action_name(RuleAction a)
{
	return a == RuleAction::permit ? "permit" : "deny";
}

std::optional<RuleAction> rule_action_from(std::string_view word)
{
	if (word == "permit")
		return RuleAction::permit;
	if (word == "deny")
		return RuleAction::deny;
	return std::nullopt;
}

bool Prefix::contains(Address a) const
{
	uint32_t mask = len ? ~uint32_t(0) << (32 - len) : 0;
	return (a.value & mask) == addr.value;
}

std::string Prefix::str() const
{
	if (len == 0)
		return "any";
	return len == 32 ? addr.str() : addr.str() + "/" + std::to_string(len);
}

std::optional<Prefix> Prefix::parse(std::string_view text, std::string &why)
{
	if (text == "any")
		return Prefix{};
	auto slash = text.find('/');
	auto addr = Address::parse(text.substr(0, slash));
	auto len = slash == std::string_view::npos ? std::optional<unsigned>(32) : number_of(text.substr(slash + 1), 32);
	if (!addr || !len) {
		why = "'" + std::string(text) + "' is not any, an address or ADDRESS/LENGTH";
		return std::nullopt;
	}
	Prefix p{*addr, uint8_t(*len)};
	if (!p.contains(*addr)) {
		why = "'" + std::string(text) + "' has host bits set beyond /" + std::to_string(*len);
		return std::nullopt;
	}
	return p;
}

bool FilterRule::matches(L4 p, const Endpoint &to) const
{
	if (proto && *proto != p)
		return false;
	if (!dst.contains(to.addr))
		return false;
	if (ports.empty())
		return true;
	for (const PortRange &r : ports)
		if (r.contains(to.port))
			return true;
	return false;
}

std::string FilterRule::str() const
{
	std::string s = rule_action_name(action);
	s += " in ";
	s += proto ? l4_name(*proto) : "ip";
	s += " from any to " + dst.str();
	for (size_t i = 0; i < ports.size(); ++i) {
		s += i ? "," : " ";
		s += std::to_string(ports[i].min);
		if (ports[i].max != ports[i].min)
			s += "-" + std::to_string(ports[i].max);
	}
	return s;
}

std::optional<FilterRule> parse_filter_rule(std::string_view text, std::string &why)
{
	if (text.size() > kMaxRuleText) {
		why = "longer than " + std::to_string(kMaxRuleText) + " bytes";
		return std::nullopt;
	}
	auto w = words_of(text);
	FilterRule rule;
	if (w.empty()) {
		why = "empty rule";
		return std::nullopt;
	}
	auto action = rule_action_from(w[0]);
	if (!action) {
		why = "'" + std::string(w[0]) + "': a rule starts with permit or deny";
		return std::nullopt;
	}
	rule.action = *action;
	if (w.size() < 2 || w[1] != "in") {
		// "out" rules filter what reaches the client: the AP enforces a
		// client's flows by the destination it sends to, replies included.
		why = w.size() < 2 ? "the direction is missing (in)"
				   : "'" + std::string(w[1]) + "': only 'in' rules (the client's own traffic) are enforced";
		return std::nullopt;
	}
	if (w.size() < 3 || !parse_proto(w[2], rule.proto)) {
		why = w.size() < 3 ? "the protocol is missing" : "'" + std::string(w[2]) + "': the protocol is ip, tcp, udp or icmp";
		return std::nullopt;
	}
	if (w.size() < 5 || w[3] != "from" || (w[4] != "any" && w[4] != "assigned")) {
		why = "expected 'from any' or 'from assigned' after the protocol (the source is the client)";
		return std::nullopt;
	}
	if (w.size() < 7 || w[5] != "to") {
		why = "expected 'to DESTINATION' after the source";
		return std::nullopt;
	}
	auto dst = Prefix::parse(w[6], why);
	if (!dst)
		return std::nullopt;
	rule.dst = *dst;
	size_t next = 7;
	if (next < w.size() && w[next].find_first_not_of("0123456789,-") == std::string_view::npos) {
		if (rule.proto != L4::tcp && rule.proto != L4::udp) {
			why = "ports are for tcp and udp rules only";
			return std::nullopt;
		}
		auto ports = parse_ports(w[next], why);
		if (!ports)
			return std::nullopt;
		rule.ports = std::move(*ports);
		++next;
	}
	if (next < w.size()) {
		// frag, established, setup, tcpflags, ipoptions, icmptypes: refused
		// rather than enforced as a looser rule.
		why = "'" + std::string(w[next]) + "': options after the destination are not enforced";
		return std::nullopt;
	}
	return rule;
}

RuleAction Policy::decide(L4 p, const Endpoint &to) const
{
	for (const FilterRule &r : rules)
		if (r.matches(p, to))
			return r.action;
	return fallback;
}

} // namespace roamnat
