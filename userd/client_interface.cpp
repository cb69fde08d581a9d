#include "client_interface.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <net/if.h>

namespace roamnat {

bool prepare_client_interface(const std::string &name, std::string &error)
{
	// The name becomes a path under /proc: nothing that could leave the directory.
	if (name.empty() || name.size() >= IF_NAMESIZE || name.find('/') != std::string::npos || name == "." ||
	    name == "..") {
		error = "'" + name + "' is not an interface name";
		return false;
	}
	for (auto [knob, value] : {std::pair{"accept_local", "1"}, std::pair{"rp_filter", "0"}}) {
		std::string path = "/proc/sys/net/ipv4/conf/" + name + "/" + knob;
		std::ofstream f(path);
		f << value;
		f.flush();
		if (!f) {
			error = "cannot write " + std::string(value) + " to " + path + ": " + std::strerror(errno);
			return false;
		}
	}
	return true;
}

} // namespace roamnat
