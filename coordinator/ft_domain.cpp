#include "ft_domain.hpp"

#include "../common/hex.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace roamnat {
namespace {

// Wiped on every way out: the file's text is the key.
struct Buffer {
	char bytes[2 * kFtKeySize + 2] = {};
	~Buffer() { wipe(bytes, sizeof bytes); }
};

} // namespace

std::string mdid_text(uint16_t mdid)
{
	char text[8];
	snprintf(text, sizeof text, "%04x", mdid);
	return text;
}

std::optional<FtDomain> load_ft_domain(const std::string &mdid, const std::string &key_path, std::string &err)
{
	FtDomain d;
	if (mdid.size() != 4 || mdid.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
		err = "ft_mobility_domain = '" + mdid + "' is not 4 hex digits (hostapd's mobility_domain, e.g. a1b2)";
		return std::nullopt;
	}
	d.mobility_domain = uint16_t(std::stoul(mdid, nullptr, 16));
	if (key_path.empty()) {
		err = "ft_mobility_domain is set but ft_key_file is not: the key holders need their shared key";
		return std::nullopt;
	}
	int fd = open(key_path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = "ft_key_file '" + key_path + "' cannot be read: " + strerror(errno);
		return std::nullopt;
	}
	struct stat st {};
	Buffer buf;
	ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf.bytes, sizeof buf.bytes) : -1;
	close(fd);
	if (n < 0) {
		err = "ft_key_file '" + key_path + "': " + strerror(errno);
		return std::nullopt;
	}
	if (st.st_mode & 077) {
		err = "ft_key_file '" + key_path + "' may be read or written by others than its owner (chmod 600 it)";
		return std::nullopt;
	}
	size_t len = size_t(n);
	if (len == 2 * kFtKeySize + 1 && buf.bytes[len - 1] == '\n')
		--len;
	if (len != 2 * kFtKeySize || !hex_to_bytes({buf.bytes, len}, d.key)) {
		err = "ft_key_file '" + key_path + "' does not hold 64 hex digits (openssl rand -hex 32 makes one)";
		return std::nullopt;
	}
	return d;
}

} // namespace roamnat
