// The one configuration format shared by roamcoord, roamd and roamctl:
// "key = value" lines, '#' comments, documented in docs/configuration.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace roamnat {

struct ConfigEntry {
	std::string key;
	std::string value;
	int line = 0;
};

class ConfigFile {
public:
	// Parses text; on failure returns nullopt and sets error to "PATH:LINE: reason".
	static std::optional<ConfigFile> parse(const std::string &text, const std::string &path, std::string &error);
	static std::optional<ConfigFile> load(const std::string &path, std::string &error);

	// Each program lists the keys it understands; anything else is an error, so
	// a typo never silently falls back to a default.
	bool check_keys(const std::vector<std::string> &known, std::string &error) const;

	std::optional<std::string> get(const std::string &key) const;
	const std::string &path() const { return path_; }
	void set(const std::string &key, const std::string &value);

private:
	std::string path_;
	std::vector<ConfigEntry> entries_;
};

// The whole file; on failure nullopt and error "PATH: cannot open".
std::optional<std::string> read_text_file(const std::string &path, std::string &error);
std::optional<unsigned long> parse_number(const std::string &text, unsigned long max);
std::optional<bool> parse_bool(const std::string &text);
std::vector<std::string> split_words(const std::string &text);

} // namespace roamnat
