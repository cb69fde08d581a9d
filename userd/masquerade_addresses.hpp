// Fig. 9 920: the masquerade addresses this access point holds, /32s on its
// backbone interface (the one holding its own address), so that the
// server's replies to them arrive here and the data plane sees them as
// local. HAM failover moves them: the agent taking one over adds it and
// announces it by gratuitous ARP; the agent that lost it removes it.
#pragma once

#include "../common/endpoint.hpp"

#include <set>
#include <string>
#include <vector>

namespace roamnat {

class MasqueradeAddresses {
public:
	// Finds the interface holding own (with no home addresses, own need
	// not be local: no takeover then) and says which home addresses a
	// previous run left. The others are added once the coordinator confirms
	// this agent holds them, never before: a rebooted AP whose address
	// moved meanwhile must not answer for it. They stay when roamd exits:
	// the data plane keeps serving the connections on them across a restart.
	bool start(Address own, const std::vector<Address> &home, std::string &error);
	// Whether start() found a home address already local.
	bool present(Address a) const { return found_.count(a) > 0; }
	// Takeover: the address goes on the backbone interface (if not local yet).
	bool add(Address a, std::string &error);
	// Fencing: another agent holds it now.
	bool remove(Address a, std::string &error);
	// A gratuitous ARP request for a: neighbours that cached another AP's
	// MAC for it switch to this one (Linux takes one such update a second:
	// send it more than once).
	bool announce(Address a, std::string &error);

private:
	bool change(int type, Address a, std::string &error);
	uint32_t ifindex_ = 0;
	std::string ifname_;
	std::set<Address> found_;
};

} // namespace roamnat
