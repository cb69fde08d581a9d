#include "daemon_cli.hpp"

#include <cstdio>

namespace roamnat {

std::optional<DaemonArgs> parse_daemon_args(int argc, char **argv, const char *program, const std::string &usage,
					    int &exit_status)
{
	DaemonArgs args;
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		if (a == "-h" || a == "--help") {
			fputs(usage.c_str(), stdout);
			exit_status = 0;
			return std::nullopt;
		}
		if ((a == "-c" || a == "--config" || a == "-l" || a == "--log-level") && i + 1 < argc) {
			(a == "-c" || a == "--config" ? args.config_path : args.log_level) = argv[++i];
			continue;
		}
		fprintf(stderr, "%s: unknown or incomplete option '%s'\nTry '%s --help'.\n", program, a.c_str(), program);
		exit_status = 1;
		return std::nullopt;
	}
	if (args.config_path.empty()) {
		fprintf(stderr, "%s: --config FILE is required\nTry '%s --help'.\n", program, program);
		exit_status = 1;
		return std::nullopt;
	}
	return args;
}

std::optional<LogLevel> parse_log_level(const std::string &text)
{
	if (text == "debug")
		return LogLevel::debug;
	if (text == "info")
		return LogLevel::info;
	if (text == "warn")
		return LogLevel::warn;
	if (text == "error")
		return LogLevel::error;
	return std::nullopt;
}

} // namespace roamnat
