// Fig. 9 920: the masquerade addresses of this access point, /32s on its
// backbone interface (the one holding its own address), so that the server's
// replies to them arrive here and the data plane sees them as local.
#pragma once

#include "../common/endpoint.hpp"

#include <string>
#include <vector>

namespace roamnat {

// Adds each address not yet local to the interface that holds own. An
// address already local anywhere (placed by the operator, or left by a
// previous run) is used as it is. They stay when roamd exits: the data plane
// keeps serving the connections anchored on them across a restart.
bool place_masquerade_addresses(Address own, const std::vector<Address> &masq, std::string &error);

} // namespace roamnat
