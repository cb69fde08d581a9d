#include "hard_state.hpp"

#include "../common/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace roamnat {
namespace {

// Format, one record per line (names last: a user name may hold spaces):
//   roamcoord-state 1
//   agent ADDRESS INSTANCE NAME
//   revoked forever|UNIX-SECONDS USER
//   withdrawn MAC UNIX-SECONDS USER
//   lease ADDRESS GENERATION HOME HOLDER
//   end RECORDS
// The last line counts the records before it: a file cut short (a disk that
// lost its tail, a copy broken off) is refused, not read as fewer
// revocations.
constexpr const char *kMagic = "roamcoord-state 1";

std::optional<uint64_t> number(std::string_view text)
{
	uint64_t v = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
	if (text.empty() || ec != std::errc() || end != text.data() + text.size())
		return std::nullopt;
	return v;
}

// Times as Unix seconds, up to the year 2200: the clock counts nanoseconds
// in 64 bits, which end in 2262.
constexpr uint64_t kMaxUnix = 7258118400;
std::optional<uint64_t> unix_time(std::string_view text)
{
	auto t = number(text);
	return t && *t <= kMaxUnix ? t : std::nullopt;
}
HardState::Wall from_unix(uint64_t s) { return HardState::Wall(std::chrono::seconds(s)); }
uint64_t to_unix(HardState::Wall t)
{
	auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
	return s > 0 ? std::min(uint64_t(s), kMaxUnix) : 0;
}

// Splits off the first word; the rest (after one space) stays in line.
std::string_view word(std::string_view &line)
{
	auto sp = line.find(' ');
	std::string_view w = line.substr(0, sp);
	line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
	return w;
}

// What a line of the file may not hold: a name with a line break or a
// control character would corrupt the file for the next start.
bool printable(const std::string &s)
{
	for (unsigned char c : s)
		if (c < 0x20 || c == 0x7f)
			return false;
	return !s.empty();
}

std::string parse_line(std::string_view line, HardState &st)
{
	std::string_view kind = word(line);
	std::string why;
	if (kind == "agent") {
		auto addr = Address::parse(word(line));
		auto inst = number(word(line));
		if (addr && inst && printable(std::string(line)))
			st.agents[std::string(line)] = {*addr, *inst};
		else
			why = "expected 'agent ADDRESS INSTANCE NAME'";
	} else if (kind == "revoked") {
		std::string_view until = word(line);
		auto t = unix_time(until);
		if ((until == "forever" || t) && printable(std::string(line)))
			st.revoked[std::string(line)] = t ? std::optional(from_unix(*t)) : std::nullopt;
		else
			why = "expected 'revoked forever|UNIX-SECONDS USER'";
	} else if (kind == "withdrawn") {
		auto mac = MacAddr::parse(word(line));
		auto t = unix_time(word(line));
		if (mac && t && printable(std::string(line)))
			st.withdrawn[*mac] = {std::string(line), from_unix(*t)};
		else
			why = "expected 'withdrawn MAC UNIX-SECONDS USER'";
	} else if (kind == "lease") {
		auto addr = Address::parse(word(line));
		auto gen = number(word(line));
		std::string home(word(line)), holder(word(line));
		if (addr && gen && *gen >= 1 && *gen <= UINT32_MAX && printable(home) && printable(holder) && line.empty())
			st.leases[*addr] = {home, holder, uint32_t(*gen)};
		else
			why = "expected 'lease ADDRESS GENERATION HOME HOLDER'";
	} else {
		why = "unknown record '" + std::string(kind) + "'";
	}
	return why;
}

} // namespace

std::optional<HardState> parse_hard_state(std::string_view text, const std::string &name, std::string &error)
{
	HardState st;
	bool header = false;
	std::optional<uint64_t> end;
	uint64_t records = 0;
	unsigned n = 1;
	for (; !text.empty(); ++n) {
		auto nl = text.find('\n');
		std::string_view line = text.substr(0, nl);
		text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
		std::string why;
		if (!header) {
			header = true;
			if (line != kMagic)
				why = "not a roamcoord state file (its first line is not '" + std::string(kMagic) + "')";
		} else if (line.empty() || line[0] == '#') {
			continue;
		} else if (end) {
			why = "a record after the 'end' line";
		} else if (line.substr(0, 4) == "end ") {
			end = number(line.substr(4));
			if (!end || *end != records)
				why = "the 'end' line counts " + std::string(line.substr(4)) + " record(s), the file holds " +
				      std::to_string(records) + " (edited by hand? fix the count)";
		} else {
			why = parse_line(line, st);
			++records;
		}
		if (!why.empty()) {
			error = name + ":" + std::to_string(n) + ": " + why;
			return std::nullopt;
		}
	}
	if (!end) {
		error = name + ":" + std::to_string(n) + ": cut short: no 'end RECORDS' line" +
			(header ? "" : " (the file is empty)");
		return std::nullopt;
	}
	return st;
}

std::string render_hard_state(const HardState &st)
{
	std::ostringstream out;
	out << kMagic << "\n# roamcoord's hard state, rewritten at every change (docs/operations.md); do not edit while it runs\n";
	size_t records = 0;
	for (const auto &[name, a] : st.agents)
		if (printable(name) && ++records)
			out << "agent " << a.addr.str() << ' ' << a.instance << ' ' << name << '\n';
	for (const auto &[user, until] : st.revoked)
		if (printable(user) && ++records)
			out << "revoked " << (until ? std::to_string(to_unix(*until)) : "forever") << ' ' << user << '\n';
	for (const auto &[mac, w] : st.withdrawn)
		if (printable(w.user) && ++records)
			out << "withdrawn " << mac.str() << ' ' << to_unix(w.until) << ' ' << w.user << '\n';
	// Agent names without spaces only: a lease names two.
	auto one_word = [](const std::string &s) { return printable(s) && s.find(' ') == std::string::npos; };
	for (const auto &[addr, l] : st.leases)
		if (one_word(l.home) && one_word(l.holder) && ++records)
			out << "lease " << addr.str() << ' ' << l.generation << ' ' << l.home << ' ' << l.holder << '\n';
	out << "end " << records << '\n';
	return out.str();
}

std::optional<HardState> load_hard_state(const std::string &path, std::string &error)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		if (errno == ENOENT)
			return HardState{};
		error = path + ": " + strerror(errno);
		return std::nullopt;
	}
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	if (in.bad()) {
		error = path + ": read failed";
		return std::nullopt;
	}
	return parse_hard_state(text, path, error);
}

bool save_hard_state(const std::string &path, const HardState &st, std::string &error)
{
	std::string text = render_hard_state(st);
	std::string tmp = path + ".tmp";
	auto fail = [&](const std::string &what) {
		error = what + " " + tmp + ": " + strerror(errno);
		unlink(tmp.c_str());
		return false;
	};
	UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	if (!fd)
		return fail("cannot create");
	for (size_t at = 0; at < text.size();) {
		ssize_t n = write(fd.get(), text.data() + at, text.size() - at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("cannot write");
		at += size_t(n);
	}
	if (fsync(fd.get()) != 0)
		return fail("cannot sync");
	fd.reset();
	if (rename(tmp.c_str(), path.c_str()) != 0)
		return fail("cannot rename into " + path + ":");
	// The rename itself reaches the disk with the directory.
	auto slash = path.rfind('/');
	std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
	if (UniqueFd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); d)
		fsync(d.get());
	return true;
}

} // namespace roamnat
