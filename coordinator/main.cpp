// roamcoord: the roaming coordinator daemon.
#include "../common/config_file.hpp"
#include "../common/log.hpp"
#include "coordinator.hpp"

#include <cstdio>
#include <cstring>
#include <string>

using namespace roamnat;

namespace {
const char *kUsage = R"(Usage: roamcoord --config FILE [--log-level LEVEL]

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

Configuration keys (key = value):
  listen            address:port to accept agents on       [0.0.0.0:7447]
  ca                CA certificate that signs agents        (required)
  cert, key         this coordinator's certificate and key  (required)
  agents            space-separated agent names allowed; empty allows any
                    certificate the CA signed               []
  push_fam_updates  push new FAMs to HAMs (yes/no)          [yes]
  log_level         debug, info, warn, error                [info]

Exit status: 0 after SIGINT/SIGTERM, 1 on a configuration or start-up error.
)";

std::optional<LogLevel> parse_level(const std::string &s)
{
	if (s == "debug") return LogLevel::debug;
	if (s == "info") return LogLevel::info;
	if (s == "warn") return LogLevel::warn;
	if (s == "error") return LogLevel::error;
	return std::nullopt;
}
} // namespace

int main(int argc, char **argv)
{
	set_log_ident("roamcoord");
	std::string config_path, level_arg;
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		if (a == "-h" || a == "--help") {
			fputs(kUsage, stdout);
			return 0;
		}
		if ((a == "-c" || a == "--config" || a == "-l" || a == "--log-level") && i + 1 < argc) {
			(a == "-c" || a == "--config" ? config_path : level_arg) = argv[++i];
			continue;
		}
		fprintf(stderr, "roamcoord: unknown or incomplete option '%s'\nTry 'roamcoord --help'.\n", a.c_str());
		return 1;
	}
	if (config_path.empty()) {
		fprintf(stderr, "roamcoord: --config FILE is required\nTry 'roamcoord --help'.\n");
		return 1;
	}
	std::string err;
	auto cfg = ConfigFile::load(config_path, err);
	if (!cfg || !cfg->check_keys({"listen", "ca", "cert", "key", "agents", "push_fam_updates", "log_level"}, err)) {
		fprintf(stderr, "roamcoord: %s\n", err.c_str());
		return 1;
	}
	auto fail = [&](const std::string &what) {
		fprintf(stderr, "roamcoord: %s: %s\n", config_path.c_str(), what.c_str());
		return 1;
	};
	std::string level_text = level_arg.empty() ? cfg->get("log_level").value_or("info") : level_arg;
	auto level = parse_level(level_text);
	if (!level)
		return fail("log level '" + level_text + "' is not debug, info, warn or error");
	set_log_level(*level);

	CoordinatorOptions opts;
	if (auto v = cfg->get("listen")) {
		auto ep = Endpoint::parse(*v);
		if (!ep)
			return fail("listen = '" + *v + "' is not address:port");
		opts.listen = *ep;
	}
	for (const char *k : {"ca", "cert", "key"})
		if (!cfg->get(k))
			return fail(std::string("'") + k + "' is required");
	opts.tls = {*cfg->get("ca"), *cfg->get("cert"), *cfg->get("key")};
	for (const auto &a : split_words(cfg->get("agents").value_or("")))
		opts.allowed_agents.insert(a);
	if (auto v = cfg->get("push_fam_updates")) {
		auto b = parse_bool(*v);
		if (!b)
			return fail("push_fam_updates = '" + *v + "' is not yes or no");
		opts.push_fam_updates = *b;
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
