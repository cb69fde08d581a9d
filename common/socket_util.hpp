#pragma once

#include "endpoint.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace roamnat {

UniqueFd tcp_listen(const Endpoint &at, std::string &error);
// Starts a non-blocking connect; completion is reported as writability.
UniqueFd tcp_connect(const Endpoint &to, std::string &error);
UniqueFd tcp_accept(int listener);
// A non-blocking UDP socket bound to at.
UniqueFd udp_bind(const Endpoint &at, std::string &error);
// One datagram into buf; nullopt when none is waiting. from is its sender.
std::optional<size_t> udp_receive(int fd, std::span<uint8_t> buf, Endpoint &from);
bool udp_send(int fd, const Endpoint &to, std::span<const uint8_t> bytes);
// The local port fd is bound to; 0 when it is not.
uint16_t bound_port(int fd);
UniqueFd unix_listen(const std::string &path, std::string &error);
UniqueFd unix_connect(const std::string &path, std::string &error);
UniqueFd unix_accept(int listener);

} // namespace roamnat
