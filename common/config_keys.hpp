// The configuration keys a program understands, declared once: the parser
// refuses any other key and any missing required one, --help lists them,
// and a unit test holds docs/configuration.md to the same declaration.
#pragma once

#include "config_file.hpp"

#include <span>
#include <string_view>
#include <string>
#include <vector>

namespace roamnat {

struct ConfigKey {
	const char *name;
	// As a file would write it: "" for an empty default, nullptr when required.
	const char *fallback;
	const char *help; // one line, for --help
	bool required() const { return fallback == nullptr; }
};

// The "Configuration keys" block of a --help text.
std::string config_keys_help(std::span<const ConfigKey> keys);
// Unknown keys, then missing required ones: "FILE:LINE: ..." or "FILE: ...".
bool check_config(const ConfigFile &cfg, std::span<const ConfigKey> keys, std::string &error);
// The key's value in the file, else its declared default, so that a default
// is written in one place. NAME must be declared: anything else is a bug.
std::string config_value(const ConfigFile &cfg, std::span<const ConfigKey> keys, std::string_view name);

} // namespace roamnat
