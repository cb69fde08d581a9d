// Line-oriented logging to stderr (journald adds its own timestamps under systemd).
#pragma once

#include <sstream>
#include <string>

namespace roamnat {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

void set_log_level(LogLevel level);
void set_log_ident(std::string ident);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const std::string &text);

template <typename... Args> void log(LogLevel level, const Args &...args)
{
	if (!log_enabled(level))
		return;
	std::ostringstream out;
	(out << ... << args);
	log_line(level, out.str());
}

template <typename... Args> void log_debug(const Args &...args) { log(LogLevel::debug, args...); }
template <typename... Args> void log_info(const Args &...args) { log(LogLevel::info, args...); }
template <typename... Args> void log_warn(const Args &...args) { log(LogLevel::warn, args...); }
template <typename... Args> void log_error(const Args &...args) { log(LogLevel::error, args...); }

} // namespace roamnat
