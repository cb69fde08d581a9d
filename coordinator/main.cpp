// roamcoord: the roaming coordinator daemon.
#include "../common/config_file.hpp"
#include "../common/daemon_cli.hpp"
#include "../common/log.hpp"
#include "../common/secret.hpp"
#include "coordinator.hpp"
#include "roamcoord_config_keys.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using namespace roamnat;

namespace {
const char *kUsageHead = R"(Usage: roamcoord --config FILE [--log-level LEVEL]

The roamnat roaming coordinator. Access-point agents (roamd) connect to it over
mutual TLS; it keeps the table of every roaming connection (client, server,
masquerade endpoint, HAM, FAMs) and answers:
  - FAM requests when a client appears at a new access point (Figs. 10, 11),
  - HAM registrations of new connections (Fig. 9),
  - HAM queries for a connection's current FAMs (Fig. 12), and pushes new
    FAMs to the HAM as soon as they are known,
  - client departures, telling the HAM to stop forwarding (Fig. 13).

Options:
  -c, --config FILE     configuration file (docs/configuration.md)
  -l, --log-level L     debug, info, warn or error (overrides log_level)
  -h, --help            this text

)";
const char *kUsageTail = R"(
Exit status: 0 after SIGINT/SIGTERM, 1 on a configuration or start-up error.
)";

} // namespace

int main(int argc, char **argv)
{
	set_log_ident("roamcoord");
	int status = 0;
	auto args = parse_daemon_args(argc, argv, "roamcoord",
				      kUsageHead + config_keys_help(kRoamcoordConfigKeys) + kUsageTail, status);
	if (!args)
		return status;
	std::string err;
	auto cfg = ConfigFile::load(args->config_path, err);
	if (!cfg || !check_config(*cfg, kRoamcoordConfigKeys, err)) {
		fprintf(stderr, "roamcoord: %s\n", err.c_str());
		return 1;
	}
	auto fail = [&](const std::string &what) {
		fprintf(stderr, "roamcoord: %s: %s\n", args->config_path.c_str(), what.c_str());
		return 1;
	};
	auto get = [&](const char *key) { return config_value(*cfg, kRoamcoordConfigKeys, key); };
	std::string level_text = args->log_level.empty() ? get("log_level") : args->log_level;
	auto level = parse_log_level(level_text);
	if (!level)
		return fail("log level '" + level_text + "' is not debug, info, warn or error");
	set_log_level(*level);

	CoordinatorOptions opts;
	auto listen = Endpoint::parse(get("listen"));
	if (!listen)
		return fail("listen = '" + get("listen") + "' is not address:port");
	opts.listen = *listen;
	opts.tls = {get("ca"), get("cert"), get("key")};
	for (const auto &a : split_words(get("agents")))
		opts.allowed_agents.insert(a);
	auto push = parse_bool(get("push_fam_updates"));
	if (!push)
		return fail("push_fam_updates = '" + get("push_fam_updates") + "' is not yes or no");
	opts.push_fam_updates = *push;
	for (const auto &a : split_words(get("key_sources")))
		opts.key_sources.insert(a);
	for (const auto &a : split_words(get("operators")))
		opts.operators.insert(a);
	auto max_keys = parse_number(get("max_keys"), 1048576);
	if (!max_keys || *max_keys < 1)
		return fail("max_keys = '" + get("max_keys") + "' is not a number from 1 to 1048576");
	opts.max_keys = size_t(*max_keys);
	auto keepalive = parse_number(get("keepalive_ms"), 60000);
	if (!keepalive || *keepalive < 100)
		return fail("keepalive_ms = '" + get("keepalive_ms") + "' is not a number from 100 to 60000");
	auto dead_after = parse_number(get("dead_after_ms"), 600000);
	if (!dead_after || *dead_after < 3 * *keepalive)
		return fail("dead_after_ms = '" + get("dead_after_ms") + "' is not a number from 3 x keepalive_ms (" +
			    std::to_string(3 * *keepalive) + ", so that one late keepalive fails nobody) to 600000");
	opts.state_file = get("state_file");
	opts.keepalive = Millis(*keepalive);
	opts.dead_after = Millis(*dead_after);
	opts.failover_after = opts.dead_after;
	if (!get("failover_after_ms").empty()) {
		auto after = parse_number(get("failover_after_ms"), 600000);
		if (!after || *after < 100)
			return fail("failover_after_ms = '" + get("failover_after_ms") + "' is not a number from 100 to 600000");
		opts.failover_after = Millis(*after);
	}
	opts.failover_to = split_words(get("failover_to"));
	if (!get("das_listen").empty()) {
		DasOptions das;
		auto at = Endpoint::parse(get("das_listen"));
		if (!at)
			return fail("das_listen = '" + get("das_listen") + "' is not address:port");
		das.listen = *at;
		for (const auto &a : split_words(get("das_clients"))) {
			auto addr = Address::parse(a);
			if (!addr)
				return fail("das_clients: '" + a + "' is not an address");
			das.clients.insert(*addr);
		}
		if (das.clients.empty())
			return fail("das_listen is set but das_clients names nobody");
		std::ifstream in(get("das_secret_file"));
		std::getline(in, das.secret);
		if (!in && !in.eof())
			return fail("das_secret_file '" + get("das_secret_file") + "' cannot be read");
		if (das.secret.empty())
			return fail("das_secret_file '" + get("das_secret_file") + "' holds no secret");
		auto window = parse_number(get("das_time_window"), 86400);
		if (!window || *window < 1)
			return fail("das_time_window = '" + get("das_time_window") + "' is not 1 to 86400 seconds");
		das.time_window = uint32_t(*window);
		opts.das = std::move(das);
	}
	if (!get("policies_file").empty()) {
		auto policies = PolicySet::load(get("policies_file"), err);
		if (!policies)
			return fail("policies_file: " + err);
		log_info("policies_file ", get("policies_file"), ": ", policies->size(), " policies, ", policies->rules(),
			 " rules");
		opts.policies = std::move(*policies);
	}
	if (!get("ft_mobility_domain").empty() || !get("ft_key_file").empty()) {
		auto ft = load_ft_domain(get("ft_mobility_domain"), get("ft_key_file"), err);
		if (!ft)
			return fail(err);
		opts.ft = std::move(*ft);
	}
	if (!opts.key_sources.empty() || opts.ft) {
		std::string why;
		if (!init_secure_heap(opts.max_keys * 64, why))
			log_warn(why);
	}
	auto tls = TlsContext::create(true, opts.tls, err);
	if (!tls)
		return fail(err);
	EventLoop loop;
	Coordinator coord(loop, opts, std::move(tls));
	if (!coord.start(err)) {
		fprintf(stderr, "roamcoord: %s\n", err.c_str());
		return 1;
	}
	loop.run();
	log_info("stopped with ", coord.table().size(), " connection(s) in the table");
	return 0;
}
