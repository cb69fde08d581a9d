// roamd's configuration file turned into the agent's options: every key as
// declared in roamd_config_keys.hpp, defaults included.
#pragma once

#include "../common/config_file.hpp"
#include "../common/endpoint.hpp"
#include "../common/log.hpp"
#include "../common/tls.hpp"
#include "agent.hpp"

#include <string>

namespace roamnat {

struct AgentConfig {
	AgentOptions opts;   // all but the name, which is the certificate's
	Endpoint coordinator;
	TlsFiles tls;
	std::string backend; // kmod, nftables or auto
	LogLevel log_level = LogLevel::info;
};

// false with "FILE[:LINE]: reason" on anything it cannot use.
bool load_agent_config(const ConfigFile &cfg, AgentConfig &out, std::string &error);

} // namespace roamnat
