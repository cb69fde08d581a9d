#include "config_file.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace roamnat {
namespace {
std::string trim(const std::string &s)
{
	auto b = s.find_first_not_of(" \t\r");
	if (b == std::string::npos)
		return {};
	auto e = s.find_last_not_of(" \t\r");
	return s.substr(b, e - b + 1);
}
} // namespace

std::optional<ConfigFile> ConfigFile::parse(const std::string &text, const std::string &path, std::string &error)
{
	ConfigFile cfg;
	cfg.path_ = path;
	std::istringstream in(text);
	std::string raw;
	int lineno = 0;
	while (std::getline(in, raw)) {
		++lineno;
		auto hash = raw.find('#');
		std::string line = trim(hash == std::string::npos ? raw : raw.substr(0, hash));
		if (line.empty())
			continue;
		auto eq = line.find('=');
		if (eq == std::string::npos) {
			error = path + ":" + std::to_string(lineno) + ": expected 'key = value', got '" + line + "'";
			return std::nullopt;
		}
		std::string key = trim(line.substr(0, eq));
		std::string value = trim(line.substr(eq + 1));
		bool key_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
			return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
		});
		if (!key_ok) {
			error = path + ":" + std::to_string(lineno) + ": bad key '" + key +
				"' (lower-case letters, digits and '_')";
			return std::nullopt;
		}
		for (const auto &e : cfg.entries_) {
			if (e.key == key) {
				error = path + ":" + std::to_string(lineno) + ": '" + key + "' already set on line " +
					std::to_string(e.line);
				return std::nullopt;
			}
		}
		cfg.entries_.push_back({key, value, lineno});
	}
	return cfg;
}

std::optional<std::string> read_text_file(const std::string &path, std::string &error)
{
	std::ifstream in(path);
	if (!in) {
		error = path + ": cannot open";
		return std::nullopt;
	}
	std::ostringstream text;
	text << in.rdbuf();
	if (in.bad()) {
		error = path + ": cannot read";
		return std::nullopt;
	}
	return text.str();
}

std::optional<ConfigFile> ConfigFile::load(const std::string &path, std::string &error)
{
	auto text = read_text_file(path, error);
	if (!text)
		return std::nullopt;
	return parse(*text, path, error);
}

bool ConfigFile::check_keys(const std::vector<std::string> &known, std::string &error) const
{
	for (const auto &e : entries_) {
		if (std::find(known.begin(), known.end(), e.key) == known.end()) {
			error = path_ + ":" + std::to_string(e.line) + ": unknown key '" + e.key + "'";
			return false;
		}
	}
	return true;
}

std::optional<std::string> ConfigFile::get(const std::string &key) const
{
	for (const auto &e : entries_)
		if (e.key == key)
			return e.value;
	return std::nullopt;
}

void ConfigFile::set(const std::string &key, const std::string &value)
{
	for (auto &e : entries_) {
		if (e.key == key) {
			e.value = value;
			return;
		}
	}
	entries_.push_back({key, value, 0});
}

std::optional<unsigned long> parse_number(const std::string &text, unsigned long max)
{
	unsigned long v = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
	if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v > max)
		return std::nullopt;
	return v;
}

std::optional<bool> parse_bool(const std::string &text)
{
	if (text == "yes" || text == "true" || text == "on" || text == "1")
		return true;
	if (text == "no" || text == "false" || text == "off" || text == "0")
		return false;
	return std::nullopt;
}

std::vector<std::string> split_words(const std::string &text)
{
	std::vector<std::string> out;
	std::istringstream in(text);
	std::string w;
	while (in >> w)
		out.push_back(w);
	return out;
}

} // namespace roamnat
