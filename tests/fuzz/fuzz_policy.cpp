// libFuzzer target: the rule language and the policies_file. A rule that
// parses must print as a rule that parses back to itself, and a policy
// decides every packet without reading past what it holds.
#include "../../common/filter_rule.hpp"
#include "../../coordinator/policies.hpp"

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);
	std::string why;
	if (auto rule = roamnat::parse_filter_rule(text, why)) {
		auto again = roamnat::parse_filter_rule(rule->str(), why);
		if (!again || !(*again == *rule))
			abort();
		(void)rule->matches(roamnat::L4::tcp, roamnat::Endpoint{roamnat::Address{0x0a000001}, 80});
	}
	if (auto set = roamnat::PolicySet::parse(text, "fuzz", why)) {
		if (const roamnat::Policy *p = set->for_user("alice"))
			(void)p->decide(roamnat::L4::udp, roamnat::Endpoint{roamnat::Address{0xc0000201}, 53});
		(void)set->rules();
	}
	return 0;
}
