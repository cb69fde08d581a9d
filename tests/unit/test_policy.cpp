// The rule language (common/filter_rule.hpp) and the policies_file
// (coordinator/policies.hpp): what is enforced, and what is refused.
#include "../../common/filter_rule.hpp"
#include "../../coordinator/authorizations.hpp"
#include "../../coordinator/policies.hpp"

#include <catch2/catch.hpp>

using namespace roamnat;

namespace {
Endpoint ep(const char *text) { return *Endpoint::parse(text); }

FilterRule rule(const char *text)
{
	std::string why;
	auto r = parse_filter_rule(text, why);
	INFO(text << ": " << why);
	REQUIRE(r);
	return *r;
}

std::string refusal(const char *text)
{
	std::string why;
	CHECK_FALSE(parse_filter_rule(text, why));
	return why;
}
} // namespace

TEST_CASE("filter rules: RFC 6733 IPFilterRule's enforceable subset, canonical text round trip")
{
	auto r = rule("permit in tcp from any to 10.201.0.0/24 80,443,8000-8080");
	CHECK(r.action == RuleAction::permit);
	CHECK(r.proto == L4::tcp);
	CHECK(r.dst.len == 24);
	REQUIRE(r.ports.size() == 3);
	CHECK(r.ports[2] == PortRange{8000, 8080});
	CHECK(r.matches(L4::tcp, ep("10.201.0.10:443")));
	CHECK(r.matches(L4::tcp, ep("10.201.0.255:8080")));
	CHECK_FALSE(r.matches(L4::tcp, ep("10.201.0.10:444")));
	CHECK_FALSE(r.matches(L4::udp, ep("10.201.0.10:443")));
	CHECK_FALSE(r.matches(L4::tcp, ep("10.201.1.10:443")));
	CHECK(r.str() == "permit in tcp from any to 10.201.0.0/24 80,443,8000-8080");

	// Numbers for protocols, "assigned" for the client, a host as ADDR/32,
	// runs of blanks: all come back in one canonical spelling.
	auto n = rule("deny   in 17 from assigned to 10.0.0.1/32\t53");
	CHECK(n.str() == "deny in udp from any to 10.0.0.1 53");
	CHECK(rule(n.str().c_str()) == n);
	auto any = rule("deny in ip from any to any");
	CHECK(any.matches(L4::icmp, ep("192.0.2.1:0")));
	CHECK(any.str() == "deny in ip from any to any");
	CHECK(rule("permit in icmp from any to 0.0.0.0/0").dst.len == 0);
}

TEST_CASE("filter rules an AP cannot enforce are refused, saying which word")
{
	CHECK(refusal("") == "empty rule");
	CHECK(refusal("allow in ip from any to any").find("'allow'") != std::string::npos);
	CHECK(refusal("permit out ip from any to any").find("only 'in' rules") != std::string::npos);
	CHECK(refusal("permit in gre from any to any").find("'gre'") != std::string::npos);
	CHECK(refusal("permit in ip from 10.0.0.1 to any").find("from any") != std::string::npos);
	CHECK(refusal("permit in ip from any 10.0.0.1").find("'to DESTINATION'") != std::string::npos);
	CHECK(refusal("permit in ip from any to 10.0.0.1/24").find("host bits") != std::string::npos);
	CHECK(refusal("permit in ip from any to 10.0.0.0/33").find("not any, an address") != std::string::npos);
	CHECK(refusal("permit in ip from any to 10.0.0.1 80") == "ports are for tcp and udp rules only");
	CHECK(refusal("permit in tcp from any to any 80-79").find("'80-79'") != std::string::npos);
	CHECK(refusal("permit in tcp from any to any 65536").find("'65536'") != std::string::npos);
	CHECK(refusal("permit in tcp from any to any 1,,2").find("''") != std::string::npos);
	CHECK(refusal("permit in tcp from any to any 80 established").find("'established'") != std::string::npos);
	CHECK(refusal("permit in tcp from any to any 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17")
		      .find("more than 16") != std::string::npos);
	CHECK(refusal(std::string(254, ' ').c_str()).find("longer than 253") != std::string::npos);
}

