#include "local_ports.hpp"

#include <arpa/inet.h>
#include <fstream>
#include <sstream>

namespace roamnat {

namespace {
// /proc/net/tcp's "0165C90A:A028": the address in host byte order, hex.
bool parse_local(const std::string &field, std::string &text, uint16_t &port)
{
	auto colon = field.find(':');
	if (colon != 8 || field.size() != 13)
		return false;
	uint32_t addr = 0;
	unsigned p = 0;
	try {
		size_t used = 0;
		addr = static_cast<uint32_t>(std::stoul(field.substr(0, 8), &used, 16));
		if (used != 8)
			return false;
		p = static_cast<unsigned>(std::stoul(field.substr(9), &used, 16));
		if (used != 4)
			return false;
	} catch (...) {
		return false;
	}
	char buf[INET_ADDRSTRLEN];
	in_addr a{addr};
	if (!inet_ntop(AF_INET, &a, buf, sizeof buf))
		return false;
	port = static_cast<uint16_t>(p);
	text = std::string(buf) + ":" + std::to_string(p);
	return true;
}
} // namespace

std::vector<LocalSocket> local_sockets_in_range(std::istream &in, const std::string &proto, uint16_t min,
						uint16_t max)
{
	std::vector<LocalSocket> found;
	std::string line;
	std::getline(in, line); // the header
	while (std::getline(in, line)) {
		std::istringstream fields(line);
		std::string slot, local;
		if (!(fields >> slot >> local))
			continue;
		LocalSocket s{proto, {}, 0};
		if (parse_local(local, s.local, s.port) && s.port >= min && s.port <= max)
			found.push_back(std::move(s));
	}
	return found;
}

std::vector<LocalSocket> local_sockets_in_range(uint16_t min, uint16_t max)
{
	std::vector<LocalSocket> all;
	for (const char *proto : {"tcp", "udp"}) {
		std::ifstream f(std::string("/proc/net/") + proto);
		auto some = local_sockets_in_range(f, proto, min, max);
		all.insert(all.end(), some.begin(), some.end());
	}
	return all;
}

} // namespace roamnat
