// The kernel settings a client-facing interface needs, made when it appears.
#pragma once

#include <string>

namespace roamnat {

// accept_local=1, rp_filter=0: the masquerade source may be one of this
// AP's own addresses (Fig. 11: the FAM is the HAM), which the kernel would
// otherwise treat as martian on input. false, with the reason, when the
// name is not a plain interface name or a setting could not be written.
bool prepare_client_interface(const std::string &name, std::string &error);

} // namespace roamnat
