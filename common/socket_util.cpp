#include "socket_util.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace roamnat {
namespace {
sockaddr_in to_sockaddr(const Endpoint &e)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(e.addr.value);
	sa.sin_port = htons(e.port);
	return sa;
}

bool unix_addr(const std::string &path, sockaddr_un &sa, std::string &error)
{
	sa = {};
	sa.sun_family = AF_UNIX;
	if (path.size() >= sizeof(sa.sun_path)) {
		error = "socket path too long: " + path;
		return false;
	}
	memcpy(sa.sun_path, path.c_str(), path.size() + 1);
	return true;
}
} // namespace

UniqueFd tcp_listen(const Endpoint &at, std::string &error)
{
	UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	int one = 1;
	setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	auto sa = to_sockaddr(at);
	if (bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0 || listen(fd.get(), 128) != 0) {
		error = "listen on " + at.str() + ": " + strerror(errno);
		return UniqueFd();
	}
	return fd;
}

UniqueFd udp_bind(const Endpoint &at, std::string &error)
{
	UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	auto sa = to_sockaddr(at);
	if (!fd || bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
		error = "bind UDP " + at.str() + ": " + strerror(errno);
		return UniqueFd();
	}
	return fd;
}

UniqueFd tcp_connect(const Endpoint &to, std::string &error)
{
	UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	int one = 1;
	setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	auto sa = to_sockaddr(to);
	if (connect(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0 && errno != EINPROGRESS) {
		error = "connect to " + to.str() + ": " + strerror(errno);
		return UniqueFd();
	}
	return fd;
}

UniqueFd tcp_accept(int listener)
{
	UniqueFd fd(accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
	if (fd) {
		int one = 1;
		setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

std::optional<size_t> udp_receive(int fd, std::span<uint8_t> buf, Endpoint &from)
{
	sockaddr_in sa{};
	socklen_t len = sizeof(sa);
	ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr *>(&sa), &len);
	if (n < 0)
		return std::nullopt;
	from = {Address{ntohl(sa.sin_addr.s_addr)}, ntohs(sa.sin_port)};
	return size_t(n);
}

bool udp_send(int fd, const Endpoint &to, std::span<const uint8_t> bytes)
{
	auto sa = to_sockaddr(to);
	return sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) >= 0;
}

uint16_t bound_port(int fd)
{
	sockaddr_in sa{};
	socklen_t len = sizeof(sa);
	if (getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
		return 0;
	return ntohs(sa.sin_port);
}

UniqueFd unix_listen(const std::string &path, std::string &error)
{
	sockaddr_un sa;
	if (!unix_addr(path, sa, error))
		return UniqueFd();
	UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	unlink(path.c_str());
	if (bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0 || listen(fd.get(), 16) != 0) {
		error = "listen on " + path + ": " + strerror(errno);
		return UniqueFd();
	}
	chmod(path.c_str(), 0600); // local control is root's
	return fd;
}

UniqueFd unix_connect(const std::string &path, std::string &error)
{
	sockaddr_un sa;
	if (!unix_addr(path, sa, error))
		return UniqueFd();
	UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	if (connect(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) != 0) {
		error = "connect to " + path + ": " + strerror(errno);
		return UniqueFd();
	}
	fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
	return fd;
}

UniqueFd unix_accept(int listener)
{
	return UniqueFd(accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
}

} // namespace roamnat
