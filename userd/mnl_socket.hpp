// A libmnl socket owned by a unique_ptr: nftables, NFQUEUE and rtnetlink users.
#pragma once

#include <libmnl/libmnl.h>
#include <memory>

namespace roamnat {

struct MnlSocketClose {
	void operator()(mnl_socket *s) const { mnl_socket_close(s); }
};
using MnlSocket = std::unique_ptr<mnl_socket, MnlSocketClose>;

} // namespace roamnat
