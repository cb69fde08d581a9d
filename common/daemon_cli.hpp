// The command line both daemons take: --config FILE [--log-level LEVEL].
#pragma once

#include "log.hpp"

#include <optional>
#include <string>

namespace roamnat {

struct DaemonArgs {
	std::string config_path;
	std::string log_level; // empty: the file's log_level
};

// nullopt when the program should exit with *exit_status: 0 after --help
// (the usage is printed), 1 on a bad or missing option (a message is).
std::optional<DaemonArgs> parse_daemon_args(int argc, char **argv, const char *program, const std::string &usage,
					    int &exit_status);
std::optional<LogLevel> parse_log_level(const std::string &text);

} // namespace roamnat