TEST_CASE("a policy: the first rule that matches decides, else its default")
{
	Policy p{"guest",
		 {rule("deny in tcp from any to 10.201.0.10 22"), rule("permit in tcp from any to 10.201.0.0/24"),
		  rule("permit in udp from any to any 53")},
		 RuleAction::deny};
	CHECK(p.decide(L4::tcp, ep("10.201.0.10:22")) == RuleAction::deny);
	CHECK(p.decide(L4::tcp, ep("10.201.0.10:80")) == RuleAction::permit);
	CHECK(p.decide(L4::udp, ep("192.0.2.53:53")) == RuleAction::permit);
	CHECK(p.decide(L4::icmp, ep("10.201.0.10:0")) == RuleAction::deny);
	p.fallback = RuleAction::permit;
	CHECK(p.decide(L4::icmp, ep("10.201.0.10:0")) == RuleAction::permit);
}

TEST_CASE("policies_file: policies, users and a default; every error names its line")
{
	std::string err;
	auto set = PolicySet::parse("# staff reach the servers\n"
				    "policy staff default deny\n"
				    "permit in ip from any to 10.201.0.0/24\n"
				    "\n"
				    "policy guest\n"
				    "  permit in tcp from any to 10.201.0.10 5001-5009   # the demo servers\n"
				    "policy open default permit\n"
				    "user alice staff\n"
				    "user carol open\n"
				    "default guest\n",
				    "p", err);
	INFO(err);
	REQUIRE(set);
	CHECK(set->size() == 3);
	CHECK(set->rules() == 2);
	CHECK(set->for_user("alice")->name == "staff");
	CHECK(set->for_user("carol")->fallback == RuleAction::permit);
	CHECK(set->for_user("bob")->name == "guest");
	CHECK(set->find("guest")->fallback == RuleAction::deny);
	CHECK(set->find("guest")->rules[0].ports[0] == PortRange{5001, 5009});
	CHECK_FALSE(set->find("none"));
	CHECK(PolicySet::parse("policy a\n", "p", err)->for_user("x") == nullptr);

	auto error_of = [](const char *text) {
		std::string e;
		CHECK_FALSE(PolicySet::parse(text, "/etc/roamnat/policies", e));
		return e;
	};
	CHECK(error_of("permit in ip from any to any\n") ==
	      "/etc/roamnat/policies:1: a rule before any 'policy NAME' line");
	CHECK(error_of("policy a\npermit in ip from any to 10.0.0.1/8\n").rfind("/etc/roamnat/policies:2: ", 0) == 0);
	CHECK(error_of("policy a\npolicy a\n") == "/etc/roamnat/policies:2: policy 'a' is defined twice");
	CHECK(error_of("policy a default maybe\n").find("permit or deny") != std::string::npos);
	CHECK(error_of("policy a b\n").find("expected 'policy NAME") != std::string::npos);
	CHECK(error_of("policy a/b\n").find("not a policy name") != std::string::npos);
	CHECK(error_of("policy a\nuser alice b\n") == "/etc/roamnat/policies:2: no policy named 'b'");
	CHECK(error_of("policy a\ndefault a\ndefault a\n").find(":3: a second 'default'") != std::string::npos);
	CHECK(error_of("policy a\nuser x a\nuser x a\n").find(":3: user 'x'") != std::string::npos);
	CHECK(error_of("allow everything\n").find(":1: 'allow'") != std::string::npos);
	std::string big = "policy a\n";
	for (size_t i = 0; i <= kMaxPolicyRules; ++i)
		big += "deny in ip from any to any\n";
	CHECK(error_of(big.c_str()).find("more than 128 rules") != std::string::npos);

	CHECK_FALSE(PolicySet::load("/nonexistent/policies", err));
	CHECK(err == "/nonexistent/policies: cannot open");
}

TEST_CASE("authorizations: one per station, gone at their end, the oldest first when full")
{
	Authorizations t(2);
	auto now = Authorization::Clock::now();
	MacAddr a = *MacAddr::parse("02:00:00:00:01:00"), b = *MacAddr::parse("02:00:00:00:02:00"),
		c = *MacAddr::parse("02:00:00:00:03:00");
	t.put(a, {"alice", "staff", {}, 600, {}, {}, now + std::chrono::seconds(600)});
	t.put(b, {"bob", {}, {}, {}, {}, {}, now - std::chrono::seconds(1)}); // already over
	CHECK(t.find(a)->filter_id == "staff");
	CHECK_FALSE(t.find(b));
	t.put(c, {"carol", "guest", {}, {}, {}, {}, now + std::chrono::seconds(60)});
	CHECK(t.size() == 2);
	CHECK_FALSE(t.find(a)); // the oldest went
	CHECK(t.find(c)->user == "carol");
	t.forget(c);
	CHECK_FALSE(t.find(c));
	CHECK(t.size() == 1);
}
