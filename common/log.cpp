#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace roamnat {
namespace {
LogLevel g_level = LogLevel::info;
std::string g_ident = "roamnat";
} // namespace

void set_log_level(LogLevel level) { g_level = level; }
void set_log_ident(std::string ident) { g_ident = std::move(ident); }
bool log_enabled(LogLevel level) { return level >= g_level; }

void log_line(LogLevel level, const std::string &text)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	auto now = std::chrono::system_clock::now();
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
	time_t secs = time_t(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03lld %s %s: %s\n", stamp, (long long)(ms % 1000), g_ident.c_str(),
		names[int(level)], text.c_str());
}

} // namespace roamnat
