#include "config_keys.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace roamnat {

std::string config_keys_help(std::span<const ConfigKey> keys)
{
	size_t width = 0;
	for (const auto &k : keys)
		width = std::max(width, std::string(k.name).size());
	std::string out = "Configuration keys (key = value):\n";
	for (const auto &k : keys) {
		std::string name = k.name;
		std::string row = "  " + name + std::string(width + 2 - name.size(), ' ') + k.help;
		std::string fallback = k.required() ? "(required)" : std::string("[") + k.fallback + "]";
		// A terminal's 80 columns: a default that does not fit goes below.
		if (row.size() + 2 + fallback.size() > 79)
			row += "\n" + std::string(width + 4, ' ');
		else
			row += "  ";
		out += row + fallback + "\n";
	}
	return out;
}

bool check_config(const ConfigFile &cfg, std::span<const ConfigKey> keys, std::string &error)
{
	std::vector<std::string> names;
	for (const auto &k : keys)
		names.push_back(k.name);
	if (!cfg.check_keys(names, error))
		return false;
	for (const auto &k : keys) {
		if (k.required() && !cfg.get(k.name)) {
			error = cfg.path() + ": '" + k.name + "' is required";
			return false;
		}
	}
	return true;
}

std::string config_value(const ConfigFile &cfg, std::span<const ConfigKey> keys, std::string_view name)
{
	for (const auto &k : keys) {
		if (name == k.name) {
			if (auto v = cfg.get(k.name))
				return *v;
			return k.fallback ? k.fallback : "";
		}
	}
	fprintf(stderr, "internal error: configuration key '%.*s' is not declared\n", int(name.size()), name.data());
	abort();
}

} // namespace roamnat
