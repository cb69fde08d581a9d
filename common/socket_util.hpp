#pragma once

#include "endpoint.hpp"
#include "unique_fd.hpp"

#include <string>

namespace roamnat {

UniqueFd tcp_listen(const Endpoint &at, std::string &error);
// Starts a non-blocking connect; completion is reported as writability.
UniqueFd tcp_connect(const Endpoint &to, std::string &error);
UniqueFd tcp_accept(int listener);
// A non-blocking UDP socket bound to at.
UniqueFd udp_bind(const Endpoint &at, std::string &error);
UniqueFd unix_listen(const std::string &path, std::string &error);
UniqueFd unix_connect(const std::string &path, std::string &error);
UniqueFd unix_accept(int listener);

} // namespace roamnat
