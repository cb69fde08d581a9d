// Configuration keys are declared once (roamd_config_keys.hpp,
// roamcoord_config_keys.hpp): --help, the parser and docs/configuration.md
// must all say the same.
#include "../../common/config_keys.hpp"
#include "../../coordinator/roamcoord_config_keys.hpp"
#include "../../userd/agent_config.hpp"
#include "../../userd/roamd_config_keys.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using namespace roamnat;

namespace {
// A section's table of docs/configuration.md: key -> default column, with
// "required" and "empty" as written there.
std::map<std::string, std::string> documented_keys(const std::string &section)
{
	std::ifstream in(std::string(ROAMNAT_SOURCE_DIR) + "/docs/configuration.md");
	REQUIRE(in);
	std::map<std::string, std::string> keys;
	std::string line;
	bool inside = false;
	std::regex row(R"(^\| ((?:`[a-z0-9_]+`(?:, )?)+) \| ([^|]+) \|)");
	std::regex name("`([a-z0-9_]+)`");
	while (std::getline(in, line)) {
		if (line.rfind("## ", 0) == 0)
			inside = line == "## " + section;
		std::smatch m;
		if (!inside || !std::regex_search(line, m, row))
			continue;
		std::string names = m[1], fallback = m[2];
		fallback.erase(fallback.find_last_not_of(' ') + 1);
		if (fallback.size() > 2 && fallback.front() == '`' && fallback.back() == '`')
			fallback = fallback.substr(1, fallback.size() - 2);
		for (std::sregex_iterator it(names.begin(), names.end(), name), end; it != end; ++it)
			keys[(*it)[1]] = fallback;
	}
	return keys;
}

void matches_docs(std::span<const ConfigKey> declared, const std::string &section)
{
	auto docs = documented_keys(section);
	CHECK(docs.size() == declared.size());
	for (const auto &k : declared) {
		INFO(section << ": key " << k.name);
		REQUIRE(docs.count(k.name));
		std::string want = k.required() ? "required" : *k.fallback ? k.fallback : "empty";
		CHECK(docs[k.name] == want);
	}
	for (const auto &[name, fallback] : docs) {
		INFO(section << ": documented key " << name);
		CHECK(std::any_of(declared.begin(), declared.end(), [&](const ConfigKey &k) { return name == k.name; }));
	}
}

std::optional<ConfigFile> file(const std::string &text)
{
	std::string err;
	auto cfg = ConfigFile::parse(text, "roamd.conf", err);
	REQUIRE(cfg);
	return cfg;
}

const char *kMinimal = "coordinator = 10.0.0.2:7447\nca = ca.crt\ncert = ap1.crt\nkey = ap1.key\n"
		       "address = 10.0.0.101\nclient_interfaces = wlan*\n";
} // namespace

TEST_CASE("docs/configuration.md lists exactly the declared keys, with their defaults")
{
	matches_docs(kRoamdConfigKeys, "roamd");
	matches_docs(kRoamcoordConfigKeys, "roamcoord");
}

TEST_CASE("--help lists every declared key with its default or as required")
{
	std::string help = config_keys_help(kRoamdConfigKeys);
	for (const auto &k : kRoamdConfigKeys) {
		INFO(k.name);
		auto at = help.find(std::string("\n  ") + k.name + " ");
		REQUIRE(at != std::string::npos);
		auto eol = help.find('\n', at + 1);
		if (help.compare(eol + 1, 6, "      ") == 0) // the default wrapped below
			eol = help.find('\n', eol + 1);
		std::string row = help.substr(at, eol - at);
		CHECK(row.find(k.required() ? std::string("(required)") : std::string("[") + k.fallback + "]") !=
		      std::string::npos);
	}
}

TEST_CASE("roamd: a minimal file gets the declared defaults")
{
	AgentConfig c;
	std::string err;
	REQUIRE(load_agent_config(*file(kMinimal), c, err));
	CHECK(c.opts.dp.port_min == 40000);
	CHECK(c.opts.dp.port_max == 59999);
	CHECK(c.opts.port_quarantine == Millis(120000));
	CHECK(c.opts.dp.udp_idle_s == 60);
	CHECK(c.opts.dp.tcp_idle_s == 7200);
	CHECK(c.opts.miss_hold == Millis(2000));
	CHECK(c.opts.max_held == 4096);
	CHECK(c.opts.dp.outbound == OutboundMode::direct);
	CHECK(c.opts.ham_policy.kind == HamPolicy::Kind::local);
	CHECK(c.backend == "auto");
	CHECK(c.opts.control_socket == "/run/roamnat/roamd.sock");
	CHECK(c.log_level == LogLevel::info);
	CHECK(c.coordinator.str() == "10.0.0.2:7447");
	CHECK(c.opts.dp.client_interfaces == std::vector<std::string>{"wlan*"});
	CHECK(c.opts.masquerade_addresses.empty());
}

TEST_CASE("roamd: masquerade addresses are distinct IPv4 addresses other than the AP's own")
{
	AgentConfig c;
	std::string err;
	REQUIRE(load_agent_config(*file(std::string(kMinimal) + "masquerade_addresses = 10.0.0.201 10.0.0.202\n"), c, err));
	CHECK(c.opts.masquerade_addresses == std::vector<Address>{*Address::parse("10.0.0.201"), *Address::parse("10.0.0.202")});
	auto refused = [](const std::string &value) {
		AgentConfig c;
		std::string err;
		CHECK_FALSE(load_agent_config(*file(std::string(kMinimal) + "masquerade_addresses = " + value + "\n"), c, err));
		return err;
	};
	CHECK(refused("10.0.0.201 here") == "roamd.conf: masquerade address 'here' is not an IPv4 address");
	CHECK(refused("0.0.0.0") == "roamd.conf: masquerade address '0.0.0.0' is not an IPv4 address");
	CHECK(refused("10.0.0.101") ==
	      "roamd.conf: masquerade address 10.0.0.101 is this AP's own address: it could not move to another host");
	CHECK(refused("10.0.0.201 10.0.0.201") == "roamd.conf: masquerade address 10.0.0.201 is listed twice");
	std::string many;
	for (int i = 1; i <= 17; ++i)
		many += "10.0.1." + std::to_string(i) + " ";
	CHECK(refused(many) == "roamd.conf: masquerade_addresses lists 17 addresses; at most 16");
}

TEST_CASE("roamd: every refusal names the file, the key and what was wrong")
{
	auto refused = [](const std::string &extra) {
		AgentConfig c;
		std::string err;
		CHECK_FALSE(load_agent_config(*file(std::string(kMinimal) + extra), c, err));
		return err;
	};
	CHECK(refused("colour = blue\n") == "roamd.conf:7: unknown key 'colour'");
	CHECK(refused("port_range = 80-90\n") == "roamd.conf: port_range = '80-90' is not FIRST-LAST within 1024-65535");
	CHECK(refused("miss_hold_ms = soon\n") == "roamd.conf: miss_hold_ms = 'soon' is not a number up to 60000");
	CHECK(refused("ham_policy = port\nham_ports = 80\n") == "roamd.conf: ham_ports entry '80' is not PORT:AGENT");
	CHECK(refused("outbound = sideways\n") == "roamd.conf: outbound = 'sideways' is not direct or via-ham");
	CHECK(refused("miss_queue = 1\n") == "roamd.conf: miss_queue, event_queue, ham_miss_queue, icmp_queue and policy_queue must differ");
	CHECK(refused("ham_miss_queue = 0\n") == "roamd.conf: miss_queue, event_queue, ham_miss_queue, icmp_queue and policy_queue must differ");

	AgentConfig c;
	std::string err;
	CHECK_FALSE(load_agent_config(*file("coordinator = 10.0.0.2:7447\n"), c, err));
	CHECK(err == "roamd.conf: 'ca' is required");
	std::string text = kMinimal;
	text.replace(text.find("wlan*"), 5, "wl*an");
	CHECK_FALSE(load_agent_config(*file(text), c, err));
	CHECK(err == "roamd.conf: client interface 'wl*an' is not a name or a 'prefix*' pattern");
}
